"""Roles, permissions and role sets at engine level: the seeded defaults, custom CRUD, the protections of
system permissions and creator/default roles, and role sets with their migrations."""

from __future__ import annotations

from clerkmock.engine.state import State

from .helpers import T0
from .orgs_helpers import Api, ids

SYSTEM = ["org:sys_profile:manage", "org:sys_profile:delete", "org:sys_memberships:read",
          "org:sys_memberships:manage", "org:sys_domains:read", "org:sys_domains:manage"]


def roles_by_key(api: Api) -> dict[str, dict]:
    return {r["key"]: r for r in api("GET", "/v1/organization_roles?limit=100")["data"]}


def perms_by_key(api: Api) -> dict[str, dict]:
    return {p["key"]: p for p in api("GET", "/v1/organization_permissions?limit=100")["data"]}


def test_defaults_exist_with_deterministic_ids() -> None:
    api = Api()
    roles = roles_by_key(api)
    assert set(roles) == {"org:admin", "org:member"}
    assert [p["key"] for p in roles["org:admin"]["permissions"]] == SYSTEM
    assert [p["key"] for p in roles["org:member"]["permissions"]] == ["org:sys_memberships:read"]
    assert roles["org:admin"]["is_creator_eligible"] and not roles["org:member"]["is_creator_eligible"]
    perms = perms_by_key(api)
    assert sorted(perms) == sorted(SYSTEM) and {p["type"] for p in perms.values()} == {"system"}
    assert roles["org:admin"]["id"].startswith("role_") and perms[SYSTEM[0]]["id"].startswith("perm_")
    again = Api()
    assert roles_by_key(again)["org:admin"]["id"] == roles["org:admin"]["id"]
    assert State("another-seed").orgs.role_keys == api.state.orgs.role_keys
    rs = api("GET", "/v1/role_sets/role_set:default")
    assert (rs["type"], rs["default_role"]["key"], rs["creator_role"]["key"]) == ("initial", "org:member",
                                                                                   "org:admin")
    assert [r["key"] for r in rs["roles"]] == ["org:admin", "org:member"]
    assert rs["role_set_migration"] is None


def test_permission_crud_and_system_protection() -> None:
    api = Api()
    perm = api("POST", "/v1/organization_permissions", {"name": "Read reports", "key": "org:reports:read",
                                                         "description": "See reports"})
    assert perm["id"].startswith("perm_") and (perm["type"], perm["description"]) == ("user", "See reports")
    assert api("POST", "/v1/organization_permissions", {"name": "X", "key": "org:x:y"})["description"] == ""
    api.error("POST", "/v1/organization_permissions", {"name": "Dup", "key": "org:reports:read"}, status=422,
              code="form_identifier_exists")
    for bad in ("reports:read", "org:reports", "org:Reports:read", "org:a:b:c"):
        api.error("POST", "/v1/organization_permissions", {"name": "B", "key": bad}, status=422,
                  code="form_param_format_invalid")
    api.error("POST", "/v1/organization_permissions", {"name": "S", "key": "org:sys_x:read"}, status=422,
              code="form_param_value_invalid")
    api.tick()
    got = api("PATCH", f"/v1/organization_permissions/{perm['id']}", {"name": "View reports",
                                                                      "key": "org:reports:view"})
    assert (got["name"], got["key"], got["updated_at"]) == ("View reports", "org:reports:view", T0 + 1000)
    assert api("GET", f"/v1/organization_permissions/{perm['id']}")["key"] == "org:reports:view"
    system = perms_by_key(api)["org:sys_profile:manage"]
    api.error("PATCH", f"/v1/organization_permissions/{system['id']}", {"name": "x"}, status=403,
              code="organization_system_permission_not_modifiable")
    api.error("DELETE", f"/v1/organization_permissions/{system['id']}", status=403,
              code="organization_system_permission_not_modifiable")
    admin = roles_by_key(api)["org:admin"]
    api("POST", f"/v1/organization_roles/{admin['id']}/permissions/{perm['id']}")
    assert api("DELETE", f"/v1/organization_permissions/{perm['id']}") == {
        "object": "permission", "id": perm["id"], "deleted": True}
    assert "org:reports:view" not in [p["key"] for p in roles_by_key(api)["org:admin"]["permissions"]]
    api("GET", f"/v1/organization_permissions/{perm['id']}", status=404, code="resource_not_found")


def test_list_search_order_and_paging() -> None:
    api = Api()
    api.tick()
    a = api("POST", "/v1/organization_permissions", {"name": "Alpha", "key": "org:alpha:read"})
    api.tick()
    b = api("POST", "/v1/organization_permissions", {"name": "Beta", "key": "org:beta:read"})
    assert ids(api("GET", "/v1/organization_permissions?limit=2")) == [b["id"], a["id"]]
    assert ids(api("GET", "/v1/organization_permissions?query=READ&order_by=key&limit=2")) == [a["id"], b["id"]]
    assert api("GET", "/v1/organization_permissions?query=read")["total_count"] == 4  # + the two system :read
    assert ids(api("GET", f"/v1/organization_permissions?query={b['id']}")) == [b["id"]]
    assert api("GET", "/v1/organization_permissions?order_by=-name&limit=1")["data"][0]["name"] == "Read members"
    api.error("GET", "/v1/organization_permissions?order_by=type", status=422, code="form_param_value_invalid")
    r = api("POST", "/v1/organization_roles", {"name": "Billing", "key": "org:billing"})
    assert ids(api("GET", "/v1/organization_roles?limit=1")) == [r["id"]]
    assert [x["key"] for x in api("GET", "/v1/organization_roles?order_by=name")["data"]] == [
        "org:admin", "org:billing", "org:member"]
    assert ids(api("GET", "/v1/organization_roles?query=bill")) == [r["id"]]


def test_role_crud_and_assignment() -> None:
    api = Api()
    perm = api("POST", "/v1/organization_permissions", {"name": "Read reports", "key": "org:reports:read"})
    read_members = perms_by_key(api)["org:sys_memberships:read"]
    role = api("POST", "/v1/organization_roles", {"name": "Analyst", "key": "org:analyst", "description": "d",
                                                   "permissions": [perm["id"], read_members["id"], perm["id"]]})
    assert role["id"].startswith("role_") and role["description"] == "d"
    assert [p["key"] for p in role["permissions"]] == ["org:reports:read", "org:sys_memberships:read"]
    assert role["is_creator_eligible"] is False
    api.error("POST", "/v1/organization_roles", {"name": "Dup", "key": "org:analyst"}, status=422,
              code="form_identifier_exists")
    for bad in ("analyst", "org:Analyst", "org:ana-lyst", "org:"):
        api.error("POST", "/v1/organization_roles", {"name": "B", "key": bad}, status=422,
                  code="form_param_format_invalid")
    api.error("POST", "/v1/organization_roles", {"name": "P", "key": "org:p", "permissions": ["perm_nope"]},
              status=404, code="resource_not_found")
    api.error("POST", "/v1/organization_roles", {"name": "", "key": "org:p"}, status=422, code="form_param_missing")
    url = f"/v1/organization_roles/{role['id']}"
    api.error("POST", f"{url}/permissions/{perm['id']}", status=409,
              code="organization_role_permission_association_exists")
    got = api("DELETE", f"{url}/permissions/{perm['id']}")
    assert [p["key"] for p in got["permissions"]] == ["org:sys_memberships:read"]
    api.error("DELETE", f"{url}/permissions/{perm['id']}", status=404, code="resource_not_found")
    api.error("POST", f"{url}/permissions/perm_nope", status=404, code="resource_not_found")
    api.error("POST", f"/v1/organization_roles/role_nope/permissions/{perm['id']}", status=404,
              code="resource_not_found")
    got = api("PATCH", url, {"name": "Senior analyst", "key": "org:senior_analyst", "description": None,
                             "permissions": [perm["id"]]})
    assert (got["name"], got["key"], got["description"]) == ("Senior analyst", "org:senior_analyst", None)
    assert [p["key"] for p in got["permissions"]] == ["org:reports:read"]
    api.error("PATCH", url, {"key": "org:admin"}, status=422, code="form_identifier_exists")
    assert api("GET", url)["key"] == "org:senior_analyst"
    assert api("DELETE", url) == {"object": "role", "id": role["id"], "deleted": True}
    api("GET", url, status=404, code="resource_not_found")


def test_role_deletion_protections() -> None:
    api = Api()
    roles = roles_by_key(api)
    api.error("DELETE", f"/v1/organization_roles/{roles['org:admin']['id']}", status=422,
              code="organization_role_default_creator_role")
    api.error("DELETE", f"/v1/organization_roles/{roles['org:member']['id']}", status=422,
              code="organization_role_domain_default_role")
    viewer = api("POST", "/v1/organization_roles", {"name": "Viewer", "key": "org:viewer",
                                                     "include_in_initial_role_set": True})
    ann = api.user()
    org = api.org("Acme", created_by=ann["id"])
    bob = api.user()
    api.member(org["id"], bob["id"], role="org:viewer")
    url = f"/v1/organization_roles/{viewer['id']}"
    api.error("DELETE", url, status=422, code="organization_role_assigned_members")
    api("PATCH", f"/v1/organizations/{org['id']}/memberships/{bob['id']}", {"role": "org:member"})
    inv = api.invite(org["id"], "v@example.com", role="org:viewer")
    api.error("DELETE", url, status=422, code="organization_role_exists_in_invitations")
    api("POST", f"/v1/organizations/{org['id']}/invitations/{inv['id']}/revoke")
    api("DELETE", url)
    assert [r["key"] for r in api("GET", "/v1/role_sets/role_set:default")["roles"]] == ["org:admin", "org:member"]


def test_creator_roles_keep_the_creator_permissions() -> None:
    api = Api()
    roles, perms = roles_by_key(api), perms_by_key(api)
    admin = roles["org:admin"]
    err = api.error("DELETE", f"/v1/organization_roles/{admin['id']}/permissions/"
                              f"{perms['org:sys_profile:delete']['id']}",
                    status=422, code="organization_missing_creator_role_permissions")
    assert "org:sys_profile:delete" in err["long_message"]
    api.error("PATCH", f"/v1/organization_roles/{admin['id']}", {"permissions": [perms["org:sys_memberships:read"]["id"]]},
              status=422, code="organization_missing_creator_role_permissions")
    # a system permission that the creator role does not need can go
    got = api("DELETE", f"/v1/organization_roles/{admin['id']}/permissions/{perms['org:sys_domains:manage']['id']}")
    assert "org:sys_domains:manage" not in [p["key"] for p in got["permissions"]]
    assert got["is_creator_eligible"] is True


def test_role_sets_crud_and_assignment_scope() -> None:
    api = Api()
    owner = api("POST", "/v1/organization_roles", {"name": "Owner", "key": "org:owner", "permissions": [
        p["id"] for p in roles_by_key(api)["org:admin"]["permissions"]]})
    api("POST", "/v1/organization_roles", {"name": "Guest", "key": "org:guest"})
    rs = api("POST", "/v1/role_sets", {"name": "Pro Plan", "roles": ["org:owner", "org:guest", "org:member"],
                                       "default_role_key": "org:guest", "creator_role_key": "org:owner",
                                       "description": "For pro"})
    assert rs["id"].startswith("rs_") and (rs["key"], rs["type"]) == ("role_set:pro_plan", "custom")
    assert (rs["default_role"]["key"], rs["creator_role"]["key"]) == ("org:guest", "org:owner")
    assert api("GET", f"/v1/role_sets/{rs['id']}")["key"] == api("GET", "/v1/role_sets/role_set:pro_plan")["key"]
    api.error("POST", "/v1/role_sets", {"name": "Pro Plan", "key": "role_set:pro_plan", "roles": ["org:guest"],
                                        "default_role_key": "org:guest", "creator_role_key": "org:guest"},
              status=422, code="form_identifier_exists")
    assert api("POST", "/v1/role_sets", {"name": "Pro Plan", "roles": ["org:admin"], "default_role_key": "org:admin",
                                         "creator_role_key": "org:admin"})["key"] == "role_set:pro_plan_2"
    api.error("POST", "/v1/role_sets", {"name": "X", "roles": ["org:guest"], "default_role_key": "org:guest",
                                        "creator_role_key": "org:guest"},
              status=422, code="organization_missing_creator_role_permissions")
    api.error("POST", "/v1/role_sets", {"name": "X", "roles": ["org:guest"], "default_role_key": "org:admin",
                                        "creator_role_key": "org:guest"}, status=422, code="form_param_value_invalid")
    api.error("POST", "/v1/role_sets", {"name": "X", "roles": ["org:nope"], "default_role_key": "org:nope",
                                        "creator_role_key": "org:nope"}, status=404, code="resource_not_found")
    api.error("POST", "/v1/role_sets", {"name": "X", "key": "pro", "roles": ["org:admin"],
                                        "default_role_key": "org:admin", "creator_role_key": "org:admin"},
              status=422, code="form_param_format_invalid")
    api.error("POST", "/v1/role_sets", {"name": "X", "roles": [], "default_role_key": "org:admin",
                                        "creator_role_key": "org:admin"}, status=422, code="form_param_value_invalid")
    api("GET", "/v1/role_sets/role_set:nope", status=404, code="resource_not_found")
    # an organization on the pro set: its creator gets org:owner, and only the set's roles are assignable
    ann, bob = api.user(), api.user()
    org = api.org("Acme", created_by=ann["id"], role_set_key="role_set:pro_plan")
    assert org["role_set_key"] == "role_set:pro_plan"
    assert api("GET", f"/v1/organizations/{org['id']}/memberships")["data"][0]["role"] == "org:owner"
    api.error("POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": bob["id"], "role": "org:admin"},
              status=422, code="form_param_value_invalid")
    api.member(org["id"], bob["id"], role="org:guest")
    got = api("GET", "/v1/role_sets/role_set:pro_plan")
    assert {r["key"]: r["members_count"] for r in got["roles"]} == {"org:owner": 1, "org:guest": 1,
                                                                    "org:member": 0}
    assert owner["id"] in [r["id"] for r in got["roles"]]
    # moving the org to a set lacking its members' roles is refused
    api.error("PATCH", f"/v1/organizations/{org['id']}", {"role_set_key": "role_set:default"}, status=422,
              code="form_param_value_invalid")


def test_role_set_update_add_and_initial_switch() -> None:
    api = Api()
    api("POST", "/v1/organization_roles", {"name": "Guest", "key": "org:guest"})
    rs = api("POST", "/v1/role_sets", {"name": "Team", "roles": ["org:admin"], "default_role_key": "org:admin",
                                       "creator_role_key": "org:admin"})
    url = f"/v1/role_sets/{rs['key']}"
    got = api("POST", f"{url}/roles", {"role_keys": ["org:guest", "org:admin"], "default_role_key": "org:guest"})
    assert [r["key"] for r in got["roles"]] == ["org:admin", "org:guest"] and got["default_role"]["key"] == "org:guest"
    api.error("POST", f"{url}/roles", {"role_keys": ["org:nope"]}, status=404, code="resource_not_found")
    api.error("POST", f"{url}/roles", {"role_keys": ["org:member"], "creator_role_key": "org:member"}, status=422,
              code="organization_missing_creator_role_permissions")
    got = api("PATCH", url, {"name": "Team plan", "key": "role_set:team", "type": "initial",
                             "creator_role_key": "org:admin"})
    assert (got["name"], got["key"], got["type"]) == ("Team plan", "role_set:team", "initial")
    assert api("GET", "/v1/role_sets/role_set:default")["type"] == "custom"
    assert api.org("New")["role_set_key"] == "role_set:team"  # new organizations get the initial set
    api.error("PATCH", "/v1/role_sets/role_set:team", {"default_role_key": "org:member"}, status=422,
              code="form_param_value_invalid")
    api.error("PATCH", "/v1/role_sets/role_set:team", {"type": "custom"}, status=422,
              code="form_param_value_invalid")
    assert [s["key"] for s in api("GET", "/v1/role_sets?order_by=key")["data"]] == ["role_set:default",
                                                                                     "role_set:team"]
    assert ids(api("GET", "/v1/role_sets?query=TEAM")) == [rs["id"]]


def test_replace_role_in_set_and_replace_set() -> None:
    api = Api()
    api("POST", "/v1/organization_roles", {"name": "Guest", "key": "org:guest", "include_in_initial_role_set": True})
    ann, bob, carol = api.user(), api.user(), api.user()
    org = api.org("Acme", created_by=ann["id"])
    api.member(org["id"], bob["id"], role="org:guest")
    inv = api.invite(org["id"], "g@example.com", role="org:guest")
    got = api("POST", "/v1/role_sets/role_set:default/roles/replace", {"role_key": "org:guest",
                                                                        "to_role_key": "org:member"})
    assert [r["key"] for r in got["roles"]] == ["org:admin", "org:member"]
    assert api("GET", f"/v1/organizations/{org['id']}/invitations/{inv['id']}")["role"] == "org:member"
    members = api("GET", f"/v1/organizations/{org['id']}/memberships?user_id={bob['id']}")["data"]
    assert members[0]["role"] == "org:member"
    api.error("POST", "/v1/role_sets/role_set:default/roles/replace", {"role_key": "org:guest",
                                                                        "to_role_key": "org:member"},
              status=422, code="form_param_value_invalid")
    # replacing the whole set: orgs move, unmapped roles are refused, mapped ones are reassigned
    api("POST", "/v1/organization_roles", {"name": "Lead", "key": "org:lead", "permissions": [
        p["id"] for p in roles_by_key(api)["org:admin"]["permissions"]]})
    dest = api("POST", "/v1/role_sets", {"name": "Next", "roles": ["org:lead", "org:member"],
                                         "default_role_key": "org:member", "creator_role_key": "org:lead"})
    api.member(org["id"], carol["id"])
    api.error("POST", "/v1/role_sets/role_set:default/replace", {"dest_role_set_key": dest["key"]}, status=422,
              code="form_param_value_invalid")
    api.error("POST", "/v1/role_sets/role_set:default/replace", {"dest_role_set_key": "role_set:default"},
              status=422, code="form_param_value_invalid")
    api.error("POST", "/v1/role_sets/role_set:default/replace", {"dest_role_set_key": "role_set:nope"},
              status=404, code="resource_not_found")
    gone = api("POST", "/v1/role_sets/role_set:default/replace", {
        "dest_role_set_key": dest["key"], "reassignment_mappings": {"org:admin": "org:lead"}})
    assert gone["deleted"] is True and gone["object"] == "role_set"
    api("GET", "/v1/role_sets/role_set:default", status=404)
    got = api("GET", f"/v1/organizations/{org['id']}")
    assert got["role_set_key"] == "role_set:next"
    roles = {m["public_user_data"]["user_id"]: m["role"]
             for m in api("GET", f"/v1/organizations/{org['id']}/memberships")["data"]}
    assert roles == {ann["id"]: "org:lead", bob["id"]: "org:member", carol["id"]: "org:member"}
    assert api("GET", f"/v1/role_sets/{dest['id']}")["type"] == "initial"  # it inherited "initial"
