"""Organization memberships at engine level: create/update/delete rules, the last-admin rule, quotas, live
permissions and user data, every list filter, the instance and user views, user deletion."""

from __future__ import annotations

from .helpers import T0
from .orgs_helpers import Api, ids


def _org_with_admin(api: Api) -> tuple[dict, dict]:
    ann = api.user("ann@example.com", first_name="Ann", last_name="Zed")
    return api.org("Acme", created_by=ann["id"]), ann


def test_create_membership_shape_and_errors() -> None:
    api = Api()
    org, _ann = _org_with_admin(api)
    bob = api.user("bob@example.com", first_name="Bob", username="bobby")
    mem = api.member(org["id"], bob["id"], public_metadata={"team": "red"}, private_metadata={"cost": 1})
    assert mem["id"].startswith("orgmem_") and mem["object"] == "organization_membership"
    assert (mem["role"], mem["role_name"], mem["permissions"]) == ("org:member", "Member",
                                                                   ["org:sys_memberships:read"])
    assert (mem["public_metadata"], mem["private_metadata"]) == ({"team": "red"}, {"cost": 1})
    assert mem["organization"]["id"] == org["id"]
    pud = mem["public_user_data"]
    assert (pud["user_id"], pud["first_name"], pud["identifier"], pud["username"], pud["has_image"]) == (
        bob["id"], "Bob", "bob@example.com", "bobby", False)
    assert mem["created_at"] == mem["updated_at"] == T0
    url = f"/v1/organizations/{org['id']}/memberships"
    err = api.error("POST", url, {"user_id": bob["id"], "role": "org:admin"}, status=400,
                    code="already_a_member_in_organization")
    assert bob["id"] in err["long_message"]
    api.error("POST", url, {"user_id": "user_nope", "role": "org:member"}, status=404, code="resource_not_found")
    for role in ("org:nope", "admin", "basic_member"):  # Clerk: 404 "Organization role not found"
        carol = api.user()
        err = api.error("POST", url, {"user_id": carol["id"], "role": role}, status=404, code="resource_not_found")
        assert err["long_message"] == "Organization role not found" and err["meta"]["param_name"] == "role"
    api.error("POST", url, {"user_id": bob["id"]}, status=422, code="form_param_missing")
    api.error("POST", "/v1/organizations/org_nope/memberships", {"user_id": bob["id"], "role": "org:member"},
              status=404, code="resource_not_found")
    # the organization's slug works in the path too
    dave = api.user()
    assert api.member("acme", dave["id"])["organization"]["id"] == org["id"]


def test_quota_counts_members_and_pending_invitations() -> None:
    api = Api()
    ann, bob, carol = api.user(), api.user("bob@example.com"), api.user()
    org = api.org("Acme", created_by=ann["id"], max_allowed_memberships=3)
    api.invite(org["id"], "bob@example.com")
    api.invite(org["id"], "zed@example.com")  # members 1 + pending 2 = 3: full
    err = api.error("POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": carol["id"],
                                                                          "role": "org:member"},
                    status=403, code="organization_membership_quota_exceeded")
    assert "3" in err["long_message"]
    api.error("POST", f"/v1/organizations/{org['id']}/invitations", {"email_address": "x@example.com",
                                                                    "role": "org:member"},
              status=403, code="organization_membership_quota_exceeded")
    api.member(org["id"], bob["id"])  # bob's membership takes his own invitation's seat
    api("PATCH", f"/v1/organizations/{org['id']}", {"max_allowed_memberships": 0})  # 0 = unlimited
    api.member(org["id"], carol["id"])


def test_membership_accepts_pending_invitations_and_carries_metadata() -> None:
    api = Api()
    org, _ann = _org_with_admin(api)
    bob = api.user("Bob@Example.com")
    inv = api.invite(org["id"], "bob@example.com", public_metadata={"from": "invite", "x": 1},
                     private_metadata={"p": 1})
    other_org = api.org("Other")
    other_inv = api.invite(other_org["id"], "bob@example.com")
    api.tick()
    mem = api.member(org["id"], bob["id"], role="org:admin", public_metadata={"x": 2})
    assert mem["public_metadata"] == {"from": "invite", "x": 2} and mem["private_metadata"] == {"p": 1}
    assert mem["role"] == "org:admin"  # the request's role wins over the invitation's
    got = api("GET", f"/v1/organizations/{org['id']}/invitations/{inv['id']}")
    assert (got["status"], got["updated_at"]) == ("accepted", T0 + 1000)
    assert api("GET", f"/v1/organizations/{other_org['id']}/invitations/{other_inv['id']}")["status"] == "pending"


def test_creating_a_user_does_not_join_invited_organizations() -> None:
    api = Api()
    org, _ = _org_with_admin(api)
    api.invite(org["id"], "later@example.com")
    user = api.user("later@example.com")
    assert api("GET", f"/v1/users/{user['id']}/organization_memberships")["total_count"] == 0
    invs = api("GET", f"/v1/users/{user['id']}/organization_invitations")
    assert [i["status"] for i in invs["data"]] == ["pending"]
    assert invs["data"][0]["public_organization_data"]["slug"] == "acme"


def test_update_role_and_the_last_admin_rule() -> None:
    api = Api()
    org, ann = _org_with_admin(api)
    bob = api.user()
    api.member(org["id"], bob["id"])
    url = f"/v1/organizations/{org['id']}/memberships"
    err = api.error("PATCH", f"{url}/{ann['id']}", {"role": "org:member"}, status=400,
                    code="organization_minimum_permissions_needed")
    assert "at least one organization member" in err["long_message"]
    api.error("DELETE", f"{url}/{ann['id']}", status=400, code="organization_minimum_permissions_needed")
    api.tick()
    promoted = api("PATCH", f"{url}/{bob['id']}", {"role": "org:admin"})
    assert promoted["role"] == "org:admin" and "org:sys_memberships:manage" in promoted["permissions"]
    assert promoted["updated_at"] == T0 + 1000
    assert api("PATCH", f"{url}/{ann['id']}", {"role": "org:member"})["role"] == "org:member"
    removed = api("DELETE", f"{url}/{ann['id']}")
    assert removed["object"] == "organization_membership" and removed["public_user_data"]["user_id"] == ann["id"]
    api.error("DELETE", f"{url}/{bob['id']}", status=400, code="organization_minimum_permissions_needed")
    api("DELETE", f"{url}/{ann['id']}", status=404, code="resource_not_found")
    api("PATCH", f"{url}/{ann['id']}", {"role": "org:member"}, status=404, code="resource_not_found")
    api("PATCH", f"{url}/{bob['id']}", {"role": "org:nope"}, status=404, code="resource_not_found")
    api("PATCH", f"{url}/{bob['id']}", {}, status=422, code="form_param_missing")


def test_organizations_without_an_admin_are_not_held_to_the_rule() -> None:
    api = Api()
    org = api.org("Adminless")
    bob = api.user()
    api.member(org["id"], bob["id"])
    assert api("DELETE", f"/v1/organizations/{org['id']}/memberships/{bob['id']}")["role"] == "org:member"


def test_permissions_and_public_user_data_are_live() -> None:
    api = Api()
    org, _ann = _org_with_admin(api)
    bob = api.user()
    api.member(org["id"], bob["id"])
    perm = api("POST", "/v1/organization_permissions", {"name": "Read reports", "key": "org:reports:read"})
    member_role = next(r for r in api("GET", "/v1/organization_roles")["data"] if r["key"] == "org:member")
    api("POST", f"/v1/organization_roles/{member_role['id']}/permissions/{perm['id']}")
    api("PATCH", f"/v1/users/{bob['id']}", {"first_name": "Robert", "username": "rob_b"})
    mem = next(m for m in api("GET", f"/v1/organizations/{org['id']}/memberships")["data"]
               if m["public_user_data"]["user_id"] == bob["id"])
    assert mem["permissions"] == ["org:sys_memberships:read", "org:reports:read"]
    assert (mem["public_user_data"]["first_name"], mem["public_user_data"]["username"]) == ("Robert", "rob_b")
    api("PATCH", f"/v1/organization_permissions/{perm['id']}", {"key": "org:reports:view"})
    mem = api("GET", f"/v1/users/{bob['id']}/organization_memberships")["data"][0]
    assert mem["permissions"] == ["org:sys_memberships:read", "org:reports:view"]
    assert api.state.orgs.role_permissions("org:member") == mem["permissions"]


def test_membership_metadata_merges() -> None:
    api = Api()
    org, ann = _org_with_admin(api)
    url = f"/v1/organizations/{org['id']}/memberships/{ann['id']}/metadata"
    api("PATCH", url, {"public_metadata": {"a": {"b": 1, "c": 2}}, "private_metadata": {"z": 1}})
    got = api("PATCH", url, {"public_metadata": {"a": {"c": None, "d": 3}}})
    assert got["public_metadata"] == {"a": {"b": 1, "d": 3}} and got["private_metadata"] == {"z": 1}
    api("PATCH", url, {"role": "org:member"}, status=422, code="form_param_unknown")
    api("PATCH", f"/v1/organizations/{org['id']}/memberships/user_nope/metadata", {}, status=404)


def test_list_filters_and_order() -> None:
    api = Api()
    ann = api.user("ann@alpha.io", first_name="Ann", last_name="Young", username="ann_y",
                   phone_number=["+15555550101"])
    org = api.org("Acme", created_by=ann["id"])
    api.tick()
    bob = api.user("bob@beta.io", first_name="Bob", last_name="Xu", username="bob_x",
                   web3_wallet=["0x" + "ab" * 20])
    api.member(org["id"], bob["id"])
    api.tick()
    cid = api.user("cid@alpha.io", first_name="Cid", username="cid_c")
    api.member(org["id"], cid["id"], role="org:admin")
    api.user("outsider@alpha.io", first_name="Ann")
    url = f"/v1/organizations/{org['id']}/memberships"

    def users(query: str) -> list[str]:
        return [m["public_user_data"]["user_id"] for m in api("GET", f"{url}?{query}")["data"]]

    a, b, c = ann["id"], bob["id"], cid["id"]
    cases = {
        "": [c, b, a],
        "order_by=created_at": [a, b, c],
        "order_by=first_name": [a, b, c],
        "order_by=-username": [c, b, a],
        "order_by=last_name": [b, a, c],  # no last name sorts last
        "order_by=email_address": [a, b, c],
        "order_by=phone_number": [a, b, c],  # the phoneless keep id order, last
        f"user_id={a}&user_id={c}": [c, a],
        f"user_id=-{a}": [c, b],
        "email_address=BOB@beta.io": [b],
        "phone_number=%2B15555550101": [a],
        "username=cid_c&username=ann_y": [c, a],
        "web3_wallet=0x" + "AB" * 20: [b],
        "role=org:admin": [c, a],
        "role=org:member&role=org:nope": [b],
        "query=alpha": [c, a],
        "email_address_query=BETA": [b],
        "phone_number_query=0101": [a],
        "username_query=_X": [b],
        "name_query=ann%20young": [a],
        f"created_at_after={T0 + 500}": [c, b],
        f"created_at_before={T0 + 500}": [a],
        "last_active_at_after=0": [],
        "limit=1&offset=1": [b],
    }
    for query, expected in cases.items():
        assert users(query) == expected, query
    assert api("GET", f"{url}?role=org:admin&limit=1")["total_count"] == 2
    api.error("GET", f"{url}?order_by=role", status=422, code="form_param_value_invalid")
    api("GET", "/v1/organizations/org_nope/memberships", status=404)


def test_instance_and_user_views() -> None:
    api = Api()
    org, ann = _org_with_admin(api)
    api.tick()
    other = api.org("Other", created_by=ann["id"])
    bob = api.user()
    api.tick()
    api.member(other["id"], bob["id"])
    page = api("GET", "/v1/organization_memberships")
    assert page["total_count"] == 3
    assert [m["organization"]["id"] for m in page["data"]] == [other["id"], other["id"], org["id"]]
    assert ids(api("GET", "/v1/organization_memberships?limit=1&offset=2")) == [page["data"][2]["id"]]
    assert api("GET", "/v1/organization_memberships?order_by=email_address")["data"][0][
        "public_user_data"]["user_id"] == ann["id"]
    mine = api("GET", f"/v1/users/{ann['id']}/organization_memberships")
    assert [m["organization"]["slug"] for m in mine["data"]] == ["other", "acme"]
    assert ids(api("GET", f"/v1/users/{ann['id']}/organization_memberships?limit=1&offset=1")) == [
        mine["data"][1]["id"]]
    api("GET", "/v1/users/user_nope/organization_memberships", status=404)


def test_deleting_a_user_removes_their_memberships() -> None:
    api = Api()
    org, ann = _org_with_admin(api)
    bob = api.user()
    api.member(org["id"], bob["id"])
    api("DELETE", f"/v1/users/{ann['id']}")  # the last admin may leave this way: the user is gone
    page = api("GET", f"/v1/organizations/{org['id']}/memberships")
    assert [m["public_user_data"]["user_id"] for m in page["data"]] == [bob["id"]]
    assert api("GET", f"/v1/organizations/{org['id']}?include_members_count=true")["members_count"] == 1
    assert ann["id"] not in api.state.orgs.orgs_by_user
    assert api("GET", f"/v1/users?organization_id={org['id']}")[0]["id"] == bob["id"]


def _jwt_claims(jwt: str) -> dict:
    import base64
    import json

    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_session_tokens_carry_the_live_membership() -> None:
    api = Api()
    org, _ann = _org_with_admin(api)
    bob = api.user()
    api.member(org["id"], bob["id"])
    perm = api("POST", "/v1/organization_permissions", {"name": "Read reports", "key": "org:reports:read"})
    role = api("POST", "/v1/organization_roles", {"name": "Analyst", "key": "org:analyst",
                                                   "permissions": [perm["id"]], "include_in_initial_role_set": True})
    sess = api("POST", "/v1/sessions", {"user_id": bob["id"], "active_organization_id": org["id"]})

    def token_org() -> dict | None:
        jwt = api("POST", f"/v1/sessions/{sess['id']}/tokens", version="2026-05-12")["jwt"]
        return _jwt_claims(jwt).get("o")

    assert token_org() == {"id": org["id"], "slg": "acme", "rol": "member"}  # no custom permissions yet
    api("PATCH", f"/v1/organizations/{org['id']}/memberships/{bob['id']}", {"role": role["key"]})
    claims = token_org()
    assert (claims["rol"], claims["per"], claims["fpm"]) == ("analyst", "read", "1")
    api("DELETE", f"/v1/organizations/{org['id']}/memberships/{bob['id']}")
    assert token_org() is None  # a former member's token has no active organization
    api.error("POST", "/v1/sessions", {"user_id": bob["id"], "active_organization_id": org["id"]}, status=404,
              code="resource_not_found")
