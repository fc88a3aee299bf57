"""Sign-in, actor and testing tokens; actor sessions carry ``act``; organization claims in v1 and v2 tokens."""

from __future__ import annotations

import pytest

from clerkmock.engine.resources.auth import actor_tokens, sign_in_tokens
from clerkmock.engine.resources.auth import claims as claims_mod

from .auth_helpers import V1, V2, acme, fails, good, session, user, verify
from .helpers import T0, make_engine

DAY_S = 24 * 3600


def test_sign_in_tokens() -> None:
    e = make_engine()
    u = user(e)
    t = good(e, "POST", "/v1/sign_in_tokens", {"user_id": u["id"]})
    assert t["id"].startswith("sit_") and t["status"] == "pending" and t["user_id"] == u["id"]
    assert t["url"] == f"https://clerkmock.clerk.accounts.dev/v1/tickets/accept?ticket={t['token']}"
    claims = verify(e, t["token"])
    assert claims["exp"] == T0 // 1000 + 30 * DAY_S and claims["sid"] == t["id"]
    revoked = good(e, "POST", f"/v1/sign_in_tokens/{t['id']}/revoke")
    assert revoked["status"] == "revoked" and "token" not in revoked
    fails(e, "POST", f"/v1/sign_in_tokens/{t['id']}/revoke", status=400, code="sign_in_token_cannot_be_revoked_code")
    fails(e, "POST", "/v1/sign_in_tokens/sit_nope/revoke", status=404, code="resource_not_found")
    fails(e, "POST", "/v1/sign_in_tokens", {"user_id": "user_nope"}, status=404, code="resource_not_found")
    short = good(e, "POST", "/v1/sign_in_tokens", {"user_id": u["id"], "expires_in_seconds": 60})
    assert verify(e, short["token"])["exp"] == T0 // 1000 + 60
    # redeeming (what FAPI does at the URL) opens a session and consumes the token
    sess = sign_in_tokens.redeem(e.state, short["token"], T0)
    assert sess.user_id == u["id"] and e.state.auth.sign_in_tokens[short["id"]].status == "accepted"
    with pytest.raises(ValueError):
        sign_in_tokens.redeem(e.state, short["token"], T0)
    fails(e, "POST", f"/v1/sign_in_tokens/{short['id']}/revoke", status=400,
          code="sign_in_token_cannot_be_revoked_code")


def test_actor_tokens_and_impersonation_sessions() -> None:
    e = make_engine()
    u = user(e)
    admin = user(e, "admin@example.com")
    t = good(e, "POST", "/v1/actor_tokens", {"user_id": u["id"], "actor": {"sub": admin["id"], "reason": "support"}})
    assert t["id"].startswith("act_") and t["status"] == "pending" and t["actor"]["sub"] == admin["id"]
    assert verify(e, t["token"])["exp"] == T0 // 1000 + 3600
    sess = actor_tokens.redeem(e.state, t["token"], T0)
    assert sess.expire_at == T0 + 1800_000
    fetched = good(e, "GET", f"/v1/sessions/{sess.id}")
    assert fetched["actor"] == {"sub": admin["id"], "reason": "support"}
    for version in (V1, V2):
        claims = verify(e, good(e, "POST", f"/v1/sessions/{sess.id}/tokens", headers=version)["jwt"])
        assert claims["act"] == {"sub": admin["id"], "reason": "support"} and claims["sub"] == u["id"]
    # impersonation is not the user's own sign-in
    assert good(e, "GET", f"/v1/users/{u['id']}")["last_sign_in_at"] is None
    fails(e, "POST", f"/v1/actor_tokens/{t['id']}/revoke", status=400, code="actor_token_cannot_be_revoked_code")
    t2 = good(e, "POST", "/v1/actor_tokens", {"user_id": u["id"], "actor": {"sub": admin["id"]},
                                              "expires_in_seconds": 60, "session_max_duration_in_seconds": 600})
    assert good(e, "POST", f"/v1/actor_tokens/{t2['id']}/revoke")["status"] == "revoked"
    with pytest.raises(ValueError):
        actor_tokens.redeem(e.state, t2["token"], T0)
    fails(e, "POST", "/v1/actor_tokens", {"user_id": u["id"], "actor": {}}, status=422, code="form_param_missing")
    fails(e, "POST", "/v1/actor_tokens", {"user_id": u["id"], "actor": {"sub": ""}}, status=422,
          code="form_param_value_invalid")
    fails(e, "POST", "/v1/actor_tokens", {"user_id": "user_nope", "actor": {"sub": "x"}}, status=422,
          code="form_resource_not_found")
    fails(e, "POST", "/v1/actor_tokens/act_nope/revoke", status=404, code="resource_not_found")


def test_testing_tokens() -> None:
    e = make_engine()
    t = good(e, "POST", "/v1/testing_tokens")
    now_s = T0 // 1000
    assert t["object"] == "testing_token" and t["expires_at"] == now_s + 3600
    assert t["token"].startswith(f"{now_s}-c_")


def test_org_claims_v2() -> None:
    e = make_engine()
    uid = user(e)["id"]
    org_id = acme(e, uid)
    s = session(e, uid, active_organization_id=org_id)
    assert s["last_active_organization_id"] == org_id
    claims = verify(e, good(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers=V2)["jwt"])
    # features reports, billing; actions read, manage: reports = read|manage = 3, billing = read = 1
    assert claims["o"] == {"id": org_id, "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,1"}
    assert claims["fea"] == "o:reports,o:billing" and claims["pla"] == "o:free_org" and claims["v"] == 2
    assert "org_id" not in claims


def test_org_claims_v1() -> None:
    e = make_engine()
    uid = user(e)["id"]
    org_id = acme(e, uid)
    s = session(e, uid, active_organization_id=org_id)
    claims = verify(e, good(e, "POST", f"/v1/sessions/{s['id']}/tokens", headers=V1)["jwt"])
    assert (claims["org_id"], claims["org_slug"], claims["org_role"]) == (org_id, "acme", "org:admin")
    assert claims["org_permissions"] == ["org:reports:read", "org:reports:manage", "org:billing:read"]
    assert "o" not in claims and "v" not in claims


def test_org_claims_only_system_permissions() -> None:
    o, fea = claims_mod.org_claims_v2(claims_mod.OrgMembership(org_id="org_1", slug="s", role="org:member",
                                                               permissions=("org:sys_memberships:read",)))
    assert o == {"id": "org_1", "rol": "member", "slg": "s"} and fea is None


def test_sign_in_token_with_org() -> None:
    e = make_engine()
    u = user(e)
    org_id = acme(e, u["id"])
    fails(e, "POST", "/v1/sign_in_tokens", {"user_id": u["id"], "org_id": "org_other"}, status=422,
          code="form_param_value_invalid")
    t = good(e, "POST", "/v1/sign_in_tokens", {"user_id": u["id"], "org_id": org_id})
    assert sign_in_tokens.redeem(e.state, t["token"], T0).last_active_organization_id == org_id
