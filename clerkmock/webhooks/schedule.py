"""When each delivery is attempted, the way Svix does it: every message on its own schedule.

A message is attempted when it is due; a failed attempt is retried after the next delay of the retry schedule,
and until then the endpoint's other messages go ahead -- a failing message never holds back the ones behind
it, so the order an endpoint sees is the order events happened *except* that a retried (or delayed) message
arrives after later ones.  Endpoints are independent.  The caller (the dispatcher) holds its lock around
every function here; ``now`` is ``time.monotonic()``.
"""

from __future__ import annotations

import logging
import random

from clerkmock.webhooks.records import (
    DELIVERING,
    DROPPED,
    FAILED,
    RETRYING,
    SUCCEEDED,
    Attempt,
    Delivery,
    Endpoint,
    wall_ms,
)

log = logging.getLogger("clerkmock")


def apply_faults(endpoint: Endpoint, d: Delivery, now: float, rng: random.Random) -> None:
    """The endpoint's delivery faults (config.py) that fire for a new delivery: drop, delay, duplicate."""
    for fault in endpoint.faults:
        if not fault.matches(d.event.type):
            continue
        seen = endpoint.seen[fault.id] = endpoint.seen.get(fault.id, 0) + 1
        if seen <= fault.after:
            continue
        if fault.times is not None and endpoint.fired.get(fault.id, 0) >= fault.times:
            continue
        if fault.probability < 1.0 and rng.random() >= fault.probability:
            continue
        endpoint.fired[fault.id] = endpoint.fired.get(fault.id, 0) + 1
        d.faults.append(fault.id)
        if fault.action == "drop":
            d.status = DROPPED
            d.next_attempt_at_ms = None
            return
        if fault.action == "delay":
            d.due = now + fault.delay_ms / 1000
            d.next_attempt_at_ms = (d.next_attempt_at_ms or wall_ms()) + fault.delay_ms
        else:
            d.copies += fault.copies


def next_due(endpoint: Endpoint, now: float) -> tuple[Delivery | None, float | None]:
    """The delivery to attempt now (the earliest due; among equals, the oldest), else how long until one is
    due (None: nothing pending).  A delivery still on the wire (from a replaced endpoint's thread) is skipped."""
    best: Delivery | None = None
    for d in endpoint.pending:  # in the order events happened: ties go to the older one
        if d.status != DELIVERING and (best is None or d.due < best.due):
            best = d
    if best is None:
        return None, None
    if best.due <= now:
        return best, None
    return None, best.due - now


def record(endpoint: Endpoint, d: Delivery, attempt: Attempt, schedule: tuple[float, ...], now: float) -> None:
    """Record an attempt: done, a duplicate still to send, a retry on the schedule, or failed for good."""
    d.attempts.append(attempt)
    if attempt.duplicate:
        d.copies -= 1
        d.status = SUCCEEDED
        if d.copies <= 0:
            finish(endpoint, d)
        return
    if attempt.ok:
        d.status = SUCCEEDED
        d.next_attempt_at_ms = None
        if d.copies <= 0:
            finish(endpoint, d)
        return
    retries = d.retries  # attempts so far, minus the first
    if retries < len(schedule):
        d.status = RETRYING
        d.due = now + schedule[retries]
        d.next_attempt_at_ms = wall_ms() + int(schedule[retries] * 1000)
        return
    d.status = FAILED
    d.next_attempt_at_ms = None
    log.warning("clerkmock: webhook %s (%s) to %s failed after %d attempts", d.event.id, d.event.type,
                endpoint.url, len(d.attempts))
    finish(endpoint, d)


def finish(endpoint: Endpoint, d: Delivery) -> None:
    if d in endpoint.pending:  # by identity (Delivery has eq=False)
        endpoint.pending.remove(d)
