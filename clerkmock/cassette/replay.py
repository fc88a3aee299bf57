"""Answer requests from cassettes, with no engine and no state beyond "which recording was served".

Matching: method, path, query and body, each after the normalisation the recorder's scrubbing implies (secrets
-> ``<kind>``, and PII too for a cassette recorded with ``--scrub-pii``), so a real key in a request still
matches the placeholder in the recording.  Headers never take part (Authorization differs by design).

* Several recordings of the same request are served in recorded order (a list before and after a create).
* Default (lenient): once they are all served, the last one is served again; a request with no exact match
  gets the recording of the same method and path that is closest in query and body, marked
  ``clerkmock-replay: approximate ...``.
* ``strict``: only exact matches, each served once; anything else is a miss.
* A miss is a Clerk-shaped 404 (never a 5xx: the Python SDK would retry it for an hour) naming the closest
  recorded request and the field that differs (`style-anchors.md` section 4, as vcrpy does).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from clerkmock.cassette.format import SET_COOKIE_SEPARATOR, Cassette, Interaction, RecordedRequest
from clerkmock.cassette.scrub import Scrubber
from clerkmock.engine.types import JSON_CONTENT_TYPE, Request, Response
from clerkmock.transport import to_httpx, to_request

REPLAY_HEADER = "clerkmock-replay"

type Key = tuple[str, str, str, str]


@dataclass(slots=True)
class _Entry:
    cassette: Cassette
    interaction: Interaction
    key: Key
    served: int = 0

    @property
    def label(self) -> str:
        return f"#{self.interaction.id} in {self.cassette.name}"


def normalise(request: RecordedRequest, *, pii: bool) -> Key:
    """The match key: method, path, query and body with every secret (and PII) reduced to ``<kind>``."""
    s = Scrubber(pii=pii, numbered=False)
    scrubbed = request.scrubbed(s)
    query = json.dumps(sorted(scrubbed.query.items()), ensure_ascii=False)
    body = json.dumps([scrubbed.body_kind, scrubbed.body], sort_keys=True, ensure_ascii=False)
    return (scrubbed.method, scrubbed.path, query, body)


class Replayer:
    def __init__(self, cassettes: Iterable[Cassette], *, strict: bool = False) -> None:
        self.cassettes = list(cassettes)
        self.strict = strict
        self._lock = threading.Lock()
        self.entries = [
            _Entry(c, i, normalise(i.request, pii=c.pii_scrubbed)) for c in self.cassettes for i in c.interactions
        ]
        self.misses: list[str] = []
        self._requests = 0

    # -- results -------------------------------------------------------------------------------------------

    @property
    def unplayed(self) -> list[Interaction]:
        return [e.interaction for e in self.entries if e.served == 0]

    def transport(self) -> ReplayTransport:
        return ReplayTransport(self)

    def async_transport(self) -> AsyncReplayTransport:
        return AsyncReplayTransport(self)

    def assert_all_played(self) -> None:
        if left := [e for e in self.entries if e.served == 0]:
            names = ", ".join(f"{e.label} ({e.interaction.request.describe()})" for e in left[:5])
            raise AssertionError(f"{len(left)} recorded interaction(s) were never requested: {names}")

    # -- answering -----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        recorded = RecordedRequest.from_request(request)
        with self._lock:
            self._requests += 1
            keys = {pii: normalise(recorded, pii=pii) for pii in {c.pii_scrubbed for c in self.cassettes}}
            exact = [e for e in self.entries if e.key == keys[e.cassette.pii_scrubbed]]
            entry = next((e for e in exact if e.served == 0), None)
            note = ""
            if entry is None and exact and not self.strict:
                entry, note = exact[-1], "repeat"  # all served: the last recording again
            if entry is None and not self.strict:
                entry, note = self._same_route(recorded, keys), "approximate"
            if entry is None:
                return self._miss(recorded, keys, exhausted=exact)
            entry.served += 1
            resp = entry.interaction.response
            headers = {k: v for k, v in resp.headers.items() if k not in ("content-length", "transfer-encoding")}
            headers[REPLAY_HEADER] = f"{entry.label}" + (f" ({note})" if note else "")
            cookies = headers.pop("set-cookie", "")
            return Response(resp.status, resp.body_bytes(), headers, {"route": "replay", "replay": entry.label},
                            cookies.split(SET_COOKIE_SEPARATOR) if cookies else [])

    def _same_route(self, req: RecordedRequest, keys: dict[bool, Key]) -> _Entry | None:
        same = [e for e in self.entries if e.key[:2] == keys[e.cassette.pii_scrubbed][:2]]
        if not same:
            return None
        fresh = [e for e in same if e.served == 0] or same
        return min(fresh, key=lambda e: _distance(e.key, keys[e.cassette.pii_scrubbed])[0])

    def _miss(self, req: RecordedRequest, keys: dict[bool, Key], *, exhausted: Sequence[_Entry]) -> Response:
        wanted = req.describe()
        if exhausted:
            message = (
                f"all {len(exhausted)} recorded response(s) to {wanted} were already served "
                f"(strict replay serves each recording once)"
            )
            meta: dict[str, Any] = {"closest": exhausted[-1].label, "differs_in": "count"}
        elif not self.entries:
            message, meta = f"no recorded interaction matches {wanted}: the cassettes are empty", {}
        else:
            best = min(self.entries, key=lambda e: _distance(e.key, keys[e.cassette.pii_scrubbed]))
            _, field, detail = _distance(best.key, keys[best.cassette.pii_scrubbed])
            message = (
                f"no recorded interaction matches {wanted}; the closest is {best.label}: "
                f"{best.interaction.request.describe()}, which differs in {field}"
                + (f" ({detail})" if detail else "")
            )
            meta = {"closest": best.label, "closest_request": best.interaction.request.describe(), "differs_in": field}
        self.misses.append(message)
        body = {
            "errors": [
                {
                    "message": "no recorded interaction matches this request",
                    "long_message": f"clerkmock replay: {message}",
                    "code": "resource_not_found",
                    "meta": {"clerkmock": "replay_miss", **meta},
                }
            ],
            "clerk_trace_id": hashlib.sha1(f"replay\x00{self._requests}".encode()).hexdigest(),
        }
        headers = {"content-type": JSON_CONTENT_TYPE, REPLAY_HEADER: "miss"}
        return Response(404, json.dumps(body, separators=(",", ":")).encode(), headers, {"route": "replay", "error_code": "replay_miss"})


def _distance(recorded: Key, wanted: Key) -> tuple[float, str, str]:
    """(distance, first differing field, detail): method outweighs path, path outweighs query and body."""
    names = ("method", "path", "query", "body")
    weights = (8.0, 4.0, 2.0, 2.0)
    total, first, detail = 0.0, "", ""
    for name, weight, a, b in zip(names, weights, recorded, wanted, strict=True):
        if a == b:
            continue
        total += weight * (1.0 - difflib.SequenceMatcher(None, a, b).ratio() / 2)
        if not first:
            first, detail = name, _detail(name, a, b)
    return total, first or "nothing", detail


def _detail(name: str, recorded: str, wanted: str) -> str:
    if name in ("method", "path"):
        return f"recorded {recorded!r}, requested {wanted!r}"
    a, b = json.loads(recorded), json.loads(wanted)
    if name == "query":
        da, db = dict(a), dict(b)
        for k in sorted(set(da) | set(db)):
            if da.get(k) != db.get(k):
                return f"{k}: recorded {da.get(k)!r}, requested {db.get(k)!r}"
        return ""
    path, ra, rb = _first_json_difference(a[1], b[1], "")
    return f"{path or 'the body'}: recorded {_short(ra)}, requested {_short(rb)}"


def _first_json_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k, _MISSING) != b.get(k, _MISSING):
                return _first_json_difference(a.get(k, _MISSING), b.get(k, _MISSING), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_json_difference(x, y, f"{path}[{i}]")
    return path.lstrip("."), a, b


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_replayer(paths: Sequence[str], *, strict: bool = False) -> Replayer:
    from clerkmock.cassette.format import load_cassette

    return Replayer([load_cassette(p) for p in paths], strict=strict)


# -- in-process (tests): httpx transports over a Replayer ------------------------------------------------------


class ReplayTransport(httpx.BaseTransport):
    """``httpx.Client(transport=ReplayTransport(replayer))``: the SDK talks to the cassettes, no sockets."""

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return to_httpx(self.replayer.handle(to_request(request, request.read())), request)


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return to_httpx(self.replayer.handle(to_request(request, await request.aread())), request)
