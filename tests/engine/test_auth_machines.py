"""Machines, M2M tokens, API keys, OAuth access token verification, and the bare (no /v1) machine paths."""

from __future__ import annotations

import re

import jwt

from clerkmock.engine import Clock, Engine, Request
from clerkmock.engine.resources.auth import oauth_tokens

from .auth_helpers import user, verify
from .helpers import T0, checked, fails, make_engine, ok


def _machine(e: Engine, name: str = "worker", **body) -> dict:  # type: ignore[no-untyped-def]
    return ok(e, "POST", "/v1/machines", {"name": name, **body})


def _as(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_machine_crud_scopes_and_secret() -> None:
    e = make_engine()
    a = _machine(e, "alpha")
    assert a["id"].startswith("mch_") and a["secret_key"].startswith("ak_")
    assert (a["default_token_ttl"], a["scoped_machines"], a["instance_id"]) == (3600, [], e.state.instance.id)
    e.clock.advance(seconds=1)
    b = _machine(e, "beta", scoped_machines=[a["id"]], default_token_ttl=60)
    assert [m["id"] for m in b["scoped_machines"]] == [a["id"]] and "scoped_machines" not in b["scoped_machines"][0]
    listed = ok(e, "GET", "/v1/machines")
    assert listed["total_count"] == 2 and [m["id"] for m in listed["data"]] == [b["id"], a["id"]]
    assert [m["id"] for m in ok(e, "GET", "/v1/machines?order_by=name")["data"]] == [a["id"], b["id"]]
    assert [m["id"] for m in ok(e, "GET", "/v1/machines?query=ALP")["data"]] == [a["id"]]
    assert ok(e, "GET", f"/v1/machines?query={b['id']}")["total_count"] == 1
    assert ok(e, "PATCH", f"/v1/machines/{a['id']}", {"name": "alpha2"})["name"] == "alpha2"
    scope = ok(e, "POST", f"/v1/machines/{a['id']}/scopes", {"to_machine_id": b["id"]})
    assert scope == {"object": "machine_scope", "from_machine_id": a["id"], "to_machine_id": b["id"],
                     "created_at": T0 + 1000}
    fails(e, "POST", f"/v1/machines/{a['id']}/scopes", {"to_machine_id": b["id"]}, status=409, code="duplicate_record")
    fails(e, "POST", f"/v1/machines/{a['id']}/scopes", {"to_machine_id": "mch_nope"}, status=404,
          code="resource_not_found")
    assert ok(e, "DELETE", f"/v1/machines/{a['id']}/scopes/{b['id']}")["deleted"] is True
    fails(e, "DELETE", f"/v1/machines/{a['id']}/scopes/{b['id']}", status=404, code="resource_not_found")
    assert ok(e, "GET", f"/v1/machines/{a['id']}/secret_key") == {"object": "machine_secret_key",
                                                                      "secret": a["secret_key"]}
    fails(e, "POST", "/v1/machines", {"name": "x", "scoped_machines": ["mch_nope"]}, status=422,
          code="form_param_value_invalid")
    assert ok(e, "DELETE", f"/v1/machines/{a['id']}") == {"object": "machine", "id": a["id"], "deleted": True}
    assert ok(e, "GET", f"/v1/machines/{b['id']}")["scoped_machines"] == []
    fails(e, "GET", f"/v1/machines/{a['id']}", status=404, code="resource_not_found")


def test_m2m_token_lifecycle_with_machine_keys() -> None:
    e = Engine(clock=Clock(frozen_at_ms=T0), secret_keys=["sk_test_strict"])
    admin = {"authorization": "Bearer sk_test_strict"}
    a = ok(e, "POST", "/v1/machines", {"name": "a"}, headers=admin)
    b = ok(e, "POST", "/v1/machines", {"name": "b"}, headers=admin)
    ok(e, "POST", f"/v1/machines/{a['id']}/scopes", {"to_machine_id": b["id"]}, headers=admin)
    # only a machine key may create; the instance key gets a 403
    fails(e, "POST", "/v1/m2m_tokens", {}, status=403, code="authorization_invalid", headers=admin)
    created = checked(e, "POST", "/v1/m2m_tokens", {"claims": {"job": "sync"}}, status=201,
                      headers=_as(a["secret_key"])).json()
    assert re.fullmatch(r"mt_[0-9a-f]{32}", created["id"]) and created["token"].startswith("mt_")
    assert (created["subject"], created["scopes"], created["claims"]) == (a["id"], [b["id"]], {"job": "sync"})
    assert created["expiration"] == T0 + 3600_000 and created["expired"] is False
    # a machine key works on the M2M endpoints only
    fails(e, "GET", "/v1/users", status=401, code="clerk_key_invalid", headers=_as(a["secret_key"]))
    # verify: by the target machine (in scope), by the instance, not by an unrelated machine
    c = ok(e, "POST", "/v1/machines", {"name": "c"}, headers=admin)
    assert ok(e, "POST", "/v1/m2m_tokens/verify", {"token": created["token"]}, headers=_as(b["secret_key"]))[
        "id"] == created["id"]
    assert ok(e, "POST", "/v1/m2m_tokens/verify", {"token": created["token"]}, headers=admin)["last_used_at"] == T0
    fails(e, "POST", "/v1/m2m_tokens/verify", {"token": created["token"]}, status=404, code="resource_not_found",
          headers=_as(c["secret_key"]))
    listed = ok(e, "GET", f"/v1/m2m_tokens?subject={a['id']}", headers=admin)
    assert listed["total_count"] == 1 and "token" not in listed["m2m_tokens"][0]
    fails(e, "GET", f"/v1/m2m_tokens?subject={a['id']}", status=403, code="authorization_invalid",
          headers=_as(b["secret_key"]))
    fails(e, "GET", "/v1/m2m_tokens", status=400, code="missing_query_parameter", headers=admin)
    revoked = ok(e, "POST", f"/v1/m2m_tokens/{created['id']}/revoke", {"revocation_reason": "done"}, headers=admin)
    assert (revoked["revoked"], revoked["revocation_reason"]) == (True, "done")
    fails(e, "POST", "/v1/m2m_tokens/verify", {"token": created["token"]}, status=404, code="resource_not_found",
          headers=admin)
    assert ok(e, "GET", f"/v1/m2m_tokens?subject={a['id']}", headers=admin)["total_count"] == 0
    assert ok(e, "GET", f"/v1/m2m_tokens?subject={a['id']}&revoked=true", headers=admin)["total_count"] == 1
    fails(e, "POST", "/v1/m2m_tokens/mt_00000000000000000000000000000000/revoke", {}, status=404,
          code="resource_not_found", headers=admin)


def test_m2m_expiry_reuse_jwt_and_reserved_claims() -> None:
    e = make_engine()
    m = _machine(e, default_token_ttl=120)
    key = _as(m["secret_key"])
    short = checked(e, "POST", "/v1/m2m_tokens", {"seconds_until_expiration": 30}, status=201, headers=key).json()
    assert short["expiration"] == T0 + 30_000
    pooled = checked(e, "POST", "/v1/m2m_tokens", {"min_remaining_ttl_seconds": 10}, status=201, headers=key).json()
    again = checked(e, "POST", "/v1/m2m_tokens", {"min_remaining_ttl_seconds": 10}, status=201, headers=key).json()
    assert again["id"] == pooled["id"] and again["token"] == pooled["token"]
    fails(e, "POST", "/v1/m2m_tokens", {"min_remaining_ttl_seconds": 120}, status=400, code="bad_request", headers=key)
    fails(e, "POST", "/v1/m2m_tokens", {"claims": {"sub": "x"}}, status=400, code="machine_token_reserved_claim",
          headers=key)
    fails(e, "POST", "/v1/m2m_tokens", {"token_format": "paseto"}, status=422, code="form_param_value_invalid",
          headers=key)
    fails(e, "POST", "/v1/m2m_tokens", {"seconds_until_expiration": 1e300}, status=400, code="bad_request",
          headers=key)
    e.clock.advance(seconds=31)
    fails(e, "POST", "/v1/m2m_tokens/verify", {"token": short["token"]}, status=404, code="resource_not_found")
    assert ok(e, "GET", f"/v1/m2m_tokens?subject={m['id']}&expired=true")["m2m_tokens"][-1]["expired"] is True
    as_jwt = checked(e, "POST", "/v1/m2m_tokens", {"token_format": "jwt", "claims": {"job": 1}}, status=201,
                     headers=key).json()
    assert jwt.get_unverified_header(as_jwt["token"])["cat"] == "cl_B7d4PD333AAA"
    claims = verify(e, as_jwt["token"])
    assert (claims["sub"], claims["jti"], claims["job"], claims["exp"] - claims["iat"]) == (m["id"], as_jwt["id"], 1,
                                                                                            120)


def test_machine_secret_rotation_grace_period() -> None:
    e = Engine(clock=Clock(frozen_at_ms=T0), secret_keys=["sk_test_strict"])
    admin = {"authorization": "Bearer sk_test_strict"}
    m = ok(e, "POST", "/v1/machines", {"name": "m"}, headers=admin)
    rotated = ok(e, "POST", f"/v1/machines/{m['id']}/secret_key/rotate", {"previous_token_ttl": 60}, headers=admin)
    assert rotated["secret"] != m["secret_key"]
    checked(e, "POST", "/v1/m2m_tokens", {}, status=201, headers=_as(m["secret_key"]))
    checked(e, "POST", "/v1/m2m_tokens", {}, status=201, headers=_as(rotated["secret"]))
    e.clock.advance(seconds=60)
    fails(e, "POST", "/v1/m2m_tokens", {}, status=401, code="clerk_key_invalid", headers=_as(m["secret_key"]))
    fails(e, "POST", f"/v1/machines/{m['id']}/secret_key/rotate", {}, status=422, code="form_param_missing",
          headers=admin)


def test_api_keys() -> None:
    e = make_engine()
    u = user(e)
    created = checked(e, "POST", "/v1/api_keys", {"name": "CI key", "subject": u["id"], "scopes": ["read"],
                                                   "claims": {"team": "a"}, "created_by": u["id"]}, status=201).json()
    assert re.fullmatch(r"ak_[0-9a-f]{32}", created["id"]) and created["secret"].startswith("ak_")
    assert created["secret"] != created["id"] and created["type"] == "api_key" and created["expiration"] is None
    key_id = created["id"]
    got = ok(e, "GET", f"/v1/api_keys/{key_id}")
    assert "secret" not in got and got["scopes"] == ["read"]
    assert ok(e, "GET", f"/v1/api_keys/{key_id}/secret") == {"secret": created["secret"]}
    assert ok(e, "GET", f"/v1/api_keys?subject={u['id']}")["total_count"] == 1
    updated = ok(e, "PATCH", f"/v1/api_keys/{key_id}", {"description": "for CI", "seconds_until_expiration": 60})
    assert updated["description"] == "for CI" and updated["expiration"] == T0 + 60_000
    verified = ok(e, "POST", "/v1/api_keys/verify", {"secret": created["secret"]})
    assert verified["id"] == key_id and verified["last_used_at"] == T0
    e.clock.advance(seconds=60)
    fails(e, "POST", "/v1/api_keys/verify", {"secret": created["secret"]}, status=404, code="resource_not_found")
    assert ok(e, "GET", f"/v1/api_keys?subject={u['id']}")["total_count"] == 0
    assert ok(e, "GET", f"/v1/api_keys?subject={u['id']}&include_invalid=true")["data"][0]["expired"] is True
    ok(e, "PATCH", f"/v1/api_keys/{key_id}", {"seconds_until_expiration": None})
    ok(e, "POST", "/v1/api_keys/verify", {"secret": created["secret"]})
    revoked = ok(e, "POST", f"/v1/api_keys/{key_id}/revoke", {"revocation_reason": "leaked"})
    assert (revoked["revoked"], revoked["revocation_reason"]) == (True, "leaked")
    fails(e, "POST", "/v1/api_keys/verify", {"secret": created["secret"]}, status=404, code="resource_not_found")
    assert ok(e, "DELETE", f"/v1/api_keys/{key_id}") == {"id": key_id, "object": "api_key", "deleted": True}
    fails(e, "GET", f"/v1/api_keys/{key_id}", status=404, code="resource_not_found")


def test_api_key_validation() -> None:
    e = make_engine()
    u = user(e)
    fails(e, "POST", "/v1/api_keys", {"name": "ok name", "subject": "nope"}, status=400, code="bad_request")
    fails(e, "POST", "/v1/api_keys", {"name": " padded ", "subject": u["id"]}, status=400, code="bad_request")
    fails(e, "POST", "/v1/api_keys", {"name": "ab", "subject": u["id"]}, status=422,
          code="form_param_min_length_exceeded")
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": "user_" + "x" * 27}, status=404,
          code="resource_not_found")
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": u["id"], "extra": 1}, status=422,
          code="form_param_unknown")
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": u["id"], "seconds_until_expiration": 0}, status=400,
          code="bad_request")
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": u["id"], "seconds_until_expiration": 3.6e19},
          status=400, code="bad_request")  # found by fuzzing: a lifetime past 64-bit ms was a 500
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": "scim_" + "x" * 27}, status=404,
          code="resource_not_found")
    fails(e, "POST", "/v1/api_keys", {"name": "abc", "subject": "org_" + "x" * 27}, status=404,
          code="resource_not_found")
    fails(e, "GET", "/v1/api_keys", status=400, code="missing_query_parameter")
    fails(e, "GET", f"/v1/api_keys?subject={u['id']}&limit=101", status=400, code="bad_request")
    fails(e, "GET", "/v1/api_keys/not-an-id", status=400, code="bad_request")


def test_oauth_access_token_verify() -> None:
    e = make_engine()
    u = user(e)
    t = oauth_tokens.issue(e.state, u["id"], "client_app", T0, scopes=["profile"], ttl_s=60)
    body = ok(e, "POST", "/v1/oauth_applications/access_tokens/verify", {"access_token": t.secret})
    assert (body["object"], body["subject"], body["scopes"], body["client_id"]) == (
        "clerk_idp_oauth_access_token", u["id"], ["profile"], "client_app")
    assert ok(e, "POST", "/v1/oauth_applications/access_tokens/verify", {"secret": t.secret})["id"] == t.id
    fails(e, "POST", "/v1/oauth_applications/access_tokens/verify", {"access_token": "oat_nope"}, status=404,
          code="resource_not_found")
    fails(e, "POST", "/v1/oauth_applications/access_tokens/verify", {}, status=400, code="bad_request")
    e.clock.advance(seconds=60)
    fails(e, "POST", "/v1/oauth_applications/access_tokens/verify", {"access_token": t.secret}, status=404,
          code="resource_not_found")


def test_machine_paths_are_served_without_v1() -> None:
    e = make_engine()
    u = user(e)
    m = _machine(e)
    auth = {"authorization": "Bearer sk_test_unit"}
    created = e.handle(Request.make("POST", "/api_keys", headers=auth, json={"name": "bare", "subject": u["id"]}))
    assert created.status == 201
    secret = created.json()["secret"]
    # the Python SDK's verify_token sends {"secret": ...} to all three verify endpoints
    assert e.handle(Request.make("POST", "/api_keys/verify", headers=auth, json={"secret": secret})).status == 200
    token = e.handle(Request.make("POST", "/m2m_tokens", headers=_as(m["secret_key"]), json={})).json()["token"]
    for body in ({"token": token}, {"secret": token}):
        for path in ("/m2m_tokens/verify", "/v1/m2m_tokens/verify"):
            assert e.handle(Request.make("POST", path, headers=auth, json=body)).status == 200, (path, body)
    assert e.handle(Request.make("POST", "/oauth_applications/access_tokens/verify", headers=auth,
                                 json={"secret": "oat_x"})).status == 404
    # everything else still needs /v1
    assert e.handle(Request.make("GET", "/users", headers=auth)).status == 404
    assert e.handle(Request.make("GET", "/jwks", headers=auth)).status == 404
