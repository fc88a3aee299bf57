"""`Pipeline.handle(Request) -> Response`: the one entry point shared by the mitmproxy addon, the in-process
httpx transport and any future listener, so no way in re-implements another's logic.

Order: control plane (``/__clerkmock/*``, no auth) -> engine.  Fault rules and the journal slot in here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from clerkmock.engine import Engine, Request, Response
from clerkmock.engine.errors import internal_clerk_error

log = logging.getLogger("clerkmock")

CONTROL_PREFIX = "/__clerkmock"


@dataclass(slots=True)
class _Baseline:
    state: bytes
    clock: dict[str, object]


class Pipeline:
    def __init__(self, engine: Engine) -> None:
        from clerkmock.server.control import ControlPlane  # control imports Pipeline for typing

        self.engine = engine
        # The engine is not thread-safe; the mitmproxy thread and test threads call concurrently.  An RLock so
        # control-plane handlers may call back into pipeline methods (reset ...) while holding it.
        self.lock = threading.RLock()
        self.control = ControlPlane(self)
        self._baseline = self._capture()

    def handle(self, request: Request, *, raise_unexpected: bool = False) -> Response:
        """Answer one request.  An unexpected exception (an engine bug) is logged and answered 500
        ``internal_clerk_error`` so a server never dies; ``raise_unexpected`` re-raises it instead (the
        in-process transport does, so a test sees the real traceback rather than a retried 500)."""
        try:
            with self.lock:
                if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
                    return self.control.handle(request)
                return self.engine.handle(request)
        except Exception:
            if raise_unexpected:
                raise
            log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
            return self.internal_error()

    def internal_error(self) -> Response:
        """Clerk's 500 envelope; also used by adapters whose own conversion code failed."""
        with self.lock:
            return self.engine.error(internal_clerk_error())

    # -- baseline / reset --------------------------------------------------------------------------------------

    def set_baseline(self) -> None:
        """Remember the current state (e.g. right after a scenario is seeded) as what `reset` returns to."""
        with self.lock:
            self._baseline = self._capture()

    def reset(self) -> None:
        """Back to the baseline: state and clock.  Cheap (a pickle load), meant to run between tests."""
        with self.lock:
            self.engine.state = type(self.engine.state).restore(self._baseline.state)
            # The clock is restored in place: callers may hold a reference to `engine.clock`.
            clock = self.engine.clock
            for name, value in self._baseline.clock.items():
                setattr(clock, name, value)

    def _capture(self) -> _Baseline:
        clock = self.engine.clock
        slots = getattr(type(clock), "__slots__", ())
        return _Baseline(self.engine.state.snapshot(), {s: getattr(clock, s) for s in slots})
