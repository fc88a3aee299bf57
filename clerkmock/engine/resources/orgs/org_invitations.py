"""Organization invitations: CreateOrganizationInvitation, CreateOrganizationInvitationBulk,
ListOrganizationInvitations, ListPendingOrganizationInvitations (deprecated), GetOrganizationInvitation,
RevokeOrganizationInvitation, ListInstanceOrganizationInvitations, and the Users view
UsersGetOrganizationInvitations.

Rules: the role must be one of the organization's (404 unknown, 422 outside its role set); ``inviter_user_id``
and ``requesting_user_id`` must manage the organization's members (403 ``not_an_admin_in_organization``); an
address that already belongs to a member is refused (400 ``already_a_member_in_organization``), as is a
second pending invitation for it (400 ``organization_invitation_not_unique``); pending invitations count
against ``max_allowed_memberships`` (403).  Status is pending | accepted | revoked, and expired once a pending
invitation passes ``expires_at`` (default 30 days) by the engine clock.  Only a pending invitation can be
revoked.  Adding the invitee as a member (POST …/memberships) accepts it; creating a user does not.
"""

from __future__ import annotations

import copy
from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.pagination import parse_order_by, sort_records
from clerkmock.engine.records.organizations import Organization, OrgInvitation
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import messages
from clerkmock.engine.resources.orgs.common import (
    assignable_role,
    contains,
    page,
    require_admin,
    require_org,
    ticket_url,
    user_emails,
)
from clerkmock.engine.resources.orgs.serializers import (
    invitation_status,
    pending_invitations,
    org_invitation_json,
)
from clerkmock.engine.resources.users import require_user
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("organization_invitations")
USER_ROUTES = RouteSet("users")  # the route name users.organization_invitations stays with the Users group
DAY_MS = 86_400_000
DEFAULT_EXPIRES_IN_DAYS = 30
MAX_BULK = 10
ORDER_FIELDS = ["created_at", "email_address"]

# -- operations ------------------------------------------------------------------------------------------------


def member_emails(st: State, org: Organization) -> set[str]:
    out: set[str] = set()
    for user_id in st.orgs.members_by_org.get(org.id, ()):
        out |= {st.identifications[i].value.lower() for i in st.users[user_id].email_ids}
    return out


type Planned = list[tuple[OrgInvitation, str | None]]  # (invitation without id and url, redirect_url)


def plan_invitations(st: State, org: Organization, items: list[dict[str, Any]], now: int) -> Planned:
    """Check every item, then build (not store) the invitations: a refused batch leaves no trace, not even a
    consumed id."""
    members = member_emails(st, org)
    pending = {i.email_address.lower() for i in pending_invitations(st, org.id, now)}
    limit = org.max_allowed_memberships
    if limit and len(st.orgs.members_by_org.get(org.id, ())) + len(pending) + len(items) > limit:
        raise errors.organization_membership_quota_exceeded(limit)
    planned: Planned = []
    for item in items:
        email = idns.check_format("email_address", item["email_address"], "email_address")
        role = assignable_role(st, org, item["role"])
        inviter_id = item.get("inviter_user_id")
        if inviter_id:
            require_admin(st, org, inviter_id)
        if email.lower() in members:
            raise errors.already_a_member_in_organization(email)
        if email.lower() in pending:
            raise errors.organization_invitation_not_unique()
        pending.add(email.lower())
        days = item.get("expires_in_days") or DEFAULT_EXPIRES_IN_DAYS
        planned.append((OrgInvitation(
            id="", org_id=org.id, email_address=email, role_id=role.id, role_key=role.key, role_name=role.name,
            created_at=now, updated_at=now, expires_at=now + days * DAY_MS, url="", inviter_id=inviter_id or None,
            public_metadata=copy.deepcopy(item.get("public_metadata") or {}),
            private_metadata=copy.deepcopy(item.get("private_metadata") or {}),
        ), item.get("redirect_url")))
    return planned


def store(st: State, planned: Planned) -> list[OrgInvitation]:
    for inv, redirect_url in planned:
        inv.id = st.ids.new("orginv")
        inv.url = ticket_url(st, redirect_url)
        st.orgs.org_invitations[inv.id] = inv
        emit_created(st, inv)
    return [inv for inv, _ in planned]


def emit_created(st: State, inv: OrgInvitation) -> None:
    """``organizationInvitation.created``, and the invitation email Clerk sends (``email.created``)."""
    now = inv.created_at
    events.emit(st, "organizationInvitation.created", lambda: org_invitation_json(st, inv, now), now)

    def email() -> dict[str, Any]:
        org = st.orgs.orgs[inv.org_id]
        inviter = st.users.get(inv.inviter_id) if inv.inviter_id else None
        name = " ".join(n for n in (inviter.first_name, inviter.last_name) if n) if inviter else ""
        return messages.invitation_email_json(st, to=inv.email_address, url=inv.url or "",
                                              slug="organization_invitation", organization_name=org.name,
                                              inviter_name=name or None)

    events.emit(st, "email.created", email, now)


def require_org_invitation(st: State, org: Organization, invitation_id: str) -> OrgInvitation:
    inv = st.orgs.org_invitations.get(invitation_id)
    if inv is None or inv.org_id != org.id:
        raise errors.resource_not_found(f"No invitation was found with id {invitation_id}.")
    return inv


def listed(st: State, invs: list[OrgInvitation], q: dict[str, Any], now: int) -> list[OrgInvitation]:
    if q.get("status"):
        invs = [i for i in invs if invitation_status(i, now) == q["status"]]
    if q.get("email_address"):
        invs = [i for i in invs if i.email_address.lower() == q["email_address"].lower()]
    if q.get("query"):
        invs = [i for i in invs if contains(q["query"], i.email_address)]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    key: Any = (lambda i: i.email_address.lower()) if field == "email_address" else (lambda i: i.created_at)
    return sort_records(invs, key, descending, tiebreak=lambda i: i.id)


def _page_json(ctx: Ctx, invs: list[OrgInvitation], *, with_org: bool = False) -> Json:
    shown, total = page(invs, ctx.query)
    return {"data": [org_invitation_json(ctx.state, i, ctx.now, with_org=with_org) for i in shown],
            "total_count": total}


# -- handlers ---------------------------------------------------------------------------------------------------


@ROUTES.op("CreateOrganizationInvitation", "create")
def create_organization_invitation(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    (inv,) = store(ctx.state, plan_invitations(ctx.state, org, [ctx.body], ctx.now))
    return org_invitation_json(ctx.state, inv, ctx.now)


@ROUTES.op("CreateOrganizationInvitationBulk", "create_bulk")
def create_organization_invitation_bulk(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    items: Any = ctx.body
    if not isinstance(items, list) or not items:
        raise errors.request_body_invalid("(the body must be a non-empty JSON array of invitations)")
    if len(items) > MAX_BULK:
        raise errors.bulk_size_exceeded(MAX_BULK)
    invs = store(ctx.state, plan_invitations(ctx.state, org, items, ctx.now))
    return {"data": [org_invitation_json(ctx.state, i, ctx.now) for i in invs], "total_count": len(invs)}


@ROUTES.op("ListOrganizationInvitations", "list")
def list_organization_invitations(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    invs = [i for i in ctx.state.orgs.org_invitations.values() if i.org_id == org.id]
    return _page_json(ctx, listed(ctx.state, invs, ctx.query, ctx.now))


@ROUTES.op("ListPendingOrganizationInvitations", "list_pending")
def list_pending_organization_invitations(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    invs = listed(ctx.state, pending_invitations(ctx.state, org.id, ctx.now), {}, ctx.now)
    return _page_json(ctx, invs)


@ROUTES.op("GetOrganizationInvitation", "get")
def get_organization_invitation(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    inv = require_org_invitation(ctx.state, org, ctx.path["invitation_id"])
    return org_invitation_json(ctx.state, inv, ctx.now)


@ROUTES.op("RevokeOrganizationInvitation", "revoke")
def revoke_organization_invitation(ctx: Ctx) -> Json:
    st = ctx.state
    org = require_org(st, ctx.path["organization_id"])
    inv = require_org_invitation(st, org, ctx.path["invitation_id"])
    if ctx.body.get("requesting_user_id"):
        require_admin(st, org, ctx.body["requesting_user_id"])
    status = invitation_status(inv, ctx.now)
    if status == "revoked":
        raise errors.invitation_already_revoked()
    if status == "accepted":
        raise errors.invitation_already_accepted()
    if status == "expired":
        raise errors.bad_request("invitation expired", "Only pending organization invitations can be revoked.")
    inv.status = "revoked"
    inv.updated_at = ctx.now
    reply = org_invitation_json(st, inv, ctx.now)
    ctx.emit("organizationInvitation.revoked", reply)
    return reply


@ROUTES.op("ListInstanceOrganizationInvitations", "list_instance")
def list_instance_organization_invitations(ctx: Ctx) -> Json:
    invs = listed(ctx.state, list(ctx.state.orgs.org_invitations.values()), ctx.query, ctx.now)
    return _page_json(ctx, invs, with_org=True)


@USER_ROUTES.op("UsersGetOrganizationInvitations", "organization_invitations")
def users_get_organization_invitations(ctx: Ctx) -> Json:
    st = ctx.state
    emails = user_emails(st, require_user(st, ctx.path["user_id"]))
    invs = [i for i in st.orgs.org_invitations.values() if i.email_address.lower() in emails]
    return _page_json(ctx, listed(st, invs, {"status": ctx.query.get("status")}, ctx.now), with_org=True)
