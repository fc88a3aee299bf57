"""Enterprise connections, SAML connections and email/SMS templates through the official Python SDK.  Every test
runs over real HTTP and in-process (the ``sdk`` fixture); every response is validated against the spec by the
fixture's hook."""

from __future__ import annotations

from clerk_backend_api import Clerk

from .helpers import raises_api_error


def test_enterprise_connections(sdk: Clerk) -> None:
    org = sdk.organizations.create(request={"name": "Acme"})
    c = sdk.enterprise_connections.create(request={
        "name": "Acme SSO", "provider": "saml_okta", "domains": ["acme.com"], "organization_id": org.id,
        "saml": {"idp_entity_id": "https://idp/e", "idp_sso_url": "https://idp/s", "idp_certificate": "MIIC"},
    })
    assert c.id.startswith("entc_") and c.domains == ["acme.com"] and c.organization_id == org.id
    assert c.saml_connection is not None and c.saml_connection.id.startswith("samlc_")
    assert sdk.enterprise_connections.get(enterprise_connection_id=c.id).name == "Acme SSO"
    up = sdk.enterprise_connections.update(enterprise_connection_id=c.id, name="Renamed", active=True)
    assert up.name == "Renamed" and up.active is True
    listed = sdk.enterprise_connections.list(active=True)
    assert [x.id for x in listed.data] == [c.id] and listed.total_count == 1
    with raises_api_error(422, "form_identifier_exists", param="domains"):
        sdk.enterprise_connections.create(request={"name": "B", "provider": "oidc_custom", "domains": ["acme.com"]})
    with raises_api_error(422, "form_resource_not_found", param="organization_id"):
        sdk.enterprise_connections.create(request={"name": "B", "provider": "oidc_custom", "domains": ["b.com"],
                                                   "organization_id": "org_missing"})
    url = sdk.enterprise_connections.create_test_run(enterprise_connection_id=c.id).url
    assert c.id in url
    runs = sdk.enterprise_connections.list_test_runs(enterprise_connection_id=c.id)
    assert runs.total_count == 1 and runs.data[0].status == "pending"
    assert sdk.enterprise_connections.delete(enterprise_connection_id=c.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.enterprise_connections.get(enterprise_connection_id=c.id)


def test_saml_connections(sdk: Clerk) -> None:
    s = sdk.saml_connections.create(request={"name": "Okta", "provider": "saml_okta", "domains": ["okta-co.com"],
                                             "idp_metadata_url": "https://idp/meta"})
    assert s.id.startswith("samlc_") and s.domains == ["okta-co.com"] and s.active is False
    assert s.enterprise_connection_id is not None
    assert sdk.enterprise_connections.get(enterprise_connection_id=s.enterprise_connection_id).domains == [
        "okta-co.com"]
    up = sdk.saml_connections.update(saml_connection_id=s.id, active=True, name="Okta 2")
    assert up.active is True and up.name == "Okta 2"
    listed = sdk.saml_connections.list(query="okta")
    assert listed.total_count == 1 and listed.data[0].id == s.id
    assert sdk.saml_connections.get(saml_connection_id=s.id).name == "Okta 2"
    assert sdk.saml_connections.delete(saml_connection_id=s.id).deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.saml_connections.get(saml_connection_id=s.id)


def test_templates(sdk: Clerk) -> None:
    emails = sdk.email_sms_templates.list(template_type="email")
    assert "verification_code" in [t.slug for t in emails]
    t = sdk.email_sms_templates.get(template_type="email", slug="verification_code")
    assert t.resource_type == "system" and t.can_revert is False
    up = sdk.email_and_sms_templates.upsert(template_type="email", slug="verification_code", name="Code",
                                            subject="Code {{otp_code}}", body="<p>{{otp_code}}</p>")
    assert up.resource_type == "user" and up.can_revert is True and up.subject == "Code {{otp_code}}"
    with raises_api_error(422, "form_param_value_invalid", param="body"):
        sdk.email_and_sms_templates.upsert(template_type="email", slug="verification_code", body="no code")
    preview = sdk.templates.preview(template_type="email", slug="verification_code", body="{{otp_code}}")
    assert preview is not None
    reverted = sdk.email_sms_templates.revert(template_type="email", slug="verification_code")
    assert reverted.id == t.id and reverted.resource_type == "system"
    off = sdk.email_sms_templates.toggle_template_delivery(template_type="sms", slug="verification_code",
                                                           delivered_by_clerk=False)
    assert off.delivered_by_clerk is False
    with raises_api_error(404, "resource_not_found"):
        sdk.email_sms_templates.get(template_type="sms", slug="nope")
