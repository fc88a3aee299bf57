"""What the webhook dispatcher keeps: endpoints, deliveries and their attempts, and their JSON shapes (the
control plane's ``GET /__clerkmock/webhooks``, docs/webhooks.md "The log")."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine.events import Event
from clerkmock.webhooks.config import DeliveryFault

# delivery statuses
QUEUED, DELIVERING, RETRYING = "queued", "delivering", "retrying"
SUCCEEDED, FAILED, DROPPED, CANCELLED = "succeeded", "failed", "dropped", "cancelled"
FINISHED = (SUCCEEDED, FAILED, DROPPED, CANCELLED)


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Attempt:
    at_ms: int
    status_code: int | None  # None: no HTTP answer (connection refused, timeout ...)
    error: str | None
    duration_ms: float
    duplicate: bool = False  # a copy sent by a duplicate fault after the delivery succeeded
    response: str = ""  # the start of the endpoint's answer, for debugging

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at_ms, "status_code": self.status_code, "error": self.error,
                               "duration_ms": self.duration_ms}
        if self.duplicate:
            out["duplicate"] = True
        if self.response:
            out["response"] = self.response
        return out


@dataclass(slots=True, eq=False)  # compared by identity
class Delivery:
    """One event (Svix: a message) to one endpoint, with its own attempts and retry schedule."""

    id: str
    endpoint_id: str
    url: str
    event: Event
    created_at_ms: int
    status: str = QUEUED
    attempts: list[Attempt] = field(default_factory=list)
    due: float = 0.0  # time.monotonic() of the next attempt
    next_attempt_at_ms: int | None = None
    copies: int = 0  # duplicates still to send (duplicate fault)
    faults: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return max(0, sum(1 for a in self.attempts if not a.duplicate) - 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "event_id": self.event.id,
            "event_type": self.event.type,
            "status": self.status,
            "attempts": [a.to_json() for a in self.attempts],
            "next_attempt_at": self.next_attempt_at_ms if self.status in (QUEUED, RETRYING) else None,
            "faults": list(self.faults),
            "created_at": self.created_at_ms,
        }


@dataclass(slots=True, eq=False)
class Endpoint:
    id: str
    url: str
    secret: str
    events: tuple[str, ...] = ()
    retry_schedule: tuple[float, ...] | None = None  # None: the dispatcher's
    faults: list[DeliveryFault] = field(default_factory=list)
    description: str | None = None
    source: str = "api"  # api | scenario | cli | control
    created_at_ms: int = 0
    # runtime
    pending: list[Delivery] = field(default_factory=list)  # not finished yet, in the order events happened
    seen: dict[str, int] = field(default_factory=dict)  # fault id -> matching events seen
    fired: dict[str, int] = field(default_factory=dict)  # fault id -> times fired
    worker: threading.Thread | None = None
    removed: bool = False

    def to_json(self, schedule: tuple[float, ...]) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "secret": self.secret,
            "retry_schedule": list(self.retry_schedule if self.retry_schedule is not None else schedule),
            "faults": [f.to_json() for f in self.faults],
            "description": self.description,
            "source": self.source,
            "created_at": self.created_at_ms,
            "pending": len(self.pending),
        }
