"""Webhook endpoints and delivery faults as data, compiled once from the shape a scenario, the control plane,
the CLI and the Python API share:

    {"url": "http://127.0.0.1:8000/webhooks/clerk",     # required; http(s)
     "events": ["user.*", "organizationMembership.created"],  # optional filter: types or "group.*"; all if absent
     "secret": "whsec_…",                               # optional: pinned; otherwise the instance's
     "id": "ep_app",                                    # optional: pinned (re-adding it replaces the endpoint)
     "retry_schedule": [0.1, 0.5],                      # optional: seconds before each retry (default: Svix's)
     "faults": [{"drop": true, "events": ["user.deleted"], "times": 1},
                {"delay": {"ms": 300}},
                {"duplicate": true, "probability": 0.5}]}

Unknown keys are refused with the valid ones named (a typo must fail when the endpoint is added, not silently
never match).  Errors carry the path of the offending key so a scenario can point at its line.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from clerkmock.engine.events import SPEC_EVENT_TYPES
from clerkmock.webhooks.signing import SecretError, check_secret

ENDPOINT_KEYS = ("url", "events", "secret", "id", "retry_schedule", "faults", "description")
FAULT_ACTIONS = ("drop", "delay", "duplicate")
FAULT_KEYS = ("id", *FAULT_ACTIONS, "events", "times", "after", "probability")
MAX_SCHEDULE = 20
# Svix's schedule: after the immediate attempt, retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h later.
SVIX_RETRY_SCHEDULE: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class WebhookConfigError(ValueError):
    """A webhook endpoint or fault that cannot be compiled; ``path`` locates the key inside it."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class DeliveryFault:
    """What goes wrong with deliveries to one endpoint: ``drop`` (never sent), ``delay`` (sent ``delay_ms``
    late; later events wait behind it), ``duplicate`` (sent ``copies`` more times after it succeeds, with the
    same ``svix-id``).  Fires for matching events, ``after`` the first n, at most ``times`` times, with
    ``probability`` (seeded)."""

    id: str
    action: str
    events: tuple[str, ...] = ()
    delay_ms: int = 0
    copies: int = 1
    times: int | None = None
    after: int = 0
    probability: float = 1.0

    def matches(self, event_type: str) -> bool:
        return matches(self.events, event_type)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.action == "drop":
            out["drop"] = True
        elif self.action == "delay":
            out["delay"] = {"ms": self.delay_ms}
        else:
            out["duplicate"] = {"copies": self.copies}
        if self.events:
            out["events"] = list(self.events)
        if self.times is not None:
            out["times"] = self.times
        if self.after:
            out["after"] = self.after
        if self.probability != 1.0:
            out["probability"] = self.probability
        return out


@dataclass(slots=True)
class EndpointSpec:
    """A compiled endpoint description (what `WebhookDispatcher.add` takes)."""

    url: str
    events: tuple[str, ...] = ()
    secret: str | None = None
    id: str | None = None
    retry_schedule: tuple[float, ...] | None = None
    faults: list[DeliveryFault] = field(default_factory=list)
    description: str | None = None


def matches(patterns: tuple[str, ...], event_type: str) -> bool:
    """An empty filter takes everything; otherwise an exact type or a glob (``user.*``, ``*``)."""
    return not patterns or any(p == event_type or fnmatch.fnmatchcase(event_type, p) for p in patterns)


# -- compiling -------------------------------------------------------------------------------------------------


def compile_endpoint(raw: Any, *, fault_prefix: str = "wf") -> EndpointSpec:
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, dict):
        raise WebhookConfigError("a webhook endpoint is a mapping with at least url (or a URL string)")
    for key in raw:
        if key not in ENDPOINT_KEYS:
            raise WebhookConfigError(f"unknown webhook key {key!r} (known: {', '.join(ENDPOINT_KEYS)})", (key,))
    if "url" not in raw:
        raise WebhookConfigError("a webhook endpoint needs url", ())
    spec = EndpointSpec(url=check_url(raw["url"]))
    if raw.get("events") is not None:
        spec.events = check_events(raw["events"], ("events",))
    if raw.get("secret") is not None:
        try:
            spec.secret = check_secret(raw["secret"])
        except SecretError as exc:
            raise WebhookConfigError(str(exc), ("secret",)) from None
    if raw.get("id") is not None:
        value = raw["id"]
        if not isinstance(value, str) or not value or not value.replace("_", "").replace("-", "").isalnum():
            raise WebhookConfigError("id must be letters, digits, _ and - (e.g. ep_app)", ("id",))
        spec.id = value
    if raw.get("retry_schedule") is not None:
        spec.retry_schedule = check_schedule(raw["retry_schedule"], ("retry_schedule",))
    if raw.get("description") is not None:
        spec.description = str(raw["description"])
    faults = raw.get("faults")
    if faults is not None:
        if not isinstance(faults, list):
            raise WebhookConfigError("faults must be a list of delivery fault rules", ("faults",))
        spec.faults = [compile_fault(f, f"{fault_prefix}_{i + 1}", ("faults", i)) for i, f in enumerate(faults)]
    return spec


def compile_fault(raw: Any, default_id: str, path: tuple[str | int, ...] = ()) -> DeliveryFault:
    if not isinstance(raw, dict):
        raise WebhookConfigError("a delivery fault is a mapping such as {drop: true, times: 1}", path)
    for key in raw:
        if key not in FAULT_KEYS:
            raise WebhookConfigError(f"unknown delivery fault key {key!r} (known: {', '.join(FAULT_KEYS)})",
                                     (*path, key))
    actions = [a for a in FAULT_ACTIONS if a in raw]
    if len(actions) != 1:
        raise WebhookConfigError(f"a delivery fault takes exactly one of {', '.join(FAULT_ACTIONS)}", path)
    action = actions[0]
    value = raw[action]
    delay_ms, copies = 0, 1
    if action == "drop":
        if value is not True:
            raise WebhookConfigError("drop takes true", (*path, "drop"))
    elif action == "delay":
        ms = value.get("ms") if isinstance(value, dict) else value
        if isinstance(value, dict) and set(value) - {"ms"}:
            raise WebhookConfigError("delay takes {ms: <milliseconds>}", (*path, "delay"))
        if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms < 0:
            raise WebhookConfigError("delay takes milliseconds ({ms: 300} or 300)", (*path, "delay"))
        delay_ms = int(ms)
    else:
        if isinstance(value, dict):
            if set(value) - {"copies"}:
                raise WebhookConfigError("duplicate takes true or {copies: n}", (*path, "duplicate"))
            copies = value.get("copies", 1)
        elif value is not True:
            raise WebhookConfigError("duplicate takes true or {copies: n}", (*path, "duplicate"))
        if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 10:
            raise WebhookConfigError("duplicate.copies is 1 to 10", (*path, "duplicate", "copies"))
    fault_id = raw.get("id", default_id)
    if not isinstance(fault_id, str) or not fault_id:
        raise WebhookConfigError("id must be a non-empty string", (*path, "id"))
    times = raw.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise WebhookConfigError("times must be a positive integer", (*path, "times"))
    after = raw.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise WebhookConfigError("after must be a non-negative integer", (*path, "after"))
    probability = raw.get("probability", 1.0)
    if not _number(probability) or not 0 <= probability <= 1:
        raise WebhookConfigError("probability must be between 0 and 1", (*path, "probability"))
    events = check_events(raw["events"], (*path, "events")) if raw.get("events") is not None else ()
    return DeliveryFault(fault_id, action, events, delay_ms, copies, times, after, float(probability))


def check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise WebhookConfigError("url must be a string", ("url",))
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookConfigError(f"url must be an http(s) URL, not {value!r}", ("url",))
    return value


def check_events(value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise WebhookConfigError("events must be a list of event types (user.created, user.*)", path)
    for i, pattern in enumerate(value):
        if not any(matches((pattern,), t) for t in SPEC_EVENT_TYPES):
            raise WebhookConfigError(
                f"unknown event type {pattern!r} (known: {', '.join(SPEC_EVENT_TYPES)}; globs like user.* work)",
                (*path, i))
    return tuple(dict.fromkeys(value))


def check_schedule(value: Any, path: tuple[str | int, ...] = ()) -> tuple[float, ...]:
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.replace(",", " ").split()]
        except ValueError:
            raise WebhookConfigError("retry_schedule is seconds separated by commas (0.1,1,5)", path) from None
    if not isinstance(value, (list, tuple)) or len(value) > MAX_SCHEDULE or not all(
            _number(v) and 0 <= v <= 86400 for v in value):
        raise WebhookConfigError(
            f"retry_schedule is a list of at most {MAX_SCHEDULE} delays in seconds (0 to 86400); [] = no retries",
            path)
    return tuple(float(v) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- scenarios ------------------------------------------------------------------------------------------------


def compile_endpoints(value: Any) -> list[EndpointSpec]:
    """A scenario's ``webhooks:`` list; a `WebhookConfigError`'s path starts with the entry's index."""
    if not isinstance(value, list):
        raise WebhookConfigError("webhooks must be a list of endpoints ({url, events, secret})", ())
    out: list[EndpointSpec] = []
    for i, raw in enumerate(value):
        try:
            out.append(compile_endpoint(raw, fault_prefix=f"wf{i + 1}"))
        except WebhookConfigError as exc:
            raise WebhookConfigError(f"webhooks[{i}]: {exc.message}", (i, *exc.path)) from None
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario's ``webhooks:`` list (for editors)."""
    events = {"type": "array", "items": {"type": "string"}, "description": "event types or globs (user.*)"}
    fault = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "drop": {"const": True},
            "delay": {"anyOf": [{"type": "number", "minimum": 0}, {
                "type": "object", "additionalProperties": False, "properties": {"ms": {"type": "number"}}}]},
            "duplicate": {"anyOf": [{"const": True}, {
                "type": "object", "additionalProperties": False,
                "properties": {"copies": {"type": "integer", "minimum": 1, "maximum": 10}}}]},
            "events": events,
            "times": {"type": "integer", "minimum": 1},
            "after": {"type": "integer", "minimum": 0},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "oneOf": [{"required": [a]} for a in FAULT_ACTIONS],
    }
    endpoint = {
        "type": "object", "additionalProperties": False, "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "where the app receives webhooks (http or https)"},
            "events": events,
            "secret": {"type": "string", "pattern": "^whsec_", "description": "pinned signing secret"},
            "id": {"type": "string"},
            "retry_schedule": {"type": "array", "items": {"type": "number", "minimum": 0},
                               "description": "seconds before each retry (default: Svix's)"},
            "faults": {"type": "array", "items": fault},
            "description": {"type": "string"},
        },
    }
    return {"type": "array", "items": {"anyOf": [{"type": "string"}, endpoint]}}
