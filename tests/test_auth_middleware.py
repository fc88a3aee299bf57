"""Clerk's own Python middleware (``clerk_backend_api.security``) accepts clerkmock's tokens and rejects bad ones.

``authenticate_request`` with ``jwt_key`` (networkless, header and ``__session`` cookie) and ``verify_token``
fetching the JWKS from a live clerkmock over HTTP.  The SDK checks ``exp`` against the wall clock, so these
engines run on real time; an "expired" token is minted by an engine whose clock is set minutes back.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from clerk_backend_api.security import authenticate_request, verify_token
from clerk_backend_api.security.types import (
    AuthenticateRequestOptions,
    AuthErrorReason,
    SessionAuthObjectV1,
    SessionAuthObjectV2,
    TokenVerificationError,
    TokenVerificationErrorReason,
    VerifyTokenOptions,
)

from engine.auth_helpers import acme

from clerkmock import ClerkMock
from clerkmock.engine import Clock, Engine, Request, tokens
from clerkmock.engine.resources.auth import oauth_tokens
from clerkmock.engine.resources.auth.common import signing_key

SK = {"authorization": "Bearer sk_test_middleware"}
V1 = {"clerk-api-version": "2024-10-01"}
KEY = tokens.generate_private_key_pem()
OTHER_KEY = tokens.generate_private_key_pem()


def _engine(*, age_s: int = 0, key: str = KEY) -> Engine:
    return Engine(clock=Clock(offset_ms=-age_s * 1000), signing_key=key)


def _call(engine: Engine, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
    response = engine.handle(Request.make(method, path, headers={**SK, **(headers or {})}, json=json))
    assert response.status in (200, 201), response.body
    return response.json()


def _session_token(engine: Engine, headers: dict[str, str] | None = None, **session: Any) -> tuple[dict, str]:
    user = _call(engine, "POST", "/v1/users", {"email_address": ["ann@example.com"]})
    sess = _call(engine, "POST", "/v1/sessions", {"user_id": user["id"], **session})
    return sess, _call(engine, "POST", f"/v1/sessions/{sess['id']}/tokens", headers=headers)["jwt"]


def _request(token: str | None = None, cookie: str | None = None) -> httpx.Request:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        headers["cookie"] = cookie
    return httpx.Request("GET", "http://app.test/protected", headers=headers)


JWT_KEY = AuthenticateRequestOptions(jwt_key=tokens.public_key_pem(KEY))


def test_fresh_token_in_header_is_signed_in() -> None:
    sess, token = _session_token(_engine())
    state = authenticate_request(_request(token), JWT_KEY)
    assert state.is_signed_in, state.reason
    auth = state.to_auth()
    assert isinstance(auth, SessionAuthObjectV2)
    assert (auth.sid, auth.sub, auth.v, auth.fva) == (sess["id"], sess["user_id"], 2, [0, -1])


def test_fresh_token_in_session_cookie_is_signed_in() -> None:
    sess, token = _session_token(_engine())
    cookie = f"__client_uat={int(time.time())}; __session={token}; theme=dark"
    state = authenticate_request(_request(cookie=cookie), JWT_KEY)
    assert state.is_signed_in, state.reason
    assert state.payload["sid"] == sess["id"]


def test_tampered_token_is_rejected() -> None:
    _, token = _session_token(_engine())
    header, payload, signature = token.split(".")
    claims = jwt.utils.base64url_decode(payload).replace(b'"sub":"user_', b'"sub":"user_X')
    forged = ".".join([header, jwt.utils.base64url_encode(claims).decode(), signature])
    state = authenticate_request(_request(forged), JWT_KEY)
    assert not state.is_signed_in and state.reason is TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE
    state = authenticate_request(_request(token[:-4] + "AAAA"), JWT_KEY)
    assert state.reason is TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE


def test_expired_token_is_rejected() -> None:
    # 60 s lifetime + the SDK's 5 s leeway: a token minted 66 s ago is expired, one minted 50 s ago is not
    _, old = _session_token(_engine(age_s=66))
    state = authenticate_request(_request(old), JWT_KEY)
    assert not state.is_signed_in and state.reason is TokenVerificationErrorReason.TOKEN_EXPIRED
    _, recent = _session_token(_engine(age_s=50))
    assert authenticate_request(_request(recent), JWT_KEY).is_signed_in


def test_token_from_another_key_is_rejected() -> None:
    _, token = _session_token(_engine(key=OTHER_KEY))
    state = authenticate_request(_request(token), JWT_KEY)
    assert state.reason is TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE


def test_missing_token_and_authorized_parties() -> None:
    assert authenticate_request(_request(), JWT_KEY).reason is AuthErrorReason.SESSION_TOKEN_MISSING
    _, token = _session_token(_engine(), headers={"origin": "https://app.example.com"})
    ok = AuthenticateRequestOptions(jwt_key=JWT_KEY.jwt_key, authorized_parties=["https://app.example.com"])
    assert authenticate_request(_request(token), ok).is_signed_in
    wrong = AuthenticateRequestOptions(jwt_key=JWT_KEY.jwt_key, authorized_parties=["https://other.example.com"])
    assert authenticate_request(_request(token), wrong).reason is (
        TokenVerificationErrorReason.TOKEN_INVALID_AUTHORIZED_PARTIES)


def test_v1_token_for_old_api_versions() -> None:
    sess, token = _session_token(_engine(), headers=V1)
    auth = authenticate_request(_request(token), JWT_KEY).to_auth()
    assert isinstance(auth, SessionAuthObjectV1) and auth.session_id == sess["id"]


def test_custom_org_permissions_reach_the_python_sdk() -> None:
    engine = _engine()
    user = _call(engine, "POST", "/v1/users", {"email_address": ["ann@example.com"]})
    org_id = acme(engine, user["id"])
    sess = _call(engine, "POST", "/v1/sessions", {"user_id": user["id"], "active_organization_id": org_id})
    token = _call(engine, "POST", f"/v1/sessions/{sess['id']}/tokens")["jwt"]
    auth = authenticate_request(_request(token), JWT_KEY).to_auth()
    assert (auth.org_id, auth.org_slug, auth.org_role) == (org_id, "acme", "admin")
    assert sorted(auth.org_permissions) == ["org:billing:read", "org:reports:manage", "org:reports:read"]


# -- over HTTP: the JWKS and machine-token verification endpoints ---------------------------------------------------


def _server_token(mock: ClerkMock, **session: Any) -> tuple[dict, str]:
    with httpx.Client(base_url=mock.url, headers={"Authorization": f"Bearer {mock.secret_key}"}) as http:
        user = http.post("/v1/users", json={"email_address": ["bob@example.com"]}).json()
        sess = http.post("/v1/sessions", json={"user_id": user["id"], **session}).json()
        return sess, http.post(f"/v1/sessions/{sess['id']}/tokens").json()["jwt"]


def test_verify_token_fetches_the_jwks_over_http(mock_server: ClerkMock) -> None:
    sess, token = _server_token(mock_server)
    options = VerifyTokenOptions(secret_key=mock_server.secret_key, api_url=mock_server.url)
    claims = verify_token(token, options)
    assert (claims["sid"], claims["iss"]) == (sess["id"], f"https://{mock_server.engine.state.instance.frontend_host}")
    # a token signed by another key with the same kid: the SDK refetches the JWKS once, then gives up
    _, foreign = _session_token(_engine(key=OTHER_KEY))
    with pytest.raises(TokenVerificationError) as info:
        verify_token(foreign, options)
    assert info.value.reason is TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE
    state = authenticate_request(_request(token), AuthenticateRequestOptions(
        jwt_key=tokens.public_key_pem(signing_key(mock_server.engine.state))))
    assert state.is_signed_in


def test_verify_token_for_machine_tokens_over_http(mock_server: ClerkMock) -> None:
    options = VerifyTokenOptions(secret_key=mock_server.secret_key, api_url=mock_server.url)
    with httpx.Client(base_url=mock_server.url, headers={"Authorization": f"Bearer {mock_server.secret_key}"}) as http:
        machine = http.post("/v1/machines", json={"name": "worker"}).json()
        m2m = http.post("/m2m_tokens", json={}, headers={"Authorization": f"Bearer {machine['secret_key']}"}).json()
        user = http.post("/v1/users", json={"email_address": ["carol@example.com"]}).json()
        api_key = http.post("/api_keys", json={"name": "svc key", "subject": user["id"]}).json()
    assert verify_token(m2m["token"], options)["subject"] == machine["id"]
    assert verify_token(api_key["secret"], options)["subject"] == user["id"]
    with mock_server.pipeline.lock:
        oat = oauth_tokens.issue(mock_server.engine.state, user["id"], "client_app", mock_server.engine.clock.now_ms())
    assert verify_token(oat.secret, options)["subject"] == user["id"]
    for bad in ("mt_unknown", "ak_unknown", "oat_unknown"):
        with pytest.raises(TokenVerificationError) as info:
            verify_token(bad, options)
        assert info.value.reason is TokenVerificationErrorReason.TOKEN_INVALID


def test_real_organization_roles_reach_the_python_sdk() -> None:
    """Through the organizations API (no seam patching): a custom role's permissions end up in org_permissions."""
    e = _engine()
    owner = _call(e, "POST", "/v1/users", {"email_address": ["owner@acme.example"]})
    member = _call(e, "POST", "/v1/users", {"email_address": ["member@acme.example"]})
    org = _call(e, "POST", "/v1/organizations", {"name": "Acme", "created_by": owner["id"]})
    permission = _call(e, "POST", "/v1/organization_permissions", {"name": "Read reports", "key": "org:reports:read"})
    role = _call(e, "POST", "/v1/organization_roles", {"name": "Analyst", "key": "org:analyst",
                                                       "include_in_initial_role_set": True})
    _call(e, "POST", f"/v1/organization_roles/{role['id']}/permissions/{permission['id']}")
    _call(e, "POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": member["id"], "role": "org:analyst"})
    sess = _call(e, "POST", "/v1/sessions", {"user_id": member["id"], "active_organization_id": org["id"]})
    token = _call(e, "POST", f"/v1/sessions/{sess['id']}/tokens")["jwt"]
    auth = authenticate_request(_request(token), JWT_KEY).to_auth()
    assert (auth.org_id, auth.org_slug, auth.org_role, auth.org_permissions) == (
        org["id"], org["slug"], "analyst", ["org:reports:read"])
    # the admin holds only system permissions, which are never put in tokens
    admin_sess = _call(e, "POST", "/v1/sessions", {"user_id": owner["id"], "active_organization_id": org["id"]})
    admin = authenticate_request(_request(_call(e, "POST", f"/v1/sessions/{admin_sess['id']}/tokens")["jwt"]),
                                 JWT_KEY).to_auth()
    assert (admin.org_role, admin.org_permissions) == ("admin", None)
    # not a member: no session in that organization
    outsider = _call(e, "POST", "/v1/users", {"email_address": ["out@example.com"]})
    response = e.handle(Request.make("POST", "/v1/sessions", headers=SK,
                                     json={"user_id": outsider["id"], "active_organization_id": org["id"]}))
    assert response.status == 404
