"""Answers reused whole: the base-URL listener keeps, per raw request head, the bytes it last sent for a pure
read, and sends them again without parsing, routing, the engine or rendering while nothing has changed.  The
forward and transparent proxies (proxy/addon.py) do the same, keyed by everything mitmproxy parsed of the
request (`reuse_key`) and keeping the answer's body and header fields instead of rendered bytes.

**The invariant** (docs/architecture.md, "Reused answers"): an entry is sent again only while
``engine.generation`` equals the generation its answer was built at, no fault rule is in force and no billing
item is pending.  The engine bumps the generation for every request that is not a pure route's (any write,
the Frontend API, SCIM, a failure half-way), for a new state, keys or default version, and on `Engine.touch`
(the control plane, scenarios, releasing ``pipeline.lock``: what code writing ``engine.state`` directly holds).
Only a pure route's 200 whose building read no clock is kept (`Engine._handle` sets ``meta["reusable"]``), so
the clock moving cannot stale an entry; a request with a body is never kept (its key would not hold the body).
The key is the whole head -- request line and every header byte -- so the version header, the key, the query
and the client are all in it.

A reused answer is journaled like any other (the same route, status, client and response body); only the
``date`` header is made anew.  tests/test_read_cache.py drives random operation sequences against a caching
and a non-caching server and requires byte-identical answers.
"""

from __future__ import annotations

from typing import NamedTuple

# Bounds, not an eviction policy: all entries are dropped when either is reached (a list of 500 users is ~1 MB).
MAX_ENTRIES = 4096  # distinct heads kept
MAX_BYTES = 64 * 1024 * 1024  # answers kept, in bytes


class Reusable(NamedTuple):
    generation: int  # engine.generation the answer was built at
    head: bytes  # the rendered answer up to and including "date: " (b"" for the proxy's)
    tail: bytes  # after the date: the end of the head and the body (b"" for the proxy's)
    method: str  # what the journal records of the request (the rest of an entry is constant)
    path: str
    query: dict[str, list[str]]
    route: str | None
    client: str | None
    body: bytes  # the response body, for the journal (and the proxy's answer)
    fields: tuple[tuple[bytes, bytes], ...] = ()  # the proxy's: the answer's header fields as first sent

    @property
    def size(self) -> int:
        return len(self.head) + len(self.tail) or len(self.body)  # rendered bytes, or the proxy's body


class ReadCache:
    __slots__ = ("entries", "size")

    def __init__(self) -> None:
        self.entries: dict[object, Reusable] = {}
        self.size = 0  # bytes of the answers kept (a replaced entry's too, until the next clear: an upper bound)

    def put(self, key: object, entry: Reusable) -> None:
        """``key``: the listener's raw head (bytes) or the proxy's `reuse_key` (a tuple): they never collide."""
        size = entry.size
        if len(self.entries) >= MAX_ENTRIES or self.size + size > MAX_BYTES:
            self.clear()
        self.entries[key] = entry
        self.size += size

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0
