"""Clients: GetClientList (deprecated), VerifyClient, GetClient, and GetHandshakePayload (the SSR handshake's
cookies by nonce: an operation the published spec leaves empty, declared in spec/undocumented.yml).

A client is one browser/device; it holds the sessions signed in on it.  FAPI identifies it with the ``__client``
cookie, a JWT signed with the instance key whose claims are ``{id, rotating_token}``; VerifyClient checks such a
token.  `client_token` mints one (what FAPI would set), for tests.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors, tokens
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records.sessions import Client
from clerkmock.engine.resources.auth.common import signing_key
from clerkmock.engine.resources.auth.sessions import session_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.spec import UNDOCUMENTED_API
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("clients")
UNDOCUMENTED_ROUTES = RouteSet("clients", UNDOCUMENTED_API)

# -- serializers --------------------------------------------------------------------------------------------------


def client_json(st: State, client: Client, now: int) -> dict[str, Any]:
    sessions = [st.auth.sessions[sid] for sid in client.session_ids]
    return {
        "object": "client",
        "id": client.id,
        "session_ids": [s.id for s in sessions],
        "sessions": [session_json(s, now) for s in sessions],
        "sign_in_id": None,
        "sign_up_id": None,
        "last_active_session_id": client.last_active_session_id,
        "last_authentication_strategy": None,
        "updated_at": client.updated_at,
        "created_at": client.created_at,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def require_client(st: State, client_id: str) -> Client:
    client = st.auth.clients.get(client_id)
    if client is None:
        raise errors.resource_not_found(f"No client was found with id {client_id}", "Client not found")
    return client


def client_token(st: State, client_id: str) -> str:
    """The ``__client`` cookie FAPI would set for this client (a JWT VerifyClient accepts)."""
    client = require_client(st, client_id)
    claims = {"id": client.id, "rotating_token": client.rotating_token}
    return tokens.sign(claims, signing_key(st), st.instance.id)


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("GetClientList", "list")
def get_client_list(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    limit, offset = limit_offset(ctx.query)
    clients = sorted(st.auth.clients.values(), key=lambda c: (c.created_at, c.id), reverse=True)
    data = [client_json(st, c, now) for c in clients[offset : offset + limit]]
    return paginated(data, len(clients)) if ctx.query.get("paginated") else data


@ROUTES.op("VerifyClient", "verify")
def verify_client(ctx: Ctx) -> Json:
    st = ctx.state
    try:
        claims = tokens.decode(ctx.body["token"], signing_key(st), verify_exp=False)
    except tokens.TokenInvalid:
        raise errors.cookie_invalid("The client token could not be verified.") from None
    missing = [c for c in ("id", "rotating_token") if not claims.get(c)]
    if missing:
        raise errors.cookie_invalid(f"The token is missing the following claims: {', '.join(missing)}")
    client = require_client(st, str(claims["id"]))
    if claims["rotating_token"] != client.rotating_token:
        raise errors.cookie_invalid(
            f"The client's rotating key does not match the given one {claims['rotating_token']}"
        )
    return client_json(st, client, ctx.now)


@ROUTES.op("GetClient", "get")
def get_client(ctx: Ctx) -> Json:
    return client_json(ctx.state, require_client(ctx.state, ctx.path["client_id"]), ctx.now)


@UNDOCUMENTED_ROUTES.op("GetHandshakePayload", "handshake_payload")
def get_handshake_payload(ctx: Ctx) -> Json:
    """What the Frontend API's handshake decided for one browser (engine/fapi/handshake.py): its Set-Cookie
    directives, once."""
    found = ctx.state.fapi.handshakes.pop(ctx.query["nonce"], None)  # single use
    if found is None or found.expires_at <= ctx.now:
        raise errors.resource_not_found("No handshake payload was found for this nonce: it is unknown, was "
                                        "already used or has expired.", "Handshake payload not found")
    return {"directives": found.directives}
