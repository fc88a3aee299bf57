"""The request journal: every Backend API request the pipeline answered, newest last, bounded.

Control-plane requests (``/__clerkmock/*``) are not journaled: the journal is about the app's traffic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

from clerkmock.faults.matching import path_matches

DEFAULT_MAX_ENTRIES = 10_000
_new_tuple = tuple.__new__  # JournalEntry's fields in order, without the NamedTuple __new__ (record)


class JournalEntry(NamedTuple):
    """Immutable; a NamedTuple rather than a frozen dataclass because one is built per request on the hot path
    (a frozen dataclass's __init__ costs ~2 µs, a tuple's a fraction of that)."""

    seq: int  # 1, 2, ... since the last clear
    at_ms: int  # engine clock
    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None  # None: no HTTP response (a reset/drop/hang fault)
    duration_ms: float  # time spent in the pipeline (not counting a fault's delay)
    route: str | None  # e.g. users.create; None for unknown paths
    fault: str | None = None  # id of the fault rule that fired
    action: str | None = None  # what it did: respond, delay, reset, rate_limit ...
    delay_ms: int = 0  # the wait a delay fault asked the adapter for
    error_code: str | None = None  # Clerk error code of an error response
    client: str | None = None  # the caller's User-Agent (which SDK, which browser)
    # The bodies, kept by reference (no copy on the hot path) and shown masked only when asked for
    # (`detail`: GET /__clerkmock/requests/{seq}, the dashboard).
    request_body: bytes = b""
    response_body: bytes = b""

    def to_json(self) -> dict[str, Any]:
        out = self._asdict()
        del out["request_body"], out["response_body"]
        return out

    def detail(self) -> dict[str, Any]:
        """The entry with both bodies, secrets masked as cassettes mask them (clerkmock/cassette/scrub.py)."""
        from clerkmock.cassette.scrub import Scrubber

        scrub = Scrubber()
        out = self.to_json()
        out["query"] = scrub.query(self.query)
        out["request_body"] = _body(self.request_body, scrub)
        out["response_body"] = _body(self.response_body, scrub)
        return out

    def matches(self, method: str | None = None, path: str | None = None) -> bool:
        if method is not None and self.method != method.upper():
            return False
        return path is None or path_matches(path, self.path, self.route)


MAX_SHOWN_BODY = 256 * 1024


def _body(raw: bytes, scrub: Any) -> Any:
    """JSON bodies as JSON, text as text (both masked), anything else as a note of its size."""
    if not raw:
        return None
    if len(raw) > MAX_SHOWN_BODY:
        return f"<{len(raw)} bytes>"
    from clerkmock.engine.jsonio import loads

    try:
        return scrub.json(loads(raw))
    except ValueError:
        pass
    try:
        return scrub.text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return f"<{len(raw)} bytes>"


class Journal:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max_entries)
        self._seq = 0

    def record(self, at_ms: int, method: str, path: str, query: dict[str, list[str]], status: int | None,
               duration_ms: float, route: str | None, fault: str | None = None, action: str | None = None,
               delay_ms: int = 0, error_code: str | None = None, client: str | None = None,
               request_body: bytes = b"", response_body: bytes = b"") -> JournalEntry:
        """One entry per request, so positional and built with ``tuple.__new__``: keyword arguments into a
        NamedTuple cost ~4x as much (~8 µs of a loaded machine's ~40 µs per request, docs/performance.md)."""
        self._seq = seq = self._seq + 1
        entry: JournalEntry = _new_tuple(JournalEntry, (
            seq, at_ms, method, path, query, status, duration_ms, route, fault, action, delay_ms, error_code,
            client, request_body, response_body))
        self._entries.append(entry)
        return entry

    @property
    def last_seq(self) -> int:
        return self._seq

    def get(self, seq: int) -> JournalEntry | None:
        if not self._entries or not self._entries[0].seq <= seq <= self._seq:
            return None
        return self._entries[seq - self._entries[0].seq]  # seqs are consecutive from the oldest kept

    def since(self, seq: int) -> list[JournalEntry]:
        """Entries after ``seq`` (all kept ones if it is older than the oldest)."""
        if not self._entries or seq >= self._seq:
            return []
        start = max(0, seq - self._entries[0].seq + 1)
        return [self._entries[i] for i in range(start, len(self._entries))]

    def entries(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Filtered by method and by path (exact, glob such as ``/v1/users/*``, or route name)."""
        return [e for e in self._entries if e.matches(method, path)]

    def clear(self) -> None:
        self._entries.clear()
        self._seq = 0

    @property
    def max_entries(self) -> int:
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))
