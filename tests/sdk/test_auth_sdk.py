"""Sessions, clients and tokens through the official Python SDK, over HTTP and in-process; every response is
validated against the spec by the ``sdk`` fixture's hook.  The last test checks that every operation of these
tags was driven through the SDK on both transports."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from clerk_backend_api import Clerk, models

from clerkmock.engine import tokens
from clerkmock.engine.resources.auth import clients as clients_mod
from clerkmock.engine.resources.auth import oauth_tokens
from clerkmock.engine.resources.auth import sessions as sessions_mod
from clerkmock.engine.resources.auth.common import signing_key

from .conftest import NO_RETRY, SdkHandle, make_client
from .helpers import new_user, raises_api_error



def _claims(handle: SdkHandle, token: str) -> dict[str, Any]:
    public = tokens.public_key_pem(signing_key(handle.mock.engine.state))
    return jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False})


def _in_engine(handle: SdkHandle, fn: Any, *args: Any) -> Any:
    """Call an engine helper (what FAPI would do) on the live state, under the pipeline's lock."""
    with handle.mock.pipeline.lock:
        return fn(handle.mock.engine.state, *args)


def _http(handle: SdkHandle, method: str, path: str, json: Any = None) -> Any:
    """A plain request on the same transport and spec hook, for what the SDK cannot send."""
    with make_client(handle.transport, handle.mock, handle.hook) as client:
        response = client.request(method, handle.mock.api_url + path, json=json,
                                  headers={"Authorization": f"Bearer {handle.mock.secret_key}"})
    assert response.status_code == 200, response.text
    return response.json()


def _as_machine(handle: SdkHandle, secret: str) -> Clerk:
    """A second SDK client authenticated with a machine secret key, on the same transport and spec hook."""
    client = make_client(handle.transport, handle.mock, handle.hook)
    return Clerk(bearer_auth=secret, server_url=handle.mock.api_url, client=client, retry_config=NO_RETRY)


# -- sessions and clients ---------------------------------------------------------------------------------------


def test_session_lifecycle(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    user = new_user(sdk)
    session = sdk.sessions.create(request={"user_id": user.id})
    assert session.status == models.Status.ACTIVE and session.user_id == user.id
    assert sdk.sessions.get(session_id=session.id).id == session.id
    listed = sdk.sessions.list(user_id=user.id)
    assert [s.id for s in listed] == [session.id]
    assert [s.id for s in sdk.sessions.list(client_id=session.client_id, status=models.QueryParamStatus.ACTIVE)] == [
        session.id]
    token = sdk.sessions.create_token(session_id=session.id, expires_in_seconds=120)
    claims = _claims(sdk_handle, token.jwt)
    assert (claims["sid"], claims["sub"], claims["exp"] - claims["iat"], claims["v"]) == (session.id, user.id, 120, 2)
    revoked = sdk.sessions.revoke(session_id=session.id)
    assert revoked.status == models.Status.REVOKED
    assert sdk.sessions.list(user_id=user.id, status=models.QueryParamStatus.ACTIVE) == []
    with raises_api_error(401, "authentication_invalid"):
        sdk.sessions.create_token(session_id=session.id)
    with raises_api_error(404, "resource_not_found"):
        sdk.sessions.get(session_id="sess_missing")
    with raises_api_error(404, "resource_not_found"):
        sdk.sessions.create(request={"user_id": "user_missing"})
    with raises_api_error(400, "missing_query_parameter"):
        sdk.sessions.list()


def test_session_expires_with_the_clock(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    session = sdk.sessions.create(request={"user_id": new_user(sdk).id})
    sdk_handle.mock.engine.clock.advance(seconds=7 * 24 * 3600)  # the baseline restores the clock after the test
    assert sdk.sessions.get(session_id=session.id).status == models.Status.EXPIRED
    assert [s.id for s in sdk.sessions.list(user_id=session.user_id, status=models.QueryParamStatus.EXPIRED)] == [
        session.id]


def test_refresh_session(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    session = sdk.sessions.create(request={"user_id": new_user(sdk).id})
    with sdk_handle.mock.pipeline.lock:
        st = sdk_handle.mock.engine.state
        expired = sessions_mod.mint_session_token(st, st.auth.sessions[session.id],
                                                  sdk_handle.mock.engine.clock.now_ms() - 120_000, "2025-11-10",
                                                  azp="http://localhost:3000")
        refresh_token = sessions_mod.refresh_token_for(st, session.id)
    fresh = sdk.sessions.refresh(session_id=session.id, expired_token=expired, refresh_token=refresh_token,
                                 request_origin="http://localhost:3000")
    assert isinstance(fresh, models.Token) and _claims(sdk_handle, fresh.jwt)["sid"] == session.id
    cookies = sdk.sessions.refresh(session_id=session.id, expired_token=expired, refresh_token=refresh_token,
                                   request_origin="http://localhost:3000", format_=models.Format.COOKIE)
    assert isinstance(cookies, models.Cookies) and cookies.cookies[0].startswith("__session=")
    with raises_api_error(401, "refresh_token_not_found"):
        sdk.sessions.refresh(session_id=session.id, expired_token=expired, refresh_token="wrong",
                             request_origin="http://localhost:3000")


def test_clients(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    session = sdk.sessions.create(request={"user_id": new_user(sdk).id})
    client = sdk.clients.get(client_id=session.client_id)
    assert client.session_ids == [session.id] and client.sessions[0].id == session.id
    assert [c.id for c in sdk.clients.list()] == [session.client_id]
    token = _in_engine(sdk_handle, clients_mod.client_token, session.client_id)
    assert sdk.clients.verify(request={"token": token}).id == session.client_id
    with raises_api_error(400, "cookie_invalid"):
        sdk.clients.verify(request={"token": "not-a-client-token"})
    with raises_api_error(404, "resource_not_found"):
        sdk.clients.get(client_id="client_missing")


def test_jwks(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    jwks = sdk.jwks.get_jwks()
    assert [k.kid for k in jwks.keys] == [sdk_handle.mock.engine.state.instance.id]
    assert (jwks.keys[0].kty, jwks.keys[0].alg, jwks.keys[0].e) == ("RSA", "RS256", "AQAB")


# -- JWT templates ---------------------------------------------------------------------------------------------


def test_jwt_templates(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    user = new_user(sdk, first_name="Ada", email_address=["ada.template@example.com"])
    session = sdk.sessions.create(request={"user_id": user.id})
    template = sdk.jwt_templates.create(request={"name": "supabase", "claims": {}, "lifetime": 300})
    assert template.id.startswith("jtmp_") and template.lifetime == 300 and template.allowed_clock_skew == 5
    # The SDK's claims models (CreateJWTTemplateClaims, UpdateJWTTemplateClaims) have no fields and drop every
    # key, so clerk-backend-api 7 always sends "claims": {}.  Set real claims with a plain request.
    _http(sdk_handle, "PATCH", f"/jwt_templates/{template.id}", {"name": "supabase", "lifetime": 300, "claims": {
        "role": "authenticated", "email": "{{user.primary_email_address}}", "name": "{{user.first_name}}"}})
    assert sdk.jwt_templates.get(template_id=template.id).name == "supabase"
    assert [t.id for t in sdk.jwt_templates.list()] == [template.id]
    token = sdk.sessions.create_token_from_template(session_id=session.id, template_name="supabase")
    claims = _claims(sdk_handle, token.jwt)
    assert (claims["role"], claims["email"], claims["name"], claims["sub"]) == (
        "authenticated", "ada.template@example.com", "Ada", user.id)
    updated = sdk.jwt_templates.update(template_id=template.id, name="supabase", claims={},
                                       custom_signing_key=True, signing_algorithm="HS256",
                                       signing_key="a-supabase-jwt-secret-of-32-bytes!")
    assert updated.custom_signing_key is True and updated.signing_algorithm == "HS256"
    signed = sdk.sessions.create_token_from_template(session_id=session.id, template_name="supabase").jwt
    assert jwt.decode(signed, "a-supabase-jwt-secret-of-32-bytes!", algorithms=["HS256"],
                      options={"verify_exp": False})["sub"] == user.id
    with raises_api_error(422, "form_identifier_exists"):
        sdk.jwt_templates.create(request={"name": "supabase", "claims": {}})
    deleted = sdk.jwt_templates.delete(template_id=template.id)
    assert deleted.deleted is True
    with raises_api_error(404, "resource_not_found"):
        sdk.jwt_templates.get(template_id=template.id)
    with raises_api_error(404, "resource_not_found"):
        sdk.sessions.create_token_from_template(session_id=session.id, template_name="supabase")


# -- sign-in, actor and testing tokens ---------------------------------------------------------------------------


def test_sign_in_and_actor_tokens(sdk: Clerk) -> None:
    user = new_user(sdk)
    admin = new_user(sdk)
    sign_in = sdk.sign_in_tokens.create(request={"user_id": user.id, "expires_in_seconds": 3600})
    assert sign_in.status == models.SignInTokenStatus.PENDING and sign_in.url and sign_in.token
    assert sdk.sign_in_tokens.revoke(sign_in_token_id=sign_in.id).status == models.SignInTokenStatus.REVOKED
    with raises_api_error(400, "sign_in_token_cannot_be_revoked_code"):
        sdk.sign_in_tokens.revoke(sign_in_token_id=sign_in.id)
    actor = sdk.actor_tokens.create(request={"user_id": user.id, "actor": {"sub": admin.id}})
    # (the SDK models `actor` as a field-less object, so its content is not visible here)
    assert actor.user_id == user.id and actor.status == models.ActorTokenStatus.PENDING and actor.url
    assert sdk.actor_tokens.revoke(actor_token_id=actor.id).status == models.ActorTokenStatus.REVOKED
    with raises_api_error(404, "resource_not_found"):
        sdk.actor_tokens.revoke(actor_token_id="act_missing")


def test_testing_token(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    token = sdk.testing_tokens.create()
    now_s = sdk_handle.mock.engine.clock.now_s()
    assert token.token.split("-", 1)[0].isdigit() and now_s < token.expires_at <= now_s + 3600


# -- machines, M2M tokens, API keys, OAuth access tokens ------------------------------------------------------------


def test_machines(sdk: Clerk) -> None:
    a = sdk.machines.create(request={"name": "billing-worker"})
    b = sdk.machines.create(request={"name": "reports", "scoped_machines": [a.id], "default_token_ttl": 600})
    assert a.secret_key.startswith("ak_") and [m.id for m in b.scoped_machines] == [a.id]
    listed = sdk.machines.list(query="billing")
    assert listed.total_count == 1 and listed.data[0].id == a.id
    assert sdk.machines.update(machine_id=a.id, name="billing").name == "billing"
    assert sdk.machines.get(machine_id=a.id).default_token_ttl == 3600
    scope = sdk.machines.create_scope(machine_id=a.id, to_machine_id=b.id)
    assert (scope.from_machine_id, scope.to_machine_id) == (a.id, b.id)
    # (the SDK names the constant `deleted: true` field DELETED on these three models)
    assert sdk.machines.delete_scope(machine_id=a.id, other_machine_id=b.id).to_machine_id == b.id
    assert sdk.machines.get_secret_key(machine_id=a.id).secret == a.secret_key
    rotated = sdk.machines.rotate_secret_key(machine_id=a.id, previous_token_ttl=0)
    assert rotated.secret != a.secret_key
    assert sdk.machines.delete(machine_id=a.id).id == a.id
    with raises_api_error(404, "resource_not_found"):
        sdk.machines.get(machine_id=a.id)


def test_m2m_tokens(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    machine = sdk.machines.create(request={"name": "m2m-worker"})
    as_machine = _as_machine(sdk_handle, machine.secret_key)
    created = as_machine.m2m.create_token(seconds_until_expiration=600, claims={"job": "sync"})
    assert created.token.startswith("mt_") and created.subject == machine.id and created.claims == {"job": "sync"}
    assert as_machine.m2m.verify_token(token=created.token).id == created.id
    listed = sdk.m2m.list_tokens(subject=machine.id)
    assert listed.total_count == 1 and listed.m2m_tokens[0].id == created.id
    revoked = sdk.m2m.revoke_token(m2m_token_id=created.id, revocation_reason="rotated")
    assert revoked.revoked is True and revoked.revocation_reason == "rotated"
    with pytest.raises(models.ClerkBaseError) as info:
        sdk.m2m.verify_token(token=created.token)
    assert info.value.status_code == 404
    with pytest.raises(models.ClerkBaseError) as info:  # the instance key cannot create M2M tokens
        sdk.m2m.create_token()
    assert info.value.status_code == 403


def test_api_keys(sdk: Clerk) -> None:
    user = new_user(sdk)
    created = sdk.api_keys.create_api_key(name="ci key", subject=user.id, scopes=["read"], claims={"team": "a"})
    assert created.secret.startswith("ak_") and created.subject == user.id
    assert sdk.api_keys.get_api_key(api_key_id=created.id).name == "ci key"
    assert sdk.api_keys.get_api_key_secret(api_key_id=created.id).secret == created.secret
    assert sdk.api_keys.get_api_keys(subject=user.id).total_count == 1
    updated = sdk.api_keys.update_api_key(api_key_id=created.id, description="for CI", scopes=["read", "write"])
    assert updated.description == "for CI" and updated.scopes == ["read", "write"]
    assert sdk.api_keys.verify_api_key(secret=created.secret).id == created.id
    assert sdk.api_keys.revoke_api_key(api_key_id=created.id, revocation_reason="leaked").revoked is True
    with pytest.raises(models.ClerkBaseError) as info:
        sdk.api_keys.verify_api_key(secret=created.secret)
    assert info.value.status_code == 404
    assert sdk.api_keys.delete_api_key(api_key_id=created.id).id == created.id
    with pytest.raises(models.ClerkBaseError) as info:
        sdk.api_keys.get_api_key(api_key_id=created.id)
    assert info.value.status_code == 404


def test_oauth_access_token_verify(sdk: Clerk, sdk_handle: SdkHandle) -> None:
    user = new_user(sdk)
    issued = _in_engine(sdk_handle, lambda st: oauth_tokens.issue(st, user.id, "client_app",
                                                                   sdk_handle.mock.engine.clock.now_ms(),
                                                                   scopes=["profile"]))
    verified = sdk.oauth_access_tokens.verify(access_token=issued.secret)
    assert verified.subject == user.id and verified.scopes == ["profile"]
    with pytest.raises(models.ClerkBaseError) as info:
        sdk.oauth_access_tokens.verify(access_token="oat_unknown")
    assert info.value.status_code == 404
