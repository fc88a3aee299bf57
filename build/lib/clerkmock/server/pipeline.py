"""`Pipeline.handle(Request) -> Directive`: the one entry point shared by every way in (the base-URL listener,
the mitmproxy addon, the in-process httpx transport), so no way in re-implements another's logic.

Order: control plane (``/__clerkmock/*``, no auth, not journaled) -> fault rules -> engine -> journal.

**The contract with adapters** is the `Directive` (server/directive.py): a fault that is a response
(``respond``, ``malformed``, a rate limit's 429) is an ordinary answer; a delay, reset, drop, hang or
truncation is what only the adapter can carry out, and the directive says which.  Adapters convert their
traffic with `server.inbound.build_request`.  Nothing outside this module reads ``Response.meta`` (what the
engine tells the journal: the route and the error code).

After each request the events the engine recorded go to ``self.webhooks`` (clerkmock/webhooks/).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clerkmock.engine import Engine, Request, Response
from clerkmock.engine.errors import ClerkError, internal_clerk_error, too_many_requests
from clerkmock.faults import FaultSet, FaultsBaseline
from clerkmock.faults.decide import Decision
from clerkmock.faults.rules import TRANSPORT_ACTIONS, Delay, Malformed, RateLimit, Respond, Truncate
from clerkmock.server.control import CONTROL_PREFIX, ControlPlane, is_control_path
from clerkmock.server.directive import Action, Directive, truncated_length
from clerkmock.server.journal import Journal
from clerkmock.webhooks.dispatcher import WebhookDispatcher

if TYPE_CHECKING:
    from clerkmock.scenario import Scenario
    from clerkmock.scenario.seeding import Summary

log = logging.getLogger("clerkmock")

__all__ = ["CONTROL_PREFIX", "Baseline", "Pipeline"]  # CONTROL_PREFIX lives in server/control; re-exported
_NO_RESPONSE = 0  # status of a reset/drop/hang the engine never saw: there is no HTTP response


@dataclass(frozen=True, slots=True)
class Baseline:
    """Everything `reset` returns to: the engine's state and clock, the accepted keys and default API version,
    the fault rules in force and the webhook endpoints."""

    state: bytes
    clock: dict[str, object]
    secret_keys: frozenset[str]
    default_version: str
    faults: FaultsBaseline
    webhooks: tuple[Any, ...] = ()  # the webhook endpoints configured (WebhookDispatcher.snapshot)


class Pipeline:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The engine is not thread-safe; listener threads and test threads call concurrently.  An RLock so
        # control-plane handlers may call back into pipeline methods (reset ...) while holding it.
        self.lock = threading.RLock()
        self.faults = FaultSet(engine.state.ids.seed, lambda: self.engine.clock.now_ms())
        self.journal = Journal()
        # Webhook deliveries: the engine's events are handed over after every request (_hand_over_events).
        self.webhooks = WebhookDispatcher(engine.outbox, seed=engine.outbox.seed)
        self.control = ControlPlane(self)
        self.scenario: Scenario | None = None
        # Called (under the lock) after any request that may have changed state: persistence listens here.
        self.change_listeners: list[Callable[[], None]] = []
        self._baseline = self.capture()

    # -- answering ------------------------------------------------------------------------------------------

    def handle(self, request: Request, *, raise_unexpected: bool = False) -> Directive:
        """Answer one request.  An unexpected exception (an engine bug) is logged and answered 500
        ``internal_clerk_error`` so a server never dies; ``raise_unexpected`` re-raises it instead (the
        in-process transport does, so a test sees the real traceback rather than a retried 500)."""
        if is_control_path(request.path):
            try:
                with self.lock:
                    directive = self.control.handle(request)
                    self._hand_over_events()
                    if request.method != "GET":
                        self._changed()
                    return directive
            except Exception:
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return Directive(self.internal_error())
        started = time.perf_counter()
        with self.lock:
            decision = None
            try:
                if self.faults.rules:
                    decision = self.faults.decide(request, self.engine.clock.now_ms(), self.route_name)
                directive = Directive(self.engine.handle(request)) if decision is None else self._faulted(
                    request, decision)
            except Exception:
                failed = Directive(self.engine.error(internal_clerk_error()))
                self._record(request, failed, decision, started)
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return failed
            self._record(request, directive, decision, started)
            self._hand_over_events()
            if request.method != "GET":
                self._changed()
            return directive

    def _changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def _hand_over_events(self) -> None:
        """The webhook events the engine recorded go to the dispatcher, in the order they happened."""
        if self.engine.outbox.pending:
            self.webhooks.enqueue(self.engine.outbox.drain())

    def _faulted(self, request: Request, decision: Decision) -> Directive:
        rule, delay, fault = decision.rule, decision.delay_ms, decision.fault_id
        if rule is None:  # only delays fired: the engine answers, late
            return Directive(self.engine.handle(request), delay_ms=delay, fault=fault)
        action = rule.action
        if isinstance(action, Respond):
            if action.code is not None:
                response = self.engine.error(ClerkError(
                    action.status, action.code, action.message or action.code, action.long_message,
                    action.meta, dict(action.headers)))
            else:
                headers = {"content-type": "application/json", **{k.lower(): v for k, v in action.headers}}
                response = Response(action.status, action.body or b"", headers)
            return Directive(response, delay_ms=delay, fault=fault)
        if isinstance(action, RateLimit):
            return Directive(self.engine.error(too_many_requests(decision.retry_after_s or 1)), delay_ms=delay,
                             fault=fault)
        if isinstance(action, Malformed):
            return Directive(Response(200, action.body, {"content-type": "application/json"}), delay_ms=delay,
                             fault=fault)
        kind = Action(TRANSPORT_ACTIONS[type(action)])
        if isinstance(action, Truncate):
            response = self.engine.handle(request)
            return Directive(response, kind, delay, truncated_length(response.body), fault)
        assert not isinstance(action, Delay)  # delays only add to delay_ms; they never end the evaluation
        response = self.engine.handle(request) if action.processed else Response(_NO_RESPONSE)
        return Directive(response, kind, delay, fault=fault)

    def _record(self, request: Request, directive: Directive, decision: Decision | None, started: float) -> None:
        response = directive.response
        meta = response.meta
        route = meta.get("route")
        action = None
        if decision is not None:
            if route is None:
                route = self.route_name(request)
            action = directive.action.value if directive.action is not Action.ANSWER else (
                decision.rule.kind if decision.rule is not None else "delay" if decision.fired else None)
        self.journal.record(
            at_ms=self.engine.clock.now_ms(),
            method=request.method,
            path=request.path,
            query=request.query,
            status=None if directive.sends_no_response or response.status == _NO_RESPONSE else response.status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            route=route,
            fault=directive.fault,
            action=action,
            delay_ms=directive.delay_ms,
            error_code=meta.get("error_code"),
        )

    def route_name(self, request: Request) -> str | None:
        """The engine route a request would reach (``users.create``), or None."""
        from clerkmock.engine.engine import _relative_path

        try:
            rel = _relative_path(request.path)
            if rel is None:
                return None
            route, _, _ = self.engine.router.match(request.method, rel)
        except Exception:  # noqa: BLE001 - a label for matching and the journal, never an error
            return None
        return route.name if route is not None else None

    def internal_error(self) -> Response:
        """Clerk's 500 envelope; also used by adapters whose own conversion code failed."""
        with self.lock:
            return self.engine.error(internal_clerk_error())

    # -- scenario ---------------------------------------------------------------------------------------------

    def apply_scenario(self, scenario: Scenario) -> Summary:
        """Put a scenario in force -- the one way to: seed the engine (all or nothing, `Scenario.apply`), then
        its fault rules, rate limit and webhook endpoints.  Returns the created ids by section.  Call
        `set_baseline` afterwards to make the result what `reset` returns to."""
        with self.lock:
            summary = scenario.apply(self.engine)
            now = self.engine.clock.now_ms()
            if self.scenario is None:  # the first one; a document seeded on top does not replace it
                self.scenario = scenario
            if scenario.seed is not None:  # probabilities draw from the scenario's seed
                self.faults.reseed(scenario.seed, now)
            for rule in scenario.faults:
                self.faults.add(rule, now)
            if scenario.rate_limit is not None:
                self.faults.set_rate_limit(scenario.rate_limit, now)
            for endpoint in scenario.webhooks:
                self.webhooks.add(endpoint, source="scenario")
            self._hand_over_events()  # what seeding emitted (webhooks_on_seed) goes to the endpoints
            return summary

    # -- baseline / reset --------------------------------------------------------------------------------------

    def capture(self) -> Baseline:
        with self.lock:
            clock = self.engine.clock
            slots = getattr(type(clock), "__slots__", ())
            return Baseline(
                self.engine.state.snapshot(),
                {s: getattr(clock, s) for s in slots},
                self.engine.secret_keys,
                self.engine.default_version,
                self.faults.baseline(),
                self.webhooks.snapshot(),
            )

    def restore(self, baseline: Baseline) -> None:
        """Back to ``baseline``: state, clock, keys, API version and fault rules (with fresh counters)."""
        with self.lock:
            engine = self.engine
            engine.state = type(engine.state).restore(baseline.state)
            # The clock is restored in place: callers may hold a reference to `engine.clock`.
            clock = engine.clock
            for name, value in baseline.clock.items():
                setattr(clock, name, value)
            engine.secret_keys = baseline.secret_keys
            engine.default_version = baseline.default_version
            self.faults.restore(baseline.faults, clock.now_ms())
            # endpoints back to the baseline's; undelivered events and the delivery log are dropped
            self.engine.outbox.clear()
            self.webhooks.restore(baseline.webhooks)

    @property
    def baseline(self) -> Baseline:
        return self._baseline

    def set_baseline(self, baseline: Baseline | None = None) -> None:
        """Make ``baseline`` (default: the current state, e.g. right after seeding) what `reset` returns to."""
        with self.lock:
            self._baseline = baseline if baseline is not None else self.capture()

    def reset(self) -> None:
        """Back to the baseline and an empty journal.  Cheap (a pickle load), meant to run between tests."""
        with self.lock:
            self.restore(self._baseline)
            self.journal.clear()
