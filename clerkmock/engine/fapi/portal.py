"""The hosted sign-in pages (what Clerk calls the Account Portal): ``/sign-in``, ``/sign-up`` and ``/user``.

Served on the base URL under ``/__clerk/`` (beside the Frontend API's ``/__clerk/v1/…`` and the bundles'
``/__clerk/npm/…``) and, in the proxy modes, on the Account Portal host ``<slug>.accounts.dev`` (the adapter
prefixes ``/__clerk`` there, as on the Frontend API host).  Each page is plain HTML that loads clerk-js and
@clerk/ui from clerkmock's bundle cache with the instance's publishable key and mounts Clerk's own component
(``mountSignIn`` / ``mountSignUp`` / ``mountUserProfile``).  Everything else is clerk-js's doing, as on Clerk's
real Account Portal (reference/clerk-fapi.md §9): it adopts ``__clerk_db_jwt`` from the URL, signs in on that dev
browser's client and navigates to ``<redirect_url>?__clerk_db_jwt=…`` — only to an origin in
``allowedRedirectOrigins``, which the page fills with the redirect's origin when the instance trusts it (loopback,
its allowed origins, its redirect URLs: engine/origins.py).  The page adds no redirect of its own: the handshake's
redirect counter is already at 2 on the way back.

Pure: the HTML is built from the state and the request (its Host says which host the page and its links use).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from clerkmock.engine import origins
from clerkmock.engine.fapi.hosts import fapi_hosts, host_name, request_is_https
from clerkmock.engine.origins import account_portal_host
from clerkmock.engine.state import State
from clerkmock.engine.types import Request, Response

PREFIX = "/__clerk"
HTML_TYPE = "text/html; charset=utf-8"
# name -> (route name for fault rules and the journal, clerk-js mount function, title)
PAGES = {
    "/sign-in": ("portal.sign_in", "mountSignIn", "Sign in"),
    "/sign-up": ("portal.sign_up", "mountSignUp", "Sign up"),
    "/user": ("portal.user", "mountUserProfile", "Your account"),
}
PAGE_HEADERS = {
    "content-type": HTML_TYPE,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@dataclass(frozen=True, slots=True)
class Where:
    """How the browser reached clerkmock for this request: the pages' base URL, the proxy URL clerk-js needs
    (None on the Account Portal host: clerk-js then finds the Frontend API from the key, through the proxy) and
    where the bundles are."""

    pages: str  # e.g. http://127.0.0.1:4818/__clerk  or  https://clerkmock.accounts.dev
    proxy_url: str | None
    bundles: str  # e.g. http://127.0.0.1:4818/__clerk/npm  or  https://clerkmock.clerk.accounts.dev/npm


def where(st: State, request: Request) -> Where:
    host_header = (request.headers.get("host") or request.host or "").strip()
    name = host_name(request)
    if name == account_portal_host(st) or name in fapi_hosts(st):
        # the real hosts, reached through the forward or transparent proxy: https, no /__clerk, no proxy URL
        return Where(f"https://{account_portal_host(st)}", None, f"https://{st.instance.frontend_host}/npm")
    scheme = "https" if request_is_https(request) else "http"
    base = f"{scheme}://{host_header or '127.0.0.1'}{PREFIX}"
    return Where(base, base, base + "/npm")


def urls(st: State, request: Request) -> dict[str, str]:
    """The environment's ``display_config`` URLs: Clerk points them at the Account Portal; so does clerkmock, on
    the host the environment request came in on."""
    base = where(st, request).pages
    return {"sign_in_url": base + "/sign-in", "sign_up_url": base + "/sign-up", "user_profile_url": base + "/user"}


def is_page(path: str) -> bool:
    return path.startswith(PREFIX) and path[len(PREFIX):] in PAGES


def route_name(path: str) -> str | None:
    page = PAGES.get(path[len(PREFIX):]) if path.startswith(PREFIX) else None
    return page[0] if page else None


def handle(st: State, request: Request) -> Response:
    name, mount, title = PAGES[request.path[len(PREFIX):]]
    meta = {"route": name, "surface": "fapi"}
    if request.method not in ("GET", "HEAD"):
        return Response(405, b"", {"allow": "GET, HEAD", **PAGE_HEADERS}, meta)
    here = where(st, request)
    redirect = (request.query.get("redirect_url") or [""])[0].strip()
    target_origin = origins.origin_of(redirect) if redirect else None
    if redirect and (target_origin is None or not _allowed(st, target_origin, here)):
        meta["error_code"] = "redirect_url_not_allowed"
        return Response(400, _refusal(st, redirect, title).encode(), dict(PAGE_HEADERS), meta)
    return Response(200, _page(st, here, mount, title, redirect or None, target_origin).encode(),
                    dict(PAGE_HEADERS), meta)


def _allowed(st: State, origin: str, here: Where) -> bool:
    return origin == origins.origin_of(here.pages) or origins.is_allowed_origin(origin, st)


def _link(here: Where, page: str, redirect: str | None) -> str:
    return f"{here.pages}{page}" + (f"?{urlencode({'redirect_url': redirect})}" if redirect else "")


def _page(st: State, here: Where, mount: str, title: str, redirect: str | None, target_origin: str | None) -> str:
    from clerkmock.engine.tokens import publishable_key

    pk = publishable_key(st.instance.frontend_host, live=st.instance.environment == "production")
    # Without a redirect_url the user ends on the Account Portal's own profile page (Clerk sends them to the
    # app's home, which clerkmock does not know).
    after = redirect or here.pages + "/user"
    props: dict[str, Any] = {}
    if mount == "mountSignIn":
        props = {"forceRedirectUrl": after, "signUpForceRedirectUrl": after,
                 "signUpUrl": _link(here, "/sign-up", redirect)}
    elif mount == "mountSignUp":
        props = {"forceRedirectUrl": after, "signInForceRedirectUrl": after,
                 "signInUrl": _link(here, "/sign-in", redirect)}
    config = {
        "mount": mount,
        "props": props,
        "load": {
            "signInUrl": _link(here, "/sign-in", redirect),
            "signUpUrl": _link(here, "/sign-up", redirect),
            "allowedRedirectOrigins": sorted({o for o in (origins.origin_of(here.pages), target_origin) if o}),
            "telemetry": False,
        },
        # /user signed out: the sign-in component, coming back here (no navigation of the page's own)
        "signedOut": {"forceRedirectUrl": here.pages + "/user", "signUpUrl": _link(here, "/sign-up", None)},
    }
    proxy_attr = f' data-clerk-proxy-url="{html.escape(here.proxy_url)}"' if here.proxy_url else ""
    return _TEMPLATE.format(
        title=html.escape(f"{title} · clerkmock Account Portal"),
        ui_url=html.escape(_bundle(here, "@clerk/ui")),
        js_url=html.escape(_bundle(here, "@clerk/clerk-js")),
        pk=html.escape(pk),
        proxy_attr=proxy_attr,
        config=_script_json(config),
    )


def _bundle(here: Where, package: str) -> str:
    from clerkmock.assets.cache import DEFAULT_VERSIONS  # a constant: the majors the pages load

    major = DEFAULT_VERSIONS[package].split(".")[0]
    entry = "ui.browser.js" if package == "@clerk/ui" else "clerk.browser.js"
    return f"{here.bundles}/{package}@{major}/dist/{entry}"


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end or open anything."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _refusal(st: State, redirect: str, title: str) -> str:
    trusted = sorted(origins.trusted_origins(st))
    allowed = ", ".join(trusted) if trusted else "none besides loopback"
    return _REFUSAL.format(
        title=html.escape(title),
        redirect=html.escape(redirect),
        allowed=html.escape(allowed),
    )


_TEMPLATE = """<!doctype html>
<!-- clerkmock's Account Portal page: Clerk's own UI components from clerkmock's bundle cache. -->
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:,">
  <style>body{{margin:0;min-height:100vh;display:flex;align-items:flex-start;justify-content:center;
  padding-top:3rem;background:#f4f4f5;font-family:system-ui,sans-serif}}</style>
</head>
<body>
  <main id="clerk-portal"></main>
  <script src="{ui_url}" crossorigin="anonymous"></script>
  <script src="{js_url}" crossorigin="anonymous" data-clerk-publishable-key="{pk}"{proxy_attr}></script>
  <script>
    (function () {{
      var config = {config};
      var root = document.getElementById("clerk-portal");
      var options = Object.assign({{ ui: {{ ClerkUI: window.__internal_ClerkUICtor }} }}, config.load);
      window.Clerk.load(options).then(function () {{
        if (config.mount === "mountUserProfile" && !window.Clerk.user) {{
          window.Clerk.mountSignIn(root, config.signedOut);
        }} else {{
          window.Clerk[config.mount](root, config.props);
        }}
        window.clerkPortalReady = true;
      }}).catch(function (err) {{
        window.clerkPortalError = String(err);
        root.textContent = "clerkmock: Clerk did not load: " + err;
      }});
    }})();
  </script>
</body>
</html>
"""

_REFUSAL = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}: redirect not allowed</title><link rel="icon" href="data:,"></head>
<body>
  <main id="clerk-portal-error" role="alert">
    <h1>This redirect URL is not allowed</h1>
    <p>clerkmock's Account Portal will not send you to <code>{redirect}</code>: its origin is neither loopback nor
    one the instance trusts ({allowed}).</p>
    <p>Add it with <code>PATCH /v1/instance</code> (<code>allowed_origins</code>) or
    <code>POST /v1/redirect_urls</code>, or use a loopback URL.</p>
  </main>
</body>
</html>
"""
