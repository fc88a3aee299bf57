"""Organization domains at engine level: creation rules, verification fields, ownership verification,
filters of the organization and instance lists."""

from __future__ import annotations

from .helpers import T0
from .orgs_helpers import Api, ids


def _domain(api: Api, org_id: str, name: str, mode: str = "automatic_invitation", **body: object) -> dict:
    return api("POST", f"/v1/organizations/{org_id}/domains", {"name": name, "enrollment_mode": mode, **body})


def test_create_domain_shape_and_verification() -> None:
    api = Api()
    org = api.org("Acme")
    dom = _domain(api, org["id"], "Acme.COM")
    assert dom["id"].startswith("orgdmn_") and dom["object"] == "organization_domain"
    assert (dom["name"], dom["organization_id"], dom["enrollment_mode"]) == ("acme.com", org["id"],
                                                                             "automatic_invitation")
    assert dom["affiliation_verification"]["status"] == "verified" == dom["verification"]["status"]
    assert dom["ownership_verification"] is None and dom["affiliation_email_address"] is None
    assert dom["public_organization_data"]["slug"] == "acme"
    unverified = _domain(api, org["id"], "acme.dev", "manual_invitation", verified=False)
    assert unverified["affiliation_verification"]["status"] == "unverified"
    api.invite(org["id"], "new@acme.com")
    api.invite(org["id"], "new@elsewhere.com")
    assert api("GET", f"/v1/organizations/{org['id']}/domains?verified=true")["data"][0][
        "total_pending_invitations"] == 1


def test_create_domain_refusals() -> None:
    api = Api()
    org, other = api.org("Acme"), api.org("Other")
    _domain(api, org["id"], "acme.com")
    url = f"/v1/organizations/{other['id']}/domains"
    api.error("POST", url, {"name": "ACME.com", "enrollment_mode": "manual_invitation"}, status=422,
              code="organization_domain_already_exists")
    api.error("POST", url, {"name": "gmail.com", "enrollment_mode": "manual_invitation"}, status=422,
              code="organization_domain_common")
    for bad in ("not a domain", "localhost", "-x.com", "a..com"):
        api.error("POST", url, {"name": bad, "enrollment_mode": "manual_invitation"}, status=422,
                  code="form_param_format_invalid")
    api.error("POST", url, {"enrollment_mode": "manual_invitation"}, status=422, code="form_param_missing")
    api.error("POST", url, {"name": "other.com"}, status=422, code="form_param_missing")
    api.error("POST", url, {"name": "other.com", "enrollment_mode": "magic"}, status=422,
              code="form_param_value_invalid")
    api.error("POST", url, {"name": "other.com", "enrollment_mode": "manual_invitation", "x": 1}, status=422,
              code="form_param_unknown")
    api.error("POST", "/v1/organizations/org_nope/domains", {"name": "z.com", "enrollment_mode": "manual_invitation"},
              status=404)
    for i in range(10):
        _domain(api, other["id"], f"d{i}.example.com")
    api.error("POST", url, {"name": "d10.example.com", "enrollment_mode": "manual_invitation"}, status=403,
              code="organization_domain_quota_exceeded")


def test_update_verify_and_delete() -> None:
    api = Api()
    org = api.org("Acme")
    dom = _domain(api, org["id"], "acme.com", verified=False)
    url = f"/v1/organizations/{org['id']}/domains/{dom['id']}"
    api.tick()
    got = api("PATCH", url, {"enrollment_mode": "automatic_suggestion", "verified": True})
    assert (got["enrollment_mode"], got["affiliation_verification"]["status"], got["updated_at"]) == (
        "automatic_suggestion", "verified", T0 + 1000)
    api.error("PATCH", url, {"enrollment_mode": "nope"}, status=422, code="form_param_value_invalid")
    api.tick()
    got = api("POST", f"{url}/verify_ownership")
    own = got["ownership_verification"]
    assert (own["status"], own["strategy"], own["verified_at"]) == ("verified", "manual_override", T0 + 2000)
    api.tick()
    assert api("POST", f"{url}/verify_ownership")["ownership_verification"]["verified_at"] == T0 + 2000
    other = api.org("Other")
    api("PATCH", f"/v1/organizations/{other['id']}/domains/{dom['id']}", {"verified": True}, status=404)
    assert api("DELETE", url) == {"object": "organization_domain", "id": dom["id"], "deleted": True}
    api("DELETE", url, status=404, code="resource_not_found")
    api("POST", f"{url}/verify_ownership", status=404)


def test_domain_lists_and_filters() -> None:
    api = Api()
    org, other = api.org("Acme"), api.org("Other")
    a = _domain(api, org["id"], "acme.com", "automatic_invitation")
    api.tick()
    b = _domain(api, org["id"], "acme.io", "manual_invitation", verified=False)
    api.tick()
    c = _domain(api, other["id"], "other.org", "enterprise_sso")
    base = f"/v1/organizations/{org['id']}/domains"
    assert ids(api("GET", base)) == [b["id"], a["id"]]
    assert ids(api("GET", f"{base}?verified=false")) == [b["id"]]
    assert ids(api("GET", f"{base}?enrollment_mode=manual_invitation")) == [b["id"]]
    assert ids(api("GET", f"{base}?enrollment_mode=-manual_invitation")) == [a["id"]]
    assert ids(api("GET", f"{base}?limit=1&offset=1")) == [a["id"]]
    api.error("GET", f"{base}?verified=maybe", status=400, code="invalid_query_parameter_value")
    api.error("GET", f"{base}?enrollment_mode=nope", status=400, code="invalid_query_parameter_value")
    everything = "/v1/organization_domains"
    assert ids(api("GET", everything)) == [c["id"], b["id"], a["id"]]
    assert ids(api("GET", f"{everything}?order_by=name")) == [a["id"], b["id"], c["id"]]
    assert ids(api("GET", f"{everything}?organization_id={other['id']}")) == [c["id"]]
    assert ids(api("GET", f"{everything}?query={org['id']}")) == [b["id"], a["id"]]
    assert ids(api("GET", f"{everything}?query=ACME.I")) == [b["id"]]
    assert ids(api("GET", f"{everything}?domains=acme.com&domains=other.org")) == [c["id"], a["id"]]
    assert ids(api("GET", f"{everything}?verified=true&enrollment_mode=-enterprise_sso")) == [a["id"]]
    assert ids(api("GET", f"{everything}?enrollment_mode=enterprise_sso&enrollment_mode=manual_invitation")) == []
    api.error("GET", f"{everything}?query=%20", status=422, code="form_param_value_invalid")
    api.error("GET", f"{everything}?verified=maybe", status=400, code="invalid_query_parameter_value")
