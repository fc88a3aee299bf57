"""The server-side-rendering handshake: handshakeClient (``GET /v1/client/handshake``).

An app's server (``@clerk/backend``'s ``authenticateRequest``: Next.js, Express …) cannot tell from its cookies
who is signed in (no ``__session``, an expired one, a token older than ``__client_uat``, a dev browser to adopt)
and sends the browser here, a top-level navigation.  FAPI works out the browser's state and answers 307 back to
``redirect_url`` with a nonce; the app's server fetches the Set-Cookie *directives* for it from the Backend API
(``GET /v1/clients/handshake_payload``, resources/auth/clients.py), re-emits them and redirects to the clean URL
(reference/clerk-fapi.md §7, §9).

* Dev-browser mode (a development instance, or a ``__clerk_db_jwt`` in the query): the browser is the dev
  browser of the query's token (a cross-site navigation carries no cookies); a missing or unknown token gets a
  new dev browser, not a 401 (nothing would heal it).  The redirect carries ``__clerk_db_jwt`` and the
  directives set it on the app's domain, where nothing else would.
* Cookie mode (production): the browser is its ``__client`` cookie (FAPI on the app's site).
* Directives: ``__session`` (a fresh token of the client's active session, or deleted), ``__client_uat``
  (``client.updated_at`` in s, or 0) and, in dev-browser mode, ``__clerk_db_jwt``: each plain and with the
  publishable key's suffix (`cookie_suffix`), because @clerk/backend reads either.  The token is minted now,
  so its ``iat`` is never before ``__client_uat``.
* ``organization_id``: an id or slug the user belongs to becomes the session's active organization, ``""``
  the personal account; anything else leaves it as it is (the spec's rule).
* ``format=nonce`` (what @clerk/backend sends): ``__clerk_handshake_nonce``, single use, `NONCE_LIFETIME_MS`;
  ``format=token`` (the spec's default): ``__clerk_handshake``, a JWT signed with the instance key whose
  ``handshake`` claim lists the directives.  In dev-browser mode they travel in the redirect's query (the app is
  another site); in cookie mode as a cookie for the app's site (FAPI is on it, @clerk/backend reads the cookie
  and leaves the URL alone), which the directives then delete.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from clerkmock.engine import errors, tokens
from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.browsers import (
    CLIENT_COOKIE,
    DEV_BROWSER_COOKIE,
    client_from_cookie,
    dev_browser_token,
    request_cookies,
)
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes
from clerkmock.engine.origins import is_allowed_origin, origin_of
from clerkmock.engine.records.fapi import DevBrowser, Handshake
from clerkmock.engine.records.sessions import Session
from clerkmock.engine.resources.auth.common import signing_key
from clerkmock.engine.routing import Reply
from clerkmock.engine.state import State

ROUTES = FapiRoutes("handshake")

NONCE_LIFETIME_MS = 60_000  # the app's server fetches the payload right after the redirect
YEAR_S = 365 * 24 * 3600
NONCE_COOKIE, TOKEN_COOKIE = "__clerk_handshake_nonce", "__clerk_handshake"  # @clerk/backend's names
# Query parameters of an earlier handshake that must not ride along on the way back (a stale nonce would be
# fetched again, a stale dev-browser token adopted).
STALE_PARAMS = ("__clerk_handshake", "__clerk_handshake_nonce", "__clerk_db_jwt", "__dev_session")


def publishable_key(st: State) -> str:
    """The instance's publishable key, as the app holds it (``pk_live_`` for a production instance)."""
    return tokens.publishable_key(st.instance.frontend_host, live=st.instance.environment == "production")


def cookie_suffix(key: str) -> str:
    """@clerk/shared's ``getCookieSuffix``: the first 8 characters of base64url(sha1(publishable key))."""
    digest = hashlib.sha1(key.encode()).digest()  # noqa: S324 - a cookie name, not security
    return base64.urlsafe_b64encode(digest).decode("ascii")[:8]


def _cookie(name: str, value: str, *, secure: bool, max_age: int | None = None, http_only: bool = False) -> str:
    parts = [f"{name}={value}", "Path=/"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    parts.append("SameSite=Lax")  # Lax: the navigation back from FAPI or the Account Portal is cross-site
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def directives(st: State, *, token: str | None, client_uat: int, dev_browser: str | None, secure: bool) -> list[str]:
    """The Set-Cookie strings for the app's domain, each plain and suffixed."""
    plain: list[tuple[str, str, int | None]] = []
    if token is not None:
        plain.append(("__session", token, None))
    else:
        plain.append(("__session", "", 0))
    plain.append(("__client_uat", str(client_uat), 10 * YEAR_S))
    if dev_browser is not None:
        plain.append((DEV_BROWSER_COOKIE, dev_browser, YEAR_S))
    sfx = cookie_suffix(publishable_key(st))
    out = []
    for name, value, max_age in plain:
        out.append(_cookie(name, value, secure=secure, max_age=max_age))
        out.append(_cookie(f"{name}_{sfx}", value, secure=secure, max_age=max_age))
    return out


def _redirect_target(st: State, value: str | None) -> str:
    if not value:
        raise errors.missing_query_parameter("redirect_url")
    origin = origin_of(value)
    if origin is None:
        raise errors.form_param_format_invalid("redirect_url", "redirect_url must be an absolute http(s) URL.")
    host = urlsplit(origin).hostname or ""
    domains = [d.name.lower() for d in st.instance_config.domains.values() if d.name]
    if not (is_allowed_origin(origin, st) or any(host == d or host.endswith("." + d) for d in domains)):
        raise errors.form_param_value_invalid(
            "redirect_url", f"{origin} is not an origin of this instance: a loopback origin, one of its domains, "
                            "allowed_origins or redirect URLs.")
    return value


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in STALE_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))


def _identify(ctx: FapiCtx) -> None:
    """The browser: the query's dev browser (or a new one) in dev-browser mode, else the ``__client`` cookie."""
    st = ctx.state
    token = dev_browser_token(ctx.request)
    if token or st.instance.environment != "production":
        db = st.fapi.dev_browsers.get(token) if token else None
        if db is None:
            db = DevBrowser(token=st.ids.new("dvb"), created_at=ctx.now)
            st.fapi.dev_browsers[db.token] = db
        ctx.dev_browser = db
        ctx.client = st.auth.clients.get(db.client_id) if db.client_id else None
        return
    ctx.cookie_mode = True
    raw = request_cookies(ctx.request).get(CLIENT_COOKIE)
    ctx.client = client_from_cookie(ctx, raw) if raw else None


def _active_session(ctx: FapiCtx) -> Session | None:
    client = ctx.client
    if client is None:
        return None
    return next((s for s in views.live_sessions(ctx, client) if s.id == client.last_active_session_id), None)


def _switch_org(ctx: FapiCtx, sess: Session, value: str) -> None:
    from clerkmock.engine.fapi.sessions import resolve_org

    try:
        sess.last_active_organization_id = resolve_org(ctx, sess, value, "organization_id")
    except errors.ClerkError:
        return  # not an organization of the user's: the active one does not change (spec)


@ROUTES.op("handshakeClient")
def handshake_client(ctx: FapiCtx) -> Reply:
    st, now = ctx.state, ctx.now
    query = ctx.request.query
    target = _redirect_target(st, (query.get("redirect_url") or [""])[0])
    _identify(ctx)
    ctx.origin = origin_of(target)  # the token's azp: the app the browser returns to
    sess = _active_session(ctx)
    token = None
    if sess is not None:
        if "organization_id" in query:
            _switch_org(ctx, sess, query["organization_id"][0])
        sess.last_active_at = now
        token = views.mint(ctx, sess)
    client_uat = (ctx.client.updated_at // 1000) if sess is not None and ctx.client is not None else 0
    dev_browser = ctx.dev_browser.token if ctx.dev_browser is not None else None
    secure = target.lower().startswith("https:")
    cookies = directives(st, token=token, client_uat=client_uat, dev_browser=dev_browser, secure=secure)
    if dev_browser is None:  # cookie mode: the handshake cookie is spent once the app has set these
        cookies += [_cookie(name, "", secure=secure, max_age=0) for name in (NONCE_COOKIE, TOKEN_COOKIE)]
    if (ctx.query.get("format") or "token") == "nonce":
        for nonce in [n for n, h in st.fapi.handshakes.items() if h.expires_at <= now]:
            del st.fapi.handshakes[nonce]  # expired and never fetched
        nonce = st.ids.token(24)
        st.fapi.handshakes[nonce] = Handshake(nonce, cookies, now + NONCE_LIFETIME_MS)
        carrier = (NONCE_COOKIE, nonce)
    else:
        carrier = (TOKEN_COOKIE, handshake_token(st, cookies, now))
    headers = {"cache-control": "no-store"}
    if dev_browser is not None:  # dev-browser mode: in the query (the app is another site)
        headers["location"] = _with_query(target, {carrier[0]: carrier[1], DEV_BROWSER_COOKIE: dev_browser})
    else:  # cookie mode: a cookie for the app's site (FAPI is on it), read by @clerk/backend, URL left clean
        headers["location"] = _with_query(target, {})
        ctx.cookies.append(_cookie(carrier[0], carrier[1], secure=secure, max_age=NONCE_LIFETIME_MS // 1000,
                                   http_only=True))
    return Reply(307, b"", headers)


def handshake_token(st: State, cookies: list[str], now: int) -> str:
    """``format=token``: the directives as the ``handshake`` claim of a JWT @clerk/backend verifies with the
    instance's key (as it verifies session tokens)."""
    claims: dict[str, Any] = {"handshake": cookies, "iat": now // 1000, "exp": now // 1000 + NONCE_LIFETIME_MS // 1000}
    return tokens.sign(claims, signing_key(st), st.instance.id)
