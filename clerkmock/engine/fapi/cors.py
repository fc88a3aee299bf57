"""Which page origins may call the Frontend API with credentials (clerk-js always uses
``credentials: 'include'``), and the CORS headers that say so.

Allowed: loopback origins (``localhost``, ``127.0.0.1``, ``[::1]``, any port or scheme: where apps under test
run), the instance's ``allowed_origins`` (``PATCH /v1/instance``) and the origins of its redirect URLs.  Only an
allowed origin is echoed; ``*`` is never sent (browsers refuse it with credentials).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from clerkmock.engine.state import State

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
ALLOWED_HEADERS = "Content-Type, Authorization, X-Requested-With"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
PREFLIGHT_MAX_AGE_S = "600"


def _origin(value: str) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(st: State, origin: str | None) -> bool:
    if not origin:
        return False
    normal = _origin(origin)
    if normal is None:
        return False
    host = urlsplit(normal).hostname or ""
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    allowed = st.instance_config.settings.get("allowed_origins") or []
    if any(_origin(a) == normal for a in allowed):
        return True
    return any(_origin(r.url) == normal for r in st.instance_config.redirect_urls.values())


def cors_headers(st: State, origin: str | None, *, preflight: bool = False,
                 requested_headers: str | None = None) -> dict[str, str]:
    """Headers for a response to ``origin`` (none when it is not allowed)."""
    if not origin or not origin_allowed(st, origin):
        return {"vary": "Origin"} if origin else {}
    out = {"access-control-allow-origin": origin, "access-control-allow-credentials": "true", "vary": "Origin"}
    if preflight:
        out["access-control-allow-methods"] = ALLOWED_METHODS
        out["access-control-allow-headers"] = requested_headers or ALLOWED_HEADERS
        out["access-control-max-age"] = PREFLIGHT_MAX_AGE_S
    return out
