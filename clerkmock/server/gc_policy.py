"""The cyclic garbage collector's settings for a long-running `clerkmock serve` (never changed in a process
that only imports clerkmock, such as a test run using the pytest plugin).

The engine's records are freed by reference counting the moment nothing holds them; the cyclic collector is
only needed for cycles -- rare in the engine, but the forward proxy's mitmproxy leaves ~120 cyclic objects
behind every request (flows, layers, coroutines).  Two costs pull the settings apart:

* **Full collections** walk every live record.  With CPython's defaults (700, 10, 10) one ran about every
  5,000 creates once the long-lived heap had grown by a quarter: ~110 ms at 25,000 users, ~20 % of
  `POST /v1/users`'s CPU under load and the pauses of its p99 (docs/performance.md, "The create path").
  Hence the third threshold, 1000 instead of 10: with the first two below, a full collection after ~50 million
  net allocations at the earliest.
* **Young collections** are cheap only while the young objects are still in the CPU's caches.  A first
  remedy raised the first threshold to 50,000 as well: the proxy's garbage then waited for ~400 requests and
  each collection walked 50,000 cold objects, ~120 µs a proxied request against ~35 µs for mitmproxy's own
  default (`gc.callbacks` timing, docs/performance.md "The collector and reused answers").  At 5,000 a
  proxied request's share is ~30 µs, and creates measured as with 50,000 (CPython's 700 cost them ~5-10 %).
"""

from __future__ import annotations

import gc

THRESHOLDS = (5_000, 10, 1000)  # CPython's defaults: (700, 10, 10)


def tune() -> None:
    """Before seeding: a large scenario's seeding allocates as a burst of creates does."""
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """Once started: what start-up built (modules, the specs, the seeded state) is moved out of the collector's
    sight, so no later full collection walks it again.  Reference counting still frees it.  No collection first:
    start-up leaves ~10 garbage objects, and a full collection while the listener already answers held the first
    answer back (~0.1 s in `bench/run.py`'s start-up row)."""
    gc.freeze()
