"""Organization memberships: CreateOrganizationMembership, ListOrganizationMemberships,
UpdateOrganizationMembership, DeleteOrganizationMembership, UpdateOrganizationMembershipMetadata,
InstanceGetOrganizationMemberships, and the Users view UsersGetOrganizationMemberships.

Memberships are addressed by user id.  A second membership is a 400 ``already_a_member_in_organization``; a
full organization a 403 ``organization_membership_quota_exceeded``; an unknown role a 404 (Clerk answers
"Organization role not found"); removing or demoting the last member who can manage members a 400
``organization_minimum_permissions_needed``.  ``permissions`` and ``public_user_data`` are computed when
serialized, so they follow later changes of the role and the user.  Deleting a user removes their memberships.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clerkmock.engine.metadata import deep_merge
from clerkmock.engine.pagination import parse_order_by, sort_records
from clerkmock.engine.records import User
from clerkmock.engine.records.organizations import Membership
from clerkmock.engine.resources import user_queries
from clerkmock.engine.resources.orgs.common import (
    add_membership,
    assignable_role,
    check_keeps_a_manager,
    page,
    remove_membership,
    require_membership,
    require_org,
)
from clerkmock.engine.resources.orgs.serializers import membership_json
from clerkmock.engine.resources.users import require_user
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("organization_memberships")
USER_ROUTES = RouteSet("users")  # the route names users.organization_memberships stay with the Users group
ORDER_FIELDS = ["phone_number", "email_address", "created_at", "first_name", "last_name", "username"]
# The filters of GET /organizations/{id}/memberships that select users; GET /users implements them.
USER_FILTERS = (
    "user_id", "email_address", "phone_number", "username", "web3_wallet", "query", "email_address_query",
    "phone_number_query", "username_query", "name_query", "last_active_at_before", "last_active_at_after",
    "created_at_before", "created_at_after",
)


# -- operations ------------------------------------------------------------------------------------------------


def _order_key(st: State, field: str) -> Callable[[Membership], Any]:
    if field == "created_at":
        return lambda m: m.created_at

    def key(m: Membership) -> Any:
        user = st.users[m.user_id]
        if field in ("email_address", "phone_number"):
            idn_id = getattr(user, f"primary_{field}_id")
            return st.identifications[idn_id].value.lower() if idn_id else None
        return (getattr(user, field) or "").lower() or None

    return key


def sort_memberships(st: State, mems: list[Membership], order_by: str | None) -> list[Membership]:
    field, descending = parse_order_by(order_by, ORDER_FIELDS)
    return sort_records(mems, _order_key(st, field), descending, tiebreak=lambda m: m.id)


def filter_memberships(st: State, org_id: str, q: dict[str, Any]) -> list[Membership]:
    member_ids = st.orgs.members_by_org.get(org_id, set())
    user_q = {k: q[k] for k in USER_FILTERS if k in q}
    if user_q:
        member_ids = member_ids & {u.id for u in user_queries.filter_users(st, user_q)}
    mems = [m for m in (st.orgs.membership(org_id, u) for u in member_ids) if m is not None]
    if q.get("role"):
        role_ids = {st.orgs.role_keys[k] for k in q["role"] if k in st.orgs.role_keys}
        mems = [m for m in mems if m.role_id in role_ids]
    return mems


def remove_user_memberships(st: State, user: User) -> None:
    """A user-delete cascade (resources/__init__.py): a deleted user leaves every organization (no last-admin
    check: the user is gone)."""
    for mem in st.orgs.user_memberships(user.id):
        remove_membership(st, mem)


def updated(ctx: Ctx, mem: Membership) -> dict[str, Any]:
    """The membership's JSON after a change, also recorded as an ``organizationMembership.updated`` event."""
    reply = membership_json(ctx.state, mem)
    ctx.emit("organizationMembership.updated", reply)
    return reply


# -- handlers ---------------------------------------------------------------------------------------------------


@ROUTES.op("CreateOrganizationMembership", "create")
def create_organization_membership(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    org = require_org(st, ctx.path["organization_id"])
    user = require_user(st, body["user_id"])
    role = assignable_role(st, org, body["role"])
    mem = add_membership(st, org, user, role, ctx.now, public_metadata=body.get("public_metadata"),
                         private_metadata=body.get("private_metadata"))
    return membership_json(st, mem)


@ROUTES.op("ListOrganizationMemberships", "list")
def list_organization_memberships(ctx: Ctx) -> Json:
    st = ctx.state
    org = require_org(st, ctx.path["organization_id"])
    mems = sort_memberships(st, filter_memberships(st, org.id, ctx.query), ctx.query.get("order_by"))
    shown, total = page(mems, ctx.query)
    return {"data": [membership_json(st, m) for m in shown], "total_count": total}


@ROUTES.op("UpdateOrganizationMembership", "update")
def update_organization_membership(ctx: Ctx) -> Json:
    st = ctx.state
    org = require_org(st, ctx.path["organization_id"])
    mem = require_membership(st, org, ctx.path["user_id"])
    role = assignable_role(st, org, ctx.body["role"])
    if role.id != mem.role_id:
        check_keeps_a_manager(st, mem, role)
        mem.role_id = role.id
        mem.updated_at = ctx.now
        return updated(ctx, mem)
    return membership_json(st, mem)


@ROUTES.op("DeleteOrganizationMembership", "delete")
def delete_organization_membership(ctx: Ctx) -> Json:
    st = ctx.state
    org = require_org(st, ctx.path["organization_id"])
    mem = require_membership(st, org, ctx.path["user_id"])
    check_keeps_a_manager(st, mem, None)
    reply = membership_json(st, mem)  # Clerk answers with the membership itself, not a DeletedObject
    remove_membership(st, mem)
    return reply


@ROUTES.op("UpdateOrganizationMembershipMetadata", "merge_metadata")
def update_organization_membership_metadata(ctx: Ctx) -> Json:
    st = ctx.state
    org = require_org(st, ctx.path["organization_id"])
    mem = require_membership(st, org, ctx.path["user_id"])
    for field in ("public_metadata", "private_metadata"):
        if ctx.body.get(field) is not None:
            setattr(mem, field, deep_merge(getattr(mem, field), ctx.body[field]))
    mem.updated_at = ctx.now
    return updated(ctx, mem)


@ROUTES.op("InstanceGetOrganizationMemberships", "list_instance")
def instance_get_organization_memberships(ctx: Ctx) -> Json:
    st = ctx.state
    mems = sort_memberships(st, list(st.orgs.memberships.values()), ctx.query.get("order_by"))
    shown, total = page(mems, ctx.query)
    return {"data": [membership_json(st, m) for m in shown], "total_count": total}


@USER_ROUTES.op("UsersGetOrganizationMemberships", "organization_memberships")
def users_get_organization_memberships(ctx: Ctx) -> Json:
    st = ctx.state
    user = require_user(st, ctx.path["user_id"])
    mems = sort_memberships(st, st.orgs.user_memberships(user.id), None)
    shown, total = page(mems, ctx.query)
    return {"data": [membership_json(st, m) for m in shown], "total_count": total}
