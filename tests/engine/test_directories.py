"""Directories at engine level: one store behind ``/directories`` and ``/scim_directories``, the enterprise
connection link, API-key rotation with a grace period, group-role mappings (precedence, replace, delete), and what
the SCIM endpoint does to users and memberships.  Every Backend API body is checked against the spec."""

from __future__ import annotations

import json
from typing import Any

from clerkmock.engine import Request

from .orgs_helpers import Api

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _world(api: Api, *, org: bool = True) -> tuple[dict, dict | None]:
    o = api.org("Acme") if org else None
    conn = api("POST", "/v1/enterprise_connections", {
        "name": "Acme SSO", "provider": "saml_okta", "domains": ["acme.com"],
        **({"organization_id": o["id"]} if o else {})}, status=201)
    return conn, o


def _roles(api: Api) -> dict[str, str]:
    return {r["key"]: r["id"] for r in api("GET", "/v1/organization_roles")["data"]}


def scim(api: Api, d: dict, method: str, path: str, body: Any = None, *, key: str | None = None,
         status: int = 200) -> Any:
    headers = {"authorization": f"Bearer {key or d['api_key']}", "content-type": "application/scim+json"}
    response = api.engine.handle(Request.make(method, f"/scim/v2/{d['id']}{path}", headers=headers, json=body))
    data = json.loads(response.body) if response.body else None
    assert response.status == status, (method, path, response.status, data)
    if response.body:
        assert response.headers["content-type"] == "application/scim+json"
    return data


def test_both_families_share_one_store() -> None:
    api = Api()
    conn, _ = _world(api)
    d = api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta"})
    assert d["object"] == "directory" and d["id"].startswith("dir_") and d["api_key"].startswith("scim_")
    assert (d["name"], d["enabled"], d["group_role_mapping_enabled"]) == ("Acme SSO", True, False)
    assert d["endpoint_url"].endswith(f"/scim/v2/{d['id']}")
    legacy = api("GET", f"/v1/scim_directories/{d['id']}")
    assert legacy["object"] == "scim_directory" and legacy["api_key"] is None and legacy["id"] == d["id"]
    assert api("GET", "/v1/scim_directories")["total_count"] == 1
    up = api("PATCH", f"/v1/scim_directories/{d['id']}", {"name": "Okta", "attribute_mapping": {
        "first_name": None, "username": "userName"}})
    assert up["name"] == "Okta" and "first_name" not in up["attribute_mapping"]
    assert api("GET", f"/v1/directories/{d['id']}")["attribute_mapping"]["username"] == "userName"
    listed = api("GET", "/v1/directories?limit=1")
    assert listed["total_count"] == 1 and listed["data"][0]["object"] == "directory"
    assert api("DELETE", f"/v1/scim_directories/{d['id']}") == {"object": "scim_directory", "id": d["id"],
                                                                 "deleted": True}
    api("GET", f"/v1/directories/{d['id']}", status=404, code="resource_not_found")


def test_create_needs_an_existing_connection_once() -> None:
    api = Api()
    conn, _ = _world(api)
    api("POST", "/v1/directories", {"enterprise_connection_id": "entc_missing", "provider": "okta"}, status=422,
        code="form_resource_not_found")
    api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"]}, status=422, code="form_param_missing")
    api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta"})
    api("POST", "/v1/scim_directories", {"enterprise_connection_id": conn["id"], "provider": "okta"}, status=422,
        code="form_identifier_exists")
    assert len(api.state.directories.directories) == 1


def test_rotation_keeps_the_old_key_for_a_grace_period() -> None:
    api = Api()
    conn, _ = _world(api)
    d = api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta"})
    rotated = api("POST", f"/v1/directories/{d['id']}/rotate_api_key")
    assert rotated["api_key"] not in (None, d["api_key"])
    scim(api, d, "GET", "/Users")  # the old key still works ...
    scim(api, rotated, "GET", "/Users")
    api.tick(10 * 60 * 1000)
    scim(api, d, "GET", "/Users", status=401)  # ... until the grace period ends
    scim(api, rotated, "GET", "/Users")
    api("PATCH", f"/v1/directories/{d['id']}", {"enabled": False})
    assert scim(api, rotated, "GET", "/Users", status=403)["status"] == "403"


def test_group_role_mappings_precedence_replace_delete() -> None:
    api = Api()
    conn, _ = _world(api)
    roles = _roles(api)
    d = api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta"})
    base = f"/v1/directories/{d['id']}/group_role_mappings"
    err = api.error("POST", base, {"directory_group_id": "g1", "role_id": roles["org:member"]}, status=400)
    assert err["code"] == "group_role_mapping_disabled"
    api("PATCH", f"/v1/directories/{d['id']}", {"group_role_mapping_enabled": True})
    m1 = api("POST", base, {"directory_group_id": "g1", "role_id": roles["org:member"]})
    m2 = api("POST", base, {"scim_group_id": "g2", "role_id": roles["org:admin"], "precedence": 1})
    assert (m1["object"], m1["precedence"], m1["role"]["key"]) == ("directory_group_role_mapping", 1, "org:member")
    assert [(m["directory_group_id"], m["precedence"]) for m in api("GET", base)["data"]] == [("g2", 1), ("g1", 2)]
    api("POST", base, {"directory_group_id": "g1", "role_id": roles["org:member"]}, status=422,
        code="form_identifier_exists")
    api("POST", base, {"directory_group_id": "g3", "scim_group_id": "g4", "role_id": roles["org:member"]},
        status=422, code="form_param_value_invalid")
    api("POST", base, {"directory_group_id": "g3", "role_id": "role_missing"}, status=422,
        code="form_resource_not_found")
    api("POST", base, {"role_id": roles["org:member"]}, status=422, code="form_param_missing")
    gone = api("DELETE", f"/v1/scim_directories/{d['id']}/group_role_mappings/{m2['id']}")
    assert gone == {"object": "scim_group_role_mapping", "id": m2["id"], "deleted": True}
    assert [m["precedence"] for m in api("GET", base)["data"]] == [1]
    replaced = api("PUT", base, {"mappings": [{"directory_group_id": "g9", "role_id": roles["org:admin"]},
                                              {"directory_group_id": "g1", "role_id": roles["org:admin"]}]})
    assert [(m["directory_group_id"], m["precedence"]) for m in replaced["data"]] == [("g9", 1), ("g1", 2)]
    assert replaced["data"][1]["id"] == m1["id"]  # the same group keeps its mapping
    assert api("PUT", f"/v1/scim_directories/{d['id']}/group_role_mappings", {"mappings": []})["total_count"] == 0
    api("DELETE", f"{base}/{m1['id']}", status=404, code="resource_not_found")


def test_create_with_mappings_orders_them() -> None:
    api = Api()
    conn, _ = _world(api)
    roles = _roles(api)
    d = api("POST", "/v1/scim_directories", {"enterprise_connection_id": conn["id"], "provider": "entra", "group_role_mappings": [
        {"scim_group_id": "a", "role_id": roles["org:member"]},
        {"scim_group_id": "b", "role_id": roles["org:admin"], "precedence": 1, "scim_group_display_name": "B"}]})
    assert d["object"] == "scim_directory" and d["group_role_mapping_enabled"] is True
    page = api("GET", f"/v1/scim_directories/{d['id']}/group_role_mappings")
    assert [(m["scim_group_id"], m["scim_group_display_name"], m["precedence"]) for m in page["data"]] == [
        ("b", "B", 1), ("a", "", 2)]


def test_scim_provisioning_drives_users_and_memberships() -> None:
    api = Api()
    conn, org = _world(api)
    assert org is not None
    roles = _roles(api)
    d = api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta",
                                        "group_role_mappings": [
                                            {"directory_group_id": "admins", "role_id": roles["org:admin"]},
                                            {"directory_group_id": "everyone", "role_id": roles["org:member"]}]})
    api.engine.outbox.enabled = True
    u = scim(api, d, "POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@acme.com", "externalId": "00u1",
        "name": {"givenName": "Bob", "familyName": "Builder"}, "emails": [{"value": "bob@acme.com", "primary": True}],
        "active": True}, status=201)
    user = api("GET", f"/v1/users/{u['id']}")
    assert (user["first_name"], user["last_name"], user["banned"]) == ("Bob", "Builder", False)
    assert user["email_addresses"][0]["email_address"] == "bob@acme.com"
    assert user["scim"] == {"directory_id": d["id"], "external_id": "00u1", "directory_enabled": True}
    created = [json.loads(e.body) for e in api.engine.outbox.drain()]
    assert [e["type"] for e in created] == ["user.created"] and created[0]["data"]["scim"]["directory_id"] == d["id"]
    scim(api, d, "POST", "/Users", {"userName": "BOB@acme.com"}, status=409)
    # a group the mapping names by externalId; membership follows
    everyone = scim(api, d, "POST", "/Groups", {"displayName": "Everyone", "externalId": "everyone",
                                                "members": [{"value": u["id"]}]}, status=201)
    mems = api("GET", f"/v1/organizations/{org['id']}/memberships")["data"]
    assert [(m["public_user_data"]["user_id"], m["role"]) for m in mems] == [(u["id"], "org:member")]
    admins = scim(api, d, "POST", "/Groups", {"displayName": "Admins", "externalId": "admins"}, status=201)
    scim(api, d, "PATCH", f"/Groups/{admins['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": u["id"]}]}]})
    assert api("GET", f"/v1/organizations/{org['id']}/memberships")["data"][0]["role"] == "org:admin"
    types = [json.loads(e.body)["type"] for e in api.engine.outbox.drain()]
    assert types == ["organizationMembership.created", "organizationMembership.updated"]
    # leaving the higher-precedence group falls back; leaving every mapped group ends the membership
    scim(api, d, "PATCH", f"/Groups/{admins['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": f'members[value eq "{u["id"]}"]'}]})
    assert api("GET", f"/v1/organizations/{org['id']}/memberships")["data"][0]["role"] == "org:member"
    scim(api, d, "DELETE", f"/Groups/{everyone['id']}", status=204)
    assert api("GET", f"/v1/organizations/{org['id']}/memberships")["total_count"] == 0
    # filtering, PATCH without a path, deactivation bans
    found = scim(api, d, "GET", '/Users?filter=userName eq "bob@acme.com"')
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == u["id"]
    assert scim(api, d, "GET", '/Users?filter=userName eq "nobody"')["totalResults"] == 0
    assert scim(api, d, "GET", "/Users?filter=userName eq", status=400)["scimType"] == "invalidFilter"
    patched = scim(api, d, "PATCH", f"/Users/{u['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"active": "False", "name.givenName": "Robert"}}]})
    assert patched["active"] is False and patched["name"]["givenName"] == "Robert"
    user = api("GET", f"/v1/users/{u['id']}")
    assert (user["banned"], user["first_name"]) == (True, "Robert")
    # deleting the SCIM user deletes the Clerk user
    scim(api, d, "DELETE", f"/Users/{u['id']}", status=204)
    api("GET", f"/v1/users/{u['id']}", status=404)
    scim(api, d, "GET", f"/Users/{u['id']}", status=404)


def test_scim_links_an_existing_verified_user_and_checks_input() -> None:
    api = Api()
    conn, _ = _world(api, org=False)
    alice = api.user("alice@acme.com")
    d = api("POST", "/v1/directories", {"enterprise_connection_id": conn["id"], "provider": "okta"})
    u = scim(api, d, "POST", "/Users", {"userName": "alice@acme.com"}, status=201)
    assert u["id"] == alice["id"] and "active" not in u
    assert scim(api, d, "POST", "/Users", {"name": {"givenName": "x"}}, status=400)["scimType"] == "invalidValue"
    assert scim(api, d, "POST", "/Groups", {"displayName": "G", "members": [{"value": "user_x"}]},
                status=400)["scimType"] == "invalidValue"
    assert scim(api, d, "PATCH", f"/Users/{u['id']}", {"Operations": []}, status=400)["scimType"] == "invalidSyntax"
    assert scim(api, d, "GET", "/Nope", status=404)["status"] == "404"
    assert scim(api, d, "GET", "/Users", key="scim_wrong", status=401)["status"] == "401"
    docs = scim(api, d, "GET", "/Schemas")
    assert {s["id"] for s in docs["Resources"]} == {"urn:ietf:params:scim:schemas:core:2.0:User",
                                                     "urn:ietf:params:scim:schemas:core:2.0:Group"}
    assert scim(api, d, "GET", "/ServiceProviderConfig")["patch"]["supported"] is True
    # deleting the directory forgets the link; the user stays
    api("DELETE", f"/v1/directories/{d['id']}")
    assert api("GET", f"/v1/users/{alice['id']}")["scim"] is None
