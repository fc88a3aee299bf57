"""Sessions and clients at engine level: lifecycle, statuses against the clock, lists, tokens, refresh."""

from __future__ import annotations

import jwt
import pytest

from clerkmock.engine import Clock, Engine, tokens
from clerkmock.engine.resources.auth import clients as clients_mod
from clerkmock.engine.resources.auth import sessions as sessions_mod

from .auth_helpers import V1, V2, session, user, verify
from .helpers import T0, checked, fails, make_engine, ok

DAY_MS = 24 * 3600 * 1000


def _world() -> tuple[Engine, dict, dict]:
    e = make_engine()
    u = user(e)
    return e, u, session(e, u["id"])


def test_create_session_shape_and_lifetimes() -> None:
    e, u, s = _world()
    assert s["id"].startswith("sess_") and len(s["id"]) == 32
    assert s["client_id"].startswith("client_")
    assert s["status"] == "active" and s["user_id"] == u["id"] and s["actor"] is None
    assert s["expire_at"] == T0 + 7 * DAY_MS
    assert s["abandon_at"] == T0 + 30 * DAY_MS
    assert s["last_active_at"] == s["created_at"] == T0
    # creating a session is a sign-in for the user
    assert ok(e, "GET", f"/v1/users/{u['id']}")["last_sign_in_at"] == T0
    assert ok(e, "GET", f"/v1/sessions/{s['id']}") == s


def test_create_session_errors() -> None:
    e = make_engine()
    fails(e, "POST", "/v1/sessions", {"user_id": "user_missing"}, status=404, code="resource_not_found")
    fails(e, "POST", "/v1/sessions", {}, status=422, code="form_param_missing")
    u = user(e)
    fails(e, "POST", "/v1/sessions", {"user_id": u["id"], "active_organization_id": "org_nope"},
          status=404, code="resource_not_found")
    e.state.instance.environment = "production"
    err = fails(e, "POST", "/v1/sessions", {"user_id": u["id"]}, status=400, code="request_invalid_for_environment")
    assert err["long_message"] == "Request only valid for development instances."


def test_statuses_follow_the_engine_clock() -> None:
    e, u, s = _world()
    e.clock.advance(ms=7 * DAY_MS - 1)
    assert ok(e, "GET", f"/v1/sessions/{s['id']}")["status"] == "active"
    e.clock.advance(ms=1)
    assert ok(e, "GET", f"/v1/sessions/{s['id']}")["status"] == "expired"
    fails(e, "POST", f"/v1/sessions/{s['id']}/tokens", status=401, code="authentication_invalid")
    e.clock.advance(ms=23 * DAY_MS)
    assert ok(e, "GET", f"/v1/sessions/{s['id']}")["status"] == "abandoned"
    # a terminal status does not change on revoke
    assert ok(e, "POST", f"/v1/sessions/{s['id']}/revoke")["status"] == "abandoned"


def test_revoke_and_user_delete_end_sessions() -> None:
    e, u, s = _world()
    e.clock.advance(seconds=5)
    revoked = ok(e, "POST", f"/v1/sessions/{s['id']}/revoke")
    assert revoked["status"] == "revoked" and revoked["updated_at"] == T0 + 5000
    fails(e, "POST", f"/v1/sessions/{s['id']}/tokens", status=401, code="authentication_invalid")
    s2 = session(e, u["id"])
    ok(e, "DELETE", f"/v1/users/{u['id']}")
    assert ok(e, "GET", f"/v1/sessions/{s2['id']}")["status"] == "ended"
    assert ok(e, "GET", f"/v1/sessions/{s['id']}")["status"] == "revoked"
    fails(e, "GET", "/v1/sessions/sess_nope", status=404, code="resource_not_found")
    fails(e, "POST", "/v1/sessions/sess_nope/revoke", status=404, code="resource_not_found")


def test_list_sessions_filters_shapes_and_paging() -> None:
    e, u, s1 = _world()
    other = user(e, "bob@example.com")
    e.clock.advance(seconds=1)
    s2 = session(e, u["id"])
    session(e, other["id"])
    ok(e, "POST", f"/v1/sessions/{s1['id']}/revoke")
    fails(e, "GET", "/v1/sessions", status=400, code="missing_query_parameter")
    assert [x["id"] for x in ok(e, "GET", f"/v1/sessions?user_id={u['id']}")] == [s2["id"], s1["id"]]
    assert [x["id"] for x in ok(e, "GET", f"/v1/sessions?user_id={u['id']}&status=revoked")] == [s1["id"]]
    assert [x["id"] for x in ok(e, "GET", f"/v1/sessions?client_id={s2['client_id']}")] == [s2["id"]]
    assert ok(e, "GET", f"/v1/sessions?client_id={s2['client_id']}&user_id={other['id']}") == []
    page = ok(e, "GET", f"/v1/sessions?user_id={u['id']}&paginated=true&limit=1&offset=1")
    assert page["total_count"] == 2 and [x["id"] for x in page["data"]] == [s1["id"]]
    assert ok(e, "GET", "/v1/sessions?user_id=user_nobody") == []
    fails(e, "GET", f"/v1/sessions?user_id={u['id']}&status=bogus", status=400, code="invalid_query_parameter_value")
    fails(e, "GET", f"/v1/sessions?user_id={u['id']}&limit=0", status=422, code="form_param_value_invalid")


def test_session_token_v2_claims() -> None:
    e, u, s = _world()
    token = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers={**V2, "origin": "http://localhost:3000"})
    assert token["object"] == "token"
    header = jwt.get_unverified_header(token["jwt"])
    assert header == {"alg": "RS256", "kid": e.state.instance.id, "typ": "JWT"}
    claims = verify(e, token["jwt"])
    t0 = T0 // 1000
    assert claims == {
        "azp": "http://localhost:3000", "exp": t0 + 60, "fva": [0, -1], "iat": t0,
        "iss": "https://clerkmock.clerk.accounts.dev", "jti": claims["jti"], "nbf": t0 - 10,
        "pla": "u:free_user", "sid": s["id"], "sts": "active", "sub": u["id"], "v": 2,
    }
    assert "aud" not in claims and len(claims["jti"]) == 20
    e.clock.advance(seconds=180)
    later = verify(e, ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", {"expires_in_seconds": 3600})["jwt"])
    assert later["exp"] - later["iat"] == 3600 and later["fva"] == [3, -1] and "azp" not in later
    assert later["jti"] != claims["jti"]


def test_session_token_v1_for_old_api_versions() -> None:
    e, _, s = _world()
    claims = verify(e, ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers=V1)["jwt"])
    assert "v" not in claims and "sts" not in claims and "o" not in claims
    assert {"sid", "sub", "iat", "nbf", "exp", "iss"} <= set(claims)


def test_token_errors() -> None:
    e, _, s = _world()
    fails(e, "POST", "/v1/sessions/sess_nope/tokens", status=404, code="resource_not_found")
    fails(e, "POST", f"/v1/sessions/{s['id']}/tokens", {"expires_in_seconds": 5}, status=422,
          code="form_param_value_invalid")
    fails(e, "POST", f"/v1/sessions/{s['id']}/tokens/nope", status=404, code="resource_not_found")


def test_tokens_are_signed_with_the_configured_key() -> None:
    pem = tokens.generate_private_key_pem()
    e = Engine(clock=Clock(frozen_at_ms=T0), signing_key=pem)
    s = session(e, user(e)["id"])
    jwt_value = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens")["jwt"]
    assert jwt.decode(jwt_value, tokens.public_key_pem(pem), algorithms=["RS256"], options={"verify_exp": False})
    jwk = ok(e, "GET", "/v1/jwks")["keys"][0]
    assert jwk["n"] == tokens.jwk(pem, e.state.instance.id)["n"] and jwk["e"] == "AQAB"
    # snapshots and resets keep the key
    assert e.state.copy().auth.signing_key == pem
    with pytest.raises(ValueError, match="RSA-2048"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        small = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        Engine(signing_key=small)


def _refresh_body(e: Engine, s: dict, token: str, **over: object) -> dict:
    body = {"expired_token": token, "refresh_token": sessions_mod.refresh_token_for(e.state, s["id"]),
            "request_origin": "http://localhost:3000"}
    body.update(over)
    return body


def test_refresh_session() -> None:
    e, _, s = _world()
    old = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers={"origin": "http://localhost:3000"})["jwt"]
    e.clock.advance(seconds=120)  # the token has expired
    fresh = ok(e, "POST", f"/v1/sessions/{s['id']}/refresh", _refresh_body(e, s, old))
    assert fresh["object"] == "token" and verify(e, fresh["jwt"])["iat"] == (T0 // 1000) + 120
    cookies = ok(e, "POST", f"/v1/sessions/{s['id']}/refresh", _refresh_body(e, s, old, format="cookie"))
    assert cookies["object"] == "cookies" and cookies["cookies"][0].startswith("__session=ey")
    assert ok(e, "GET", f"/v1/sessions/{s['id']}")["last_active_at"] == T0 + 120_000


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda e, s, t: ("sess_nope", _refresh_body(e, s, t)), "session_refresh_session_not_found"),
        (lambda e, s, t: (s["id"], _refresh_body(e, s, t + "x")), "expired_session_token_invalid"),
        (lambda e, s, t: (s["id"], _refresh_body(e, s, t, refresh_token="nope")), "refresh_token_not_found"),
        (lambda e, s, t: (s["id"], _refresh_body(e, s, t, request_origin="https://evil.test")),
         "refresh_request_origin_azp_mismatch"),
        (lambda e, s, t: (s["id"], _refresh_body(e, s, t, request_origin="not a url")),
         "refresh_request_origin_invalid"),
    ],
)
def test_refresh_failures_are_401(mutate, code) -> None:  # type: ignore[no-untyped-def]
    e, _, s = _world()
    token = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers={"origin": "http://localhost:3000"})["jwt"]
    sid, body = mutate(e, s, token)
    fails(e, "POST", f"/v1/sessions/{sid}/refresh", body, status=401, code=code)


def test_refresh_checks_sid_azp_and_status() -> None:
    e, u, s = _world()
    other = session(e, u["id"])
    token = ok(e, "POST", f"/v1/sessions/{other['id']}/tokens", headers={"origin": "http://localhost:3000"})["jwt"]
    fails(e, "POST", f"/v1/sessions/{s['id']}/refresh", _refresh_body(e, s, token), status=401,
          code="refresh_sid_mismatch")
    no_azp = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens")["jwt"]
    fails(e, "POST", f"/v1/sessions/{s['id']}/refresh", _refresh_body(e, s, no_azp), status=401,
          code="expired_session_token_missing_azp")
    token = ok(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers={"origin": "http://localhost:3000"})["jwt"]
    ok(e, "POST", f"/v1/sessions/{s['id']}/revoke")
    fails(e, "POST", f"/v1/sessions/{s['id']}/refresh", _refresh_body(e, s, token), status=401,
          code="session_refresh_inactive_session")
    fails(e, "POST", f"/v1/sessions/{s['id']}/refresh", {"expired_token": token}, status=422,
          code="form_param_missing")


def test_clients_get_list_verify() -> None:
    e, u, s = _world()
    e.clock.advance(seconds=1)
    s2 = session(e, u["id"])
    client = ok(e, "GET", f"/v1/clients/{s['client_id']}")
    assert client["session_ids"] == [s["id"]] and client["last_active_session_id"] == s["id"]
    assert client["sessions"][0] == s
    assert [c["id"] for c in ok(e, "GET", "/v1/clients")] == [s2["client_id"], s["client_id"]]
    page = ok(e, "GET", "/v1/clients?paginated=true&limit=1")
    assert page["total_count"] == 2 and len(page["data"]) == 1
    fails(e, "GET", "/v1/clients/client_nope", status=404, code="resource_not_found")
    token = clients_mod.client_token(e.state, s["client_id"])
    assert ok(e, "POST", "/v1/clients/verify", {"token": token})["id"] == s["client_id"]
    fails(e, "POST", "/v1/clients/verify", {"token": "garbage"}, status=400, code="cookie_invalid")
    foreign = tokens.sign({"id": s["client_id"], "rotating_token": "x"}, tokens.generate_private_key_pem(), "ins_x")
    fails(e, "POST", "/v1/clients/verify", {"token": foreign}, status=400, code="cookie_invalid")
    fails(e, "POST", "/v1/clients/verify", {}, status=422, code="form_param_missing")


def test_jwks() -> None:
    e = make_engine()
    jwks = ok(e, "GET", "/v1/jwks")
    assert [k["kid"] for k in jwks["keys"]] == [e.state.instance.id]
    key = jwks["keys"][0]
    assert (key["use"], key["kty"], key["alg"], key["e"]) == ("sig", "RSA", "RS256", "AQAB")
    assert len(jwt.utils.base64url_decode(key["n"])) == 256  # RSA-2048


def test_deterministic_ids_and_tokens() -> None:
    def run() -> tuple[str, str]:
        e = Engine(clock=Clock(frozen_at_ms=T0), signing_key=PEM)
        s = session(e, user(e)["id"])
        return s["id"], ok(e, "POST", f"/v1/sessions/{s['id']}/tokens")["jwt"]

    assert run() == run()


PEM = tokens.default_private_key_pem()


def test_unexpected_bodies_never_5xx() -> None:
    e, _, s = _world()
    for url, body in [
        (f"/v1/sessions/{s['id']}/tokens", {"expires_in_seconds": "x"}),
        (f"/v1/sessions/{s['id']}/refresh", {"expired_token": 1, "refresh_token": [], "request_origin": {}}),
        ("/v1/sessions", {"user_id": None}),
        ("/v1/clients/verify", {"token": None}),
    ]:
        response = checked(e, "POST", url, body, status=422)
        assert response.status < 500
