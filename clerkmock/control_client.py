"""The CLI's client for a running server's control plane (``/__clerkmock/*``): the one place CLI commands
make HTTP calls to `clerkmock serve`, so what every such call needs (a timeout, loopback without proxies, the
control token) is written once.  Standard library only: the CLI stays quick to start.

    get_json("http://127.0.0.1:4818", "/health")       # the control token is picked up by itself

The token is ``token=`` if given, else `control_token.client_token`: ``$CLERKMOCK_CONTROL_TOKEN``, else
``<config dir>/control_token`` (docs/security.md).  A server that does not require it ignores it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from clerkmock.control_token import ENV_CONTROL_TOKEN, client_token

CONTROL_PREFIX = "/__clerkmock"
TIMEOUT_S = 5.0


class Unreachable(Exception):
    """Nothing answers at the URL (connection refused, unknown host, timeout)."""


class ControlError(Exception):
    """The server answered with an error status; ``message`` is its Clerk-shaped error's text when it has one
    (for a 401, followed by where the control token comes from)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def request_json(
    method: str, base_url: str, path: str, *, token: str | None = None, body: Any = None,
    config_dir: str | os.PathLike[str] | None = None, timeout: float = TIMEOUT_S,
) -> Any:
    """``METHOD {base_url}/__clerkmock{path}`` (``path`` starts with ``/``, query included) and its JSON body;
    ``body`` is sent as JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url.rstrip("/") + CONTROL_PREFIX + path, data=data, method=method,
                                     headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    token = token or client_token(config_dir)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    # No proxies: the server is reached directly even when HTTPS_PROXY/HTTP_PROXY are set (e.g. by `env --proxy`).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        message = _error_message(exc.read()) or str(exc.reason)
        if exc.code == 401:
            message += (f" (clerkmock sends ${ENV_CONTROL_TOKEN}, else <config dir>/control_token: run as the user "
                        "who started `clerkmock serve`, or export the token it printed)")
        raise ControlError(exc.code, message) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"nothing answers at {base_url} ({reason})") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError(200, f"{base_url} answered {path} with something that is not JSON") from None


def get_json(base_url: str, path: str, *, token: str | None = None, timeout: float = TIMEOUT_S,
             config_dir: str | os.PathLike[str] | None = None) -> Any:
    """``GET {base_url}/__clerkmock{path}`` and its JSON body.  ``path`` starts with ``/`` (query included)."""
    return request_json("GET", base_url, path, token=token, timeout=timeout, config_dir=config_dir)


def _error_message(body: bytes) -> str | None:
    """The ``long_message`` (else ``message``) of a Clerk error envelope."""
    try:
        first = json.loads(body)["errors"][0]
        return str(first.get("long_message") or first["message"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
