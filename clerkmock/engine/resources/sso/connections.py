"""Enterprise Connections: ListEnterpriseConnections, CreateEnterpriseConnection, GetEnterpriseConnection,
UpdateEnterpriseConnection, DeleteEnterpriseConnection, ListEnterpriseConnectionTestRuns,
CreateEnterpriseConnectionTestRun.  SAML Connections (deprecated, served): ListSAMLConnections,
CreateSAMLConnection, GetSAMLConnection, UpdateSAMLConnection, DeleteSAMLConnection.

- One store: a SAML connection is the SAML configuration (``samlc_`` id) of an enterprise connection of a
  ``saml_*`` provider; the SAML shape names it in ``enterprise_connection_id`` and the enterprise shape nests it
  as ``saml_connection``.  Creating or deleting either creates or deletes both; ``/saml_connections`` lists only
  SAML-type connections.
- ``domains`` are lower-cased valid domain names, unique across connections: a domain another connection holds
  is a 422 ``form_identifier_exists`` on ``domains`` (the same domain twice in one request:
  ``form_param_duplicate``).  At least one domain is required.  The deprecated SAML ``domain`` is the first
  domain.
- ``organization_id`` must name an existing organization (id or slug; stored as the id): else 422
  ``form_resource_not_found``.  ``null`` on update unlinks.
- New connections are inactive unless ``active: true``; ``authenticatable`` is true when the connection is
  active and configured (SAML: metadata URL/XML, or entity id + SSO URL + certificate; OIDC: client id and a
  discovery URL or auth + token URLs).  ``client_secret`` is never shown.
- The Service Provider URLs derive from the instance's Frontend API host and the ``samlc_`` id.
- A test run starts ``pending`` (no IdP takes part here) and answers ``{url}``, the Frontend API URL that starts
  the SSO flow; listing filters ``status`` and sorts newest first.
- Lists are ``{data, total_count}``, newest first; enterprise ``organization_id`` / ``active`` filter; SAML
  ``query`` matches name or domain, ``organization_id`` takes ``±id`` values, ``order_by`` is ``±created_at``
  or ``±name``.
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import (
    limit_offset,
    paginated,
    parse_order_by,
    sort_records,
    split_signed,
)
from clerkmock.engine.records.sso import (
    EnterpriseConnection,
    OidcConfig,
    SamlConfig,
    TestRun,
)
from clerkmock.engine.resources.orgs.common import contains
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("enterprise_connections")
SAML_ROUTES = RouteSet("saml_connections")

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SAML_FIELDS = ("idp_entity_id", "idp_sso_url", "idp_certificate", "idp_metadata_url", "idp_metadata")
OIDC_FIELDS = ("client_id", "client_secret", "discovery_url", "auth_url", "token_url", "user_info_url")
DEFAULT_MAPPING = {"user_id": "", "email_address": "", "first_name": "", "last_name": ""}
FLAGS = ("active", "sync_user_attributes", "disable_additional_identifications", "allow_organization_account_linking")

# -- serializers --------------------------------------------------------------------------------------------------


def _sp_urls(st: State, saml: SamlConfig) -> dict[str, str]:
    fapi = f"https://{st.instance.frontend_host}"
    return {
        "acs_url": f"{fapi}/v1/saml/acs/{saml.id}",
        "sp_entity_id": f"{fapi}/saml/{saml.id}",
        "sp_metadata_url": f"{fapi}/v1/saml/metadata/{saml.id}",
    }


def _org_id(st: State, c: EnterpriseConnection) -> str | None:
    return c.organization_id if c.organization_id in st.orgs.orgs else None


def authenticatable(c: EnterpriseConnection) -> bool:
    if not c.active:
        return False
    if c.saml is not None:
        s = c.saml
        return bool(s.idp_metadata_url or s.idp_metadata or (s.idp_entity_id and s.idp_sso_url and s.idp_certificate))
    if c.oidc is not None:
        o = c.oidc
        return bool(o.client_id and (o.discovery_url or (o.auth_url and o.token_url)))
    return False


def _login_hint(s: SamlConfig) -> dict[str, Any]:
    return dict(s.login_hint)


def connection_json(st: State, c: EnterpriseConnection) -> dict[str, Any]:
    saml = oauth = None
    if c.saml is not None:
        s = c.saml
        saml = {
            "id": s.id, "name": c.name, "idp_entity_id": s.idp_entity_id, "idp_sso_url": s.idp_sso_url,
            "idp_metadata_url": s.idp_metadata_url, **_sp_urls(st, s), "active": c.active,
            "allow_idp_initiated": s.allow_idp_initiated, "allow_subdomains": s.allow_subdomains,
            "force_authn": s.force_authn, "login_hint": _login_hint(s),
        }
    if c.oidc is not None:
        o = c.oidc
        oauth = {
            "id": o.id, "name": c.name, "provider_key": c.provider, "client_id": o.client_id,
            "discovery_url": o.discovery_url, "auth_url": o.auth_url, "token_url": o.token_url,
            "user_info_url": o.user_info_url, "requires_pkce": o.requires_pkce, "logo_public_url": None,
            "created_at": o.created_at, "updated_at": o.updated_at,
        }
    return {
        "object": "enterprise_connection",
        "id": c.id,
        "name": c.name,
        "provider": c.provider,
        "logo_public_url": None,
        "active": c.active,
        "domains": list(c.domains),
        "organization_id": _org_id(st, c),
        "sync_user_attributes": c.sync_user_attributes,
        "disable_additional_identifications": c.disable_additional_identifications,
        "allow_organization_account_linking": c.allow_organization_account_linking,
        "authenticatable": authenticatable(c),
        "disable_jit_provisioning": False,
        "custom_attributes": [dict(a) for a in c.custom_attributes],
        "saml_connection": saml,
        "oauth_config": oauth,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def saml_connection_json(st: State, c: EnterpriseConnection) -> dict[str, Any]:
    s = c.saml
    assert s is not None
    return {
        "object": "saml_connection",
        "id": s.id,
        "name": c.name,
        "domain": c.domains[0] if c.domains else "",
        "domains": list(c.domains),
        "idp_entity_id": s.idp_entity_id,
        "idp_sso_url": s.idp_sso_url,
        "idp_certificate": s.idp_certificate,
        "idp_certificate_issued_at": None,
        "idp_certificate_expires_at": None,
        "idp_metadata_url": s.idp_metadata_url,
        "idp_metadata": s.idp_metadata,
        **_sp_urls(st, s),
        "organization_id": _org_id(st, c),
        "attribute_mapping": {**DEFAULT_MAPPING, **s.attribute_mapping},
        "active": c.active,
        "provider": c.provider,
        "user_count": 0,
        "sync_user_attributes": c.sync_user_attributes,
        "allow_subdomains": s.allow_subdomains,
        "allow_idp_initiated": s.allow_idp_initiated,
        "disable_additional_identifications": c.disable_additional_identifications,
        "allow_organization_account_linking": c.allow_organization_account_linking,
        "authenticatable": authenticatable(c),
        "force_authn": s.force_authn,
        "login_hint": _login_hint(s),
        "disable_jit_provisioning": False,
        "enterprise_connection_id": c.id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def test_run_json(r: TestRun) -> dict[str, Any]:
    return {
        "id": r.id, "status": r.status, "connection_type": r.connection_type, "parsed_user_info": None,
        "logs": [], "saml": None, "oauth": None, "created_at": r.created_at,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def require_connection(st: State, connection_id: str) -> EnterpriseConnection:
    c = st.sso.connections.get(connection_id)
    if c is None:
        raise errors.resource_not_found(f"No enterprise connection was found with id {connection_id}")
    return c


def require_saml(st: State, saml_id: str) -> EnterpriseConnection:
    cid = st.sso.saml_index.get(saml_id)
    if cid is None:
        raise errors.resource_not_found(f"No SAML connection was found with id {saml_id}")
    return st.sso.connections[cid]


def check_domains(st: State, values: list[Any], own_id: str | None = None) -> list[str]:
    if not values:
        raise errors.form_param_missing("domains")
    out: list[str] = []
    for value in values:
        name = str(value).strip().lower().rstrip(".")
        if not DOMAIN_RE.match(name):
            raise errors.form_param_format_invalid("domains", "domains must be valid domain names, like example.com.")
        if name in out:
            raise errors.form_param_duplicate("domains")
        holder = st.sso.domain_index.get(name)
        if holder is not None and holder != own_id:
            raise errors.form_identifier_exists("domains", "domain")
        out.append(name)
    return out


def check_organization(st: State, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    org = st.orgs.find_org(value)
    if org is None:
        raise errors.form_resource_not_found("organization_id")
    return org.id


def check_name(value: Any, param: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_missing(param)
    return value.strip()


def _apply_saml(s: SamlConfig, body: dict[str, Any]) -> None:
    for key in SAML_FIELDS:
        if key in body:
            setattr(s, key, body[key] or None)
    if "attribute_mapping" in body:
        s.attribute_mapping = {k: v for k, v in (body["attribute_mapping"] or {}).items() if v is not None}
    for key in ("allow_subdomains", "allow_idp_initiated", "force_authn"):
        if body.get(key) is not None:
            setattr(s, key, bool(body[key]))
    if body.get("login_hint") is not None:
        s.login_hint = dict(body["login_hint"])


def _check_login_hint(body: dict[str, Any]) -> None:
    hint = body.get("login_hint")
    if hint and hint.get("mode") == "custom_attribute" and not hint.get("source"):
        raise errors.form_conditional_param_missing("login_hint.source", "login_hint.mode custom_attribute")


def _apply_oidc(o: OidcConfig, body: dict[str, Any], now: int) -> None:
    for key in OIDC_FIELDS:
        if key in body:
            setattr(o, key, body[key] or None)
    if body.get("requires_pkce") is not None:
        o.requires_pkce = bool(body["requires_pkce"])
    o.updated_at = now


def _index(st: State, c: EnterpriseConnection, old_domains: list[str] | None = None) -> None:
    for d in old_domains or []:
        if st.sso.domain_index.get(d) == c.id:
            del st.sso.domain_index[d]
    for d in c.domains:
        st.sso.domain_index[d] = c.id


def create_connection(ctx: Ctx, body: dict[str, Any], saml_body: dict[str, Any] | None,
                      oidc_body: dict[str, Any] | None, domains: list[Any]) -> EnterpriseConnection:
    """Validate everything, then write: the shared create of both APIs."""
    st, now = ctx.state, ctx.now
    name = check_name(body.get("name"))
    provider = body["provider"]
    checked = check_domains(st, domains)
    org_id = check_organization(st, body.get("organization_id"))
    if saml_body:
        _check_login_hint(saml_body)
    c = EnterpriseConnection(st.ids.new("entc"), name, provider, checked, now, now, organization_id=org_id)
    for key in FLAGS:
        if body.get(key) is not None:
            setattr(c, key, bool(body[key]))
    c.custom_attributes = [dict(a) for a in body.get("custom_attributes") or []]
    if provider.startswith("saml_"):
        c.saml = SamlConfig(st.ids.new("samlc"))
        _apply_saml(c.saml, saml_body or {})
        st.sso.saml_index[c.saml.id] = c.id
    else:
        c.oidc = OidcConfig(st.ids.new("oac"), now, now)
        _apply_oidc(c.oidc, oidc_body or {}, now)
    st.sso.connections[c.id] = c
    _index(st, c)
    return c


def update_connection(ctx: Ctx, c: EnterpriseConnection, body: dict[str, Any], saml_body: dict[str, Any] | None,
                      oidc_body: dict[str, Any] | None, domains: list[Any] | None) -> None:
    st, now = ctx.state, ctx.now
    name = check_name(body["name"]) if body.get("name") is not None else c.name
    checked = check_domains(st, domains, c.id) if domains is not None else c.domains
    org_id = check_organization(st, body["organization_id"]) if "organization_id" in body else c.organization_id
    if saml_body:
        _check_login_hint(saml_body)
    old = c.domains
    c.name, c.domains, c.organization_id = name, checked, org_id
    for key in FLAGS:
        if body.get(key) is not None:
            setattr(c, key, bool(body[key]))
    if body.get("custom_attributes") is not None:
        c.custom_attributes = [dict(a) for a in body["custom_attributes"]]
    if c.saml is not None and saml_body:
        _apply_saml(c.saml, saml_body)
    if c.oidc is not None and oidc_body:
        _apply_oidc(c.oidc, oidc_body, now)
    c.updated_at = now
    _index(st, c, old)


def delete_connection(st: State, c: EnterpriseConnection) -> None:
    del st.sso.connections[c.id]
    for d in c.domains:
        st.sso.domain_index.pop(d, None)
    if c.saml is not None:
        st.sso.saml_index.pop(c.saml.id, None)
    for rid in [r.id for r in st.sso.test_runs.values() if r.connection_id == c.id]:
        del st.sso.test_runs[rid]


def _newest_first(items: list[EnterpriseConnection]) -> list[EnterpriseConnection]:
    return sort_records(items, lambda c: c.created_at, True, tiebreak=lambda c: c.id)


# -- handlers: enterprise connections ------------------------------------------------------------------------------


@ROUTES.op("ListEnterpriseConnections", "list")
def list_enterprise_connections(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    limit, offset = limit_offset(q)
    conns = list(st.sso.connections.values())
    if q.get("organization_id"):
        org = st.orgs.find_org(q["organization_id"])
        conns = [c for c in conns if org is not None and c.organization_id == org.id]
    if q.get("active") is not None:
        conns = [c for c in conns if c.active == q["active"]]
    conns = _newest_first(conns)
    return paginated([connection_json(st, c) for c in conns[offset: offset + limit]], len(conns))


@ROUTES.op("CreateEnterpriseConnection", "create")
def create_enterprise_connection(ctx: Ctx) -> Reply:
    b = ctx.body
    c = create_connection(ctx, b, b.get("saml"), b.get("oidc"), b.get("domains") or [])
    return Reply(201, connection_json(ctx.state, c))


@ROUTES.op("GetEnterpriseConnection", "get")
def get_enterprise_connection(ctx: Ctx) -> Json:
    return connection_json(ctx.state, require_connection(ctx.state, ctx.path["enterprise_connection_id"]))


@ROUTES.op("UpdateEnterpriseConnection", "update")
def update_enterprise_connection(ctx: Ctx) -> Json:
    st, b = ctx.state, ctx.body
    c = require_connection(st, ctx.path["enterprise_connection_id"])
    update_connection(ctx, c, b, b.get("saml"), b.get("oidc"), b.get("domains"))
    return connection_json(st, c)


@ROUTES.op("DeleteEnterpriseConnection", "delete")
def delete_enterprise_connection(ctx: Ctx) -> Json:
    c = require_connection(ctx.state, ctx.path["enterprise_connection_id"])
    delete_connection(ctx.state, c)
    return {"object": "enterprise_connection", "id": c.id, "deleted": True}


@ROUTES.op("ListEnterpriseConnectionTestRuns", "list_test_runs")
def list_enterprise_connection_test_runs(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    c = require_connection(st, ctx.path["enterprise_connection_id"])
    limit, offset = limit_offset(q)
    runs = [r for r in st.sso.test_runs.values() if r.connection_id == c.id]
    if q.get("status"):
        runs = [r for r in runs if r.status in q["status"]]
    runs = sort_records(runs, lambda r: r.created_at, True, tiebreak=lambda r: r.id)
    return paginated([test_run_json(r) for r in runs[offset: offset + limit]], len(runs))


@ROUTES.op("CreateEnterpriseConnectionTestRun", "create_test_run")
def create_enterprise_connection_test_run(ctx: Ctx) -> Json:
    st = ctx.state
    c = require_connection(st, ctx.path["enterprise_connection_id"])
    r = TestRun(st.ids.new("ectr"), c.id, "saml" if c.saml is not None else "oauth", ctx.now)
    st.sso.test_runs[r.id] = r
    return {"url": f"https://{st.instance.frontend_host}/v1/enterprise_connections/{c.id}/test_runs/{r.id}"}


# -- handlers: SAML connections -------------------------------------------------------------------------------------


def _saml_domains(body: dict[str, Any], current: list[str] | None) -> list[Any] | None:
    domains = body.get("domains")
    domain = body.get("domain")
    if domains is None and domain is None:
        return None if current is not None else []
    out = list(domains or [])
    if domain and str(domain).strip().lower() not in (str(d).strip().lower() for d in out):
        out.insert(0, domain)
    return out


SAML_ORDER_FIELDS = ["created_at", "name"]


@SAML_ROUTES.op("ListSAMLConnections", "list")
def list_saml_connections(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    limit, offset = limit_offset(q)
    conns = [c for c in st.sso.connections.values() if c.saml is not None]
    if q.get("organization_id"):
        include, exclude = split_signed(q["organization_id"])
        ids = {o.id for o in map(st.orgs.find_org, include) if o is not None}
        conns = [c for c in conns if (not include or c.organization_id in ids) and c.organization_id not in exclude]
    if q.get("query"):
        conns = [c for c in conns if contains(q["query"], c.name, *c.domains)]
    field, descending = parse_order_by(q.get("order_by"), SAML_ORDER_FIELDS)
    key: Any = (lambda c: c.name.lower()) if field == "name" else (lambda c: c.created_at)
    conns = sort_records(conns, key, descending, tiebreak=lambda c: c.id)
    return paginated([saml_connection_json(st, c) for c in conns[offset: offset + limit]], len(conns))


@SAML_ROUTES.op("CreateSAMLConnection", "create")
def create_saml_connection(ctx: Ctx) -> Json:
    b = ctx.body
    c = create_connection(ctx, b, b, None, _saml_domains(b, None) or [])
    return saml_connection_json(ctx.state, c)


@SAML_ROUTES.op("GetSAMLConnection", "get")
def get_saml_connection(ctx: Ctx) -> Json:
    return saml_connection_json(ctx.state, require_saml(ctx.state, ctx.path["saml_connection_id"]))


@SAML_ROUTES.op("UpdateSAMLConnection", "update")
def update_saml_connection(ctx: Ctx) -> Json:
    st, b = ctx.state, ctx.body
    c = require_saml(st, ctx.path["saml_connection_id"])
    update_connection(ctx, c, b, b, None, _saml_domains(b, c.domains))
    return saml_connection_json(st, c)


@SAML_ROUTES.op("DeleteSAMLConnection", "delete")
def delete_saml_connection(ctx: Ctx) -> Json:
    c = require_saml(ctx.state, ctx.path["saml_connection_id"])
    assert c.saml is not None
    delete_connection(ctx.state, c)
    return {"object": "saml_connection", "id": c.saml.id, "deleted": True}
