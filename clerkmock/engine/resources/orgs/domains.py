"""Organization domains: CreateOrganizationDomain, ListOrganizationDomains, UpdateOrganizationDomain,
DeleteOrganizationDomain, VerifyOrganizationDomainOwnership, ListAllOrganizationDomains.

A domain is verified unless created with ``verified: false``; its ``affiliation_verification`` (and the
deprecated alias ``verification``) says so, with strategy ``admin`` when set through the API.
``ownership_verification`` stays null until VerifyOrganizationDomainOwnership (strategy ``manual_override``,
idempotent).  Names are lower-cased hostnames; a domain belongs to one organization in the instance (422
``organization_domain_already_exists``); common email providers are refused (422 ``organization_domain_common``);
an organization holds at most 10 domains (403).  ``total_pending_invitations`` counts the organization's
pending invitations to addresses at the domain.
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import parse_order_by, sort_records
from clerkmock.engine.records.organizations import OrgDomain
from clerkmock.engine.resources.orgs.common import page, require_org
from clerkmock.engine.resources.orgs.serializers import pending_invitations, public_org_data
from clerkmock.engine.resources.users import deleted_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("organization_domains")
ENROLLMENT_MODES = ("manual_invitation", "automatic_invitation", "automatic_suggestion", "enterprise_sso")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
COMMON_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "gmx.com", "gmx.de", "mail.com",
    "yandex.com", "yandex.ru", "zoho.com", "qq.com", "163.com",
})
ORDER_FIELDS = ["name", "created_at"]

# -- serializers ----------------------------------------------------------------------------------------------


def domain_json(st: State, dom: OrgDomain, now: int) -> dict[str, Any]:
    affiliation = {"status": "verified" if dom.verified else "unverified", "strategy": "admin" if dom.verified
                   else "email_code", "attempts": None, "expire_at": None, "verified_at": None}
    ownership = None
    if dom.ownership_verified_at is not None:
        ownership = {"status": "verified", "strategy": "manual_override", "attempts": None, "expire_at": None,
                     "verified_at": dom.ownership_verified_at}
    suffix = "@" + dom.name
    org = st.orgs.orgs[dom.org_id]
    return {
        "object": "organization_domain",
        "id": dom.id,
        "organization_id": dom.org_id,
        "name": dom.name,
        "enrollment_mode": dom.enrollment_mode,
        "affiliation_email_address": None,
        "affiliation_verification": affiliation,
        "ownership_verification": ownership,
        "verification": dict(affiliation),
        "total_pending_invitations": sum(1 for i in pending_invitations(st, dom.org_id, now)
                                         if i.email_address.lower().endswith(suffix)),
        "total_pending_suggestions": 0,
        "public_organization_data": public_org_data(st, org),
        "created_at": dom.created_at,
        "updated_at": dom.updated_at,
    }


# -- operations ------------------------------------------------------------------------------------------------


def check_mode(value: Any) -> str:
    if value is None:
        raise errors.form_param_missing("enrollment_mode")
    if value not in ENROLLMENT_MODES:
        raise errors.form_param_value_invalid(
            "enrollment_mode", f"enrollment_mode must be one of {', '.join(ENROLLMENT_MODES)}.")
    return str(value)


def check_domain_name(st: State, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_missing("name")
    name = value.strip().lower().rstrip(".")
    if not DOMAIN_RE.match(name):
        raise errors.form_param_format_invalid("name", "name must be a valid domain name, like example.com.")
    if name in COMMON_EMAIL_DOMAINS:
        raise errors.organization_domain_common()
    if any(d.name == name for d in st.orgs.domains.values()):
        raise errors.organization_domain_already_exists()
    return name


def require_domain(st: State, org_id: str, domain_id: str) -> OrgDomain:
    dom = st.orgs.domains.get(domain_id)
    if dom is None or dom.org_id != org_id:
        raise errors.resource_not_found(f"No organization domain was found with id {domain_id}")
    return dom


def filter_domains(doms: list[OrgDomain], q: dict[str, Any]) -> list[OrgDomain]:
    verified = q.get("verified")
    if verified is not None and verified != "":
        if verified not in ("true", "false"):
            raise errors.invalid_query_parameter_value("verified", f"'{verified}' is not true or false")
        doms = [d for d in doms if d.verified == (verified == "true")]
    modes = q.get("enrollment_mode")
    for mode in [modes] if isinstance(modes, str) else (modes or []):
        wanted = mode.removeprefix("-")
        if wanted not in ENROLLMENT_MODES:
            raise errors.invalid_query_parameter_value("enrollment_mode", f"'{mode}' is not an enrollment mode")
        doms = [d for d in doms if (d.enrollment_mode == wanted) != mode.startswith("-")]
    return doms


def sorted_domains(doms: list[OrgDomain], order_by: str | None) -> list[OrgDomain]:
    field, descending = parse_order_by(order_by, ORDER_FIELDS)
    return sort_records(doms, lambda d: getattr(d, field), descending, tiebreak=lambda d: d.id)


def _page_json(ctx: Ctx, doms: list[OrgDomain]) -> Json:
    shown, total = page(doms, ctx.query)
    return {"data": [domain_json(ctx.state, d, ctx.now) for d in shown], "total_count": total}


# -- handlers ---------------------------------------------------------------------------------------------------


@ROUTES.op("CreateOrganizationDomain", "create")
def create_organization_domain(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    org = require_org(st, ctx.path["organization_id"])
    name = check_domain_name(st, body.get("name"))
    mode = check_mode(body.get("enrollment_mode"))
    if sum(1 for d in st.orgs.domains.values() if d.org_id == org.id) >= st.orgs.max_allowed_domains:
        raise errors.organization_domain_quota_exceeded(st.orgs.max_allowed_domains)
    dom = OrgDomain(id=st.ids.new("orgdmn"), org_id=org.id, name=name, enrollment_mode=mode,
                    verified=body.get("verified") is not False, created_at=ctx.now, updated_at=ctx.now)
    st.orgs.domains[dom.id] = dom
    reply = domain_json(st, dom, ctx.now)
    ctx.emit("organizationDomain.created", reply)
    return reply


@ROUTES.op("ListOrganizationDomains", "list")
def list_organization_domains(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    doms = [d for d in ctx.state.orgs.domains.values() if d.org_id == org.id]
    return _page_json(ctx, sorted_domains(filter_domains(doms, ctx.query), None))


@ROUTES.op("UpdateOrganizationDomain", "update")
def update_organization_domain(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    dom = require_domain(ctx.state, org.id, ctx.path["domain_id"])
    if ctx.body.get("enrollment_mode") is not None:
        dom.enrollment_mode = check_mode(ctx.body["enrollment_mode"])
    if ctx.body.get("verified") is not None:
        dom.verified = ctx.body["verified"]
    dom.updated_at = ctx.now
    reply = domain_json(ctx.state, dom, ctx.now)
    ctx.emit("organizationDomain.updated", reply)
    return reply


@ROUTES.op("DeleteOrganizationDomain", "delete")
def delete_organization_domain(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    dom = require_domain(ctx.state, org.id, ctx.path["domain_id"])
    del ctx.state.orgs.domains[dom.id]
    reply = deleted_json("organization_domain", dom.id)
    ctx.emit("organizationDomain.deleted", reply)
    return reply


@ROUTES.op("VerifyOrganizationDomainOwnership", "verify_ownership")
def verify_organization_domain_ownership(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    dom = require_domain(ctx.state, org.id, ctx.path["domain_id"])
    if dom.ownership_verified_at is None:  # idempotent: a second call changes nothing
        dom.ownership_verified_at = dom.updated_at = ctx.now
        ctx.emit("organizationDomain.updated", lambda: domain_json(ctx.state, dom, ctx.now))
    return domain_json(ctx.state, dom, ctx.now)


@ROUTES.op("ListAllOrganizationDomains", "list_instance")
def list_all_organization_domains(ctx: Ctx) -> Json:
    q = ctx.query
    doms = list(ctx.state.orgs.domains.values())
    if q.get("organization_id"):
        doms = [d for d in doms if d.org_id == q["organization_id"]]
    if "query" in q:
        needle = q["query"].strip()
        if not needle:
            raise errors.form_param_value_invalid("query", "query must not be empty.")
        doms = [d for d in doms if d.org_id == needle] if needle.startswith("org_") else [
            d for d in doms if needle.lower() in d.name]
    if q.get("domains"):
        names = {n.strip().lower() for n in q["domains"]}
        doms = [d for d in doms if d.name in names]
    return _page_json(ctx, sorted_domains(filter_domains(doms, q), q.get("order_by")))
