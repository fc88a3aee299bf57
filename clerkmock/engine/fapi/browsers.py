"""How the Frontend API tells browsers apart: the dev-browser token (query parameter, or the cookie clerk-js writes
on the app's domain when FAPI is same-origin) and the ``__client`` cookie of cookie mode.  Used by the surface
for every request and by the handshake, which identifies the browser itself."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from clerkmock.engine import tokens
from clerkmock.engine.fapi.routing import FapiCtx
from clerkmock.engine.records.sessions import Client
from clerkmock.engine.resources.auth.common import signing_key
from clerkmock.engine.types import Request

DEV_BROWSER_PARAMS = ("__clerk_db_jwt", "__dev_session")
DEV_BROWSER_COOKIE = "__clerk_db_jwt"
CLIENT_COOKIE = "__client"


def request_cookies(request: Request) -> dict[str, str]:
    header = request.headers.get("cookie")
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def dev_browser_token(request: Request) -> str | None:
    """The query's token, else the cookie's; None when neither is there."""
    token = next((request.query[p][0] for p in DEV_BROWSER_PARAMS if request.query.get(p)), None)
    return token or request_cookies(request).get(DEV_BROWSER_COOKIE) or None


def client_from_cookie(ctx: FapiCtx, raw: str) -> Client | None:
    """The client a ``__client`` cookie names, if its signature and rotating token still hold."""
    try:
        claims = tokens.decode(raw, signing_key(ctx.state), verify_exp=False)
    except tokens.TokenInvalid:
        return None
    client = ctx.state.auth.clients.get(str(claims.get("id")))
    if client is None or claims.get("rotating_token") != client.rotating_token:
        return None
    return client
