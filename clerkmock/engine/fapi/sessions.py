"""Sessions as the browser sees them: getSession, touchSession, createSessionToken,
createSessionTokenWithTemplate, endSession, removeSession, removeClientSessionsAndRetainCookie (sign-out),
getSessions and revokeSession (the user's sessions on every device).

The records, the token signer and the claims are the Backend API's: a session revoked through the Backend API
is gone from the client at the browser's next request (its ``/tokens`` answers 401 ``signed_out``, which makes
clerk-js re-read the client and sign out).
"""

from __future__ import annotations

import dataclasses

from clerkmock.engine import errors
from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.records import User
from clerkmock.engine.records.sessions import Session
from clerkmock.engine.resources.auth import claims as claims_mod
from clerkmock.engine.resources.auth import jwt_templates, session_tasks
from clerkmock.engine.resources.auth import sessions as bapi_sessions
from clerkmock.engine.resources.orgs.common import require_org
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("sessions")


def activate(ctx: FapiCtx, user: User, strategy: str, *, org_id: str | None = None) -> Session:
    """Sign ``user`` in on this browser's client: a new session, made the active one (``session.created``)."""
    client = ctx.require_client()
    sess = bapi_sessions.open_session(ctx.state, user, ctx.now, org_id=org_id, client=client)
    client.last_authentication_strategy = strategy
    return sess


def client_session(ctx: FapiCtx, session_id: str, *, live: bool = True) -> Session:
    """A session of this browser's client.  One that is no longer live is a 401 ``signed_out``."""
    client = ctx.client
    sess = ctx.state.auth.sessions.get(session_id)
    if client is None or sess is None or sess.id not in client.session_ids:
        raise errors.resource_not_found(f"No session was found with id {session_id}", "Session not found")
    if live and (sess.status_at(ctx.now) not in views.LIVE or sess.user_id not in ctx.state.users):
        raise errors.signed_out()
    return sess


def active_session(ctx: FapiCtx) -> Session:
    """The session a ``/me`` request acts for: ``_clerk_session_id``, else the client's last active one."""
    sid = (ctx.request.query.get("_clerk_session_id") or [""])[0]
    if not sid and ctx.client is not None:
        sid = ctx.client.last_active_session_id or ""
    if not sid:
        raise errors.signed_out()
    return client_session(ctx, sid)


def resolve_org(ctx: FapiCtx, sess: Session, value: str | None, param: str) -> str | None:
    """An organization id or slug the session's user belongs to; empty means the personal account."""
    if not value:
        return None
    st = ctx.state
    try:
        org = require_org(st, value)
    except errors.ClerkError:
        raise errors.resource_not_found(f"No organization was found with id or slug {value}",
                                        "Organization not found") from None
    if claims_mod.org_membership(st, sess.user_id, org.id) is None:
        raise errors.forbidden("not_a_member_in_organization", "Not a member",
                               f"You are not a member of the organization {value}.")
    return org.id


@ROUTES.op("getSession")
def get_session(ctx: FapiCtx) -> Json:
    return views.session_json(ctx, client_session(ctx, ctx.path["session_id"], live=False))


@ROUTES.op("touchSession")
def touch_session(ctx: FapiCtx) -> Json:
    """``setActive``: make the session the client's active one, and (``active_organization_id``, id or slug, ""
    for none) switch its organization; the token in the answer carries it (``o`` claim).  Choosing an
    organization completes a pending session's ``choose-organization`` task (``session.created``)."""
    sess = client_session(ctx, ctx.path["session_id"])
    if "active_organization_id" in ctx.body:
        sess.last_active_organization_id = resolve_org(ctx, sess, body_param(ctx, "active_organization_id"),
                                                       "active_organization_id")
        if sess.last_active_organization_id is not None:
            bapi_sessions.complete_task(ctx.state, sess, session_tasks.CHOOSE_ORGANIZATION, ctx.now)
    sess.last_active_at = sess.updated_at = ctx.now
    assert ctx.client is not None
    ctx.client.last_active_session_id = sess.id
    ctx.touch_client()
    user = ctx.state.users[sess.user_id]
    user.last_active_at = ctx.now
    return views.session_json(ctx, sess)


def _token_session(ctx: FapiCtx) -> Session:
    sess = client_session(ctx, ctx.path["session_id"])
    if "organization_id" in ctx.body:
        # a token for another organization (or none) without changing the session's active one
        org_id = resolve_org(ctx, sess, body_param(ctx, "organization_id"), "organization_id")
        sess = dataclasses.replace(sess, last_active_organization_id=org_id)
    return sess


@ROUTES.op("createSessionToken", bare=True)
def create_session_token(ctx: FapiCtx) -> Json:
    """The refresh clerk-js runs before each token expires: the bare ``{object: token, jwt}``."""
    sess = _token_session(ctx)
    live = ctx.state.auth.sessions[sess.id]
    live.last_active_at = ctx.now
    return {"object": "token", "jwt": views.mint(ctx, sess)}


@ROUTES.op("createSessionTokenWithTemplate", bare=True)
def create_session_token_with_template(ctx: FapiCtx) -> Json:
    st = ctx.state
    sess = _token_session(ctx)
    template = jwt_templates.require_template_by_name(st, ctx.path["template_name"])
    jwt_value = jwt_templates.mint(st, template, sess, ctx.now, lifetime_s=None, azp=ctx.origin,
                                   jti=bapi_sessions._jti(st))
    return {"object": "token", "jwt": jwt_value}


@ROUTES.op("endSession")
def end_session_handler(ctx: FapiCtx) -> Json:
    return _end_one(ctx, "ended")


@ROUTES.op("removeSession")
def remove_session(ctx: FapiCtx) -> Json:
    return _end_one(ctx, "removed")


def _end_one(ctx: FapiCtx, status: str) -> Json:
    """The path's session (live or not) ends with ``status``; the answer is the session as it now is."""
    sess = client_session(ctx, ctx.path["session_id"], live=False)
    bapi_sessions.set_status(ctx.state, sess, status, ctx.now)
    ctx.touch_client()
    return views.session_json(ctx, sess)


@ROUTES.op("removeClientSessionsAndRetainCookie")
def sign_out(ctx: FapiCtx) -> Json:
    """``Clerk.signOut()``: every session on the client ends; the client stays (its cookie too)."""
    client = ctx.client
    if client is None:
        return None
    for sess in views.live_sessions(ctx, client):
        bapi_sessions.set_status(ctx.state, sess, "ended", ctx.now)
    client.sign_in_id = client.sign_up_id = None
    ctx.touch_client()
    return views.client_json(ctx, client)




# -- the user's sessions on every device (<UserProfile/>'s "Active devices") --------------------------------------


@ROUTES.op("getSessions", bare=True)
def get_active_sessions(ctx: FapiCtx) -> Json:
    """A bare list: the user's live sessions on any client, with an activity stub (no device data offline)."""
    st = ctx.state
    user_id = active_session(ctx).user_id
    out = []
    for sid in st.auth.sessions_by_user.get(user_id, []):
        sess = st.auth.sessions[sid]
        if sess.status_at(ctx.now) not in views.LIVE:
            continue
        item = views.session_json(ctx, sess)
        item["latest_activity"] = {"object": "session_activity", "id": f"sess_activity_{sess.id.removeprefix('sess_')}",
                                   "is_mobile": False}
        out.append(item)
    return out


@ROUTES.op("revokeSession")
def revoke_session(ctx: FapiCtx) -> Json:
    """Sign another of the user's sessions out (``session.revoked``)."""
    st = ctx.state
    user_id = active_session(ctx).user_id
    sess = st.auth.sessions.get(ctx.path["session_id"])
    if sess is None or sess.user_id != user_id:
        raise errors.resource_not_found(f"No session was found with id {ctx.path['session_id']}", "Session not found")
    bapi_sessions.set_status(ctx.state, sess, "revoked", ctx.now)
    return views.session_json(ctx, sess)
