"""`<OrganizationProfile/>`'s calls: members, roles, invitations, renaming and deleting, with Clerk's rule that
members read and admins change."""

from __future__ import annotations

from clerkmock.engine import Engine
from engine.helpers import ok
from tests.fapi.helpers import Browser

PASSWORD = "correct-horse-battery"


def sign_in(engine: Engine, email: str) -> tuple[Browser, str]:
    b = Browser(engine)
    sid = b.call("POST", "/v1/client/sign_ins", {"identifier": email, "password": PASSWORD,
                                                 "strategy": "password"})["created_session_id"]
    return b, sid


def test_admin_manages_members_and_invitations(engine: Engine) -> None:
    admin = ok(engine, "POST", "/v1/users", {"email_address": ["admin@example.com"], "password": PASSWORD})
    member = ok(engine, "POST", "/v1/users", {"email_address": ["member@example.com"], "password": PASSWORD})
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "created_by": admin["id"]})
    ok(engine, "POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": member["id"], "role": "org:member"})
    a, asid = sign_in(engine, "admin@example.com")
    m, msid = sign_in(engine, "member@example.com")
    base = f"/v1/organizations/{org['id']}"
    listed = m.call("GET", f"{base}/memberships", paginated="true", _clerk_session_id=msid)
    assert listed["total_count"] == 2
    roles = m.call("GET", f"{base}/roles", _clerk_session_id=msid)
    assert {r["key"] for r in roles["data"]} >= {"org:admin", "org:member"}
    # a member may not invite; an admin may
    assert m.error("POST", f"{base}/invitations", {"email_address": "new@example.com", "role": "org:member"},
                   _clerk_session_id=msid)[0] == 403
    inv = a.call("POST", f"{base}/invitations", {"email_address": "new@example.com", "role": "org:member"},
                 _clerk_session_id=asid)
    assert inv["status"] == "pending"
    assert [i["id"] for i in a.call("GET", f"{base}/invitations", status="pending", _clerk_session_id=asid)["data"]] \
        == [inv["id"]]
    assert a.call("POST", f"{base}/invitations/{inv['id']}/revoke", _clerk_session_id=asid)["status"] == "revoked"
    promoted = a.call("PATCH", f"{base}/memberships/{member['id']}", {"role": "org:admin"}, _clerk_session_id=asid)
    assert promoted["role"] == "org:admin"
    a.call("PATCH", f"{base}/memberships/{member['id']}", {"role": "org:member"}, _clerk_session_id=asid)
    removed = a.call("DELETE", f"{base}/memberships/{member['id']}", _clerk_session_id=asid)
    assert removed["public_user_data"]["user_id"] == member["id"]
    assert ok(engine, "GET", f"/v1/organizations/{org['id']}/memberships")["total_count"] == 1
    renamed = a.call("PATCH", base, {"name": "Acme Inc", "slug": "acme-inc"}, _clerk_session_id=asid)
    assert (renamed["name"], renamed["slug"]) == ("Acme Inc", "acme-inc")
    assert a.call("DELETE", base, _clerk_session_id=asid)["deleted"] is True
    assert ok(engine, "GET", "/v1/organizations")["total_count"] == 0
