"""Fault rules: what to match, what to do, when to fire.  Frozen data, compiled once from the YAML/JSON shape.

    FaultRule(id, match, action, times, after, every, probability, window)

``action`` is one of a fixed set of dataclasses.  Responses (`Respond`, `Malformed`, `RateLimit`'s 429) are
built by the pipeline; the transport part of `Delay`, `Reset`, `Drop`, `Hang` and `Truncate` is carried out
by each adapter (the `Directive` the pipeline answers with, ``clerkmock/server/directive.py``).

`compile_rule` turns the wire/YAML shape into a `FaultRule` and rejects unknown keys, naming the valid ones
(respx's lesson: a matcher with a typo must fail when it is built, not silently never match).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clerkmock.engine.errors import FAULT_CATALOG, code_for_status

MATCH_KEYS = ("method", "path", "query", "headers", "body")
TRIGGER_KEYS = ("times", "after", "every", "probability", "window")
ACTION_KEYS = ("respond", "delay", "reset", "drop", "hang", "truncate", "malformed", "rate_limit")
RULE_KEYS = ("id", "match", *ACTION_KEYS, *TRIGGER_KEYS, "description")
RESPOND_KEYS = ("status", "error", "message", "long_message", "meta", "body", "headers")
DELAY_KEYS = ("ms", "min_ms", "max_ms", "median_ms", "sigma")
DROP_KEYS = ("processed",)  # reset / drop / hang
MALFORMED_KEYS = ("body",)
RATE_LIMIT_KEYS = ("requests", "window_s", "exempt")
WINDOW_KEYS = ("start", "end")

# reference/clerk-bapi.md §2: production 1000 requests / 10 s per instance, development 100, GET /jwks unlimited.
RATE_LIMITS = {"development": 100, "production": 1000}
RATE_WINDOW_S = 10
RATE_LIMIT_EXEMPT = ("GET /v1/jwks",)
DEFAULT_MALFORMED_BODY = b'{"object": "user", "id": "user_'  # cut mid-string: invalid JSON


class FaultSpecError(ValueError):
    """A rule that cannot be compiled; ``path`` locates the offending key inside the rule (for file:line)."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


# -- match -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Match:
    methods: tuple[str, ...] = ()  # empty: any method
    path: str | None = None  # "/v1/users" exact, "/v1/users/*" glob (* = one segment, ** = any), "users.create"
    query: tuple[tuple[str, str], ...] = ()  # every name must have a value matching the glob
    headers: tuple[tuple[str, str], ...] = ()  # lower-cased names, glob values
    body: Any = None  # a JSON subset the request body must contain


# -- actions -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Respond:
    """Answer instead of the engine: a Clerk error by code (message/long_message filled like Clerk's) or a raw
    body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    code: str | None = None  # a Clerk error: rendered in Clerk's envelope
    message: str | None = None
    long_message: str | None = None
    meta: Any = None
    body: bytes | None = None  # raw body (when no code)


@dataclass(frozen=True, slots=True)
class Delay:
    """Wait before answering (the engine's answer, or a later rule's).  Fixed, uniform range or lognormal."""

    ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    median_ms: int | None = None
    sigma: float = 0.5

    def sample(self, rng: random.Random) -> int:
        if self.median_ms is not None:
            value = rng.lognormvariate(math.log(max(self.median_ms, 1)), self.sigma)
            return max(0, min(round(value), self.max_ms if self.max_ms is not None else 10**9))
        if self.min_ms is not None and self.max_ms is not None:
            return rng.randint(self.min_ms, self.max_ms)
        return self.ms


@dataclass(frozen=True, slots=True)
class Reset:
    """TCP reset.  ``processed``: the engine handles the request first (the client never learns it did)."""

    processed: bool = False


@dataclass(frozen=True, slots=True)
class Drop:
    """Close the connection without a response."""

    processed: bool = False


@dataclass(frozen=True, slots=True)
class Hang:
    """Never answer; the client's timeout ends it."""

    processed: bool = False


@dataclass(frozen=True, slots=True)
class Truncate:
    """The engine answers; the adapter sends the headers and part of the body, then closes."""


@dataclass(frozen=True, slots=True)
class Malformed:
    """200 with a body that is not valid JSON."""

    body: bytes = DEFAULT_MALFORMED_BODY


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per secret key: ``requests`` per ``window_s`` seconds, refilled continuously; an empty
    bucket answers 429 ``too_many_requests`` with ``Retry-After``.  Exempt requests neither pay nor wait."""

    requests: int
    window_s: float = RATE_WINDOW_S
    exempt: tuple[str, ...] = RATE_LIMIT_EXEMPT  # "METHOD path-pattern"


type Action = Respond | Delay | Reset | Drop | Hang | Truncate | Malformed | RateLimit
TRANSPORT_ACTIONS = {Reset: "reset", Drop: "drop", Hang: "hang", Truncate: "truncate"}


@dataclass(frozen=True, slots=True)
class Window:
    """When the rule may fire, on the engine clock.  Numbers are seconds after the rule was installed;
    timestamps are absolute."""

    start_s: float | None = None
    end_s: float | None = None
    start_ms: int | None = None  # absolute
    end_ms: int | None = None

    def contains(self, now_ms: int, installed_ms: int) -> bool:
        start = self.start_ms if self.start_ms is not None else (
            installed_ms + int(self.start_s * 1000) if self.start_s is not None else None)
        end = self.end_ms if self.end_ms is not None else (
            installed_ms + int(self.end_s * 1000) if self.end_s is not None else None)
        return (start is None or now_ms >= start) and (end is None or now_ms < end)


@dataclass(frozen=True, slots=True)
class FaultRule:
    id: str
    match: Match
    action: Action
    times: int | None = None  # fire at most this often
    after: int = 0  # let the first N matching requests through
    every: int | None = None  # then fire on every Nth match
    probability: float | None = None  # seeded: the same seed fires on the same requests
    window: Window | None = None
    spec: dict[str, Any] = field(default_factory=dict, compare=False)  # the source shape, for listings

    @property
    def kind(self) -> str:
        return _ACTION_NAMES[type(self.action)]


_ACTION_NAMES: dict[type, str] = {
    Respond: "respond", Delay: "delay", Reset: "reset", Drop: "drop", Hang: "hang", Truncate: "truncate",
    Malformed: "malformed", RateLimit: "rate_limit",
}


# -- compiling the YAML / JSON shape --------------------------------------------------------------------------

def compile_rule(spec: Any, rule_id: str) -> FaultRule:
    """Build a rule from its YAML/JSON shape (see docs/scenarios.md, "faults")."""
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault rule must be a mapping")
    _known(spec, RULE_KEYS, "fault rule", ())
    actions = [k for k in ACTION_KEYS if k in spec]
    if len(actions) != 1:
        found = ", ".join(actions) if actions else "none"
        raise FaultSpecError(f"a fault rule needs exactly one action of {', '.join(ACTION_KEYS)} (found: {found})")
    if "id" in spec and (not isinstance(spec["id"], str) or not spec["id"].strip()):
        raise FaultSpecError("id must be a non-empty string", ("id",))
    name = actions[0]
    action = _ACTION_COMPILERS[name](spec[name], (name,))
    times = _int(spec, "times", 1)
    return FaultRule(
        id=str(spec.get("id") or rule_id),
        match=compile_match(spec.get("match"), ("match",)),
        action=action,
        times=times,
        after=_int(spec, "after", 0) or 0,
        every=_int(spec, "every", 1),
        probability=_probability(spec),
        window=_window(spec.get("window")),
        spec=dict(spec),
    )


def compile_match(raw: Any, where: tuple[str | int, ...] = ("match",)) -> Match:
    if raw is None:
        return Match()
    if isinstance(raw, str):  # shorthand: "POST /v1/users" or "/v1/users" or "users.create"
        method, _, target = raw.strip().partition(" ")
        if not target:
            method, target = "", method
        raw = {"method": method, "path": target} if method else {"path": target}
    if not isinstance(raw, dict):
        raise FaultSpecError("match must be a mapping (method, path, query, headers, body)", where)
    _known(raw, MATCH_KEYS, "match", where)
    methods = raw.get("method")
    if methods is None or methods == "" or methods == "*":
        method_tuple: tuple[str, ...] = ()
    elif isinstance(methods, str):
        method_tuple = (methods.upper(),)
    elif isinstance(methods, list) and all(isinstance(m, str) for m in methods):
        method_tuple = tuple(m.upper() for m in methods)
    else:
        raise FaultSpecError("method must be a string or a list of strings", (*where, "method"))
    path = raw.get("path")
    if path is not None and (not isinstance(path, str) or not path):
        raise FaultSpecError("path must be a non-empty string: /v1/users, /v1/users/* or a route name",
                             (*where, "path"))
    return Match(
        methods=method_tuple,
        path=path,
        query=_pairs(raw.get("query"), (*where, "query"), lower=False),
        headers=_pairs(raw.get("headers"), (*where, "headers"), lower=True),
        body=raw.get("body"),
    )


def _pairs(raw: Any, where: tuple[str | int, ...], *, lower: bool) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise FaultSpecError("must be a mapping of name: value", where)
    return tuple(((k.lower() if lower else str(k)), _scalar_str(v)) for k, v in raw.items())


def _scalar_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _respond(raw: Any, where: tuple[str | int, ...]) -> Respond:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = {"status": raw}
    if not isinstance(raw, dict):
        raise FaultSpecError("respond must be a mapping (status, error, body, headers ...) or a status", where)
    _known(raw, RESPOND_KEYS, "respond", where)
    code = raw.get("error")
    status = raw.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599):
        raise FaultSpecError("status must be an HTTP status code (100-599)", (*where, "status"))
    if code is not None and not isinstance(code, str):
        raise FaultSpecError("error must be a Clerk error code such as too_many_requests", (*where, "error"))
    headers = _pairs(raw.get("headers"), (*where, "headers"), lower=False)
    if "body" in raw:
        if code is not None:
            raise FaultSpecError("give either error (a Clerk error) or body (a raw body), not both", where)
        body = raw["body"]
        if isinstance(body, str):
            data = body.encode()
        else:
            from clerkmock.engine.jsonio import dumps

            data = dumps(body)
        return Respond(status=status or 200, headers=headers, body=data)
    if code is None:
        if status is None:
            raise FaultSpecError("respond needs a status, an error code or a body", where)
        code = code_for_status(status)
    known = FAULT_CATALOG[code]() if code in FAULT_CATALOG else None
    if status is None:
        if known is None:
            raise FaultSpecError(f"unknown Clerk error code {code!r}: give a status too", (*where, "error"))
        status = known.status
    if code == "too_many_requests" and not any(k.lower() == "retry-after" for k, _ in headers):
        headers = (*headers, ("Retry-After", "1"))  # Clerk's 429 always carries one
    return Respond(
        status=status, headers=headers, code=code,
        message=raw.get("message") or (known.message if known else code.replace("_", " ")),
        long_message=raw.get("long_message") or (known.long_message if known else None),
        meta=raw.get("meta"),
    )


def _delay(raw: Any, where: tuple[str | int, ...]) -> Delay:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = {"ms": raw}
    if not isinstance(raw, dict):
        raise FaultSpecError("delay must be milliseconds or a mapping (ms | min_ms+max_ms | median_ms+sigma)", where)
    _known(raw, DELAY_KEYS, "delay", where)
    for key in DELAY_KEYS:
        value = raw.get(key)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
            raise FaultSpecError(f"{key} must be a non-negative number", (*where, key))
    if "median_ms" in raw:
        return Delay(median_ms=int(raw["median_ms"]), sigma=float(raw.get("sigma", 0.5)),
                     max_ms=int(raw["max_ms"]) if "max_ms" in raw else None)
    if ("min_ms" in raw) != ("max_ms" in raw):
        raise FaultSpecError("a delay range needs both min_ms and max_ms", where)
    if "min_ms" in raw:
        if raw["min_ms"] > raw["max_ms"]:
            raise FaultSpecError("min_ms must not exceed max_ms", where)
        return Delay(min_ms=int(raw["min_ms"]), max_ms=int(raw["max_ms"]))
    if "ms" not in raw:
        raise FaultSpecError("delay needs ms, min_ms+max_ms or median_ms", where)
    return Delay(ms=int(raw["ms"]))


def _flagged(cls: type[Reset] | type[Drop] | type[Hang]) -> Any:
    def build(raw: Any, where: tuple[str | int, ...]) -> Reset | Drop | Hang:
        if raw is True or raw is None:
            return cls()
        if isinstance(raw, dict):
            _known(raw, DROP_KEYS, _ACTION_NAMES[cls], where)
            return cls(processed=bool(raw.get("processed", False)))
        raise FaultSpecError(f"{_ACTION_NAMES[cls]} must be true or a mapping (processed)", where)

    return build


def _truncate(raw: Any, where: tuple[str | int, ...]) -> Truncate:
    if raw is True or raw is None or raw == {}:
        return Truncate()
    raise FaultSpecError("truncate must be true", where)


def _malformed(raw: Any, where: tuple[str | int, ...]) -> Malformed:
    if raw is True or raw is None:
        return Malformed()
    if isinstance(raw, dict):
        _known(raw, MALFORMED_KEYS, "malformed", where)
        body = raw.get("body")
        if not isinstance(body, str):
            raise FaultSpecError("malformed.body must be a string", (*where, "body"))
        return Malformed(body.encode())
    raise FaultSpecError("malformed must be true or a mapping (body)", where)


def compile_rate_limit(raw: Any, where: tuple[str | int, ...] = ("rate_limit",)) -> RateLimit | None:
    """``true`` / ``development`` / ``production`` / ``{requests, window_s, exempt}``; ``false`` = off."""
    if raw is False or raw is None or raw == "off":
        return None
    if raw is True:
        return RateLimit(RATE_LIMITS["development"])
    if isinstance(raw, str):
        if raw not in RATE_LIMITS:
            raise FaultSpecError(f"rate_limit must be one of development, production, off (not {raw!r})", where)
        return RateLimit(RATE_LIMITS[raw])
    if not isinstance(raw, dict):
        raise FaultSpecError("rate_limit must be true, development, production or a mapping", where)
    _known(raw, RATE_LIMIT_KEYS, "rate_limit", where)
    requests = raw.get("requests", RATE_LIMITS["development"])
    window = raw.get("window_s", RATE_WINDOW_S)
    if not isinstance(requests, int) or isinstance(requests, bool) or requests < 1:
        raise FaultSpecError("requests must be a positive integer", (*where, "requests"))
    if not isinstance(window, (int, float)) or isinstance(window, bool) or window <= 0:
        raise FaultSpecError("window_s must be a positive number of seconds", (*where, "window_s"))
    exempt = raw.get("exempt", list(RATE_LIMIT_EXEMPT))
    if not isinstance(exempt, list) or not all(isinstance(e, str) for e in exempt):
        raise FaultSpecError('exempt must be a list like ["GET /v1/jwks"]', (*where, "exempt"))
    return RateLimit(requests, float(window), tuple(exempt))


def _rate_limit_action(raw: Any, where: tuple[str | int, ...]) -> RateLimit:
    limit = compile_rate_limit(raw, where)
    if limit is None:
        raise FaultSpecError("a rate_limit rule cannot be off", where)
    return limit


_ACTION_COMPILERS: dict[str, Any] = {
    "respond": _respond, "delay": _delay, "reset": _flagged(Reset), "drop": _flagged(Drop),
    "hang": _flagged(Hang), "truncate": _truncate, "malformed": _malformed, "rate_limit": _rate_limit_action,
}


def _int(spec: dict[str, Any], key: str, minimum: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FaultSpecError(f"{key} must be an integer >= {minimum}", (key,))
    return value


def _probability(spec: dict[str, Any]) -> float | None:
    value = spec.get("probability")
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise FaultSpecError("probability must be a number between 0 and 1", ("probability",))
    return float(value)


def _window(raw: Any) -> Window | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FaultSpecError("window must be a mapping with start and/or end", ("window",))
    _known(raw, WINDOW_KEYS, "window", ("window",))
    values: dict[str, Any] = {}
    for key in WINDOW_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[f"{key}_s"] = float(value)
        else:
            ms = parse_instant(value)
            if ms is None:
                raise FaultSpecError(f"window.{key} must be seconds after install or an RFC 3339 time",
                                     ("window", key))
            values[f"{key}_ms"] = ms
    return Window(**values)


def parse_instant(value: Any) -> int | None:
    """RFC 3339 string (or a YAML timestamp) -> Unix ms; None if it is not one."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _known(raw: dict[str, Any], keys: tuple[str, ...], what: str, where: tuple[str | int, ...]) -> None:
    for key in raw:
        if key not in keys:
            raise FaultSpecError(f"unknown {what} key {key!r} (valid: {', '.join(keys)})", (*where, key))
