"""The cyclic garbage collector's settings for a long-running `clerkmock serve` (never changed in a process
that only imports clerkmock, such as a test run using the pytest plugin).

The engine's records are freed by reference counting the moment nothing holds them; the cyclic collector is
only needed for the rare cycle (an exception's traceback, an asyncio callback).  With CPython's defaults it
runs a full collection every ~70,000 container allocations once the long-lived heap has grown by a quarter --
and a full collection walks every live record: at 40,000 created users one takes ~100 ms, which made
`POST /v1/users` under load spend ~20 % of its CPU in the collector and gave its p99 latency the pauses
(docs/performance.md, "The create path").  Young collections every 50,000 allocations and full ones after 100
middle ones keep the collector's cost per request flat as the state grows, for a few MB of garbage cycles
waiting longer (measured: 60,000 creates in one process, 116.6 -> 94.5 µs of CPU a request, peak RSS 265 ->
270 MB).
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)  # CPython's defaults: (700, 10, 10)


def tune() -> None:
    """Before seeding: a large scenario's seeding allocates as a burst of creates does."""
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """Once started: what start-up built (modules, the specs, the seeded state) is moved out of the collector's
    sight, so no later full collection walks it again.  Reference counting still frees it.  No collection first:
    start-up leaves ~10 garbage objects, and a full collection while the listener already answers held the first
    answer back (~0.1 s in `bench/run.py`'s start-up row)."""
    gc.freeze()
