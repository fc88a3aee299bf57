"""Sessions: GetSessionList, createSession, GetSession, RefreshSession, RevokeSession, CreateSessionToken,
CreateSessionTokenFromTemplate.

Lifecycle (Clerk's session statuses): a session is ``active`` until it is revoked (``revoked``), its user is
deleted (``ended``), it is displaced on its client (``replaced``/``removed``, set by callers that model FAPI), it
passes ``expire_at`` (7 days after creation: ``expired``) or ``abandon_at`` (30 days: ``abandoned``).  The last
two are computed against the engine clock on every read, so a test that advances the clock sees them.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors, events, tokens
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records import User
from clerkmock.engine.records.sessions import Client, Session
from clerkmock.engine.resources import users
from clerkmock.engine.resources.auth import claims as claims_mod
from clerkmock.engine.resources.auth import jwt_templates, session_tasks
from clerkmock.engine.resources.auth.common import (
    DAY_MS,
    origin_of,
    request_origin,
    require_session,
    signing_key,
)
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("sessions")
SESSION_LIFETIME_MS = 7 * DAY_MS  # Clerk's default maximum session lifetime
SESSION_INACTIVITY_MS = 30 * DAY_MS  # abandon_at
TOKEN_STATUSES = ("active", "pending")  # a session in any other status gets no token

# -- serializers --------------------------------------------------------------------------------------------------


def session_json(sess: Session, now: int) -> dict[str, Any]:
    return {
        "object": "session",
        "id": sess.id,
        "user_id": sess.user_id,
        "client_id": sess.client_id,
        "actor": sess.actor,
        "status": sess.status_at(now),
        "last_active_organization_id": sess.last_active_organization_id,
        "last_active_at": sess.last_active_at,
        "expire_at": sess.expire_at,
        "abandon_at": sess.abandon_at,
        "updated_at": sess.updated_at,
        "created_at": sess.created_at,
        "tasks": session_tasks.tasks(sess, now),
    }


def session_event_json(st: State, sess: Session, now: int) -> dict[str, Any]:
    """The ``session.*`` webhook payload: the session (the webhook spec's Session has no ``tasks``) with its
    ``user`` embedded."""
    out = session_json(sess, now)
    del out["tasks"]
    user = st.users.get(sess.user_id)
    out["user"] = users.user_json(st, user, now) if user is not None else None
    return out


def emit_session(st: State, type_: str, sess: Session, now: int | None = None) -> None:
    events.emit(st, type_, lambda: session_event_json(st, sess, now if now is not None else sess.updated_at), now)


def token_json(jwt_value: str) -> dict[str, Any]:
    return {"object": "token", "jwt": jwt_value}


# -- operations ---------------------------------------------------------------------------------------------------


def open_session(
    st: State,
    user: User,
    now: int,
    *,
    org_id: str | None = None,
    actor: dict[str, Any] | None = None,
    lifetime_ms: int = SESSION_LIFETIME_MS,
    client: Client | None = None,
) -> Session:
    """Sign ``user`` in on a new client (what createSession, and redeeming a sign-in or actor token, do), or on
    ``client`` (the browser's, when the Frontend API signs in)."""
    if client is None:
        client = Client(id=st.ids.new("client"), created_at=now, updated_at=now, rotating_token=st.ids.token(16))
    sess = Session(
        id=st.ids.new("sess"),
        user_id=user.id,
        client_id=client.id,
        created_at=now,
        updated_at=now,
        last_active_at=now,
        expire_at=now + lifetime_ms,
        abandon_at=now + max(lifetime_ms, SESSION_INACTIVITY_MS),
        actor=dict(actor) if actor else None,
        last_active_organization_id=org_id,
        refresh_token=st.ids.token(24),
        first_factor_at=now,
        tasks=session_tasks.initial_tasks(st, user, org_id, actor),
    )
    if sess.tasks:
        sess.status = "pending"
    client.session_ids.append(sess.id)
    client.last_active_session_id = sess.id
    client.updated_at = now
    st.auth.clients[client.id] = client
    st.auth.sessions[sess.id] = sess
    st.auth.sessions_by_user.setdefault(user.id, []).append(sess.id)
    if actor is None:  # an impersonation is not the user's own sign-in
        user.last_sign_in_at = now
        user.last_active_at = now
    # A session that waits on a task is announced as pending; session.created follows when it becomes active
    # (complete_task).
    emit_session(st, "session.pending" if sess.status == "pending" else "session.created", sess, now)
    return sess


def complete_task(st: State, sess: Session, key: str, now: int) -> None:
    """A task of a pending session is done; after its last one the session is active (``session.created``)."""
    if session_tasks.complete(sess, key, now):
        emit_session(st, "session.created", sess, now)


def set_status(st: State, sess: Session, status: str, now: int) -> None:
    """Move a session that is still live (active/pending) to a terminal status (``revoked``, ``ended``,
    ``removed``) and fire ``session.<status>``; others keep theirs and fire nothing."""
    if sess.status_at(now) in TOKEN_STATUSES:
        sess.status = status
        sess.updated_at = now
        emit_session(st, f"session.{status}", sess, now)


def revoke_user_sessions(st: State, user_id: str, now: int, *, keep: str | None = None) -> None:
    """``sign_out_of_other_sessions``: revoke every live session of the user but ``keep``."""
    for sid in st.auth.sessions_by_user.get(user_id, []):
        if sid != keep:
            set_status(st, st.auth.sessions[sid], "revoked", now)


def end_user_sessions(st: State, user: User) -> None:
    """A user-delete cascade (resources/__init__.py): Clerk ends every session of a deleted user.  The cascade
    gets no clock, so ``updated_at`` keeps the last activity (every live session is ended regardless)."""
    for sid in st.auth.sessions_by_user.get(user.id, []):
        sess = st.auth.sessions[sid]
        if sess.status in TOKEN_STATUSES:
            sess.status = "ended"
            emit_session(st, "session.ended", sess)


def require_live_session(st: State, session_id: str, now: int) -> Session:
    sess = require_session(st, session_id)
    status = sess.status_at(now)
    if status not in TOKEN_STATUSES or sess.user_id not in st.users:
        raise errors.authentication_invalid(f"Session {session_id} is {status}; only active sessions can mint tokens.")
    return sess


def mint_session_token(
    st: State, sess: Session, now: int, version: str, *, lifetime_s: int | None = None, azp: str | None = None
) -> str:
    claims = claims_mod.session_claims(
        st,
        sess,
        now=now,
        version=version,
        jti=_jti(st),
        lifetime_s=lifetime_s or claims_mod.DEFAULT_LIFETIME_S,
        azp=azp,
    )
    return tokens.sign(claims, signing_key(st), st.instance.id)


def _jti(st: State) -> str:
    # Clerk's jti is 20 hex characters (e.g. "10db7f531a90cb2faea4").
    return st.ids.hex("jti", 20).removeprefix("jti_")


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("GetSessionList", "list")
def get_session_list(ctx: Ctx) -> Json:
    st, q, now = ctx.state, ctx.query, ctx.now
    # Since 2024-01-01 Clerk wants one of these (spec: "at least one ... should be provided"; docs: "requires").
    if not q.get("client_id") and not q.get("user_id"):
        raise errors.missing_query_parameter("client_id", "user_id")
    limit, offset = limit_offset(q)
    if q.get("user_id"):
        candidates = [st.auth.sessions[s] for s in st.auth.sessions_by_user.get(q["user_id"], [])]
    else:
        client = st.auth.clients.get(q["client_id"])
        candidates = [st.auth.sessions[s] for s in client.session_ids] if client else []
    if q.get("client_id"):
        candidates = [s for s in candidates if s.client_id == q["client_id"]]
    if q.get("status"):
        candidates = [s for s in candidates if s.status_at(now) == q["status"]]
    candidates.sort(key=lambda s: (s.created_at, s.id), reverse=True)
    data = [session_json(s, now) for s in candidates[offset : offset + limit]]
    return paginated(data, len(candidates)) if q.get("paginated") else data


@ROUTES.op("createSession", "create")
def create_session(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    if st.instance.environment == "production":
        raise errors.request_invalid_for_environment("development")
    user = users.require_user(st, body["user_id"])
    org_id = body.get("active_organization_id") or None
    if org_id and claims_mod.org_membership(st, user.id, org_id) is None:
        raise errors.resource_not_found("Given organization not found.")
    sess = open_session(st, user, now, org_id=org_id)
    return session_json(sess, now)


@ROUTES.op("GetSession", "get")
def get_session(ctx: Ctx) -> Json:
    return session_json(require_session(ctx.state, ctx.path["session_id"]), ctx.now)


@ROUTES.op("RevokeSession", "revoke")
def revoke_session(ctx: Ctx) -> Json:
    sess = require_session(ctx.state, ctx.path["session_id"])
    set_status(ctx.state, sess, "revoked", ctx.now)
    return session_json(sess, ctx.now)


@ROUTES.op("CreateSessionToken", "create_token")
def create_session_token(ctx: Ctx) -> Json:
    st = ctx.state
    sess = require_live_session(st, ctx.path["session_id"], ctx.now)
    jwt_value = mint_session_token(st, sess, ctx.now, ctx.version, lifetime_s=ctx.body.get("expires_in_seconds"),
                                   azp=request_origin(ctx))
    return token_json(jwt_value)


@ROUTES.op("CreateSessionTokenFromTemplate", "create_token_from_template")
def create_session_token_from_template(ctx: Ctx) -> Json:
    st = ctx.state
    sess = require_live_session(st, ctx.path["session_id"], ctx.now)
    template = jwt_templates.require_template_by_name(st, ctx.path["template_name"])
    jwt_value = jwt_templates.mint(st, template, sess, ctx.now, lifetime_s=ctx.body.get("expires_in_seconds"),
                                   azp=request_origin(ctx), jti=_jti(st))
    return token_json(jwt_value)


@ROUTES.op("RefreshSession", "refresh")
def refresh_session(ctx: Ctx) -> Json:
    """The SDKs call this when a ``__session`` cookie has expired but a ``__refresh`` cookie is present; any
    401 sends them to the handshake instead (spec)."""
    st, body, now, sid = ctx.state, ctx.body, ctx.now, ctx.path["session_id"]
    sess = st.auth.sessions.get(sid)
    if sess is None:
        raise errors.session_refresh_error("session_refresh_session_not_found", sid)
    try:
        expired = tokens.decode(body["expired_token"], signing_key(st), verify_exp=False)
    except tokens.TokenInvalid:
        raise errors.session_refresh_error("expired_session_token_invalid") from None
    if not expired.get("sid"):
        raise errors.session_refresh_error("expired_session_token_missing_sid")
    if expired["sid"] != sid:
        raise errors.session_refresh_error("refresh_sid_mismatch")
    if not sess.refresh_token or body["refresh_token"] != sess.refresh_token:
        raise errors.session_refresh_error("refresh_token_not_found")
    origin = origin_of(body["request_origin"])
    if origin is None:
        raise errors.session_refresh_error("refresh_request_origin_invalid")
    if not expired.get("azp"):
        raise errors.session_refresh_error("expired_session_token_missing_azp")
    if origin_of(str(expired["azp"])) != origin:
        raise errors.session_refresh_error("refresh_request_origin_azp_mismatch")
    if sess.status_at(now) not in TOKEN_STATUSES:
        raise errors.session_refresh_error("session_refresh_inactive_session")
    if sess.user_id not in st.users:
        raise errors.session_refresh_error("session_refresh_user_not_found")
    sess.last_active_at = now
    sess.updated_at = now
    jwt_value = mint_session_token(st, sess, now, ctx.version, azp=origin)
    if body.get("format") == "cookie":
        iat = now // 1000
        cookies = [
            f"__session={jwt_value}; Path=/; Secure; SameSite=Lax",
            f"__client_uat={iat}; Path=/; Max-Age=315360000; Secure; SameSite=Lax",
        ]
        return {"object": "cookies", "cookies": cookies}
    return token_json(jwt_value)


def refresh_token_for(st: State, session_id: str) -> str:
    """The session's ``__refresh`` cookie value (what FAPI's handshake would have set), for tests."""
    return require_session(st, session_id).refresh_token

