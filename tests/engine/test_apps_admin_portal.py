"""Admin portal link tokens at engine level: creation (201, the token shown once), the link per organization,
expiration, revocation.  Every response is checked against the vendored spec."""

from __future__ import annotations

import re

from .helpers import T0
from .orgs_helpers import Api


def test_create_shape() -> None:
    api = Api()
    t = api("POST", "/v1/admin_portal_link_tokens", {}, status=201)
    assert re.fullmatch(r"aplt_[0-9a-f]{32}", t["id"]) and t["token"].startswith("aplt_") and t["token"] != t["id"]
    assert t["object"] == "admin_portal_link_token" and t["instance_id"] == api.state.instance.id
    assert (t["organization_id"], t["it_contact_id"], t["scopes"]) == (None, None, None)
    assert (t["revoked"], t["revocation_reason"], t["expired"]) == (False, None, False)
    assert t["expiration"] == T0 + 3_600_000 and t["created_at"] == t["updated_at"] == T0
    again = api("POST", "/v1/admin_portal_link_tokens", {"seconds_until_expiration": 60}, status=201)
    assert again["admin_portal_link_id"] == t["admin_portal_link_id"] and again["expiration"] == T0 + 60_000


def test_organization_link_and_validation() -> None:
    api = Api()
    org = api.org()
    t = api("POST", "/v1/admin_portal_link_tokens", {"organization_id": org["id"], "it_contact_id": "usr_1",
                                                     "scopes": ["admin_portal:read"]}, status=201)
    assert (t["organization_id"], t["it_contact_id"], t["scopes"]) == (org["id"], "usr_1", ["admin_portal:read"])
    plain = api("POST", "/v1/admin_portal_link_tokens", {}, status=201)
    assert plain["admin_portal_link_id"] != t["admin_portal_link_id"]
    missing = "org_" + "0" * 27
    api("POST", "/v1/admin_portal_link_tokens", {"organization_id": missing}, status=400, code="resource_not_found")
    api("POST", "/v1/admin_portal_link_tokens", {"seconds_until_expiration": 86401}, status=422)
    api("POST", "/v1/admin_portal_link_tokens", {"nope": 1}, status=422, code="form_param_unknown")
    assert len(api.state.apps.admin_portal_link_tokens) == 2


def test_revoke_and_expiry() -> None:
    api = Api()
    t = api("POST", "/v1/admin_portal_link_tokens", {"seconds_until_expiration": 1}, status=201)
    api.tick(2000)
    r = api("POST", f"/v1/admin_portal_link_tokens/{t['id']}/revoke", {"revocation_reason": "left the company"})
    assert "token" not in r and r["revoked"] is True and r["revocation_reason"] == "left the company"
    assert r["expired"] is True and r["updated_at"] == T0 + 2000
    api("POST", f"/v1/admin_portal_link_tokens/{t['id']}/revoke", {}, status=400,
        code="admin_portal_link_token_already_revoked")
    api("POST", f"/v1/admin_portal_link_tokens/aplt_{'0' * 32}/revoke", {}, status=404, code="resource_not_found")
