"""Actor Tokens: CreateActorToken, RevokeActorToken; plus `redeem`, what FAPI does with the ticket.

An actor token lets ``actor.sub`` impersonate ``user_id``: redeeming it opens a session whose ``actor`` is the
given payload, so the session's tokens carry ``act`` (reference/clerk-bapi.md §7).  Defaults: the token is valid
for 1 hour, the session it opens lasts 30 minutes.  An unknown ``user_id`` is a 422 ``form_resource_not_found``
(the operation documents 400, 402 and 422, not 404).  Only a pending token can be revoked (400
``actor_token_cannot_be_revoked_code``).  Id prefix ``act_`` (inferred).
"""

from __future__ import annotations

import copy
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.sessions import ActorToken, Session
from clerkmock.engine.resources.auth.sessions import open_session
from clerkmock.engine.resources.auth.sign_in_tokens import accept_ticket, ticket, ticket_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("actor_tokens")
DEFAULT_EXPIRES_IN_S = 3600
DEFAULT_SESSION_MAX_S = 1800


def actor_token_json(st: State, t: ActorToken, *, with_secret: bool) -> dict[str, Any]:
    return ticket_json(st, "actor_token", t, {"actor": t.actor}, with_secret=with_secret)


def require_actor_token(st: State, token_id: str) -> ActorToken:
    t = st.auth.actor_tokens.get(token_id)
    if t is None:
        raise errors.resource_not_found(f"No actor token was found with id {token_id}", "not found")
    return t


def redeem(st: State, token: str, now: int) -> Session:
    """Use a pending, unexpired actor token: it becomes ``accepted`` and an impersonation session opens."""
    t = accept_ticket(st, st.auth.actor_tokens, token, now, "actor token")
    return open_session(st, st.users[t.user_id], now, actor=t.actor, lifetime_ms=t.session_max_duration_s * 1000)


@ROUTES.post("/actor_tokens", "create")
def create_actor_token(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    user = st.users.get(body["user_id"])
    if user is None:  # a body parameter naming nothing: the spec documents 422 here, not 404
        raise errors.form_resource_not_found("user_id")
    actor = copy.deepcopy(body["actor"])
    if not isinstance(actor.get("sub"), str) or not actor["sub"]:
        raise errors.form_param_value_invalid("actor", "actor must include a sub with the ID of the actor.")
    expires_in = body.get("expires_in_seconds") or DEFAULT_EXPIRES_IN_S
    session_max = body.get("session_max_duration_in_seconds") or DEFAULT_SESSION_MAX_S
    if expires_in <= 0:
        raise errors.form_param_value_invalid("expires_in_seconds", "expires_in_seconds must be positive.")
    if session_max <= 0:
        raise errors.form_param_value_invalid("session_max_duration_in_seconds",
                                              "session_max_duration_in_seconds must be positive.")
    token_id = st.ids.new("act")
    expires_at = now + expires_in * 1000
    token = ticket(st, "actor_token", token_id, now, expires_at)
    t = ActorToken(id=token_id, user_id=user.id, actor=actor, token=token,
                   created_at=now, updated_at=now, expires_at=expires_at, session_max_duration_s=session_max)
    st.auth.actor_tokens[t.id] = t
    return actor_token_json(st, t, with_secret=True)


@ROUTES.post("/actor_tokens/{actor_token_id}/revoke", "revoke")
def revoke_actor_token(ctx: Ctx) -> Json:
    st = ctx.state
    t = require_actor_token(st, ctx.path["actor_token_id"])
    if t.status != "pending":
        raise errors.actor_token_cannot_be_revoked(t.status)
    t.status, t.updated_at = "revoked", ctx.now
    return actor_token_json(st, t, with_secret=False)
