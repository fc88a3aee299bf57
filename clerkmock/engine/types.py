"""The engine's wire types: a transport-neutral HTTP request and response.

Every way in (mitmproxy addon, base-URL listener, in-process httpx transport) converts to and from these,
so the engine never imports an HTTP library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

type Json = dict[str, Any] | list[Any] | str | int | float | bool | None

JSON_CONTENT_TYPE = "application/json"  # exactly this: @clerk/backend stops parsing JSON on a charset suffix


@dataclass(slots=True)
class Request:
    method: str
    path: str  # without the query string, percent-decoding left to the router
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    body: bytes = b""
    # The local address the request's connection arrived on ("127.0.0.1", "10.0.0.5") or the intercepted host
    # name, set by socket adapters; "" when unknown; "in-process" for the httpx transport (no socket, the
    # caller is this process).  Only the control plane's guard reads it (server/control_guard.py).
    arrived_on: str = ""
    host: str = ""  # the host the request was sent to, lower-cased, no port ("" when unknown)
    # Body fields Clerk accepts that the vendored spec leaves out, moved here by a route's ``prepare`` before the
    # body is validated against the spec (force_organization_selection of the organization settings).
    aside: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        json: Json = None,
    ) -> Request:
        """Build a request from a URL or path (``/v1/users?limit=2``); a convenience for tests and adapters."""
        parts = urlsplit(url)
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        raw = body.encode() if isinstance(body, str) else (body or b"")
        if json is not None:
            from clerkmock.engine.jsonio import dumps

            raw = dumps(json)
            hdrs.setdefault("content-type", JSON_CONTENT_TYPE)
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=hdrs,
            body=raw,
            host=(parts.hostname or "").lower(),
        )

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # one value per name
    # What the pipeline learned while answering (route name, fault id ...): for the journal, never sent.
    meta: dict[str, Any] = field(default_factory=dict)
    # ``Set-Cookie`` values, one header line each (they cannot be joined with commas like other headers); every
    # adapter sends them after ``headers``, which must not hold a ``set-cookie`` of its own.
    set_cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        from clerkmock.engine.jsonio import loads

        return loads(self.body) if self.body else None
