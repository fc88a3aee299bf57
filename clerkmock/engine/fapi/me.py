"""The signed-in user and its organizations, as the browser sees them: getUser, patchUser, changePassword,
getOrganizationMemberships, createOrganization, getOrganization, getUsersOrganizationInvitations,
acceptOrganizationInvitation, getOrganizationSuggestions, deleteUser, deleteOrganizationMemberships.

They act for the session named by ``_clerk_session_id`` (else the client's active one); a signed-out browser
gets 401 ``signed_out``.  Records and rules are the Backend API's (`add_org`, `set_password`, ...).
"""

from __future__ import annotations

from clerkmock.engine.resources import credentials

from typing import Any

from clerkmock.engine import errors, passwords
from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.fapi.sessions import active_session
from clerkmock.engine.records import User
from clerkmock.engine.resources import users
from clerkmock.engine.resources.auth import claims as claims_mod
from clerkmock.engine.resources.auth import session_tasks
from clerkmock.engine.resources.auth import sessions as bapi_sessions
from clerkmock.engine.resources.orgs import organizations as bapi_orgs
from clerkmock.engine.resources.orgs.common import add_membership, check_keeps_a_manager, page, remove_membership, require_org, user_emails
from clerkmock.engine.resources.orgs.serializers import invitation_status, org_json, public_org_data
from clerkmock.engine.resources.orgs.serializers import org_invitation_json
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("me")
EDITABLE = ("first_name", "last_name")


def me(ctx: FapiCtx) -> User:
    return ctx.state.users[active_session(ctx).user_id]


@ROUTES.op("getUser")
def get_user(ctx: FapiCtx) -> Json:
    return views.user_json(ctx, me(ctx))


@ROUTES.op("patchUser")
def patch_user(ctx: FapiCtx) -> Json:
    st, body = ctx.state, ctx.body
    user = me(ctx)
    if body_param(ctx, "username") is not None:
        users.check_username(st, body["username"], user.id)
    for param, ids in (("primary_email_address_id", user.email_ids), ("primary_phone_number_id", user.phone_ids)):
        if body_param(ctx, param) is not None and body[param] not in ids:
            raise errors.form_param_value_invalid(param, f"{param} must belong to this user.")
    for field in EDITABLE:
        if field in body:
            setattr(user, field, body[field] or None)
    if "username" in body:
        users.set_username(st, user, body["username"] or None)
    for param in ("primary_email_address_id", "primary_phone_number_id"):
        if body_param(ctx, param) is not None:
            setattr(user, param, body[param])
    if isinstance(body.get("unsafe_metadata"), dict):
        user.unsafe_metadata = body["unsafe_metadata"]
    users.emit_updated(st, user, ctx.now)
    return views.user_json(ctx, user)


@ROUTES.op("changePassword")
def change_password(ctx: FapiCtx) -> Json:
    """A new password; the current one is needed unless the session's ``reset-password`` task is what asks for
    it (`<TaskResetPassword/>` sends none), and that task is then done.  ``sign_out_of_other_sessions`` revokes
    the user's other live sessions (``session.revoked``)."""
    sess = active_session(ctx)
    user = ctx.state.users[sess.user_id]
    new = body_param(ctx, "new_password")
    if not new:
        raise errors.form_param_missing("new_password")
    resetting = session_tasks.has_task(sess, session_tasks.RESET_PASSWORD, ctx.now)
    if user.password_hash is not None and not resetting:
        current = body_param(ctx, "current_password") or ""
        if not passwords.verify(current, user.password_hash):
            raise errors.form_password_incorrect()
    credentials.check_password(new, False)
    credentials.set_password(ctx.state, user, new, ctx.now)
    users.emit_updated(ctx.state, user, ctx.now)
    if resetting:
        bapi_sessions.complete_task(ctx.state, sess, session_tasks.RESET_PASSWORD, ctx.now)
    if body_param(ctx, "sign_out_of_other_sessions"):
        bapi_sessions.revoke_user_sessions(ctx.state, user.id, ctx.now, keep=sess.id)
    return views.user_json(ctx, user)


@ROUTES.op("getOrganizationMemberships")
def get_organization_memberships(ctx: FapiCtx) -> Json:
    """``?paginated=true`` (what clerk-js sends) gives ``{data, total_count}``; otherwise a bare list."""
    st = ctx.state
    user = me(ctx)
    mems = sorted(st.orgs.user_memberships(user.id), key=lambda m: (m.created_at, m.id), reverse=True)
    shown, total = page(mems, ctx.query)
    data = [views.membership_json(ctx, m) for m in shown]
    return {"data": data, "total_count": total} if ctx.query.get("paginated") else data


@ROUTES.op("createOrganization")
def create_organization(ctx: FapiCtx) -> Json:
    """The user creates an organization and becomes its admin (``organization.created`` and the membership's
    event fire, as through the Backend API)."""
    user = me(ctx)
    if not user.create_organization_enabled:
        raise errors.forbidden("organization_creation_not_allowed", "Not allowed",
                               "You are not allowed to create organizations.")
    name = body_param(ctx, "name")
    if not name:
        raise errors.form_param_missing("name")
    body = {"name": name, "created_by": user.id}
    if body_param(ctx, "slug"):
        body["slug"] = ctx.body["slug"]
    org = bapi_orgs.add_org(ctx.state, body, ctx.now)
    return _org_json(ctx, org)


@ROUTES.op("getOrganization")
def get_organization(ctx: FapiCtx) -> Json:
    user = me(ctx)
    org = require_org(ctx.state, ctx.path["organization_id"])
    if claims_mod.org_membership(ctx.state, user.id, org.id) is None:
        raise errors.resource_not_found(f"No organization was found with id {org.id}", "Organization not found")
    return _org_json(ctx, org)


def _org_json(ctx: FapiCtx, org: object) -> Json:
    out = org_json(ctx.state, org, now=ctx.now, members_count=True)  # type: ignore[arg-type]
    for hidden in ("private_metadata", "role_set_key", "created_by"):
        out.pop(hidden, None)
    return out


# -- the user's organization invitations -------------------------------------------------------------------------


def _my_invitations(ctx: FapiCtx, user: User) -> list[Any]:
    st = ctx.state
    emails = user_emails(st, user)
    invs = [i for i in st.orgs.org_invitations.values() if i.email_address.lower() in emails]
    return sorted(invs, key=lambda i: (i.created_at, i.id), reverse=True)


def _invitation_json(ctx: FapiCtx, inv: Any) -> dict[str, Any]:
    st = ctx.state
    out = org_invitation_json(st, inv, ctx.now)
    out.pop("private_metadata", None)
    out["public_organization_data"] = public_org_data(st, st.orgs.orgs[inv.org_id])
    return out


@ROUTES.op("getUsersOrganizationInvitations")
def get_users_organization_invitations(ctx: FapiCtx) -> Json:
    invs = _my_invitations(ctx, me(ctx))
    status = ctx.query.get("status")
    if status:
        invs = [i for i in invs if invitation_status(i, ctx.now) == status]
    shown, total = page(invs, ctx.query)
    return {"data": [_invitation_json(ctx, i) for i in shown], "total_count": total}


@ROUTES.op("getOrganizationSuggestions")
def get_organization_suggestions(ctx: FapiCtx) -> Json:
    """What `<TaskChooseOrganization/>` and `<OrganizationSwitcher/>` list beside the memberships.  Clerk
    suggests an organization whose verified domain (enrollment mode ``automatic_suggestion``) matches the user's
    email; clerkmock keeps no suggestions (domain enrollment is stored, not acted on: docs/browser.md), so the
    page is empty, for a signed-in browser only."""
    me(ctx)
    none: list[Any] = []
    shown, total = page(none, ctx.query)
    return {"data": shown, "total_count": total}


@ROUTES.op("acceptOrganizationInvitation")
def accept_organization_invitation(ctx: FapiCtx) -> Json:
    """The invited user joins with the invitation's role (``organizationMembership.created`` and
    ``organizationInvitation.accepted`` fire, as when the Backend API adds the member)."""
    st = ctx.state
    user = me(ctx)
    inv = next((i for i in _my_invitations(ctx, user) if i.id == ctx.path["invitation_id"]), None)
    if inv is None:
        raise errors.resource_not_found(f"No invitation was found with id {ctx.path['invitation_id']}",
                                        "Invitation not found")
    if invitation_status(inv, ctx.now) != "pending":
        raise errors.bad_request("Invitation not pending", f"This invitation is {invitation_status(inv, ctx.now)}.",
                                 code="organization_invitation_not_pending")
    add_membership(st, st.orgs.orgs[inv.org_id], user, st.orgs.roles[inv.role_id], ctx.now)
    return _invitation_json(ctx, inv)


@ROUTES.op("deleteUser")
def delete_user(ctx: FapiCtx) -> Json:
    """The user deletes the account (``delete_self_enabled``): the Backend API's deletion (sessions end,
    memberships go, ``user.deleted`` fires)."""
    user = me(ctx)
    if not user.delete_self_enabled:
        raise errors.forbidden("delete_self_not_enabled", "Not allowed", "You are not allowed to delete your account.")
    external_id = user.external_id
    users.delete_user(ctx.state, user)  # its cascades end the sessions and remove the memberships
    ctx.emit("user.deleted", users.deleted_json("user", user.id, **(
        {"external_id": external_id} if external_id is not None else {})))
    return {"object": "user", "id": user.id, "deleted": True}


@ROUTES.op("deleteOrganizationMemberships")
def leave_organization(ctx: FapiCtx) -> Json:
    """Leave an organization (the active one of a session falls back to none)."""
    st = ctx.state
    user = me(ctx)
    org = require_org(st, ctx.path["organization_id"])
    mem = st.orgs.membership(org.id, user.id)
    if mem is None:
        raise errors.resource_not_found(f"You are not a member of {org.id}", "Membership not found")
    check_keeps_a_manager(st, mem, None)  # the last admin cannot leave
    remove_membership(st, mem)
    for sid in st.auth.sessions_by_user.get(user.id, []):
        sess = st.auth.sessions[sid]
        if sess.last_active_organization_id == org.id:
            sess.last_active_organization_id = None
    return {"object": "organization_membership", "id": mem.id, "deleted": True}
