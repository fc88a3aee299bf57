"""OAuth Access Tokens: verifyOAuthAccessToken (served with and without ``/v1``); plus `issue`, which stands in
for Clerk-as-IdP's token endpoint (outside the Backend API) so tests can get a token to verify.

Body ``{access_token}`` (or the deprecated ``{secret}``, which the Python SDK sends).  Unknown, revoked and
expired tokens answer 404.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.sessions import OAuthAccessToken
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("oauth_access_tokens")
DEFAULT_TTL_S = 3600


def oauth_token_json(t: OAuthAccessToken, now: int) -> dict[str, Any]:
    return {
        "object": "clerk_idp_oauth_access_token",
        "id": t.id,
        "client_id": t.client_id,
        "subject": t.subject,
        "scopes": list(t.scopes),
        "revoked": t.revoked,
        "revocation_reason": t.revocation_reason,
        "expired": t.expiration is not None and now >= t.expiration,
        "expiration": t.expiration,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


def issue(st: State, user_id: str, client_id: str, now: int, *, scopes: list[str] | None = None,
          ttl_s: int | None = DEFAULT_TTL_S) -> OAuthAccessToken:
    """Mint an opaque ``oat_...`` access token for ``user_id`` (what an OAuth application would receive)."""
    if user_id not in st.users:
        raise ValueError(f"no user {user_id}")
    t = OAuthAccessToken(id=st.ids.hex("oat"), secret="oat_" + st.ids.token(30), client_id=client_id,
                         subject=user_id, created_at=now, updated_at=now, scopes=list(scopes or []),
                         expiration=None if ttl_s is None else now + ttl_s * 1000)
    st.auth.oauth_tokens[t.id] = t
    st.auth.oauth_secrets[t.secret] = t.id
    return t


@ROUTES.op("verifyOAuthAccessToken", "verify", unversioned=True)
def verify_oauth_access_token(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    value = ctx.body.get("access_token") or ctx.body.get("secret")
    if not value:
        raise errors.bad_request("Bad Request", "Invalid 'access_token': is required")
    token_id = st.auth.oauth_secrets.get(value)
    t = st.auth.oauth_tokens.get(token_id) if token_id else None
    if t is None or t.revoked or (t.expiration is not None and now >= t.expiration):
        raise errors.resource_not_found("OAuth access token not found")
    return oauth_token_json(t, now)
