"""Instance domains and proxy checks at engine level: the primary domain from the start, satellites added,
updated and deleted, name and proxy rules per environment, the production domain change."""

from __future__ import annotations

from clerkmock.engine.records.instance import PRIMARY_DOMAIN_ID

from .orgs_helpers import Api


def test_primary_domain_exists_from_the_start() -> None:
    api = Api()
    page = api("GET", "/v1/domains")
    assert page["total_count"] == 1
    (primary,) = page["data"]
    host = api.state.instance.frontend_host
    assert primary["id"] == PRIMARY_DOMAIN_ID and primary["name"] == host and primary["is_satellite"] is False
    assert primary["frontend_api_url"] == f"https://{host}"
    assert primary["accounts_portal_url"] == "https://clerkmock.accounts.dev"
    assert primary["proxy_url"] is None and primary["cname_targets"] is None
    err = api.error("DELETE", f"/v1/domains/{PRIMARY_DOMAIN_ID}", status=403,
                    code="operation_not_allowed_on_primary_domain")
    assert "primary" in err["long_message"]
    assert api("GET", "/v1/domains")["total_count"] == 1


def test_satellites_add_update_delete() -> None:
    api = Api()
    sat = api("POST", "/v1/domains", {"name": "Satellite.Example.com", "is_satellite": True})
    assert sat["id"].startswith("dmn_") and sat["name"] == "satellite.example.com" and sat["is_satellite"] is True
    assert sat["frontend_api_url"] == "https://clerk.satellite.example.com" and sat["accounts_portal_url"] is None
    dev = api("POST", "/v1/domains", {"name": "localhost:3001", "is_satellite": True})
    assert dev["name"] == "localhost:3001"
    api("POST", "/v1/domains", {"name": "satellite.example.com", "is_satellite": True}, status=422,
        code="form_identifier_exists")
    for bad in ("https://x.com", "not a domain", "-x.com", "x..com"):
        api("POST", "/v1/domains", {"name": bad, "is_satellite": True}, status=422, code="form_param_format_invalid")
    api("POST", "/v1/domains", {"name": "x.com", "is_satellite": False}, status=422, code="form_param_value_invalid")
    api("POST", "/v1/domains", {"name": "x.com"}, status=422, code="form_param_missing")
    # proxies are for production instances
    api("POST", "/v1/domains",
        {"name": "p.example.com", "is_satellite": True, "proxy_url": "https://p.example.com/__clerk"},
        status=400, code="request_invalid_for_environment")
    assert [d["id"] for d in api("GET", "/v1/domains")["data"]] == [PRIMARY_DOMAIN_ID, sat["id"], dev["id"]]

    renamed = api("PATCH", f"/v1/domains/{sat['id']}", {"name": "sat2.example.com", "is_secondary": True})
    assert renamed["name"] == "sat2.example.com"
    assert api("PATCH", f"/v1/domains/{sat['id']}", {"name": None}) == renamed
    api("PATCH", f"/v1/domains/{sat['id']}", {"name": "localhost:3001"}, status=422, code="form_identifier_exists")
    api("PATCH", f"/v1/domains/{sat['id']}", {"proxy_url": "https://x.example.com/__clerk"}, status=400,
        code="request_invalid_for_environment")
    api("PATCH", "/v1/domains/dmn_missing", {"name": "z.example.com"}, status=404, code="resource_not_found")
    primary = api("PATCH", f"/v1/domains/{PRIMARY_DOMAIN_ID}", {"name": "app.example.com"})
    assert primary["name"] == "app.example.com" and primary["is_satellite"] is False
    assert primary["frontend_api_url"] == f"https://{api.state.instance.frontend_host}"

    assert api("DELETE", f"/v1/domains/{sat['id']}") == {"object": "domain", "id": sat["id"], "deleted": True}
    api("DELETE", f"/v1/domains/{sat['id']}", status=404, code="resource_not_found")
    assert api("GET", "/v1/domains")["total_count"] == 2


def test_production_proxy_and_domain_change() -> None:
    api = Api()
    api("POST", "/v1/instance/change_domain", {"home_url": "https://www.example.com"}, status=400,
        code="request_invalid_for_environment")
    api.state.instance.environment = "production"
    api("POST", "/v1/domains", {"name": "localhost:3000", "is_satellite": True}, status=422,
        code="form_param_format_invalid")
    sat = api("POST", "/v1/domains", {"name": "sat.example.org", "is_satellite": True,
                                      "proxy_url": "https://sat.example.org/__clerk"})
    assert sat["proxy_url"] == "https://sat.example.org/__clerk"
    assert sat["cname_targets"][0]["host"] == "clerk.sat.example.org"
    api("PATCH", f"/v1/domains/{sat['id']}", {"proxy_url": "http://insecure.example.org"}, status=422,
        code="form_param_format_invalid")
    assert api("PATCH", f"/v1/domains/{sat['id']}", {"proxy_url": None})["proxy_url"] is None

    assert api("POST", "/v1/instance/change_domain", {"home_url": "https://www.example.com"}, status=202) is None
    primary = api("GET", "/v1/domains")["data"][0]
    assert primary["name"] == "example.com" and primary["frontend_api_url"] == "https://clerk.example.com"
    assert primary["accounts_portal_url"] == "https://accounts.example.com"
    api("PUT", "/v1/beta_features/domain", {"home_url": "https://app.example.net", "is_secondary": True}, status=202)
    assert api("GET", "/v1/domains")["data"][0]["name"] == "app.example.net"
    api("POST", "/v1/instance/change_domain", {}, status=422, code="form_param_missing")
    api("POST", "/v1/instance/change_domain", {"home_url": "example"}, status=422, code="form_param_format_invalid")
    api("POST", "/v1/instance/change_domain", {"home_url": "https://sat.example.org", "is_secondary": True},
        status=422, code="form_identifier_exists")


def test_proxy_checks() -> None:
    api = Api()
    check = api("POST", "/v1/proxy_checks",
                {"domain_id": PRIMARY_DOMAIN_ID, "proxy_url": "https://example.com/__clerk"})
    assert check["object"] == "proxy_check" and check["successful"] is True and check["domain_id"] == PRIMARY_DOMAIN_ID
    assert check["proxy_url"] == "https://example.com/__clerk" and check["last_run_at"] == check["created_at"]
    api("POST", "/v1/proxy_checks", {"proxy_url": "https://example.com/__clerk"}, status=422, code="form_param_missing")
    api("POST", "/v1/proxy_checks", {"domain_id": PRIMARY_DOMAIN_ID}, status=422, code="form_param_missing")
    api("POST", "/v1/proxy_checks", {"domain_id": "dmn_nope", "proxy_url": "https://e.com/__clerk"}, status=422,
        code="form_resource_not_found")
    api("POST", "/v1/proxy_checks", {"domain_id": PRIMARY_DOMAIN_ID, "proxy_url": "ftp://e.com"}, status=422,
        code="form_param_format_invalid")
