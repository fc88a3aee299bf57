"""Organization invitations and instance invitations at engine level: creation rules, bulk atomicity,
statuses by the engine clock, revocation, filters and the paginated/bare list shapes."""

from __future__ import annotations

from .helpers import T0
from .orgs_helpers import Api, ids

DAY = 86_400_000


def _org(api: Api) -> tuple[dict, dict]:
    ann = api.user("ann@example.com", first_name="Ann")
    return api.org("Acme", created_by=ann["id"]), ann


# -- organization invitations ------------------------------------------------------------------------------------


def test_create_organization_invitation_shape() -> None:
    api = Api()
    org, ann = _org(api)
    inv = api.invite(org["id"], "new@example.com", role="org:admin", inviter_user_id=ann["id"],
                     public_metadata={"a": 1}, private_metadata={"b": 2}, redirect_url="https://app.example/join",
                     expires_in_days=7)
    assert inv["id"].startswith("orginv_") and inv["object"] == "organization_invitation"
    assert (inv["email_address"], inv["role"], inv["role_name"], inv["status"]) == (
        "new@example.com", "org:admin", "Admin", "pending")
    assert (inv["organization_id"], inv["inviter_id"]) == (org["id"], ann["id"])
    assert inv["public_inviter_data"]["identifier"] == "ann@example.com"
    assert inv["public_inviter_data"]["first_name"] == "Ann"
    assert inv["expires_at"] == T0 + 7 * DAY and inv["created_at"] == T0
    assert "redirect_url=https%3A%2F%2Fapp.example%2Fjoin" in inv["url"]
    plain = api.invite(org["id"], "plain@example.com")
    assert plain["inviter_id"] is None and plain["public_inviter_data"] is None
    assert plain["expires_at"] == T0 + 30 * DAY
    assert "public_organization_data" not in plain


def test_create_organization_invitation_refusals() -> None:
    api = Api()
    org, _ann = _org(api)
    bob = api.user("bob@example.com")
    api.member(org["id"], bob["id"])
    url = f"/v1/organizations/{org['id']}/invitations"
    err = api.error("POST", url, {"email_address": "BOB@example.com", "role": "org:member"}, status=400,
                    code="already_a_member_in_organization")
    assert "BOB@example.com" in err["long_message"]
    api.invite(org["id"], "x@example.com")
    api.error("POST", url, {"email_address": "X@example.com", "role": "org:admin"}, status=400,
              code="organization_invitation_not_unique")
    api.error("POST", url, {"email_address": "y@example.com", "role": "org:member", "inviter_user_id": bob["id"]},
              status=403, code="not_an_admin_in_organization")
    api.error("POST", url, {"email_address": "y@example.com", "role": "org:member", "inviter_user_id": "user_x"},
              status=404, code="resource_not_found")
    api.error("POST", url, {"email_address": "y@example.com", "role": "org:nope"}, status=404,
              code="resource_not_found")
    api.error("POST", url, {"email_address": "not-an-email", "role": "org:member"}, status=422,
              code="form_param_format_invalid")
    api.error("POST", url, {"email_address": "y@example.com"}, status=422, code="form_param_missing")
    api.error("POST", url, {"email_address": "y@example.com", "role": "org:member", "expires_in_days": 0},
              status=422, code="form_param_value_invalid")
    api.error("POST", "/v1/organizations/org_nope/invitations", {"email_address": "y@example.com",
                                                                  "role": "org:member"},
              status=404, code="resource_not_found")
    assert api("GET", url)["total_count"] == 1  # only x@ was created


def test_bulk_is_all_or_nothing() -> None:
    api = Api()
    org, ann = _org(api)
    url = f"/v1/organizations/{org['id']}/invitations/bulk"
    page = api("POST", url, [{"email_address": "a@example.com", "role": "org:member"},
                             {"email_address": "b@example.com", "role": "org:admin", "inviter_user_id": ann["id"]}])
    assert page["total_count"] == 2 and [i["role"] for i in page["data"]] == ["org:member", "org:admin"]
    api.error("POST", url, [{"email_address": "c@example.com", "role": "org:member"},
                            {"email_address": "a@example.com", "role": "org:member"}],
              status=400, code="organization_invitation_not_unique")
    api.error("POST", url, [{"email_address": "d@example.com", "role": "org:member"},
                            {"email_address": "D@example.com", "role": "org:member"}],
              status=400, code="organization_invitation_not_unique")
    err = api.error("POST", url, [{"email_address": "e@example.com", "role": "org:member", "bogus": 1}],
                    status=422, code="form_param_unknown")
    assert err["meta"]["param_name"] == "[0].bogus"
    api.error("POST", url, [], status=400, code="request_body_invalid")
    api.error("POST", url, {"email_address": "e@example.com", "role": "org:member"}, status=400,
              code="request_body_invalid")
    api.error("POST", url, [{"email_address": f"{i}@example.com", "role": "org:member"} for i in range(11)],
              status=400, code="bulk_size_exceeded")
    assert sorted(i["email_address"] for i in api("GET", f"/v1/organizations/{org['id']}/invitations")["data"]) == [
        "a@example.com", "b@example.com"]


def test_statuses_follow_the_engine_clock_and_revocation() -> None:
    api = Api()
    org, ann = _org(api)
    short = api.invite(org["id"], "short@example.com", expires_in_days=1)
    long = api.invite(org["id"], "long@example.com")
    api.tick(DAY)
    base = f"/v1/organizations/{org['id']}/invitations"
    assert api("GET", f"{base}/{short['id']}")["status"] == "expired"
    assert api("GET", f"{base}/{long['id']}")["status"] == "pending"
    assert ids(api("GET", f"{base}?status=expired")) == [short["id"]]
    assert ids(api("GET", f"{base}/pending")) == [long["id"]]
    # an expired invitation no longer blocks a new one for the address, nor counts against the quota
    again = api.invite(org["id"], "short@example.com")
    api.error("POST", f"{base}/{short['id']}/revoke", {}, status=400, code="bad_request")
    bob = api.user()
    api.member(org["id"], bob["id"])
    api.error("POST", f"{base}/{long['id']}/revoke", {"requesting_user_id": bob["id"]}, status=403,
              code="not_an_admin_in_organization")
    revoked = api("POST", f"{base}/{long['id']}/revoke", {"requesting_user_id": ann["id"]})
    assert revoked["status"] == "revoked" and revoked["updated_at"] == T0 + DAY
    api.error("POST", f"{base}/{long['id']}/revoke", {}, status=400, code="invitation_already_revoked")
    carol = api.user("short@example.com")
    api.member(org["id"], carol["id"])
    api.error("POST", f"{base}/{again['id']}/revoke", status=400, code="invitation_already_accepted")
    api("GET", f"{base}/orginv_nope", status=404, code="resource_not_found")
    other = api.org("Other")
    api("GET", f"/v1/organizations/{other['id']}/invitations/{again['id']}", status=404)  # wrong organization


def test_organization_and_instance_invitation_lists() -> None:
    api = Api()
    org, _ann = _org(api)
    other = api.org("Other")
    a = api.invite(org["id"], "zed@example.com")
    api.tick()
    b = api.invite(org["id"], "amy@example.com")
    api.tick()
    c = api.invite(other["id"], "amy@example.com")
    api("POST", f"/v1/organizations/{org['id']}/invitations/{a['id']}/revoke")
    base = f"/v1/organizations/{org['id']}/invitations"
    assert ids(api("GET", base)) == [b["id"], a["id"]]
    assert ids(api("GET", f"{base}?order_by=email_address")) == [b["id"], a["id"]]
    assert ids(api("GET", f"{base}?order_by=created_at")) == [a["id"], b["id"]]
    assert ids(api("GET", f"{base}?status=revoked")) == [a["id"]]
    assert ids(api("GET", f"{base}?email_address=AMY@example.com")) == [b["id"]]
    assert ids(api("GET", f"{base}?limit=1&offset=1")) == [a["id"]]
    api.error("GET", f"{base}?status=bogus", status=400, code="invalid_query_parameter_value")
    api.error("GET", f"{base}?order_by=role", status=422, code="form_param_value_invalid")
    page = api("GET", "/v1/organization_invitations")
    assert ids(page) == [c["id"], b["id"], a["id"]]
    assert page["data"][0]["public_organization_data"]["id"] == other["id"]
    assert ids(api("GET", "/v1/organization_invitations?query=AMY&order_by=created_at")) == [b["id"], c["id"]]
    assert ids(api("GET", "/v1/organization_invitations?status=pending&limit=1")) == [c["id"]]
    amy = api.user("amy@example.com")
    mine = api("GET", f"/v1/users/{amy['id']}/organization_invitations")
    assert ids(mine) == [c["id"], b["id"]]
    assert ids(api("GET", f"/v1/users/{amy['id']}/organization_invitations?status=accepted")) == []
    api("GET", "/v1/users/user_nope/organization_invitations", status=404)


def test_deleted_role_and_inviter_still_serialize() -> None:
    api = Api()
    org, _ann = _org(api)
    bob = api.user()
    api.member(org["id"], bob["id"], role="org:admin")
    role = api("POST", "/v1/organization_roles", {"name": "Viewer", "key": "org:viewer",
                                                   "include_in_initial_role_set": True})
    inv = api.invite(org["id"], "v@example.com", role="org:viewer", inviter_user_id=bob["id"])
    api("POST", f"/v1/organizations/{org['id']}/invitations/{inv['id']}/revoke")
    api("DELETE", f"/v1/organization_roles/{role['id']}")
    api("DELETE", f"/v1/users/{bob['id']}")
    got = api("GET", f"/v1/organizations/{org['id']}/invitations/{inv['id']}")
    assert (got["role"], got["role_name"], got["inviter_id"], got["public_inviter_data"]) == (
        "org:viewer", "Viewer", bob["id"], None)


# -- instance invitations --------------------------------------------------------------------------------------------


def test_instance_invitation_create_and_shape() -> None:
    api = Api()
    inv = api("POST", "/v1/invitations", {"email_address": "new@example.com", "public_metadata": {"plan": "x"},
                                          "redirect_url": "https://app.example/welcome", "expires_in_days": 2,
                                          "notify": False})
    assert inv["id"].startswith("inv_") and inv["object"] == "invitation"
    assert (inv["status"], inv["revoked"], inv["public_metadata"]) == ("pending", False, {"plan": "x"})
    assert inv["expires_at"] == T0 + 2 * DAY and "redirect_url=" in inv["url"]
    assert api("POST", "/v1/invitations", {"email_address": "other@example.com"})["expires_at"] == T0 + 30 * DAY


def test_instance_invitation_refusals_and_ignore_existing() -> None:
    api = Api()
    api.user("taken@example.com")
    err = api.error("POST", "/v1/invitations", {"email_address": "TAKEN@example.com"}, status=422,
                    code="form_identifier_exists")
    assert err["meta"]["param_name"] == "email_address"
    api.error("POST", "/v1/invitations", {"email_address": "taken@example.com", "ignore_existing": True},
              status=422, code="form_identifier_exists")
    api("POST", "/v1/invitations", {"email_address": "dup@example.com"})
    err = api.error("POST", "/v1/invitations", {"email_address": "Dup@example.com"}, status=400,
                    code="duplicate_record")
    assert err["meta"]["email_addresses"] == ["Dup@example.com"]
    again = api("POST", "/v1/invitations", {"email_address": "dup@example.com", "ignore_existing": True})
    assert again["status"] == "pending"
    api.error("POST", "/v1/invitations", {"email_address": "nope"}, status=422, code="form_param_format_invalid")
    api.error("POST", "/v1/invitations", {"email_address": "a@example.com", "template_slug": "x"}, status=422,
              code="form_param_value_invalid")
    api.error("POST", "/v1/invitations", {}, status=422, code="form_param_missing")


def test_instance_bulk_reports_every_duplicate_and_creates_nothing() -> None:
    api = Api()
    api("POST", "/v1/invitations", {"email_address": "a@example.com"})
    api("POST", "/v1/invitations", {"email_address": "b@example.com"})
    err = api.error("POST", "/v1/invitations/bulk",
                    [{"email_address": "a@example.com"}, {"email_address": "c@example.com"},
                     {"email_address": "b@example.com"}, {"email_address": "c@example.com"}],
                    status=400, code="duplicate_record")
    assert err["meta"]["email_addresses"] == ["a@example.com", "b@example.com", "c@example.com"]
    assert len(api("GET", "/v1/invitations")) == 2
    created = api("POST", "/v1/invitations/bulk", [{"email_address": "a@example.com", "ignore_existing": True},
                                                   {"email_address": "d@example.com", "notify": None}])
    assert [i["email_address"] for i in created] == ["a@example.com", "d@example.com"]
    api.error("POST", "/v1/invitations/bulk", [{"email_address": f"{i}@x.com"} for i in range(11)], status=400,
              code="bulk_size_exceeded")
    api.error("POST", "/v1/invitations/bulk", [], status=400, code="request_body_invalid")


def test_instance_invitation_list_and_revoke() -> None:
    api = Api()
    a = api("POST", "/v1/invitations", {"email_address": "zed@example.com", "expires_in_days": 1})
    api.tick()
    b = api("POST", "/v1/invitations", {"email_address": "amy@example.com"})
    api.tick()
    c = api("POST", "/v1/invitations", {"email_address": "bob@example.com"})
    revoked = api("POST", f"/v1/invitations/{c['id']}/revoke")
    assert (revoked["status"], revoked["revoked"]) == ("revoked", True)
    api.error("POST", f"/v1/invitations/{c['id']}/revoke", status=400, code="invitation_already_revoked")
    api.error("POST", "/v1/invitations/inv_nope/revoke", status=404, code="resource_not_found")
    assert ids(api("GET", "/v1/invitations")) == [b["id"], a["id"]]  # revoked ones are left out by default
    assert ids(api("GET", "/v1/invitations?status=revoked")) == [c["id"]]
    assert ids(api("GET", "/v1/invitations?order_by=email_address")) == [b["id"], a["id"]]
    assert ids(api("GET", "/v1/invitations?order_by=-expires_at")) == [b["id"], a["id"]]
    assert ids(api("GET", "/v1/invitations?query=ZED")) == [a["id"]]
    assert ids(api("GET", f"/v1/invitations?query={b['id']}")) == [b["id"]]
    page = api("GET", "/v1/invitations?paginated=true&limit=1")
    assert page["total_count"] == 2 and ids(page) == [b["id"]]
    api.tick(DAY)
    assert ids(api("GET", "/v1/invitations?status=expired")) == [a["id"]]
    # an expired invitation no longer counts as a duplicate, and can still be revoked
    api("POST", "/v1/invitations", {"email_address": "zed@example.com"})
    assert api("POST", f"/v1/invitations/{a['id']}/revoke")["status"] == "revoked"
    api.error("GET", "/v1/invitations?order_by=name", status=422, code="form_param_value_invalid")


def test_the_helper_checks_paginated_items_against_their_own_schema() -> None:
    """Regression (test plumbing): every ``paginated=true`` list's items were validated as Invitations."""
    api = Api()
    api("POST", "/v1/jwt_templates", {"name": "tmpl", "claims": {"a": 1}})
    assert api("GET", "/v1/jwt_templates?paginated=true")["total_count"] == 1  # JWTTemplate items, not Invitations
