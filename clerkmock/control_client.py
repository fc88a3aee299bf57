"""How the CLI talks to a running clerkmock's control plane (``/__clerkmock/…``): one place, so every command
reaches it, and reports an unreachable or refusing server, the same way.

    get_json("http://127.0.0.1:4818", "/__clerkmock/health")
"""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_S = 30.0


class ControlClientError(Exception):
    """The server is unreachable or refused the call; the message says what to do."""


def headers(token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def request_json(method: str, base_url: str, path: str, *, token: str | None = None, json: Any = None,
                 timeout: float = TIMEOUT_S) -> Any:
    url = base_url.rstrip("/") + path
    # trust_env=False: a proxy from the environment (HTTPS_PROXY may point at clerkmock itself) must not
    # carry a call meant for this machine.
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            response = client.request(method, url, headers=headers(token), json=json)
    except httpx.HTTPError as exc:
        raise ControlClientError(f"cannot reach clerkmock at {base_url}: {exc}") from None
    if response.status_code >= 400:
        raise ControlClientError(f"{method} {url}: {response.status_code} {_message(response)}")
    try:
        return response.json()
    except ValueError:
        raise ControlClientError(f"{method} {url}: the answer is not JSON") from None


def get_json(base_url: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
    return request_json("GET", base_url, path, token=token, **kwargs)


def _message(response: httpx.Response) -> str:
    try:
        error = response.json()["errors"][0]
        return str(error.get("long_message") or error.get("message"))
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:200]
