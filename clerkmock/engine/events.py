"""Webhook events, recorded by the engine at the moment of a change; delivered by ``clerkmock/webhooks/``.

The engine only *records*: an operation that changes state calls ``emit(st, "user.created", data)`` (or
``ctx.emit`` in a handler) right after the write, and the event -- the complete payload Clerk would send,
``{data, event_attributes, instance_id, object: "event", timestamp, type}`` -- is serialized into the
engine's `Outbox` at once, so later writes cannot alter it.  The pipeline drains the outbox after each
request and hands the events to the dispatcher, which signs and POSTs them (threads, sockets and the wall
clock live there, never here).

Rules:

* **Off unless someone listens.**  ``Outbox.enabled`` is switched on by the dispatcher while at least one
  endpoint exists; otherwise ``emit`` is a single attribute check and payloads are never built (pass a
  zero-argument callable as ``data`` when building it costs something).
* **A refused request leaves no event**: `Engine.handle` drops what a request emitted when it ends in a
  ``ClerkError`` (or an unexpected exception), as it leaves no trace in state.
* **Events are not state.**  The outbox hangs off the `Engine`; ``State.events`` is only a link to it (so
  operations that get a ``State`` can emit) and `State.tables` -- what snapshots walk -- leaves it out.
  Restoring a snapshot or resetting never replays or resurrects events; the pipeline's reset drops undelivered ones.  Event ids (``msg_…``,
  the ``svix-id``) come from the outbox's own seeded counter, which neither a reset nor a snapshot rewinds,
  so an app that de-duplicates on ``svix-id`` never mistakes a new event for an old one -- and emitting
  events never shifts the ids of users, organizations, … (those come from the state's generator).
* **Seeding emits only when asked**: scenario seeding runs inside ``outbox.emitting(False)`` unless the
  scenario sets ``webhooks_on_seed: true``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from clerkmock.engine.ids import IdGenerator
from clerkmock.engine.jsonio import dumps

if TYPE_CHECKING:
    from clerkmock.engine.clock import Clock
    from clerkmock.engine.types import Request

class Emitter(Protocol):
    """What emitting needs of a `State` (typed structurally: state.py imports this module)."""

    events: Outbox | None
    instance: Any  # .id names the instance in every payload


type Payload = Any  # a JSON value, or a zero-argument callable returning one (built only when enabled)

# Every event type of the vendored webhook spec (clerkmock/spec/webhooks/2025-04-15.yml), in its order.
SPEC_EVENT_TYPES: tuple[str, ...] = (
    "email.created",
    "organization.created", "organization.updated", "organization.deleted",
    "organizationDomain.created", "organizationDomain.updated", "organizationDomain.deleted",
    "organizationInvitation.created", "organizationInvitation.accepted", "organizationInvitation.revoked",
    "organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
    "paymentAttempt.created", "paymentAttempt.updated",
    "permission.created", "permission.updated", "permission.deleted",
    "role.created", "role.updated", "role.deleted",
    "session.created", "session.pending", "session.ended", "session.removed", "session.revoked",
    "sms.created",
    "subscription.created", "subscription.updated", "subscription.active", "subscription.pastDue",
    "subscriptionItem.abandoned", "subscriptionItem.active", "subscriptionItem.canceled", "subscriptionItem.ended",
    "subscriptionItem.freeTrialEnding", "subscriptionItem.incomplete", "subscriptionItem.pastDue",
    "subscriptionItem.upcoming", "subscriptionItem.updated",
    "user.created", "user.updated", "user.deleted",
    "waitlistEntry.created", "waitlistEntry.updated",
)
# The ones clerkmock's state changes produce (docs/webhooks.md says which operation emits which).
EMITTED_EVENT_TYPES: tuple[str, ...] = (
    "user.created", "user.updated", "user.deleted",
    "email.created", "sms.created",
    "session.created", "session.pending", "session.ended", "session.revoked",
    "organization.created", "organization.updated", "organization.deleted",
    "organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
    "organizationInvitation.created", "organizationInvitation.accepted", "organizationInvitation.revoked",
    "organizationDomain.created", "organizationDomain.updated", "organizationDomain.deleted",
    "role.created", "role.updated", "role.deleted",
    "permission.created", "permission.updated", "permission.deleted",
    "waitlistEntry.created", "waitlistEntry.updated",
    "subscription.created", "subscription.updated", "subscription.active", "subscription.pastDue",
    "subscriptionItem.abandoned", "subscriptionItem.active", "subscriptionItem.canceled", "subscriptionItem.ended",
    "subscriptionItem.freeTrialEnding", "subscriptionItem.incomplete", "subscriptionItem.pastDue",
    "subscriptionItem.upcoming", "subscriptionItem.updated",
    "paymentAttempt.created", "paymentAttempt.updated",
)
NO_ATTRIBUTES: dict[str, Any] = {"http_request": {"client_ip": "", "user_agent": ""}}


@dataclass(frozen=True, slots=True)
class Event:
    id: str  # msg_…: the svix-id, the same for every endpoint and every retry
    type: str
    timestamp: int  # Unix ms, by the engine clock (the payload's "timestamp")
    body: bytes  # the exact JSON payload that is signed and sent

    def json(self) -> Any:
        from clerkmock.engine.jsonio import loads

        return loads(self.body)


class Outbox:
    """Events recorded and not yet handed to the dispatcher.  Owned by the `Engine`; not thread-safe (used
    under the pipeline lock, like the engine)."""

    __slots__ = ("enabled", "pending", "seed", "ids", "clock", "_attributes", "_now")

    def __init__(self, seed: str = "clerkmock", clock: Clock | None = None) -> None:
        self.enabled = False
        self.seed = seed  # the engine's construction seed (webhook secrets derive from it)
        self.clock = clock  # for events emitted outside a request (then there is no request instant)
        self.pending: list[Event] = []
        self.ids = IdGenerator(f"{seed}\x00events")
        self._attributes: dict[str, Any] = NO_ATTRIBUTES
        self._now: int | None = None

    # -- the engine's side --------------------------------------------------------------------------------------

    def begin(self, request: Request, clock: Clock) -> int:
        """A request starts: remember who made it (``event_attributes``) and when; returns the rollback mark."""
        headers = request.headers
        forwarded = headers.get("x-forwarded-for", "").split(",")[0].strip()
        self._attributes = {"http_request": {"client_ip": forwarded or headers.get("x-real-ip", ""),
                                             "user_agent": headers.get("user-agent", "")}}
        self._now = clock.now_ms()
        return len(self.pending)

    def end(self, mark: int | None = None) -> None:
        """The request is over; with ``mark``, it failed: drop what it emitted."""
        if mark is not None:
            del self.pending[mark:]
        self._attributes = NO_ATTRIBUTES
        self._now = None

    def record(self, st: Emitter, type_: str, data: Any, now: int | None) -> Event:
        if now is not None:
            at = now
        elif self._now is not None:
            at = self._now
        else:
            at = self.clock.now_ms() if self.clock is not None else 0
        event = Event(self.ids.new("msg"), type_, at, dumps({
            "data": data,
            "event_attributes": self._attributes,
            "instance_id": st.instance.id,
            "object": "event",
            "timestamp": at,
            "type": type_,
        }))
        self.pending.append(event)
        return event

    def rename(self, old: str, new: str) -> None:
        """An id was rewritten in the state (a scenario pinning ids): rewrite it in undelivered payloads too."""
        needle, repl = dumps(old), dumps(new)
        for i, event in enumerate(self.pending):
            if needle in event.body:
                self.pending[i] = Event(event.id, event.type, event.timestamp, event.body.replace(needle, repl))

    def new_id(self, prefix: str) -> str:
        """Ids of things that exist only inside events (``ema_`` emails, ``sms_`` messages)."""
        return self.ids.new(prefix)

    # -- the pipeline's side ------------------------------------------------------------------------------------

    def drain(self) -> list[Event]:
        events, self.pending = self.pending, []
        return events

    def clear(self) -> None:
        self.pending.clear()

    @contextmanager
    def emitting(self, enabled: bool) -> Iterator[None]:
        """Force recording on or off for a block (scenario seeding), then restore the previous setting."""
        before = self.enabled
        self.enabled = enabled
        try:
            yield
        finally:
            self.enabled = before


def emit(st: Emitter, type_: str, data: Payload | Callable[[], Payload], now: int | None = None) -> None:
    """Record a webhook event about a change just made to ``st`` (a no-op unless someone listens)."""
    box = st.events
    if box is not None and box.enabled:
        box.record(st, type_, data() if callable(data) else data, now)


def new_id(st: Emitter, prefix: str) -> str:
    """An id for an object that only exists in an event payload (see `Outbox.new_id`)."""
    box = st.events
    return box.new_id(prefix) if box is not None else f"{prefix}_0"


def enabled(st: Emitter) -> bool:
    box = st.events
    return box is not None and box.enabled
