"""Organizations at engine level: create/get/list/update/delete, slugs, creators, metadata, logos, cascades.
Every response is checked against the vendored spec (orgs_helpers.Api)."""

from __future__ import annotations

from .helpers import T0
from .orgs_helpers import Api, ids

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def multipart(fields: dict[str, tuple[str, str, bytes] | str]) -> tuple[bytes, dict[str, str]]:
    boundary = "clerkmockboundary"
    out = b""
    for name, value in fields.items():
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            filename, ctype, data = value
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{boundary}--\r\n".encode()
    return out, {"content-type": f"multipart/form-data; boundary={boundary}"}


# -- create ---------------------------------------------------------------------------------------------------


def test_create_generates_unique_slugs_and_fills_every_field() -> None:
    api = Api()
    org = api.org("Acme Inc")
    assert org["object"] == "organization" and org["id"].startswith("org_") and len(org["id"]) == 31
    assert (org["name"], org["slug"]) == ("Acme Inc", "acme-inc")
    assert org["has_image"] is False and org["image_url"].startswith("https://img.clerk.com/")
    assert (org["max_allowed_memberships"], org["admin_delete_enabled"]) == (0, True)
    assert (org["public_metadata"], org["private_metadata"]) == ({}, {})
    assert org["created_at"] == org["updated_at"] == T0
    assert org["role_set_key"] == "role_set:default"
    assert "created_by" not in org and "members_count" not in org
    assert api.org("Acme  Inc!")["slug"] == "acme-inc-2"
    assert api.org("ACME inc")["slug"] == "acme-inc-3"
    assert api.org("Crème Brûlée GmbH")["slug"] == "creme-brulee-gmbh"
    assert api.org("日本")["slug"] == "organization"


def test_create_with_explicit_slug_metadata_limits_and_created_at() -> None:
    api = Api()
    org = api.org("Globex", slug="globex-corp", public_metadata={"plan": "pro"}, private_metadata={"crm": 7},
                  max_allowed_memberships=3, created_at="2020-01-02T03:04:05Z")
    assert org["slug"] == "globex-corp"
    assert (org["public_metadata"], org["private_metadata"]) == ({"plan": "pro"}, {"crm": 7})
    assert org["max_allowed_memberships"] == 3
    assert org["created_at"] == org["updated_at"] == 1_577_934_245_000


def test_slug_rules() -> None:
    api = Api()
    api.org("Acme", slug="acme")
    api.error("POST", "/v1/organizations", {"name": "Other", "slug": "acme"}, status=422,
              code="form_identifier_exists")
    for bad in ("Acme", "acme inc", "acme_inc", "acmé"):
        err = api.error("POST", "/v1/organizations", {"name": "X", "slug": bad}, status=422,
                        code="form_param_format_invalid")
        assert err["meta"]["param_name"] == "slug"
    # a generated slug never takes an explicit one
    assert api.org("Acme")["slug"] == "acme-2"


def test_name_rules() -> None:
    api = Api()
    api.error("POST", "/v1/organizations", {}, status=422, code="form_param_missing")
    api.error("POST", "/v1/organizations", {"name": "   "}, status=422, code="form_param_missing")
    err = api.error("POST", "/v1/organizations", {"name": "x" * 257}, status=422,
                    code="form_param_max_length_exceeded")
    assert err["meta"]["param_name"] == "name"
    assert api.org("x" * 256)["name"] == "x" * 256
    for bad in ("Visit https://evil.example", "www.evil.com", "<b>Bold</b>"):
        err = api.error("POST", "/v1/organizations", {"name": bad}, status=422, code="form_param_value_invalid")
        assert err["meta"]["param_name"] == "name"
    api.error("POST", "/v1/organizations", {"name": 5}, status=422, code="form_param_type_invalid")


def test_creator_must_exist_and_becomes_admin() -> None:
    api = Api()
    err = api.error("POST", "/v1/organizations", {"name": "Acme", "created_by": "user_nope"}, status=400,
                    code="organization_creator_not_found")
    assert "user_nope" in err["long_message"]
    assert api("GET", "/v1/organizations")["total_count"] == 0  # nothing was created
    ann = api.user("ann@example.com")
    org = api.org("Acme", created_by=ann["id"])
    assert org["created_by"] == ann["id"]
    page = api("GET", f"/v1/organizations/{org['id']}/memberships")
    assert page["total_count"] == 1
    mem = page["data"][0]
    assert (mem["role"], mem["role_name"]) == ("org:admin", "Admin")
    assert mem["public_user_data"]["user_id"] == ann["id"]
    assert [u["id"] for u in api("GET", f"/v1/users?organization_id={org['id']}")] == [ann["id"]]


def test_unknown_role_set_key_is_refused() -> None:
    api = Api()
    err = api.error("POST", "/v1/organizations", {"name": "Acme", "role_set_key": "role_set:nope"}, status=422,
                    code="form_resource_not_found")
    assert err["meta"]["param_name"] == "role_set_key"


# -- get / list ------------------------------------------------------------------------------------------------


def test_get_by_id_or_slug_with_counts() -> None:
    api = Api()
    ann = api.user()
    org = api.org("Acme", created_by=ann["id"])
    api.invite(org["id"], "new@example.com")
    for key in (org["id"], org["slug"]):
        got = api("GET", f"/v1/organizations/{key}")
        assert got["id"] == org["id"] and "members_count" not in got
    got = api("GET", "/v1/organizations/acme?include_members_count=true"
                     "&include_missing_member_with_elevated_permissions=true")
    assert (got["members_count"], got["pending_invitations_count"]) == (1, 1)
    assert got["missing_member_with_elevated_permissions"] is False
    lonely = api.org("Lonely")
    got = api("GET", f"/v1/organizations/{lonely['id']}?include_missing_member_with_elevated_permissions=true")
    assert got["missing_member_with_elevated_permissions"] is True
    err = api.error("GET", "/v1/organizations/org_missing", status=404, code="resource_not_found")
    assert err["long_message"] == "Given organization not found."


def test_list_filters_order_and_paging() -> None:
    api = Api()
    ann, bob = api.user(), api.user()
    alpha = api.org("Alpha", created_by=ann["id"])
    api.tick()
    beta = api.org("beta", created_by=bob["id"])
    api.member(beta["id"], ann["id"])
    api.tick()
    gamma = api.org("Gamma Beta")
    cases = {
        "": [gamma, beta, alpha],
        "order_by=created_at": [alpha, beta, gamma],
        "order_by=name": [alpha, beta, gamma],
        "order_by=-name": [gamma, beta, alpha],
        "order_by=-members_count": [beta, alpha, gamma],
        "order_by=%2Bmembers_count": [gamma, alpha, beta],
        "query=BETA": [gamma, beta],
        f"query={alpha['id']}": [alpha],
        "query=alp": [alpha],
        "query=org_": [],  # ids match exactly, never partially
        f"user_id={ann['id']}": [beta, alpha],
        f"user_id={bob['id']}&user_id={ann['id']}": [beta, alpha],
        f"user_id=-{bob['id']}": [gamma, alpha],
        f"user_id=%2B{bob['id']}": [beta],
        "user_id=user_unknown": [],
        f"organization_id={alpha['id']}&organization_id={gamma['id']}": [gamma, alpha],
        f"organization_id=-{alpha['id']}": [gamma, beta],
        "limit=1&offset=1": [beta],
        "offset=5": [],
    }
    for query, expected in cases.items():
        page = api("GET", f"/v1/organizations?{query}")
        assert ids(page) == ids(expected), query
    page = api("GET", "/v1/organizations?limit=2&include_members_count=true")
    assert page["total_count"] == 3 and [o["members_count"] for o in page["data"]] == [0, 2]
    api.error("GET", "/v1/organizations?order_by=slug", status=422, code="form_param_value_invalid")
    api.error("GET", "/v1/organizations?limit=0", status=422, code="form_param_value_invalid")
    api.error("GET", "/v1/organizations?limit=501", status=422, code="form_param_value_invalid")


# -- update -----------------------------------------------------------------------------------------------------


def test_update_fields_and_slug_index() -> None:
    api = Api()
    org = api.org("Acme")
    api.org("Taken", slug="taken")
    api.tick()
    got = api("PATCH", f"/v1/organizations/{org['id']}", {"name": "Acme 2", "slug": "acme-two",
                                                          "max_allowed_memberships": 5, "admin_delete_enabled": False})
    assert (got["name"], got["slug"], got["max_allowed_memberships"], got["admin_delete_enabled"]) == (
        "Acme 2", "acme-two", 5, False)
    assert got["updated_at"] == T0 + 1000 and got["created_at"] == T0
    api("GET", "/v1/organizations/acme", status=404)
    assert api("GET", "/v1/organizations/acme-two")["id"] == org["id"]
    api.error("PATCH", f"/v1/organizations/{org['id']}", {"slug": "taken"}, status=422, code="form_identifier_exists")
    api.error("PATCH", f"/v1/organizations/{org['id']}", {"slug": "Bad Slug"}, status=422,
              code="form_param_format_invalid")
    api.error("PATCH", f"/v1/organizations/{org['id']}", {"name": "<i>x</i>"}, status=422,
              code="form_param_value_invalid")
    api.error("PATCH", f"/v1/organizations/{org['id']}", {"max_allowed_memberships": -1}, status=422,
              code="form_param_value_invalid")
    # its own slug again is fine; null means "leave it"
    assert api("PATCH", "/v1/organizations/acme-two", {"slug": "acme-two", "name": None})["name"] == "Acme 2"
    api("PATCH", "/v1/organizations/org_missing", {"name": "x"}, status=404)


def test_metadata_in_patch_depends_on_api_version() -> None:
    api = Api()
    org = api.org("Acme", public_metadata={"a": 1, "b": 2})
    url = f"/v1/organizations/{org['id']}"
    got = api("PATCH", url, {"public_metadata": {"c": 3}, "private_metadata": {"x": 1}}, version="2025-11-10")
    assert (got["public_metadata"], got["private_metadata"]) == ({"c": 3}, {"x": 1})  # replaced, not merged
    err = api.error("PATCH", url, {"public_metadata": {"d": 4}}, version="2026-05-12", status=422,
                    code="form_param_unknown")
    assert err["meta"]["param_name"] == "public_metadata"
    assert api("GET", url)["public_metadata"] == {"c": 3}


def test_metadata_merge_and_replace() -> None:
    api = Api()
    org = api.org("Acme", public_metadata={"plan": {"tier": "pro", "seats": 5}, "keep": True},
                  private_metadata={"crm": {"id": 1}})
    url = f"/v1/organizations/{org['id']}/metadata"
    got = api("PATCH", url, {"public_metadata": {"plan": {"seats": 10, "tier": None}, "new": [1, 2]}})
    assert got["public_metadata"] == {"plan": {"seats": 10}, "keep": True, "new": [1, 2]}
    assert got["private_metadata"] == {"crm": {"id": 1}}
    got = api("PUT", url, {"private_metadata": {"only": "this"}})
    assert got["private_metadata"] == {"only": "this"}
    assert got["public_metadata"] == {"plan": {"seats": 10}, "keep": True, "new": [1, 2]}  # omitted: unchanged
    got = api("PUT", url, {"public_metadata": {}})
    assert got["public_metadata"] == {}
    api.error("PATCH", url, {"public_metadata": "nope"}, status=422, code="form_param_type_invalid")
    api.error("PATCH", url, {"unsafe_metadata": {}}, status=422, code="form_param_unknown")
    api("PUT", "/v1/organizations/org_missing/metadata", {"public_metadata": {}}, status=404)


def test_logo_upload_and_delete() -> None:
    api = Api()
    ann = api.user()
    org = api.org("Acme")
    url = f"/v1/organizations/{org['id']}/logo"
    body, headers = multipart({"file": ("logo.png", "image/png", PNG), "uploader_user_id": ann["id"]})
    got = api("PUT", url, body=body, headers=headers)
    assert got["has_image"] is True and got["image_url"].startswith("https://img.clerk.com/")
    assert got["logo_url"] == got["image_url"]
    assert api("GET", f"/v1/organizations/{org['id']}")["has_image"] is True
    body, headers = multipart({"uploader_user_id": ann["id"]})
    api.error("PUT", url, body=body, headers=headers, status=400, code="form_param_missing")
    body, headers = multipart({"file": ("notes.txt", "text/plain", b"hello")})
    api.error("PUT", url, body=body, headers=headers, status=400, code="request_body_invalid")
    body, headers = multipart({"file": ("logo.png", "image/png", PNG), "uploader_user_id": "user_nope"})
    api.error("PUT", url, body=body, headers=headers, status=404, code="resource_not_found")
    api.error("PUT", url, {"file": "x"}, status=415, code="unsupported_content_type")
    got = api("DELETE", url)
    assert got["has_image"] is False and "logo_url" not in got
    api("DELETE", "/v1/organizations/org_missing/logo", status=404)


# -- delete -----------------------------------------------------------------------------------------------------


def test_delete_cascades_to_memberships_invitations_and_domains() -> None:
    api = Api()
    ann, bob = api.user(), api.user()
    org = api.org("Acme", created_by=ann["id"])
    other = api.org("Other", created_by=bob["id"])
    api.member(org["id"], bob["id"])
    api.invite(org["id"], "carol@example.com")
    api("POST", f"/v1/organizations/{org['id']}/domains", {"name": "acme.com", "enrollment_mode": "manual_invitation"})
    got = api("DELETE", f"/v1/organizations/{org['slug']}")
    assert got == {"object": "organization", "id": org["id"], "slug": "acme", "deleted": True}
    api("GET", f"/v1/organizations/{org['id']}", status=404)
    api("DELETE", f"/v1/organizations/{org['id']}", status=404)
    assert api("GET", "/v1/organization_memberships")["total_count"] == 1  # bob's membership of Other
    assert api("GET", f"/v1/users/{bob['id']}/organization_memberships")["total_count"] == 1
    assert api("GET", f"/v1/users/{ann['id']}/organization_memberships")["total_count"] == 0
    assert api("GET", "/v1/organization_invitations")["total_count"] == 0
    assert api("GET", "/v1/organization_domains")["total_count"] == 0
    assert api("GET", f"/v1/users?organization_id={org['id']}") == []
    assert api.org("Acme")["slug"] == "acme"  # the slug is free again
    assert api("GET", f"/v1/organizations/{other['id']}?include_members_count=true")["members_count"] == 1
    state = api.state.orgs
    assert org["id"] not in state.members_by_org and all(m.org_id != org["id"] for m in state.memberships.values())
