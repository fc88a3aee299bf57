"""`clerkmock verify`: replay a cassette's requests against a fresh emulator and say where its answers differ.

Per interaction: the status, then the JSON bodies field by field - missing fields (in the recording, not from
the emulator), extra fields, type differences and value differences.  Ids, timestamps, trace ids, URLs and
scrubbed placeholders are compared by *shape* (an id's prefix, "an integer", "a string"), since a fresh
emulator cannot reproduce their values.  Ids are also translated: once the recording's ``user_2abc`` lines up
with the emulator's ``user_2xyz`` in a response, later requests naming ``user_2abc`` are sent with
``user_2xyz``, so a recorded "create, then get by id" sequence replays meaningfully.

Score: an interaction scores the share of its fields that agree (0 when the status differs: the bodies are
then different kinds of thing); the cassette scores the mean, as a percentage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clerkmock.cassette.format import Cassette, Interaction, RecordedRequest, parse_body
from clerkmock.cassette.scrub import PLACEHOLDER
from clerkmock.engine.types import Request, Response

# Clerk ids: prefix + "_" + 27 base62, or an API-key/M2M style prefix + 32 hex.
CLERK_ID = re.compile(r"^([a-z][a-z0-9]*)_(?:[0-9A-Za-z]{27}|[0-9a-f]{32})$")
_TIME_KEYS = re.compile(r"(?:_at|_date|timestamp|expires|expiration|_time)$")
_VOLATILE_KEYS = frozenset({"clerk_trace_id", "jwt", "token", "secret", "kid", "n", "e"})
VERIFY_PASSWORD = "clerkmock-Verify-Passw0rd!"  # stands in for <password:N>: strong enough for the engine


@dataclass(slots=True)
class Difference:
    kind: str  # status | missing | extra | type | value | length
    path: str
    recorded: Any = None
    actual: Any = None

    def describe(self) -> str:
        where = self.path or "(body)"
        if self.kind == "missing":
            return f"missing {where} (recorded {_short(self.recorded)})"
        if self.kind == "extra":
            return f"extra   {where} (emulator sent {_short(self.actual)})"
        if self.kind == "type":
            return f"type    {where}: {_type(self.recorded)} recorded, {_type(self.actual)} from the emulator"
        if self.kind == "length":
            return f"length  {where}: {self.recorded} items recorded, {self.actual} from the emulator"
        if self.kind == "status":
            return f"status  {self.recorded} recorded, {self.actual} from the emulator"
        if self.recorded is None and self.path == ".errors[0]":
            return f"error   the emulator answered {_short(self.actual, 160)}"
        return f"value   {where}: {_short(self.recorded)} recorded, {_short(self.actual)} from the emulator"


@dataclass(slots=True)
class Comparison:
    fields: int = 0  # compared fields
    differences: list[Difference] = field(default_factory=list)

    @property
    def score(self) -> float:
        if any(d.kind == "status" for d in self.differences):
            return 0.0
        return 1.0 if self.fields == 0 else max(0.0, 1.0 - len(self.differences) / self.fields)


def compare_json(recorded: Any, actual: Any, path: str = "", out: Comparison | None = None) -> Comparison:
    out = out if out is not None else Comparison()
    out.fields += 1
    key = path.rsplit(".", 1)[-1]
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for k, v in recorded.items():
            if k not in actual:
                out.differences.append(Difference("missing", f"{path}.{k}", v))
                out.fields += 1
            else:
                compare_json(v, actual[k], f"{path}.{k}", out)
        for k, v in actual.items():
            if k not in recorded:
                out.differences.append(Difference("extra", f"{path}.{k}", None, v))
                out.fields += 1
        return out
    if isinstance(recorded, list) and isinstance(actual, list):
        if len(recorded) != len(actual):
            out.differences.append(Difference("length", path, len(recorded), len(actual)))
        for i, (a, b) in enumerate(zip(recorded, actual, strict=False)):
            compare_json(a, b, f"{path}[{i}]", out)
        return out
    if _type(recorded) != _type(actual):
        out.differences.append(Difference("type", path, recorded, actual))
    elif not _same_shape_value(key, recorded, actual):
        out.differences.append(Difference("value", path, recorded, actual))
    return out


def _same_shape_value(key: str, a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        ma, mb = CLERK_ID.match(a), CLERK_ID.match(b)
        if ma or mb:
            return bool(ma and mb and ma.group(1) == mb.group(1))  # ids: the same prefix is the same shape
        # scrubbed, a URL (hosts and signed parts differ) or random by nature
        return bool(PLACEHOLDER.search(a)) or a.startswith(("http://", "https://")) or key in _VOLATILE_KEYS
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return bool(_TIME_KEYS.search(key)) or key in _VOLATILE_KEYS  # timestamps: any integer will do
    return False


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _short(v: Any, limit: int = 60) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the run ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class InteractionResult:
    interaction: Interaction
    sent: str  # the request as sent to the emulator (ids translated)
    status: int
    comparison: Comparison


@dataclass(slots=True)
class VerifyReport:
    cassette: Cassette
    results: list[InteractionResult]

    @property
    def score(self) -> float:
        return 100.0 * sum(r.comparison.score for r in self.results) / len(self.results) if self.results else 100.0

    def lines(self, *, only_differences: bool = False) -> list[str]:
        out = []
        for r in self.results:
            rec = r.interaction.response.status
            diffs = r.comparison.differences
            if only_differences and not diffs:
                continue
            verdict = "ok" if not diffs else f"{len(diffs)} difference(s)"
            out.append(f"#{r.interaction.id} {r.sent}: {rec} recorded, {r.status} from the emulator - {verdict}")
            out.extend(f"    {d.describe()}" for d in diffs)
        same = sum(1 for r in self.results if not r.comparison.differences)
        out.append(
            f"score: {self.score:.1f}% ({same}/{len(self.results)} interactions match the recording in shape)"
        )
        return out


def verify(cassette: Cassette, handle: Callable[[Request], Response], secret_key: str) -> VerifyReport:
    """Send every recorded request, in order, to ``handle`` (a fresh emulator's pipeline) and compare."""
    ids: dict[str, str] = {}
    results = []
    for inter in cassette.interactions:
        request = _prepare(inter.request, ids, secret_key)
        response = handle(request.to_request())
        kind, actual = parse_body(response.body, response.headers)
        rec = inter.response
        comparison = Comparison()
        if rec.status != response.status:
            # Different statuses mean different kinds of body (a user vs an error): say what came back instead
            # of listing every field as missing.
            comparison.differences.append(Difference("status", "", rec.status, response.status))
            if kind == "json" and isinstance(actual, dict) and actual.get("errors"):
                err = actual["errors"][0]
                comparison.differences.append(
                    Difference("value", ".errors[0]", None, f"{err.get('code')}: {err.get('long_message')}")
                )
        elif rec.body_kind == "json" or kind == "json":
            compare_json(rec.body if rec.body_kind == "json" else None, actual if kind == "json" else None, "",
                         comparison)
        if rec.body_kind == "json" and kind == "json":
            _learn_ids(rec.body, actual, ids)
        results.append(InteractionResult(inter, request.describe(), response.status, comparison))
    return VerifyReport(cassette, results)


def _prepare(req: RecordedRequest, ids: dict[str, str], secret_key: str) -> RecordedRequest:
    def swap(text: str) -> str:
        text = re.sub(r"[a-z][a-z0-9]*_[0-9A-Za-z]{27,32}", lambda m: ids.get(m.group(0), m.group(0)), text)
        return PLACEHOLDER.sub(lambda m: VERIFY_PASSWORD if m.group(1) in ("password", "new_password") else m.group(0),
                               text)

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return swap(v) if isinstance(v, str) else v

    headers = {k: v for k, v in req.headers.items() if k not in ("cookie", "authorization")}
    headers["authorization"] = f"Bearer {secret_key}"
    query = {k: [swap(x) for x in vs] for k, vs in req.query.items()}
    body = walk(req.body) if req.body_kind in ("json", "form") else req.body
    if req.body_kind == "text":
        body = swap(req.body)
    return RecordedRequest(req.method, swap(req.path), query, headers, req.body_kind, body)


def _learn_ids(recorded: Any, actual: Any, ids: dict[str, str]) -> None:
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for k, v in recorded.items():
            if k in actual:
                _learn_ids(v, actual[k], ids)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for a, b in zip(recorded, actual, strict=False):
            _learn_ids(a, b, ids)
    elif isinstance(recorded, str) and isinstance(actual, str) and recorded != actual:
        ma, mb = CLERK_ID.match(recorded), CLERK_ID.match(actual)
        if ma and mb and ma.group(1) == mb.group(1):
            ids.setdefault(recorded, actual)
