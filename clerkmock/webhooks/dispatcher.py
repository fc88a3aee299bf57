"""`WebhookDispatcher`: signs the engine's events and POSTs them to every endpoint that wants them, the way
Clerk (through Svix) does.

* **Asynchronous, in order per endpoint.**  Each endpoint has a FIFO queue and its own daemon thread (started
  on demand, ended after ``IDLE_EXIT_S`` with nothing to send, with its own ``httpx.Client``;
  ``trust_env=False`` so ``HTTPS_PROXY`` never routes a delivery through clerkmock's own proxy).  An event is delivered only after the ones before it on
  that endpoint succeeded, failed for good or were dropped: a failing endpoint holds back what follows.
* **Retries with backoff.**  A non-2xx answer or a connection error is retried after each delay of the
  retry schedule (Svix's by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; configurable per dispatcher and
  per endpoint, short in tests); after the last one the delivery is ``failed`` and the queue moves on.  Every
  attempt is signed anew (fresh ``svix-timestamp``), with the same ``svix-id``.
* **Delivery faults** per endpoint (config.py): ``drop``, ``delay``, ``duplicate``.
* **A delivery log** (attempts, status codes, errors, the next retry) and `flush`, which waits until every
  queue is empty -- what tests call before looking at what the app received.

The engine never sees any of this: the pipeline drains the engine's outbox after each request and calls
`enqueue` (under its lock, so events keep the order the engine produced them in).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clerkmock.engine.events import Event, Outbox
from clerkmock.engine.ids import IdGenerator
from clerkmock.webhooks import signing
from clerkmock.webhooks.config import (
    SVIX_RETRY_SCHEDULE,
    DeliveryFault,
    EndpointSpec,
    WebhookConfigError,
    check_schedule,
    compile_endpoint,
    matches,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("clerkmock")

USER_AGENT = "Svix-Webhooks/1.x (clerkmock)"
DEFAULT_TIMEOUT_S = 15.0  # Svix's per-attempt timeout
IDLE_EXIT_S = 30.0  # a delivery thread with nothing to do for this long ends
LOG_LIMIT = 2000  # finished deliveries kept in the log (pending ones are always kept)
RESPONSE_EXCERPT = 300

# delivery statuses
QUEUED, DELIVERING, RETRYING = "queued", "delivering", "retrying"
SUCCEEDED, FAILED, DROPPED, CANCELLED = "succeeded", "failed", "dropped", "cancelled"
FINISHED = (SUCCEEDED, FAILED, DROPPED, CANCELLED)


def _wall_ms() -> int:
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


@dataclass(slots=True)
class Delivery:
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


@dataclass(slots=True)
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
    queue: deque[Delivery] = field(default_factory=deque)
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
            "pending": len(self.queue),
        }


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
        # What endpoints without their own secret sign with: pinned, or derived from the seed (`clerkmock env`
        # prints the same value as CLERK_WEBHOOK_SIGNING_SECRET).
        self.default_secret = signing.check_secret(secret) if secret else signing.generated_secret(seed)
        self.retry_schedule: tuple[float, ...] = (
            SVIX_RETRY_SCHEDULE if retry_schedule is None else check_schedule(retry_schedule))
        self.timeout = timeout
        self._endpoints: dict[str, Endpoint] = {}
        self._log: deque[Delivery] = deque()
        self._ids = IdGenerator(f"{seed}\x00webhooks")
        self._rng = random.Random(f"{seed}\x00webhook-faults")
        self._generation = 0  # bumped by reset(): results of deliveries in flight before it are discarded
        self._closed = False

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
        (its queue is kept) -- so applying the same scenario twice does not deliver everything twice."""
        if isinstance(url, EndpointSpec):
            spec = url
        else:
            raw: dict[str, Any] = dict(url) if isinstance(url, dict) else {"url": url}
            for key, value in (("events", events), ("secret", secret), ("retry_schedule", retry_schedule),
                               ("faults", faults), ("id", id)):
                if value is not None:
                    raw[key] = list(value) if key in ("events", "faults", "retry_schedule") else value
            spec = compile_endpoint(raw)
        with self._cond:
            self._closed = False
            existing = self._endpoints.get(spec.id) if spec.id else next(
                (e for e in self._endpoints.values() if e.url == spec.url), None)
            endpoint = Endpoint(
                id=spec.id or (existing.id if existing else self._ids.new("ep")),
                url=spec.url,
                secret=spec.secret or self.default_secret,
                events=spec.events,
                retry_schedule=spec.retry_schedule,
                faults=list(spec.faults),
                description=spec.description,
                source=source,
                created_at_ms=existing.created_at_ms if existing else _wall_ms(),
            )
            if existing is not None:
                endpoint.queue = existing.queue
                existing.removed = True
                self._endpoints.pop(existing.id)
                for d in endpoint.queue:
                    d.endpoint_id, d.url = endpoint.id, endpoint.url
                self._cond.notify_all()
            self._endpoints[endpoint.id] = endpoint
            self._sync_outbox()
            if endpoint.queue:
                self._ensure_worker(endpoint)
            return endpoint

    def update(self, endpoint_id: str, changes: dict[str, Any]) -> Endpoint:
        """Change an endpoint's events, secret, retry schedule or faults (the control plane's PATCH)."""
        with self._cond:
            current = self._endpoints.get(endpoint_id)
            if current is None:
                raise KeyError(endpoint_id)
            raw: dict[str, Any] = {"url": current.url, "id": current.id, "events": list(current.events),
                                   "secret": current.secret, "faults": [f.to_json() for f in current.faults]}
            if current.retry_schedule is not None:
                raw["retry_schedule"] = list(current.retry_schedule)
            if current.description is not None:
                raw["description"] = current.description
            for key, value in changes.items():
                if key in ("id",) and value != current.id:
                    raise WebhookConfigError("an endpoint's id cannot change", ("id",))
                raw[key] = value
            spec = compile_endpoint({k: v for k, v in raw.items() if v is not None})
            return self.add(spec, source=current.source)

    def remove(self, endpoint_id: str) -> bool:
        """Remove an endpoint; what it had queued is cancelled."""
        with self._cond:
            endpoint = self._endpoints.pop(endpoint_id, None)
            if endpoint is None:
                return False
            endpoint.removed = True
            for d in endpoint.queue:
                d.status = CANCELLED
            endpoint.queue.clear()
            self._sync_outbox()
            self._cond.notify_all()
            return True

    def clear(self) -> int:
        with self._cond:
            ids = list(self._endpoints)
            for endpoint_id in ids:
                self.remove(endpoint_id)
            return len(ids)

    @property
    def endpoints(self) -> list[Endpoint]:
        with self._cond:
            return list(self._endpoints.values())

    def get(self, endpoint_id: str) -> Endpoint | None:
        with self._cond:
            return self._endpoints.get(endpoint_id)

    @property
    def signing_secret(self) -> str:
        """What an app verifies with: the first endpoint's secret, else the default one."""
        with self._cond:
            first = next(iter(self._endpoints.values()), None)
            return first.secret if first is not None else self.default_secret

    def _sync_outbox(self) -> None:
        # The engine builds payloads only while someone listens (engine/events.py).
        if self.outbox is not None:
            self.outbox.enabled = bool(self._endpoints)

    # -- events in ----------------------------------------------------------------------------------------------

    def enqueue(self, events: Iterable[Event]) -> list[Delivery]:
        """Queue ``events`` (in order) for every endpoint whose filter takes them."""
        created: list[Delivery] = []
        with self._cond:
            self._closed = False
            now_ms, now = _wall_ms(), time.monotonic()
            for event in events:
                for endpoint in self._endpoints.values():
                    if not matches(endpoint.events, event.type):
                        continue
                    d = Delivery(self._ids.new("dlv"), endpoint.id, endpoint.url, event, now_ms, due=now,
                                 next_attempt_at_ms=now_ms)
                    self._apply_faults(endpoint, d, now)
                    self._log.append(d)
                    created.append(d)
                    if d.status != DROPPED:
                        endpoint.queue.append(d)
                        self._ensure_worker(endpoint)
            self._trim_log()
            self._cond.notify_all()
        return created

    def _apply_faults(self, endpoint: Endpoint, d: Delivery, now: float) -> None:
        for fault in endpoint.faults:
            if not fault.matches(d.event.type):
                continue
            seen = endpoint.seen[fault.id] = endpoint.seen.get(fault.id, 0) + 1
            if seen <= fault.after:
                continue
            if fault.times is not None and endpoint.fired.get(fault.id, 0) >= fault.times:
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            endpoint.fired[fault.id] = endpoint.fired.get(fault.id, 0) + 1
            d.faults.append(fault.id)
            if fault.action == "drop":
                d.status = DROPPED
                d.next_attempt_at_ms = None
                return
            if fault.action == "delay":
                d.due = now + fault.delay_ms / 1000
                d.next_attempt_at_ms = (d.next_attempt_at_ms or _wall_ms()) + fault.delay_ms
            else:
                d.copies += fault.copies

    def _trim_log(self) -> None:
        excess = len(self._log) - LOG_LIMIT
        while excess > 0 and self._log and self._log[0].status in FINISHED:
            self._log.popleft()
            excess -= 1

    # -- waiting, reading the log -------------------------------------------------------------------------------

    def idle(self) -> bool:
        """No delivery queued, retrying or in flight."""
        with self._cond:
            return not any(e.queue for e in self._endpoints.values())

    def pending(self) -> int:
        with self._cond:
            return sum(len(e.queue) for e in self._endpoints.values())

    def flush(self, timeout: float = 10.0, *, retry_now: bool = False) -> bool:
        """Wait until every delivery is done (succeeded, failed for good, dropped); True if they are.
        ``retry_now``: deliveries waiting for a retry (or a delay fault) are attempted at once."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self.open()
            if retry_now:
                self.retry_now()
            while any(e.queue for e in self._endpoints.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def retry_now(self) -> int:
        """Make every waiting delivery due now; returns how many."""
        with self._cond:
            now, count = time.monotonic(), 0
            for endpoint in self._endpoints.values():
                for d in endpoint.queue:
                    if d.due > now:
                        d.due, d.next_attempt_at_ms, count = now, _wall_ms(), count + 1
            self._cond.notify_all()
            return count

    def delivery(self, delivery_id: str) -> Delivery | None:
        with self._cond:
            return next((d for d in self._log if d.id == delivery_id), None)

    def signed_headers(self, d: Delivery) -> dict[str, str]:
        """The Svix headers of the delivery's last attempt (or as the next one will be signed: now)."""
        with self._cond:
            endpoint = self._endpoints.get(d.endpoint_id)
            secret = endpoint.secret if endpoint is not None else self.default_secret
            at_ms = d.attempts[-1].at_ms if d.attempts else _wall_ms()
        return signing.headers(secret, d.event.id, at_ms // 1000, d.event.body)

    def redeliver(self, delivery_id: str) -> Delivery | None:
        """Send a delivery's event to its endpoint again, as a new delivery with the same svix-id (Svix's
        "resend"): no delivery faults apply.  None if the delivery or its endpoint is gone."""
        with self._cond:
            old = next((d for d in self._log if d.id == delivery_id), None)
            endpoint = self._endpoints.get(old.endpoint_id) if old is not None else None
            if old is None or endpoint is None or endpoint.removed:
                return None
            self._closed = False
            now_ms, now = _wall_ms(), time.monotonic()
            d = Delivery(self._ids.new("dlv"), endpoint.id, endpoint.url, old.event, now_ms, due=now,
                         next_attempt_at_ms=now_ms)
            self._log.append(d)
            endpoint.queue.append(d)
            self._ensure_worker(endpoint)
            self._trim_log()
            self._cond.notify_all()
            return d

    def deliveries(self, *, endpoint_id: str | None = None, event_type: str | None = None,
                   status: str | None = None) -> list[Delivery]:
        with self._cond:
            return [d for d in self._log
                    if (endpoint_id is None or d.endpoint_id == endpoint_id)
                    and (event_type is None or matches((event_type,), d.event.type))
                    and (status is None or d.status == status)]

    def to_json(self, *, limit: int | None = None, **filters: Any) -> dict[str, Any]:
        with self._cond:
            log_ = self.deliveries(**filters)
            total = len(log_)
            if limit is not None:
                log_ = log_[-limit:] if limit > 0 else []
            return {
                "endpoints": [e.to_json(self.retry_schedule) for e in self._endpoints.values()],
                "deliveries": [d.to_json() for d in log_],
                "total_count": total,
                "pending": sum(len(e.queue) for e in self._endpoints.values()),
                "retry_schedule": list(self.retry_schedule),
            }

    # -- baselines ----------------------------------------------------------------------------------------------

    def snapshot(self) -> tuple[tuple[EndpointSpec, str], ...]:
        """The endpoints as configured (not their queues), with their sources: part of the pipeline's
        baseline, like fault rules."""
        with self._cond:
            return tuple((EndpointSpec(e.url, e.events, e.secret, e.id, e.retry_schedule, list(e.faults),
                                       e.description), e.source) for e in self._endpoints.values())

    def restore(self, endpoints: tuple[tuple[EndpointSpec, str], ...]) -> None:
        """Back to ``endpoints`` (a `snapshot`): others are removed, these re-installed with fresh queues and
        fault counters; the log is cleared (see `reset`)."""
        with self._cond:
            self.reset()
            wanted = {spec.id for spec, _ in endpoints}
            for endpoint_id in [i for i in self._endpoints if i not in wanted]:
                self.remove(endpoint_id)
            for spec, source in endpoints:
                self.add(spec, source=source)

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget undelivered events and the log, and restart fault counters (endpoints stay): what a
        clerkmock reset does.  A request already on the wire completes, but its result is not recorded."""
        with self._cond:
            self._generation += 1
            for endpoint in self._endpoints.values():
                for d in endpoint.queue:
                    d.status = CANCELLED
                endpoint.queue.clear()
                endpoint.seen.clear()
                endpoint.fired.clear()
            self._log.clear()
            self._rng = random.Random(f"{self.seed}\x00webhook-faults")
            self._cond.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the delivery threads.  Queued deliveries stay queued; the next `enqueue`, `add`, `flush` or
        `open` starts the threads again."""
        with self._cond:
            self._closed = True
            workers = [e.worker for e in self._endpoints.values() if e.worker is not None]
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))

    def open(self) -> None:
        with self._cond:
            self._closed = False
            for endpoint in self._endpoints.values():
                if endpoint.queue:
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
                    import httpx  # only when something is delivered: `serve` starts without httpx

                    client = httpx.Client(timeout=self.timeout, trust_env=False, follow_redirects=False)
                attempt = _send(client, url, secret, d.event, duplicate)
                with self._cond:
                    if generation == self._generation and d.status == DELIVERING:
                        self._record(endpoint, d, attempt)
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
        """The head of the endpoint's queue once it is due; None when the thread should end (closed, removed,
        or idle for IDLE_EXIT_S: the next event starts a new one)."""
        idle_since = time.monotonic()
        while True:
            if self._closed or endpoint.removed:
                return None
            if endpoint.queue:
                d = endpoint.queue[0]
                if d.status == DELIVERING:  # still on the wire from a replaced endpoint's thread
                    self._cond.wait(0.05)
                    continue
                wait = d.due - time.monotonic()
                if wait <= 0:
                    return d
                self._cond.wait(wait)
            else:
                remaining = idle_since + IDLE_EXIT_S - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def _record(self, endpoint: Endpoint, d: Delivery, attempt: Attempt) -> None:
        d.attempts.append(attempt)
        now = time.monotonic()
        if attempt.duplicate:
            d.copies -= 1
            d.status = SUCCEEDED
            if d.copies <= 0:
                self._finish(endpoint, d)
            return
        if attempt.ok:
            d.status = SUCCEEDED
            d.next_attempt_at_ms = None
            if d.copies <= 0:
                self._finish(endpoint, d)
            return
        schedule = endpoint.retry_schedule if endpoint.retry_schedule is not None else self.retry_schedule
        retries = d.retries  # attempts so far, minus the first
        if retries < len(schedule):
            d.status = RETRYING
            d.due = now + schedule[retries]
            d.next_attempt_at_ms = _wall_ms() + int(schedule[retries] * 1000)
            return
        d.status = FAILED
        d.next_attempt_at_ms = None
        log.warning("clerkmock: webhook %s (%s) to %s failed after %d attempts", d.event.id, d.event.type,
                    endpoint.url, len(d.attempts))
        self._finish(endpoint, d)

    def _finish(self, endpoint: Endpoint, d: Delivery) -> None:
        if endpoint.queue and endpoint.queue[0] is d:
            endpoint.queue.popleft()


def _send(client: httpx.Client, url: str, secret: str, event: Event, duplicate: bool) -> Attempt:
    import httpx

    at = _wall_ms()
    timestamp = at // 1000  # so the signed headers can be shown again from the attempt (`signed_headers`)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **signing.headers(secret, event.id, timestamp, event.body)}
    started = time.perf_counter()
    try:
        response = client.post(url, content=event.body, headers=headers)
    except httpx.HTTPError as exc:
        return Attempt(at, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                       _elapsed(started), duplicate)
    return Attempt(at, response.status_code, None, _elapsed(started), duplicate,
                   response.text[:RESPONSE_EXCERPT])


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
