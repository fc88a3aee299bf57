"""The one request builder every adapter calls: an HTTP request as the adapter received it -> the engine's
`Request`.  Surface-agnostic: it carries the host and the path, and the pipeline decides what answers them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qs

from clerkmock.engine.types import Request


class Head:
    """What a request's head says, converted once: method, path, query, joined headers, host.  The listener
    keeps one for a head it sees again (a client sends the same head over and over), so each request then
    costs a copy of it, not a parse (docs/performance.md, "Step 6")."""

    __slots__ = ("method", "path", "query", "headers", "host")

    def __init__(self, method: str, target: str, headers: dict[str, str], host: str | None = None) -> None:
        path, _, query = target.partition("?")
        authority = None
        if "://" in path:
            authority, _, rest = path.partition("://")[2].partition("/")
            path = "/" + rest
        self.method = method.upper()
        self.path = path or "/"
        self.query = parse_qs(query, keep_blank_values=True) if query else {}
        self.headers = headers
        self.host = _hostname(host or authority or headers.get("host", ""))

    def request(self, body: bytes, arrived_on: str) -> Request:
        """A request of this head: its own query and headers (nothing a handler does reaches the next one)."""
        query = {name: list(values) for name, values in self.query.items()} if self.query else {}
        # (positional: a dataclass's __init__ costs ~500 instructions more per keyword argument)
        return Request(self.method, self.path, query, self.headers.copy(), body, arrived_on, self.host)


def build_request(method: str, target: str, headers: Iterable[tuple[str, str]] | dict[str, str], body: bytes,
                  host: str | None = None, *, arrived_on: str = "") -> Request:
    """``target`` is the raw request target: origin form (``/v1/users?limit=2``, percent-encoding intact: the
    router decodes) or absolute form (``http://api.clerk.com/v1/users``, a client that thinks we are a proxy).
    Header names are lower-cased and repeated headers joined with ``", "``.  ``host``: the host the request
    was meant for when the adapter knows it better than the Host header (the proxy's intercepted host);
    lower-cased, without the port.  ``arrived_on``: the local address the connection arrived on (or the
    intercepted host; "in-process" for the httpx transport), for the control plane's guard."""
    joined: dict[str, str] = {}
    for name, value in headers.items() if isinstance(headers, dict) else headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return Head(method, target, joined, host).request(body, arrived_on)


@lru_cache(maxsize=256)  # every request's Host header; a client sends the same few (1,000 instructions, not 3,700)
def _hostname(authority: str) -> str:
    """``API.clerk.com:443`` -> ``api.clerk.com``; ``[::1]:8080`` -> ``::1``."""
    authority = authority.rpartition("@")[2].strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.partition(":")[0]
