"""Enterprise connections and SAML connections at engine level: one store behind both APIs, domain uniqueness,
organization links, SAML/OIDC configuration, authenticatable, test runs, list filters."""

from __future__ import annotations

from typing import Any

from .helpers import T0
from .orgs_helpers import Api, ids

CERT = "MIIC-cert"


def _ec(api: Api, name: str = "Acme SSO", domains: list[str] | None = None, status: int = 201,
        **body: Any) -> dict:
    return api("POST", "/v1/enterprise_connections",
               {"name": name, "provider": "saml_custom", "domains": domains or ["acme.com"], **body}, status=status)


def test_create_saml_enterprise_connection_and_read_it_both_ways() -> None:
    api = Api()
    c = _ec(api, domains=["Acme.com", "acme.io"], saml={"idp_entity_id": "https://idp/e", "idp_sso_url": "https://idp/s",
                                                         "idp_certificate": CERT})
    assert c["object"] == "enterprise_connection" and c["id"].startswith("entc_")
    assert (c["name"], c["provider"], c["domains"], c["active"]) == ("Acme SSO", "saml_custom",
                                                                      ["acme.com", "acme.io"], False)
    assert c["authenticatable"] is False and c["oauth_config"] is None and c["created_at"] == T0
    saml = c["saml_connection"]
    assert saml["id"].startswith("samlc_") and saml["acs_url"].endswith(f"/v1/saml/acs/{saml['id']}")
    assert api("GET", f"/v1/enterprise_connections/{c['id']}") == c
    s = api("GET", f"/v1/saml_connections/{saml['id']}")
    assert s["object"] == "saml_connection" and s["enterprise_connection_id"] == c["id"]
    assert (s["domain"], s["domains"], s["idp_certificate"]) == ("acme.com", ["acme.com", "acme.io"], CERT)
    # activating a configured connection makes it authenticatable
    on = api("PATCH", f"/v1/enterprise_connections/{c['id']}", {"active": True})
    assert on["active"] is True and on["authenticatable"] is True
    assert api("GET", f"/v1/saml_connections/{saml['id']}")["authenticatable"] is True


def test_oidc_connection_hides_the_secret() -> None:
    api = Api()
    c = _ec(api, provider="oidc_custom", active=True,
            oidc={"client_id": "cid", "client_secret": "shh", "discovery_url": "https://idp/.well-known"})
    assert c["saml_connection"] is None and c["authenticatable"] is True
    oauth = c["oauth_config"]
    assert (oauth["client_id"], oauth["provider_key"], oauth["requires_pkce"]) == ("cid", "oidc_custom", False)
    assert "shh" not in str(c)
    assert api("GET", "/v1/saml_connections")["total_count"] == 0
    up = api("PATCH", f"/v1/enterprise_connections/{c['id']}", {"oidc": {"requires_pkce": True}})
    assert up["oauth_config"]["requires_pkce"] is True and up["oauth_config"]["client_id"] == "cid"


def test_domains_are_unique_across_connections() -> None:
    api = Api()
    a = _ec(api, domains=["acme.com"])
    _ec(api, "Other", ["ACME.com"], status=422)
    assert api.error("POST", "/v1/enterprise_connections",
                     {"name": "x", "provider": "saml_okta", "domains": ["acme.com"]},
                     status=422, code="form_identifier_exists")["meta"]["param_name"] == "domains"
    api("POST", "/v1/saml_connections", {"name": "x", "provider": "saml_okta", "domain": "acme.com"},
        status=422, code="form_identifier_exists")
    _ec(api, "Dup", ["b.com", "B.com"], status=422)
    _ec(api, "Bad", ["not a domain"], status=422)
    api("POST", "/v1/enterprise_connections", {"name": "x", "provider": "saml_okta", "domains": []}, status=422,
        code="form_param_value_invalid")  # the spec's minItems
    assert api("GET", "/v1/enterprise_connections")["total_count"] == 1  # refused requests wrote nothing
    # a connection may keep its own domains; freed domains can be taken
    api("PATCH", f"/v1/enterprise_connections/{a['id']}", {"domains": ["acme.com", "acme.org"]})
    api("PATCH", f"/v1/enterprise_connections/{a['id']}", {"domains": ["acme.org"]})
    b = _ec(api, "B", ["acme.com"])
    api("PATCH", f"/v1/enterprise_connections/{b['id']}", {"domains": ["acme.org"]}, status=422,
        code="form_identifier_exists")
    api("DELETE", f"/v1/enterprise_connections/{a['id']}")
    api("PATCH", f"/v1/enterprise_connections/{b['id']}", {"domains": ["acme.org"]})


def test_organization_must_exist() -> None:
    api = Api()
    org = api.org("Acme", slug="acme")
    _ec(api, organization_id="org_missing", status=422)
    api("POST", "/v1/enterprise_connections",
        {"name": "x", "provider": "saml_custom", "domains": ["a.com"], "organization_id": "org_nope"},
        status=422, code="form_resource_not_found")
    c = _ec(api, organization_id="acme")  # a slug names the organization too; stored as its id
    assert c["organization_id"] == org["id"]
    other = _ec(api, "Other", ["b.com"])
    page = api("GET", f"/v1/enterprise_connections?organization_id={org['id']}")
    assert ids(page) == [c["id"]]
    assert ids(api("GET", f"/v1/saml_connections?organization_id=-{org['id']}")) == [other["saml_connection"]["id"]]
    cleared = api("PATCH", f"/v1/enterprise_connections/{c['id']}", {"organization_id": None})
    assert cleared["organization_id"] is None


def test_saml_api_is_the_same_store() -> None:
    api = Api()
    s = api("POST", "/v1/saml_connections", {"name": "Okta", "provider": "saml_okta", "domain": "okta-co.com",
                                             "idp_metadata_url": "https://idp/meta",
                                             "attribute_mapping": {"email_address": "mail"}})
    assert s["object"] == "saml_connection" and s["id"].startswith("samlc_")
    assert s["attribute_mapping"]["email_address"] == "mail" and s["active"] is False
    ec = api("GET", f"/v1/enterprise_connections/{s['enterprise_connection_id']}")
    assert ec["saml_connection"]["id"] == s["id"] and ec["domains"] == ["okta-co.com"]
    up = api("PATCH", f"/v1/saml_connections/{s['id']}", {"name": "Okta 2", "active": True, "force_authn": True,
                                                         "login_hint": {"mode": "off"}})
    assert (up["name"], up["active"], up["force_authn"], up["login_hint"]) == ("Okta 2", True, True, {"mode": "off"})
    assert up["authenticatable"] is True
    api("PATCH", f"/v1/saml_connections/{s['id']}", {"login_hint": {"mode": "custom_attribute"}}, status=422,
        code="form_conditional_param_missing")
    api("POST", "/v1/saml_connections", {"name": "No domain", "provider": "saml_okta"}, status=422,
        code="form_param_missing")
    assert api("DELETE", f"/v1/saml_connections/{s['id']}") == {"object": "saml_connection", "id": s["id"],
                                                               "deleted": True}
    api("GET", f"/v1/enterprise_connections/{ec['id']}", status=404, code="resource_not_found")
    api("GET", f"/v1/saml_connections/{s['id']}", status=404, code="resource_not_found")
    api("DELETE", f"/v1/enterprise_connections/{ec['id']}", status=404, code="resource_not_found")
    # the enterprise id is not a SAML connection id
    c = _ec(api)
    api("GET", f"/v1/saml_connections/{c['id']}", status=404)


def test_lists_filter_and_sort() -> None:
    api = Api()
    a = _ec(api, "Alpha", ["a.com"], active=True)
    api.tick()
    b = _ec(api, "Beta", ["b.com"])
    assert ids(api("GET", "/v1/enterprise_connections")) == [b["id"], a["id"]]
    assert ids(api("GET", "/v1/enterprise_connections?active=true")) == [a["id"]]
    assert ids(api("GET", "/v1/enterprise_connections?limit=1&offset=1")) == [a["id"]]
    sa, sb = a["saml_connection"]["id"], b["saml_connection"]["id"]
    assert ids(api("GET", "/v1/saml_connections?order_by=name")) == [sa, sb]
    assert ids(api("GET", "/v1/saml_connections?query=b.co")) == [sb]
    assert api("GET", "/v1/saml_connections?limit=1")["total_count"] == 2


def test_test_runs() -> None:
    api = Api()
    c = _ec(api)
    assert api("GET", f"/v1/enterprise_connections/{c['id']}/test_runs")["total_count"] == 0
    out = api("POST", f"/v1/enterprise_connections/{c['id']}/test_runs")
    assert out["url"].startswith("https://") and c["id"] in out["url"]
    runs = api("GET", f"/v1/enterprise_connections/{c['id']}/test_runs")
    assert runs["total_count"] == 1
    run = runs["data"][0]
    assert (run["status"], run["connection_type"], run["created_at"]) == ("pending", "saml", T0)
    assert api("GET", f"/v1/enterprise_connections/{c['id']}/test_runs?status=success")["total_count"] == 0
    assert api("GET", f"/v1/enterprise_connections/{c['id']}/test_runs?status=pending")["total_count"] == 1
    api("POST", "/v1/enterprise_connections/entc_missing/test_runs", status=404, code="resource_not_found")
    api("GET", "/v1/enterprise_connections/entc_missing/test_runs", status=404, code="resource_not_found")


def test_custom_attributes_round_trip() -> None:
    api = Api()
    attrs = [{"name": "Department", "key": "department", "sso_path": "dept"}]
    c = _ec(api, custom_attributes=attrs)
    assert c["custom_attributes"] == attrs
    up = api("PATCH", f"/v1/enterprise_connections/{c['id']}", {"custom_attributes": []})
    assert up["custom_attributes"] == [] and up["updated_at"] == T0
