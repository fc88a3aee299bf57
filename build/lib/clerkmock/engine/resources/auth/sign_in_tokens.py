"""Sign-in Tokens: CreateSignInToken, RevokeSignInToken; plus `redeem`, what FAPI does with the ticket.

A sign-in token is a one-time ticket (a JWT) that signs its user in at ``url``
(``https://<frontend host>/v1/tickets/accept?ticket=<token>``).  It is ``pending`` until used (``accepted``) or
revoked (``revoked``); only a pending token can be revoked (400 ``sign_in_token_cannot_be_revoked_code``).
Default lifetime 30 days.  Id prefix ``sit_`` (inferred: Clerk's specs show no example id).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from clerkmock.engine import errors, tokens
from clerkmock.engine.records.sessions import ActorToken, Session, SignInToken
from clerkmock.engine.resources import users
from clerkmock.engine.resources.auth.claims import org_membership
from clerkmock.engine.resources.auth.common import issuer, seconds, signing_key
from clerkmock.engine.resources.auth.sessions import open_session
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("sign_in_tokens")
DEFAULT_EXPIRES_IN_S = 30 * 24 * 3600


def ticket_url(st: State, token: str) -> str:
    return f"{issuer(st)}/v1/tickets/accept?ticket={quote(token, safe='')}"


def ticket(st: State, kind: str, token_id: str, now: int, expires_at: int) -> str:
    """The ticket FAPI accepts: a JWT signed with the instance key naming the token it stands for."""
    claims = {"exp": seconds(expires_at), "iat": seconds(now), "iid": st.instance.id, "sid": token_id, "st": kind}
    return tokens.sign(claims, signing_key(st), st.instance.id)


def ticket_json(st: State, obj: str, t: SignInToken | ActorToken, extra: dict[str, Any], *,
                with_secret: bool) -> dict[str, Any]:
    """The shape sign-in and actor tokens share; the ticket and its URL only in the create response."""
    out: dict[str, Any] = {"object": obj, "id": t.id, "status": t.status, "user_id": t.user_id, **extra}
    if with_secret:
        out["token"] = t.token
        out["url"] = ticket_url(st, t.token)
    out["created_at"] = t.created_at
    out["updated_at"] = t.updated_at
    return out


def accept_ticket[T: (SignInToken, ActorToken)](st: State, table: dict[str, T], token: str, now: int,
                                                 what: str) -> T:
    """Mark the pending, unexpired ticket ``token`` accepted (what FAPI does at the ticket URL)."""
    t = next((t for t in table.values() if t.token == token), None)
    if t is None or t.status != "pending" or now >= t.expires_at or t.user_id not in st.users:
        raise ValueError(f"this {what} is unknown, used, revoked or expired")
    t.status, t.updated_at = "accepted", now
    return t


def sign_in_token_json(st: State, t: SignInToken, *, with_secret: bool) -> dict[str, Any]:
    return ticket_json(st, "sign_in_token", t, {}, with_secret=with_secret)


def require_sign_in_token(st: State, token_id: str) -> SignInToken:
    t = st.auth.sign_in_tokens.get(token_id)
    if t is None:
        raise errors.resource_not_found(f"No sign in token was found with id {token_id}", "not found")
    return t


def redeem(st: State, token: str, now: int) -> Session:
    """Use a pending, unexpired sign-in token: it becomes ``accepted`` and its user gets a new session (what FAPI
    does at the ticket URL).  Raises ValueError when the token cannot be used."""
    t = accept_ticket(st, st.auth.sign_in_tokens, token, now, "sign-in token")
    return open_session(st, st.users[t.user_id], now, org_id=t.org_id)


@ROUTES.post("/sign_in_tokens", "create")
def create_sign_in_token(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    user = users.require_user(st, body["user_id"])
    org_id = body.get("org_id") or None
    if org_id and org_membership(st, user.id, org_id) is None:
        raise errors.form_param_value_invalid("org_id", "org_id must be an organization the user is a member of.")
    expires_in = body.get("expires_in_seconds") or DEFAULT_EXPIRES_IN_S
    token_id = st.ids.new("sit")
    expires_at = now + expires_in * 1000
    t = SignInToken(id=token_id, user_id=user.id, token=ticket(st, "sign_in_token", token_id, now, expires_at),
                    created_at=now, updated_at=now, expires_at=expires_at, org_id=org_id)
    st.auth.sign_in_tokens[t.id] = t
    return sign_in_token_json(st, t, with_secret=True)


@ROUTES.post("/sign_in_tokens/{sign_in_token_id}/revoke", "revoke")
def revoke_sign_in_token(ctx: Ctx) -> Json:
    st = ctx.state
    t = require_sign_in_token(st, ctx.path["sign_in_token_id"])
    if t.status != "pending":
        raise errors.sign_in_token_cannot_be_revoked(t.status)
    t.status, t.updated_at = "revoked", ctx.now
    return sign_in_token_json(st, t, with_secret=False)
