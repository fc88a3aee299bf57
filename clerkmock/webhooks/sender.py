"""One delivery attempt over HTTP: a signed ``POST`` as Svix sends it (headers in docs/webhooks.md)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from clerkmock.engine.events import Event
from clerkmock.webhooks import signing
from clerkmock.webhooks.records import Attempt, wall_ms

if TYPE_CHECKING:
    import httpx

USER_AGENT = "Svix-Webhooks/1.x (clerkmock)"
DEFAULT_TIMEOUT_S = 15.0  # Svix's per-attempt timeout
RESPONSE_EXCERPT = 300


def new_client(timeout: float) -> httpx.Client:
    import httpx  # only when something is delivered: `serve` starts without httpx

    # trust_env=False: HTTPS_PROXY must never route a delivery through clerkmock's own proxy.
    return httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)


def send(client: httpx.Client, url: str, secret: str, event: Event, duplicate: bool) -> Attempt:
    """Every attempt is signed anew (a fresh ``svix-timestamp``) with the event's ``svix-id``."""
    import httpx

    at = wall_ms()
    timestamp = at // 1000  # so the signed headers can be shown again from the attempt (`signed_headers`)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **signing.headers(secret, event.id, timestamp, event.body)}
    started = time.perf_counter()
    try:
        response = client.post(url, content=event.body, headers=headers)
    except httpx.HTTPError as exc:
        return Attempt(at, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                       _elapsed(started), duplicate)
    return Attempt(at, response.status_code, None, _elapsed(started), duplicate,
                   response.text[:RESPONSE_EXCERPT])


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
