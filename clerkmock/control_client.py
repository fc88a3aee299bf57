"""The CLI's client for a running server's control plane (``/__clerkmock/*``): the one place CLI commands
make HTTP calls to `clerkmock serve`, so what every such call needs (a timeout, loopback without proxies, later
a control token) is written once.  Standard library only: the CLI stays quick to start.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

CONTROL_PREFIX = "/__clerkmock"
TIMEOUT_S = 5.0


class Unreachable(Exception):
    """Nothing answers at the URL (connection refused, unknown host, timeout)."""


class ControlError(Exception):
    """The server answered with an error status; ``message`` is its Clerk-shaped error's text when it has one."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def get_json(base_url: str, path: str, *, token: str | None = None, timeout: float = TIMEOUT_S) -> Any:
    """``GET {base_url}/__clerkmock{path}`` and its JSON body.  ``path`` starts with ``/`` (query included)."""
    request = urllib.request.Request(base_url.rstrip("/") + CONTROL_PREFIX + path, headers={"Accept": "application/json"})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    # No proxies: the server is reached directly even when HTTPS_PROXY/HTTP_PROXY are set (e.g. by `env --proxy`).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ControlError(exc.code, _error_message(exc.read()) or str(exc.reason)) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"nothing answers at {base_url} ({reason})") from None
    try:
        return json.loads(body)
    except ValueError:
        raise ControlError(200, f"{base_url} answered {path} with something that is not JSON") from None


def _error_message(body: bytes) -> str | None:
    """The ``long_message`` (else ``message``) of a Clerk error envelope."""
    try:
        first = json.loads(body)["errors"][0]
        return str(first.get("long_message") or first["message"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
