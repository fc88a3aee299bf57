"""The instance-level groups through the official Python SDK: allow/block-lists, redirect URLs, domains and
proxy checks, instance settings, beta features, the Svix app, waitlist entries and sign-ups.  Every test runs
over real HTTP and in-process (the ``sdk`` fixture); every response is validated against the spec by the
fixture's hook."""

from __future__ import annotations

from clerk_backend_api import Clerk, models

from clerkmock.engine.records.instance import SignUp

from .conftest import SdkHandle
from .helpers import new_user, raises_api_error


def test_allowlist_and_blocklist(sdk: Clerk) -> None:
    item = sdk.allowlist_identifiers.create(request={"identifier": "Ann@Example.com", "notify": True})
    assert item.id.startswith("alid_") and item.identifier == "ann@example.com"
    assert item.identifier_type == "email_address" and item.invitation_id is not None
    phone = sdk.allowlist_identifiers.create(request={"identifier": "+15555550100"})
    assert phone.identifier_type == "phone_number"
    with raises_api_error(400, "duplicate_record"):
        sdk.allowlist_identifiers.create(request={"identifier": "ann@example.com"})
    with raises_api_error(422, "form_param_format_invalid", param="identifier"):
        sdk.allowlist_identifiers.create(request={"identifier": "nobody"})
    assert [i.id for i in sdk.allowlist_identifiers.list()] == [phone.id, item.id]
    assert sdk.allowlist_identifiers.delete(identifier_id=phone.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.allowlist_identifiers.delete(identifier_id=phone.id)

    blocked = sdk.blocklist_identifiers.create(request={"identifier": "*@spam.example"})
    assert blocked.id.startswith("blid_") and blocked.identifier_type == "email_address"
    wallet = sdk.blocklist_identifiers.create(request={"identifier": "0x" + "ab" * 20})
    assert wallet.identifier_type == "web3_wallet"
    with raises_api_error(400, "duplicate_record"):
        sdk.blocklist_identifiers.create(request={"identifier": "*@SPAM.example"})
    page = sdk.blocklist_identifiers.list()
    assert page.total_count == 2 and [i.id for i in page.data] == [wallet.id, blocked.id]
    assert sdk.blocklist_identifiers.delete(identifier_id=blocked.id).id == blocked.id
    assert sdk.blocklist_identifiers.list().total_count == 1


def test_redirect_urls(sdk: Clerk) -> None:
    r = sdk.redirect_urls.create(request={"url": "my-app://oauth-callback"})
    assert r.id.startswith("ru_") and r.url == "my-app://oauth-callback"
    assert sdk.redirect_urls.get(id=r.id).url == r.url
    assert [x.id for x in sdk.redirect_urls.list()] == [r.id]
    with raises_api_error(400, "duplicate_record"):
        sdk.redirect_urls.create(request={"url": "my-app://oauth-callback"})
    with raises_api_error(422, "form_param_format_invalid", param="url"):
        sdk.redirect_urls.create(request={"url": "no-scheme.example.com"})
    assert sdk.redirect_urls.delete(id=r.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.redirect_urls.get(id=r.id)


def test_domains_and_proxy_checks(sdk: Clerk) -> None:
    (primary,) = sdk.domains.list().data
    assert primary.is_satellite is False and primary.name == "clerkmock.clerk.accounts.dev"
    sat = sdk.domains.add(request={"name": "satellite.example.com", "is_satellite": True})
    assert sat.is_satellite is True and sat.frontend_api_url == "https://clerk.satellite.example.com"
    assert sdk.domains.update(domain_id=sat.id, name="sat2.example.com").name == "sat2.example.com"
    with raises_api_error(403, "operation_not_allowed_on_primary_domain"):
        sdk.domains.delete(domain_id=primary.id)
    with raises_api_error(400, "request_invalid_for_environment"):
        sdk.domains.update(domain_id=sat.id, proxy_url="https://sat2.example.com/__clerk")
    check = sdk.proxy_checks.verify(request={"domain_id": sat.id, "proxy_url": "https://sat2.example.com/__clerk"})
    assert check.successful is True and check.domain_id == sat.id
    assert sdk.domains.delete(domain_id=sat.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.domains.delete(domain_id=sat.id)
    assert sdk.domains.list().total_count == 1


def test_instance_settings(sdk: Clerk) -> None:
    inst = sdk.instance_settings.get()
    assert inst.object == "instance" and inst.environment_type == "development" and inst.id.startswith("ins_")
    assert sdk.instance_settings.update(request={"allowed_origins": ["capacitor://localhost"]}) is None
    assert sdk.instance_settings.get().allowed_origins == ["capacitor://localhost"]
    r = sdk.instance_settings.update_restrictions(request={"blocklist": True})
    assert r.blocklist is True and r.allowlist is False
    assert sdk.instance_settings.update_instance_protect(request={"specter_enabled": True}).specter_enabled is True
    assert sdk.instance_settings.get_instance_protect().specter_enabled is True
    c = sdk.instance_settings.update_communication(request={"blocked_country_codes": ["KP"]})
    assert c.blocked_country_codes == ["KP"]
    assert sdk.instance_settings.get_communication().blocked_country_codes == ["KP"]
    o = sdk.instance_settings.update_o_auth_application_settings(request={"default_scopes": ["openid"]})
    assert o.default_scopes == ["openid"]
    assert sdk.instance_settings.get_o_auth_application_settings().default_scopes == ["openid"]
    s = sdk.instance_settings.update_organization_settings(request={"max_allowed_memberships": 3})
    assert s.max_allowed_memberships == 3 and s.creator_role == "org:admin"
    assert sdk.instance_settings.get_organization_settings().max_allowed_memberships == 3
    assert sdk.organizations.create(request={"name": "Acme"}).max_allowed_memberships == 3
    with raises_api_error(400, "request_invalid_for_environment"):
        sdk.instance_settings.change_domain(request={"home_url": "https://www.example.com"})
    beta = sdk.beta_features.update_instance_settings(request={"restricted_to_allowlist": True})
    assert beta.restricted_to_allowlist is True
    with raises_api_error(400, "request_invalid_for_environment"):
        sdk.beta_features.update_production_instance_domain(request={"home_url": "https://www.example.com"})


def test_svix_app(sdk: Clerk) -> None:
    with raises_api_error(400, "svix_app_missing"):
        sdk.webhooks.generate_svix_auth_url()
    url = sdk.webhooks.create_svix_app().svix_url
    assert sdk.webhooks.generate_svix_auth_url().svix_url == url
    sdk.webhooks.delete_svix_app()
    with raises_api_error(400, "svix_app_missing"):
        sdk.webhooks.delete_svix_app()


def test_waitlist_entries(sdk: Clerk) -> None:
    ann = sdk.waitlist_entries.create(request={"email_address": "ann@example.com"})
    assert ann.id.startswith("wle_") and ann.status == models.WaitlistEntryStatus.PENDING
    bulk = sdk.waitlist_entries.bulk_create(request=[{"email_address": "ann@example.com"},
                                                     {"email_address": "bob@example.com", "notify": False}])
    assert bulk[0].id == ann.id and bulk[1].email_address == "bob@example.com"
    invited = sdk.waitlist_entries.invite(waitlist_entry_id=ann.id)
    assert invited.status == "invited" and invited.invitation is not None
    assert invited.invitation.email_address == "ann@example.com"
    rejected = sdk.waitlist_entries.reject(waitlist_entry_id=ann.id)
    assert rejected.status == "rejected"
    page = sdk.waitlist_entries.list(status="pending")
    assert page.total_count == 1 and page.data[0].email_address == "bob@example.com"
    assert sdk.waitlist_entries.list(query="ann").data[0].id == ann.id
    with raises_api_error(409, "conflict"):
        sdk.waitlist_entries.delete(waitlist_entry_id=ann.id)
    new_user(sdk, email_address=["bob@example.com"])
    with raises_api_error(422, "form_identifier_exists"):
        sdk.waitlist_entries.invite(waitlist_entry_id=bulk[1].id)
    assert sdk.waitlist_entries.delete(waitlist_entry_id=bulk[1].id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.waitlist_entries.reject(waitlist_entry_id=bulk[1].id)


def test_sign_ups_unknown(sdk: Clerk) -> None:
    with raises_api_error(404, "resource_not_found", sdk_type=None):
        sdk.sign_ups.get(id="sua_missing")
    with raises_api_error(404, "resource_not_found", sdk_type=None):
        sdk.sign_ups.update(id="sua_missing", external_id="ext")


def test_sign_ups_read_and_update(sdk_handle: SdkHandle) -> None:
    sdk = sdk_handle.clerk
    sdk_handle.mock.engine.state.instance_config.sign_ups["sua_1"] = SignUp(
        "sua_1", 1_767_225_600_000, email_address="ann@example.com", missing_fields=["password"])
    s = sdk.sign_ups.get(id="sua_1")
    assert s.object == "sign_up_attempt" and s.email_address == "ann@example.com"
    assert s.missing_fields == ["password"] and s.verifications.email_address is not None
    s = sdk.sign_ups.update(id="sua_1", external_id="ext-1", custom_action=True)
    assert s.external_id == "ext-1" and s.custom_action is True
