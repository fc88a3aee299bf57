"""OAuth Applications, Agent Tasks and Admin Portal Link Tokens through the official Python SDK, over HTTP and
in-process; every response is validated against the spec by the ``sdk`` fixture's hook.  The last test checks
that every operation of these tags was driven through the SDK on both transports."""

from __future__ import annotations

from typing import Any

from clerk_backend_api import Clerk

from clerkmock.engine.resources.auth import oauth_tokens

from .conftest import SdkHandle
from .helpers import new_user, raises_api_error

PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _in_engine(handle: SdkHandle, fn: Any, *args: Any) -> Any:
    with handle.mock.pipeline.lock:
        return fn(handle.mock.engine.state, *args)


def test_oauth_applications(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    created = sdk.oauth_applications.create(request={"name": "Acme CLI", "redirect_uris": ["myapp://cb"],
                                                     "scopes": "profile email public_metadata"})
    assert created.id.startswith("oa_") and created.client_secret and len(created.client_id) == 16
    assert created.scopes == "profile email public_metadata" and created.redirect_uris == ["myapp://cb"]
    assert created.discovery_url.endswith("/.well-known/oauth-authorization-server")
    public = sdk.oauth_applications.create(request={"name": "Mobile", "public": True, "pkce_required": True})
    assert public.public is True and public.client_secret == ""

    got = sdk.oauth_applications.get(oauth_application_id=created.id)
    assert got.client_id == created.client_id and got.name == "Acme CLI"
    page = sdk.oauth_applications.list(order_by="-created_at")
    assert page.total_count == 2 and [a.id for a in page.data] == [public.id, created.id]
    assert [a.id for a in sdk.oauth_applications.list(name_query=created.client_id).data] == [created.id]

    updated = sdk.oauth_applications.update(oauth_application_id=created.id, name="Acme CLI 2",
                                            consent_screen_enabled=False)
    assert updated.name == "Acme CLI 2" and updated.consent_screen_enabled is False
    # the SDK sends its default scopes ("profile email") on every update unless told otherwise
    assert updated.scopes == "profile email"
    assert sdk.oauth_applications.update(oauth_application_id=created.id, scopes=None).scopes == "profile email"
    with raises_api_error(422, "form_param_value_invalid"):
        sdk.oauth_applications.update(oauth_application_id=created.id, scopes="root")

    rotated = sdk.oauth_applications.rotate_secret(oauth_application_id=created.id)
    assert rotated.client_secret and rotated.client_secret != created.client_secret

    logo = sdk.oauth_applications.upload_logo(oauth_application_id=created.id, file={
        "file_name": "logo.png", "content": PNG_1X1, "content_type": "image/png"})
    assert logo.client_image_url and logo.client_image_url.startswith("https://")

    user = new_user(sdk)
    token = _in_engine(sdk_handle, lambda st: oauth_tokens.issue(st, user.id, created.client_id, 0, ttl_s=None))
    assert sdk.oauth_applications.revoke_token(oauth_application_id=created.id, token=token.secret) is None
    assert token.revoked

    deleted = sdk.oauth_applications.delete(oauth_application_id=public.id)
    assert deleted.deleted is True and deleted.id == public.id
    with raises_api_error(404, "resource_not_found"):
        sdk.oauth_applications.get(oauth_application_id=public.id)


def test_agent_tasks(sdk: Clerk) -> None:
    user = new_user(sdk)
    body = {"on_behalf_of": {"user_id": user.id}, "permissions": "*", "agent_name": "Support bot",
            "task_description": "Check the order", "redirect_url": "https://app.example.com/done"}
    task = sdk.agent_tasks.create(request=body)
    assert task.agent_task_id.startswith("agtask_") and task.url and "ticket=" in task.url
    again = sdk.agent_tasks.create(request={**body, "on_behalf_of": {"identifier": user.email_addresses[0].email_address}})
    assert again.agent_id == task.agent_id and again.agent_task_id != task.agent_task_id
    revoked = sdk.agent_tasks.revoke(agent_task_id=task.agent_task_id)
    assert revoked.agent_task_id == task.agent_task_id and revoked.url is None
    with raises_api_error(400, "agent_task_cannot_be_revoked_code"):
        sdk.agent_tasks.revoke(agent_task_id=task.agent_task_id)
    with raises_api_error(404, "resource_not_found"):
        sdk.agent_tasks.create(request={**body, "on_behalf_of": {"user_id": "user_missing"}})


def test_admin_portal_link_tokens(sdk: Clerk) -> None:
    org = sdk.organizations.create(request={"name": "Acme Inc"})
    t = sdk.admin_portal_link_tokens.create_admin_portal_link_token(organization_id=org.id, scopes=["admin_portal:read"],
                                                                    seconds_until_expiration=600)
    assert t.id.startswith("aplt_") and t.token and t.organization_id == org.id and t.revoked is False
    assert t.expiration == t.created_at + 600_000
    r = sdk.admin_portal_link_tokens.revoke_admin_portal_link_token(admin_portal_link_token_id=t.id,
                                                                    revocation_reason="done")
    assert r.revoked is True and r.revocation_reason == "done"
    with raises_api_error(404, "resource_not_found", sdk_type=None):
        sdk.admin_portal_link_tokens.revoke_admin_portal_link_token(admin_portal_link_token_id="aplt_" + "0" * 32)
