"""The engine's only source of time (Unix milliseconds), injectable so tests can freeze and advance it."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Wall time plus an offset, or a frozen instant.  ``advance`` moves either forward.

    The engine never calls ``time.time`` itself; an adapter decides what "now" is.
    """

    __slots__ = ("_source", "_offset_ms", "_frozen_ms", "reads")

    def __init__(
        self,
        *,
        frozen_at_ms: int | None = None,
        offset_ms: int = 0,
        source: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._offset_ms = offset_ms
        self._frozen_ms = frozen_at_ms
        # How many times "now" was read: the engine compares it around a pure read (engine.py `handle`) to
        # know whether the answer depends on the time, and so may not be reused (server/read_cache.py).
        self.reads = 0

    def now_ms(self) -> int:
        self.reads += 1
        if self._frozen_ms is not None:
            return self._frozen_ms
        return int(self._source() * 1000) + self._offset_ms

    def now_s(self) -> int:
        return self.now_ms() // 1000

    def advance(self, *, ms: int = 0, seconds: float = 0) -> int:
        delta = ms + int(seconds * 1000)
        if self._frozen_ms is not None:
            self._frozen_ms += delta
        else:
            self._offset_ms += delta
        return self.now_ms()

    def set(self, at_ms: int, *, frozen: bool | None = None) -> None:
        """Jump to ``at_ms``; keep ticking from there unless frozen (default: keep the current mode)."""
        freeze = self._frozen_ms is not None if frozen is None else frozen
        if freeze:
            self._frozen_ms = at_ms
        else:
            self._frozen_ms = None
            self._offset_ms = at_ms - int(self._source() * 1000)

    @property
    def frozen(self) -> bool:
        return self._frozen_ms is not None

    def freeze(self) -> None:
        self._frozen_ms = self.now_ms()

    def state(self) -> dict[str, int | None]:
        """What saving the clock means everywhere (a reset's baseline, a failed seeding, the state file)."""
        return {"frozen_at_ms": self._frozen_ms, "offset_ms": self._offset_ms}

    def restore_state(self, state: dict[str, int | None]) -> None:
        """The inverse of `state` (in place: callers may hold a reference to this clock)."""
        self._frozen_ms = state.get("frozen_at_ms")
        self._offset_ms = state.get("offset_ms") or 0
