"""Miscellaneous: GetPublicInterstitial — the HTML page Clerk's SDKs fall back to while the auth state is
unknown.  It loads clerk.js from the instance's Frontend API and reloads once clerk.js has loaded; the spec
marks it `security: []`, so it needs no Authorization.  The body is HTML, not JSON.
"""

from __future__ import annotations

import html

from clerkmock.engine.resources.auth.common import issuer
from clerkmock.engine.routing import Ctx, Reply, RouteSet

ROUTES = RouteSet("miscellaneous")
CLERK_JS_VERSION = "5"


@ROUTES.get("/public/interstitial", "interstitial")
def get_public_interstitial(ctx: Ctx) -> Reply:
    q = ctx.query
    frontend = q.get("frontend_api") or q.get("frontendApi") or issuer(ctx.state).removeprefix("https://")
    script_host = q.get("proxy_url") or (q.get("domain") if q.get("use_domain_for_script") else None) or frontend
    script_host = script_host if "://" in script_host else f"https://{script_host}"
    src = f"{script_host.rstrip('/')}/npm/@clerk/clerk-js@{CLERK_JS_VERSION}/dist/clerk.browser.js"
    attrs = {
        "data-clerk-frontend-api": frontend,
        "data-clerk-publishable-key": q.get("publishable_key") or "",
        "data-clerk-proxy-url": q.get("proxy_url") or "",
        "data-clerk-domain": q.get("domain") or "",
        "data-clerk-sign-in-url": q.get("sign_in_url") or "",
    }
    data = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items() if v)
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8" />
<title>Clerk interstitial</title>
<script>
  window.__clerk_frontend_api = {html.escape(repr(frontend))};
  window.startClerk = async () => {{
    try {{ await window.Clerk.load(); window.location.reload(); }} catch (err) {{ console.error(err); }}
  }};
</script>
<script async crossorigin="anonymous" {data} src="{html.escape(src)}" onload="startClerk()"></script>
</head>
<body></body>
</html>
"""
    return Reply(200, page.encode(), {"content-type": "text/html"})
