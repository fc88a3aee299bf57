"""The one request builder every adapter calls: an HTTP request as the adapter received it -> the engine's
`Request`.  Surface-agnostic: it carries the host and the path, and the pipeline decides what answers them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qs

from clerkmock.engine.types import Request


def build_request(method: str, target: str, headers: Iterable[tuple[str, str]] | dict[str, str], body: bytes,
                  host: str | None = None, *, arrived_on: str = "", headers_lowered: bool = False) -> Request:
    """``target`` is the raw request target: origin form (``/v1/users?limit=2``, percent-encoding intact: the
    router decodes) or absolute form (``http://api.clerk.com/v1/users``, a client that thinks we are a proxy).
    Header names are lower-cased and repeated headers joined with ``", "``.  ``host``: the host the request
    was meant for when the adapter knows it better than the Host header (the proxy's intercepted host);
    lower-cased, without the port.  ``arrived_on``: the local address the connection arrived on (or the
    intercepted host; "in-process" for the httpx transport), for the control plane's guard.
    ``headers_lowered``: ``headers`` is already such a dict (the listener's parser builds one), taken as it is."""
    path, _, query = target.partition("?")
    authority = None
    if "://" in path:
        authority, _, rest = path.partition("://")[2].partition("/")
        path = "/" + rest
    if headers_lowered:
        assert isinstance(headers, dict)
        joined = headers
    else:
        joined = {}
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return Request(
        method=method.upper(),
        path=path or "/",
        query=parse_qs(query, keep_blank_values=True) if query else {},
        headers=joined,
        body=body,
        host=_hostname(host or authority or joined.get("host", "")),
        arrived_on=arrived_on,
    )


@lru_cache(maxsize=256)  # every request's Host header; a client sends the same few (1,000 instructions, not 3,700)
def _hostname(authority: str) -> str:
    """``API.clerk.com:443`` -> ``api.clerk.com``; ``[::1]:8080`` -> ``::1``."""
    authority = authority.rpartition("@")[2].strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.partition(":")[0]
