"""The CORS headers of Frontend API answers.  clerk-js always calls with ``credentials: 'include'``, so only an
origin the instance trusts is echoed (the one rule in engine/origins.py: loopback, the instance's
``allowed_origins`` / ``development_origin``, the origins of its redirect URLs); ``*`` is never sent (browsers
refuse it with credentials, and it would let any site act as the signed-in user).
"""

from __future__ import annotations

from clerkmock.engine.origins import is_allowed_origin
from clerkmock.engine.state import State

ALLOWED_HEADERS = "Content-Type, Authorization, X-Requested-With"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
PREFLIGHT_MAX_AGE_S = "600"


def cors_headers(st: State, origin: str | None, *, preflight: bool = False,
                 requested_headers: str | None = None) -> dict[str, str]:
    """Headers for a response to ``origin`` (only ``Vary`` when it is not allowed)."""
    if not origin or not is_allowed_origin(origin, st):
        return {"vary": "Origin"} if origin else {}
    out = {"access-control-allow-origin": origin, "access-control-allow-credentials": "true", "vary": "Origin"}
    if preflight:
        out["access-control-allow-methods"] = ALLOWED_METHODS
        out["access-control-allow-headers"] = requested_headers or ALLOWED_HEADERS
        out["access-control-max-age"] = PREFLIGHT_MAX_AGE_S
    return out
