"""`WebhookDispatcher`: signs the engine's events and POSTs them to every endpoint that wants them, the way
Clerk (through Svix) does.  It ties together the parts, each in its own module:

* ``registry.py`` -- the endpoints configured (add/replace, update, remove, the baseline snapshot);
* ``schedule.py`` -- when each delivery is attempted: **every message on its own schedule**, retried with
  backoff (Svix's by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), a failing one never holding back
  the others; delivery faults (drop, delay, duplicate);
* ``sender.py`` -- one signed ``POST``;  ``delivery_log.py`` -- the log;  ``records.py`` -- the records and
  their JSON.

This module owns the one lock (a condition) and the threads: each endpoint has a daemon thread, started on
demand and ended after ``IDLE_EXIT_S`` with nothing to send, that attempts its due deliveries one at a time
(so first attempts go out in the order events happened).  `flush` waits until nothing is pending.

The engine never sees any of this: the pipeline drains the engine's outbox after each request and calls
`enqueue` (under its lock, so events keep the order the engine produced them in).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from clerkmock.engine.events import Event, Outbox
from clerkmock.engine.ids import IdGenerator
from clerkmock.webhooks import schedule, signing
from clerkmock.webhooks.config import SVIX_RETRY_SCHEDULE, EndpointSpec, check_schedule, matches
from clerkmock.webhooks.delivery_log import LOG_LIMIT, DeliveryLog
from clerkmock.webhooks.records import (
    CANCELLED,
    DELIVERING,
    DROPPED,
    FAILED,
    FINISHED,
    QUEUED,
    RETRYING,
    SUCCEEDED,
    Attempt,
    Delivery,
    Endpoint,
    wall_ms,
)
from clerkmock.webhooks.registry import EndpointRegistry, Snapshot, spec_of
from clerkmock.webhooks.sender import DEFAULT_TIMEOUT_S, USER_AGENT, new_client, send

if TYPE_CHECKING:
    import httpx

__all__ = ["CANCELLED", "DELIVERING", "DROPPED", "FAILED", "FINISHED", "LOG_LIMIT", "QUEUED", "RETRYING",
           "SUCCEEDED", "USER_AGENT", "Attempt", "Delivery", "Endpoint", "WebhookDispatcher"]

log = logging.getLogger("clerkmock")

IDLE_EXIT_S = 30.0  # a delivery thread with nothing to do for this long ends


class WebhookDispatcher:
    def __init__(
        self,
        outbox: Outbox | None = None,
        *,
        seed: str = "clerkmock",
        secret: str | None = None,
        retry_schedule: Sequence[float] | str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._cond = threading.Condition(threading.RLock())
        self.outbox = outbox
        self.seed = seed
        self.retry_schedule: tuple[float, ...] = (
            SVIX_RETRY_SCHEDULE if retry_schedule is None else check_schedule(retry_schedule))
        self.timeout = timeout
        self._ids = IdGenerator(f"{seed}\x00webhooks")
        # Endpoints without their own secret sign with the default: pinned, or derived from the seed
        # (`clerkmock env` prints the same value as CLERK_WEBHOOK_SIGNING_SECRET).
        self._registry = EndpointRegistry(
            self._ids, signing.check_secret(secret) if secret else signing.generated_secret(seed))
        self._log = DeliveryLog()
        self._rng = random.Random(f"{seed}\x00webhook-faults")
        self._generation = 0  # bumped by reset(): results of deliveries in flight before it are discarded
        self._closed = False

    @property
    def default_secret(self) -> str:
        return self._registry.default_secret

    @default_secret.setter
    def default_secret(self, secret: str) -> None:
        self._registry.default_secret = secret

    # -- endpoints ----------------------------------------------------------------------------------------------

    def add(
        self,
        url: str | dict[str, Any] | EndpointSpec,
        *,
        events: Iterable[str] | None = None,
        secret: str | None = None,
        retry_schedule: Sequence[float] | None = None,
        faults: Iterable[dict[str, Any]] | None = None,
        id: str | None = None,  # noqa: A002 - the key's name in every other shape
        source: str = "api",
    ) -> Endpoint:
        """Add an endpoint (a URL, the config mapping, or a compiled `EndpointSpec`); keyword arguments
        override the mapping's keys.  Re-adding an id, or a URL already present, replaces that endpoint
        (its pending deliveries are kept)."""
        spec = spec_of(url, events=events, secret=secret, retry_schedule=retry_schedule, faults=faults, id=id)
        with self._cond:
            self._closed = False
            endpoint, replaced = self._registry.put(spec, source)
            if replaced is not None:
                self._cond.notify_all()  # its thread ends (removed); this endpoint's starts below
            self._sync_outbox()
            if endpoint.pending:
                self._ensure_worker(endpoint)
            return endpoint

    def update(self, endpoint_id: str, changes: dict[str, Any]) -> Endpoint:
        """Change an endpoint's events, secret, retry schedule or faults (the control plane's PATCH)."""
        with self._cond:
            spec, source = self._registry.changed(endpoint_id, changes)
            return self.add(spec, source=source)

    def remove(self, endpoint_id: str) -> bool:
        """Remove an endpoint; what it had pending is cancelled."""
        with self._cond:
            removed = self._registry.remove(endpoint_id)
            if removed:
                self._sync_outbox()
                self._cond.notify_all()
            return removed

    def clear(self) -> int:
        with self._cond:
            ids = self._registry.ids()
            for endpoint_id in ids:
                self.remove(endpoint_id)
            return len(ids)

    @property
    def endpoints(self) -> list[Endpoint]:
        with self._cond:
            return list(self._registry)

    def get(self, endpoint_id: str) -> Endpoint | None:
        with self._cond:
            return self._registry.get(endpoint_id)

    @property
    def signing_secret(self) -> str:
        """What an app verifies with: the first endpoint's secret, else the default one."""
        with self._cond:
            return self._registry.signing_secret

    def _sync_outbox(self) -> None:
        # The engine builds payloads only while someone listens (engine/events.py).
        if self.outbox is not None:
            self.outbox.enabled = len(self._registry) > 0

    # -- events in ----------------------------------------------------------------------------------------------

    def enqueue(self, events: Iterable[Event]) -> list[Delivery]:
        """A delivery of each of ``events`` (in order) for every endpoint whose filter takes it."""
        created: list[Delivery] = []
        with self._cond:
            self._closed = False
            now_ms, now = wall_ms(), time.monotonic()
            for event in events:
                for endpoint in self._registry:
                    if not matches(endpoint.events, event.type):
                        continue
                    d = Delivery(self._ids.new("dlv"), endpoint.id, endpoint.url, event, now_ms, due=now,
                                 next_attempt_at_ms=now_ms)
                    schedule.apply_faults(endpoint, d, now, self._rng)
                    self._log.append(d)
                    created.append(d)
                    if d.status != DROPPED:
                        endpoint.pending.append(d)
                        self._ensure_worker(endpoint)
            self._log.trim()
            self._cond.notify_all()
        return created

    # -- waiting, reading the log -------------------------------------------------------------------------------

    def idle(self) -> bool:
        """No delivery queued, retrying or in flight."""
        return self.pending() == 0

    def pending(self) -> int:
        with self._cond:
            return sum(len(e.pending) for e in self._registry)

    def flush(self, timeout: float = 10.0, *, retry_now: bool = False) -> bool:
        """Wait until every delivery is done (succeeded, failed for good, dropped); True if they are.
        ``retry_now``: deliveries waiting for a retry (or a delay fault) are attempted at once."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self.open()
            if retry_now:
                self.retry_now()
            while self.pending():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def retry_now(self) -> int:
        """Make every waiting delivery due now; returns how many."""
        with self._cond:
            now, count = time.monotonic(), 0
            for endpoint in self._registry:
                for d in endpoint.pending:
                    if d.due > now:
                        d.due, d.next_attempt_at_ms, count = now, wall_ms(), count + 1
            self._cond.notify_all()
            return count

    def delivery(self, delivery_id: str) -> Delivery | None:
        with self._cond:
            return self._log.get(delivery_id)

    def signed_headers(self, d: Delivery) -> dict[str, str]:
        """The Svix headers of the delivery's last attempt (or as the next one will be signed: now)."""
        with self._cond:
            endpoint = self._registry.get(d.endpoint_id)
            secret = endpoint.secret if endpoint is not None else self._registry.default_secret
            at_ms = d.attempts[-1].at_ms if d.attempts else wall_ms()
        return signing.headers(secret, d.event.id, at_ms // 1000, d.event.body)

    def redeliver(self, delivery_id: str) -> Delivery | None:
        """Send a delivery's event to its endpoint again, as a new delivery with the same svix-id (Svix's
        "resend"): no delivery faults apply.  None if the delivery or its endpoint is gone."""
        with self._cond:
            old = self._log.get(delivery_id)
            endpoint = self._registry.get(old.endpoint_id) if old is not None else None
            if old is None or endpoint is None or endpoint.removed:
                return None
            self._closed = False
            now_ms, now = wall_ms(), time.monotonic()
            d = Delivery(self._ids.new("dlv"), endpoint.id, endpoint.url, old.event, now_ms, due=now,
                         next_attempt_at_ms=now_ms)
            self._log.append(d)
            endpoint.pending.append(d)
            self._ensure_worker(endpoint)
            self._log.trim()
            self._cond.notify_all()
            return d

    def deliveries(self, *, endpoint_id: str | None = None, event_type: str | None = None,
                   status: str | None = None) -> list[Delivery]:
        with self._cond:
            return self._log.select(endpoint_id=endpoint_id, event_type=event_type, status=status)

    def to_json(self, *, limit: int | None = None, **filters: Any) -> dict[str, Any]:
        with self._cond:
            selected = self.deliveries(**filters)
            total = len(selected)
            if limit is not None:
                selected = selected[-limit:] if limit > 0 else []
            return {
                "endpoints": [e.to_json(self.retry_schedule) for e in self._registry],
                "deliveries": [d.to_json() for d in selected],
                "total_count": total,
                "pending": self.pending(),
                "retry_schedule": list(self.retry_schedule),
            }

    # -- baselines ----------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The endpoints as configured (not their deliveries), with their sources: part of the pipeline's
        baseline, like fault rules."""
        with self._cond:
            return self._registry.snapshot()

    def restore(self, endpoints: Snapshot) -> None:
        """Back to ``endpoints`` (a `snapshot`): others are removed, these re-installed with no pending
        deliveries and fresh fault counters; the log is cleared (see `reset`)."""
        with self._cond:
            self.reset()
            wanted = {spec.id for spec, _ in endpoints}
            for endpoint_id in [i for i in self._registry.ids() if i not in wanted]:
                self.remove(endpoint_id)
            for spec, source in endpoints:
                self.add(spec, source=source)

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget undelivered events and the log, and restart fault counters (endpoints stay): what a
        clerkmock reset does.  A request already on the wire completes, but its result is not recorded."""
        with self._cond:
            self._generation += 1
            for endpoint in self._registry:
                for d in endpoint.pending:
                    d.status = CANCELLED
                endpoint.pending.clear()
                endpoint.seen.clear()
                endpoint.fired.clear()
            self._log.clear()
            self._rng = random.Random(f"{self.seed}\x00webhook-faults")
            self._cond.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the delivery threads.  Pending deliveries stay pending; the next `enqueue`, `add`, `flush` or
        `open` starts the threads again."""
        with self._cond:
            self._closed = True
            workers = [e.worker for e in self._registry if e.worker is not None]
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))

    def open(self) -> None:
        with self._cond:
            self._closed = False
            for endpoint in self._registry:
                if endpoint.pending:
                    self._ensure_worker(endpoint)

    # -- the delivery threads -------------------------------------------------------------------------------------

    def _ensure_worker(self, endpoint: Endpoint) -> None:
        if self._closed or endpoint.worker is not None:
            return
        endpoint.worker = threading.Thread(target=self._run, args=(endpoint,), daemon=True,
                                           name=f"clerkmock-webhooks-{endpoint.id}")
        endpoint.worker.start()

    def _run(self, endpoint: Endpoint) -> None:
        client: httpx.Client | None = None
        try:
            while True:
                with self._cond:
                    d = self._next(endpoint)
                    if d is None:  # let go under the lock: an event queued from now on starts a new thread
                        if endpoint.worker is threading.current_thread():
                            endpoint.worker = None
                        return
                    d.status = DELIVERING
                    generation, url, secret = self._generation, endpoint.url, endpoint.secret
                    duplicate = any(a.ok for a in d.attempts)
                if client is None:
                    client = new_client(self.timeout)
                attempt = send(client, url, secret, d.event, duplicate)
                with self._cond:
                    if generation == self._generation and d.status == DELIVERING:
                        plan = endpoint.retry_schedule if endpoint.retry_schedule is not None else self.retry_schedule
                        schedule.record(endpoint, d, attempt, plan, time.monotonic())
                    self._cond.notify_all()
        except Exception:  # noqa: BLE001 - a bug here must not pass silently, nor kill the process
            log.exception("clerkmock: webhook worker for %s stopped", endpoint.url)
        finally:
            if client is not None:
                client.close()
            with self._cond:
                if endpoint.worker is threading.current_thread():
                    endpoint.worker = None

    def _next(self, endpoint: Endpoint) -> Delivery | None:
        """The next due delivery; None when the thread should end (closed, removed, or idle for IDLE_EXIT_S:
        the next event starts a new one)."""
        idle_since = time.monotonic()
        while True:
            if self._closed or endpoint.removed:
                return None
            d, wait = schedule.next_due(endpoint, time.monotonic())
            if d is not None:
                return d
            if wait is None and any(p.status == DELIVERING for p in endpoint.pending):
                wait = 0.05  # still on the wire from a replaced endpoint's thread
            if wait is None:
                wait = idle_since + IDLE_EXIT_S - time.monotonic()
                if wait <= 0:
                    return None
            self._cond.wait(wait)
