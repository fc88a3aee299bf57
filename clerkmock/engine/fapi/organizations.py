"""An organization managed from the browser (`<OrganizationProfile/>`): ListOrganizationMemberships,
UpdateOrganizationMembership, removeOrganizationMember, getOrganizationInvitations, createOrganizationInvitations,
revokePendingOrganizationInvitation, ListOrganizationRoles, updateOrganization, deleteOrganization.

Members may read; changes need a role that manages members (``org:sys_memberships:manage``, admins), as Clerk
checks.  The Backend API's records and operations do the work (events included).
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.me import _org_json, me
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.records.organizations import Organization
from clerkmock.engine.resources.orgs import org_invitations as bapi_invitations
from clerkmock.engine.resources.orgs import organizations as bapi_orgs
from clerkmock.engine.resources.orgs import serializers as org_serializers
from clerkmock.engine.resources.orgs.common import (
    assignable_role,
    check_keeps_a_manager,
    page,
    remove_membership,
    require_admin,
    require_membership,
    require_org,
)
from clerkmock.engine.resources.orgs.memberships import sort_memberships
from clerkmock.engine.resources.orgs.memberships import updated as membership_updated
from clerkmock.engine.resources.orgs.roles import role_json
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("organizations")


def member_org(ctx: FapiCtx) -> tuple[Organization, str]:
    """The organization of the path, which the signed-in user belongs to; and the user's id."""
    user = me(ctx)
    org = require_org(ctx.state, ctx.path["organization_id"])
    if ctx.state.orgs.membership(org.id, user.id) is None:
        raise errors.resource_not_found(f"No organization was found with id {org.id}", "Organization not found")
    return org, user.id


def admin_org(ctx: FapiCtx) -> Organization:
    org, user_id = member_org(ctx)
    require_admin(ctx.state, org, user_id)
    return org


def _invitation_json(ctx: FapiCtx, inv: Any) -> dict[str, Any]:
    out = org_serializers.org_invitation_json(ctx.state, inv, ctx.now)
    out.pop("private_metadata", None)
    return out


@ROUTES.op("ListOrganizationMemberships")
def list_memberships(ctx: FapiCtx) -> Json:
    st = ctx.state
    org, _ = member_org(ctx)
    found = [st.orgs.membership(org.id, u) for u in st.orgs.members_by_org.get(org.id, ())]
    mems = sort_memberships(st, [m for m in found if m is not None], ctx.query.get("order_by"))
    if ctx.query.get("role"):
        mems = [m for m in mems if st.orgs.roles[m.role_id].key in ctx.query["role"]]
    shown, total = page(mems, ctx.query)
    data = [views.membership_json(ctx, m) for m in shown]
    return {"data": data, "total_count": total} if ctx.query.get("paginated", True) else data


@ROUTES.op("UpdateOrganizationMembership")
def update_membership(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    mem = require_membership(st, org, ctx.path["user_id"])
    role = assignable_role(st, org, body_param(ctx, "role"))
    if role.id != mem.role_id:
        check_keeps_a_manager(st, mem, role)
        mem.role_id, mem.updated_at = role.id, ctx.now
        membership_updated(ctx, mem)  # organizationMembership.updated
    return views.membership_json(ctx, mem)


@ROUTES.op("removeOrganizationMember")
def remove_member(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    mem = require_membership(st, org, ctx.path["user_id"])
    check_keeps_a_manager(st, mem, None)
    reply = views.membership_json(ctx, mem)
    remove_membership(st, mem)
    return reply


@ROUTES.op("getOrganizationInvitations")
def list_invitations(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    invs = [i for i in st.orgs.org_invitations.values() if i.org_id == org.id]
    invs = bapi_invitations.listed(st, invs, {"status": ctx.query.get("status")}, ctx.now)
    shown, total = page(invs, ctx.query)
    return {"data": [_invitation_json(ctx, i) for i in shown], "total_count": total}


@ROUTES.op("createOrganizationInvitations")
def create_invitation(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    item = {"email_address": body_param(ctx, "email_address"), "role": body_param(ctx, "role"),
            "inviter_user_id": me(ctx).id}
    if not item["email_address"]:
        raise errors.form_param_missing("email_address")
    if not item["role"]:
        raise errors.form_param_missing("role")
    (inv,) = bapi_invitations.store(st, bapi_invitations.plan_invitations(st, org, [item], ctx.now))
    return _invitation_json(ctx, inv)


@ROUTES.op("revokePendingOrganizationInvitation")
def revoke_invitation(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    inv = bapi_invitations.require_org_invitation(st, org, ctx.path["invitation_id"])
    if inv.status != "pending":
        raise errors.bad_request("Invitation not pending", "Only a pending invitation can be revoked.",
                                 code="organization_invitation_not_pending")
    inv.status, inv.updated_at = "revoked", ctx.now
    ctx.emit("organizationInvitation.revoked", org_serializers.org_invitation_json(st, inv, ctx.now))
    return _invitation_json(ctx, inv)


@ROUTES.op("ListOrganizationRoles")
def list_roles(ctx: FapiCtx) -> Json:
    st = ctx.state
    org, _ = member_org(ctx)
    role_set = st.orgs.role_sets[org.role_set_id]
    roles = [st.orgs.roles[r] for r in role_set.role_ids if r in st.orgs.roles]
    shown, total = page(roles, ctx.query)
    return {"data": [role_json(st, r) for r in shown], "total_count": total}


@ROUTES.op("updateOrganization")
def update_organization(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    name = body_param(ctx, "name")
    slug = body_param(ctx, "slug")
    if name is not None:
        name = bapi_orgs.check_name(name)
    if slug is not None and slug != org.slug:
        slug = bapi_orgs.check_slug(st, slug, org.id)
    if name is not None:
        org.name = name
    if slug is not None and slug != org.slug:
        st.orgs.slug_index.pop(org.slug, None)
        org.slug = slug
        st.orgs.slug_index[slug] = org.id
    bapi_orgs.emit_updated(ctx, org)
    return _org_json(ctx, org)


@ROUTES.op("deleteOrganization")
def delete_organization(ctx: FapiCtx) -> Json:
    st = ctx.state
    org = admin_org(ctx)
    if not org.admin_delete_enabled:
        raise errors.forbidden("organization_admin_delete_not_enabled", "Not allowed",
                               "Admins may not delete this organization.")
    bapi_orgs.delete_org(st, org)  # memberships go first, with their events
    for sess in st.auth.sessions.values():
        if sess.last_active_organization_id == org.id:
            sess.last_active_organization_id = None
    reply = {"object": "organization", "id": org.id, "slug": org.slug, "deleted": True}
    ctx.emit("organization.deleted", reply)
    return reply
