"""clerkmock's fake OAuth provider: the consent page a social sign-in sends the browser to, standing in for
Google's, GitHub's, Microsoft's … (fapi/oauth_accounts.py starts the trip and handles the callback).

``GET /__clerk/oauth/<provider>/authorize?state=…&redirect_uri=…`` (route ``oauth_provider.authorize``) is a
server-rendered page (no script, no CDN) listing the accounts the provider knows — the scenario's
``external_accounts`` and those typed here before — with a form to type a new one and a "Deny" button.
``POST`` to the same path (route ``oauth_provider.consent``) answers as a provider does: 303 to the Frontend
API's callback with ``code`` and ``state``, or ``error=access_denied``.  In the proxy modes the page is on the
Frontend API host (``https://<fapi host>/oauth/…``).  Both are named routes, so a fault rule can make the
provider fail (docs/browser.md).
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode

from clerkmock.engine.fapi import oauth_accounts, portal
from clerkmock.engine.records.oauth import Authorization, ProviderAccount
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.state import State
from clerkmock.engine.types import Request, Response

PREFIX = "/__clerk/oauth/"
_PATH = re.compile(r"^/__clerk/oauth/([a-z0-9_]+)/authorize$")
# No script may run on the page; its forms answer to itself, and the answer's redirects go on to the app (a
# `form-action` directive would cover those redirects too, so there is none).
HEADERS = {**portal.PAGE_HEADERS, "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "img-src data:; frame-ancestors 'none'"}


def is_page(path: str) -> bool:
    return path.startswith(PREFIX)


def route_name(method: str, path: str) -> str | None:
    if _PATH.match(path) is None:
        return None
    return "oauth_provider.consent" if method == "POST" else "oauth_provider.authorize"


def handle(st: State, request: Request, now: int) -> Response:
    name = route_name(request.method, request.path) or "oauth_provider"
    meta = {"route": name, "surface": "fapi"}
    m = _PATH.match(request.path)
    strategy = oauth_accounts.strategy_of(m.group(1)) if m else None
    if m is None or strategy is None:
        return _page(404, "Unknown provider", "<p>clerkmock's OAuth provider has no such page.</p>", meta)
    if request.method not in ("GET", "HEAD", "POST"):
        return Response(405, b"", {"allow": "GET, HEAD, POST", **HEADERS}, meta)
    form = _form(request) if request.method == "POST" else {}
    state = form.get("state") or (request.query.get("state") or [""])[0]
    auth = st.oauth.authorizations.get(state)
    if auth is None or auth.done or auth.strategy != strategy or auth.code is not None:
        return _page(400, "Invalid authorization request", "<p>This authorization request is unknown, was already "
                     "answered, or belongs to another provider. Start the sign-in again.</p>", meta)
    if request.method != "POST":
        return _consent(st, auth, meta)
    if form.get("action") == "deny":
        return _back(auth, {"error": "access_denied", "error_description": "The user denied the request.",
                            "state": state}, meta)
    if form.get("action") == "account":
        account = next((a for a in oauth_accounts.provider_accounts(st, strategy)
                        if a.provider_user_id == form.get("provider_user_id")), None)
        if account is None:
            return _consent(st, auth, meta, "That account is not known to this provider.", status=400)
    elif form.get("action") == "new":
        try:
            email = idns.check_format("email_address", form.get("email_address", ""), "email_address")
        except Exception:  # noqa: BLE001 - a ClerkError: shown on the page, not as JSON
            return _consent(st, auth, meta, "Type a valid email address.", status=400)
        pid = form.get("provider_user_id", "").strip() or oauth_accounts.new_provider_user_id(st)
        if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,128}", pid):
            return _consent(st, auth, meta, "A provider user id is letters, digits and _ . @ - only.", status=400)
        known = st.provider_index.get((strategy, pid)) or st.oauth.accounts.get((strategy, pid))
        if known is not None:
            return _consent(st, auth, meta, f"The provider already has an account with id {pid}.", status=400)
        account = ProviderAccount(strategy, pid, email, form.get("first_name", "").strip(),
                                  form.get("last_name", "").strip(), form.get("username", "").strip() or None)
        st.oauth.accounts[(strategy, pid)] = account
    else:
        return _consent(st, auth, meta, "Pick an account, type a new one, or deny.", status=400)
    code = st.ids.token(24)
    auth.code, auth.account = code, account
    st.oauth.codes[code] = state
    return _back(auth, {"code": code, "state": state, "scope": "openid email profile"}, meta)


def _back(auth: Authorization, query: dict[str, str], meta: dict[str, str]) -> Response:
    return Response(303, b"", {"location": f"{auth.callback_url}?{urlencode(query)}", "cache-control": "no-store"},
                    meta)


def _form(request: Request) -> dict[str, str]:
    try:
        fields = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {k: v[0] for k, v in fields.items()}


def _consent(st: State, auth: Authorization, meta: dict[str, str], problem: str = "", *, status: int = 200
             ) -> Response:
    provider = html.escape(oauth_accounts.display_name(auth.strategy))
    app = html.escape(st.fapi.settings.get("application_name") or "The application")
    state = html.escape(auth.state)
    rows = "".join(
        f"""<li><form method="post"><input type="hidden" name="state" value="{state}">
        <input type="hidden" name="action" value="account">
        <input type="hidden" name="provider_user_id" value="{html.escape(a.provider_user_id)}">
        <button type="submit">{html.escape(a.email_address)}</button>
        <span class="who">{html.escape(" ".join(p for p in (a.first_name, a.last_name) if p))}
        · id {html.escape(a.provider_user_id)}</span></form></li>"""
        for a in oauth_accounts.provider_accounts(st, auth.strategy))
    accounts = f"<ul>{rows}</ul>" if rows else "<p>The scenario declares no account at this provider.</p>"
    alert = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    body = f"""<p>{app} wants to sign you in with your {provider} account.</p>{alert}
<h2>Choose an account</h2>{accounts}
<h2>Or use another account</h2>
<form method="post" class="new"><input type="hidden" name="state" value="{state}">
  <input type="hidden" name="action" value="new">
  <label>Email address <input name="email_address" type="email" required></label>
  <label>First name <input name="first_name"></label>
  <label>Last name <input name="last_name"></label>
  <label>Provider user id <input name="provider_user_id" placeholder="generated"></label>
  <button type="submit">Continue with this account</button></form>
<form method="post"><input type="hidden" name="state" value="{state}">
  <input type="hidden" name="action" value="deny"><button type="submit">Deny</button></form>"""
    return _page(status, f"Sign in with {oauth_accounts.display_name(auth.strategy)}", body, meta)


def _page(status: int, title: str, body: str, meta: dict[str, str]) -> Response:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · clerkmock OAuth provider</title>
<link rel="icon" href="data:,"><style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;
padding:0 1rem}}li{{list-style:none;margin:.5rem 0}}label{{display:block;margin:.4rem 0}}
.who{{color:#555;margin-left:.5rem}}[role=alert]{{color:#b00020}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p class="note">clerkmock's stand-in for the provider: nothing leaves this machine.</p>
{body}</body></html>
"""
    return Response(status, page.encode(), dict(HEADERS), meta)
