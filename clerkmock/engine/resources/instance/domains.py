"""Domains and Proxy Checks: ListDomains, AddDomain, UpdateDomain, DeleteDomain, VerifyDomainProxy; the domain
change of a production instance (ChangeProductionInstanceDomain, UpdateProductionInstanceDomain) is in
``settings.py`` and uses `change_primary_domain`.

- The primary domain exists from the start; until renamed its name is the instance's frontend host.  Only
  satellite domains can be added (``is_satellite: true``, the spec's only value) or deleted; deleting the
  primary is a 403 ``operation_not_allowed_on_primary_domain``.
- Names: a host name without a scheme; development instances also accept a port (``localhost:3000``).  A bad
  name is a 422 ``form_param_format_invalid``; a name already used by another domain a 422
  ``form_identifier_exists`` (inferred).
- ``proxy_url`` applies to production instances only: on a development instance a non-null one is a 400
  ``request_invalid_for_environment``; it must be an ``https://`` URL.
- A proxy check cannot reach anything from the emulator: a well-formed ``https://`` proxy URL for an existing
  domain is reported ``successful`` (inferred).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from clerkmock.engine import errors
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.records.instance import PRIMARY_DOMAIN_ID, Domain
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("domains")
PROXY_ROUTES = RouteSet("proxy_checks")
HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
DEV_HOST_RE = re.compile(  # development instances: a port is allowed, and localhost
    r"^(?:localhost|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})(?::\d{1,5})?$")
DEV_SUFFIX = ".clerk.accounts.dev"


def _split(value: str) -> SplitResult:
    try:
        return urlsplit(value)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return urlsplit("")


# -- serializers --------------------------------------------------------------------------------------------------


def domain_name(st: State, d: Domain) -> str:
    return d.name or st.instance.frontend_host


def domain_json(st: State, d: Domain) -> dict[str, Any]:
    name = domain_name(st, d)
    production = st.instance.environment == "production"
    if d.is_satellite:
        fapi, portal = f"https://clerk.{name}", None
    else:
        # a development instance keeps its Clerk-hosted Frontend API whatever the domain is called
        host = f"clerk.{name}" if production and d.name is not None else st.instance.frontend_host
        fapi = f"https://{host}"
        portal = (f"https://{host.removesuffix(DEV_SUFFIX)}.accounts.dev" if host.endswith(DEV_SUFFIX)
                  else f"https://accounts.{name}")
    cname = None
    if production:
        cname = [{"host": f"clerk.{name}", "value": "frontend-api.clerk.services", "required": True}]
    return {
        "object": "domain",
        "id": d.id,
        "name": name,
        "is_satellite": d.is_satellite,
        "frontend_api_url": fapi,
        "accounts_portal_url": portal,
        "proxy_url": d.proxy_url,
        "development_origin": "" if d.is_satellite else st.instance_config.settings["development_origin"] or "",
        "cname_targets": cname,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def require_domain(st: State, domain_id: str) -> Domain:
    d = st.instance_config.domains.get(domain_id)
    if d is None:
        raise errors.resource_not_found(f"No domain was found with id {domain_id}")
    return d


def request_invalid_for_environment(*envs: str) -> ClerkError:
    return errors.bad_request("request invalid for environment",
                              f"Request only valid for {', '.join(envs)} instances.",
                              code="request_invalid_for_environment")


def check_name(st: State, value: str, current: Domain | None, param: str = "name") -> str:
    name = value.strip().lower()
    pattern = DEV_HOST_RE if st.instance.environment == "development" else HOST_RE
    if len(name) > 253 or not pattern.match(name):
        raise errors.form_param_format_invalid(
            param, f"{param} must be a valid domain name without a scheme"
            + (" (a port is allowed on development instances)." if pattern is DEV_HOST_RE else "."))
    for other in st.instance_config.domains.values():
        if other is not current and domain_name(st, other) == name:
            raise errors.form_identifier_exists(param, "domain")
    return name


def check_proxy_url(st: State, value: str, param: str = "proxy_url", *, any_env: bool = False) -> str:
    if not any_env and st.instance.environment != "production":
        raise request_invalid_for_environment("production")
    parts = _split(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise errors.form_param_format_invalid(param, f"{param} must be a valid https URL.")
    return value.strip()


def change_primary_domain(st: State, home_url: str, is_secondary: bool) -> None:
    """The production domain change: the primary domain takes the home URL's host (its registrable part
    unless ``is_secondary``, when the subdomain is significant)."""
    if st.instance.environment != "production":
        raise request_invalid_for_environment("production")
    parts = _split(home_url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not HOST_RE.match(host):
        raise errors.form_param_format_invalid("home_url",
                                               "home_url must be a valid URL, e.g. https://www.example.com.")
    if not is_secondary:
        host = ".".join(host.split(".")[-2:])
    primary = st.instance_config.domains[PRIMARY_DOMAIN_ID]
    name = check_name(st, host, primary, "home_url")
    primary.name, primary.is_secondary = name, is_secondary


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("ListDomains", "list")
def list_domains(ctx: Ctx) -> Json:
    st = ctx.state
    items = sorted(st.instance_config.domains.values(), key=lambda d: (d.is_satellite, d.created_at, d.id))
    return {"data": [domain_json(st, d) for d in items], "total_count": len(items)}


@ROUTES.op("AddDomain", "add")
def add_domain(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    name = check_name(st, body["name"], None)
    proxy = check_proxy_url(st, body["proxy_url"]) if body.get("proxy_url") is not None else None
    d = Domain(st.ids.new("dmn"), name, True, ctx.now, proxy)
    st.instance_config.domains[d.id] = d
    return domain_json(st, d)


@ROUTES.op("UpdateDomain", "update")
def update_domain(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    d = require_domain(st, ctx.path["domain_id"])
    name = check_name(st, body["name"], d) if body.get("name") is not None else None
    proxy = check_proxy_url(st, body["proxy_url"]) if body.get("proxy_url") is not None else None
    if name is not None:
        d.name = name
    if "proxy_url" in body:
        d.proxy_url = proxy
    if body.get("is_secondary") is not None:
        d.is_secondary = body["is_secondary"]
    return domain_json(st, d)


@ROUTES.op("DeleteDomain", "delete")
def delete_domain(ctx: Ctx) -> Json:
    st = ctx.state
    d = require_domain(st, ctx.path["domain_id"])
    if not d.is_satellite:
        raise errors.forbidden("operation_not_allowed_on_primary_domain", "operation not allowed on primary domain",
                               "This operation is not allowed on a primary domain.")
    del st.instance_config.domains[d.id]
    return {"object": "domain", "id": d.id, "deleted": True}


@PROXY_ROUTES.op("VerifyDomainProxy", "verify")
def verify_domain_proxy(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    for param in ("domain_id", "proxy_url"):
        if not body.get(param):
            raise errors.form_param_missing(param)
    if body["domain_id"] not in st.instance_config.domains:
        raise errors.form_resource_not_found("domain_id")
    proxy = check_proxy_url(st, body["proxy_url"], any_env=True)
    return {
        "object": "proxy_check",
        "id": st.ids.new("proxychk"),
        "domain_id": body["domain_id"],
        "last_run_at": now,
        "proxy_url": proxy,
        "successful": True,
        "created_at": now,
        "updated_at": now,
    }
