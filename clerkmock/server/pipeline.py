"""`Pipeline.handle(Request) -> Response`: the one entry point shared by every way in (the base-URL listener,
the mitmproxy addon, the in-process httpx transport), so no way in re-implements another's logic.

Order: control plane (``/__clerkmock/*``, behind its guard, not journaled) -> fault rules -> engine -> journal.
The engine answers the Backend API under ``/v1`` and the Frontend API under ``/__clerk/v1`` (engine/fapi/); for
the latter the pipeline answers CORS preflights and adds the CORS headers of the page's origin to every response.
Bundle files (``/__clerk/npm/…``, clerkmock/assets/) are static I/O outside the engine: answered off the event
loop (``deferred``) and journaled as route ``assets.npm``.

**The fault contract with adapters.**  A fault that is a response (``respond``, ``malformed``, a rate limit's
429) comes back as an ordinary `Response`.  What only the adapter can do is put in ``Response.meta``:

- ``meta["delay_ms"]`` (int): wait that long before answering (with this response, or before carrying out
  ``meta["transport"]``);
- ``meta["transport"]``: ``"reset"`` (TCP RST), ``"drop"`` (close without a response), ``"hang"`` (never
  answer; the client's timeout ends it), ``"truncate"`` (send the headers and part of the body, then close).
  For reset/drop/hang the response's status is 0 unless the rule said ``processed: true`` (then it is the
  engine's answer, which the client never sees); for truncate it is the engine's answer to cut.
- ``meta["fault"]``: the id of the rule that fired (for the journal and logs); ``meta["route"]``: the route.
- ``meta["deferred"]``: a callable returning the real response, which may block (the control plane waiting
  for webhook deliveries): run it on a worker thread, never on an event loop nor under the pipeline lock.

After each request the events the engine recorded go to ``self.webhooks`` (clerkmock/webhooks/).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clerkmock.assets import AssetCache
from clerkmock.assets.serve import PREFIXES as ASSET_PREFIXES, ROUTE as ASSET_ROUTE, is_asset_request, serve
from clerkmock.engine import Engine, Request, Response
from clerkmock.engine.errors import ClerkError, internal_clerk_error, too_many_requests
from clerkmock.engine.fapi.cors import cors_headers
from clerkmock.engine.fapi.surface import is_fapi_path
from clerkmock.faults import FaultSet, FaultsBaseline
from clerkmock.faults.decide import Decision
from clerkmock.faults.rules import TRANSPORT_ACTIONS, Malformed, RateLimit, Respond, Truncate
from clerkmock.server.control_guard import ControlGuard
from clerkmock.server.journal import Journal
from clerkmock.webhooks.dispatcher import WebhookDispatcher

if TYPE_CHECKING:
    from clerkmock.scenario import Scenario

log = logging.getLogger("clerkmock")

CONTROL_PREFIX = "/__clerkmock"
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
    def __init__(self, engine: Engine, *, scenario: Scenario | None = None, assets: AssetCache | None = None) -> None:
        from clerkmock.server.control import ControlPlane  # control imports Pipeline for typing

        self.engine = engine
        # The browser bundles (clerk-js, @clerk/ui) from the user's npm cache: no engine state, never reset.
        self.assets = assets if assets is not None else AssetCache()
        # The engine is not thread-safe; listener threads and test threads call concurrently.  An RLock so
        # control-plane handlers may call back into pipeline methods (reset ...) while holding it.
        self.lock = threading.RLock()
        self.faults = FaultSet(engine.state.ids.seed, lambda: self.engine.clock.now_ms())
        self.journal = Journal()
        # Webhook deliveries: the engine's events are handed over after every request (_hand_over_events).
        self.webhooks = WebhookDispatcher(engine.outbox, seed=engine.outbox.seed)
        self.control = ControlPlane(self)
        # Who may steer this server (server/control_guard.py): checked before any control route, by prefix.
        self.control_guard = ControlGuard(lambda: self.engine.secret_keys)
        self.scenario: Scenario | None = None
        # Called (under the lock) after any request that may have changed state: persistence listens here.
        self.change_listeners: list[Callable[[], None]] = []
        if scenario is not None:
            self.install_scenario(scenario)
        self._baseline = self.capture()

    # -- answering ------------------------------------------------------------------------------------------

    def handle(self, request: Request, *, raise_unexpected: bool = False) -> Response:
        """Answer one request.  An unexpected exception (an engine bug) is logged and answered 500
        ``internal_clerk_error`` so a server never dies; ``raise_unexpected`` re-raises it instead (the
        in-process transport does, so a test sees the real traceback rather than a retried 500)."""
        if request.path.startswith(ASSET_PREFIXES) and is_asset_request(request):
            return self._asset(request)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            try:
                with self.lock:
                    refusal = self.control_guard.refusal(request, request.path[len(CONTROL_PREFIX):].rstrip("/"))
                    if refusal is not None:
                        return self.engine.error(refusal)
                    response = self.control.handle(request)
                    self._hand_over_events()
                    if request.method != "GET":
                        self._changed()
                    return response
            except Exception:
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return self.internal_error()
        fapi = is_fapi_path(request.path)
        if fapi and request.method == "OPTIONS":  # CORS preflight: answered here, never faulted or journaled
            with self.lock:
                headers = cors_headers(self.engine.state, request.headers.get("origin"), preflight=True,
                                       requested_headers=request.headers.get("access-control-request-headers"))
            return Response(204, b"", headers)
        started = time.perf_counter()
        with self.lock:
            try:
                response = self._answer(request)
                if fapi:  # every Frontend API answer, a faulted one too, carries the page's CORS headers
                    response.headers.update(cors_headers(self.engine.state, request.headers.get("origin")))
            except Exception:
                self._record(request, self.engine.error(internal_clerk_error()), started)
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return self.engine.error(internal_clerk_error())
            self._record(request, response, started)
            self._hand_over_events()
            if request.method != "GET":
                self._changed()
            return response

    def _asset(self, request: Request) -> Response:
        """A bundle file: reading it (or a first-use npm fetch) is blocking I/O, so it is deferred to a worker
        thread, outside the lock; only the journal entry is written under it."""

        def answer() -> Response:
            started = time.perf_counter()
            try:
                response = serve(self.assets, request)
            except Exception:
                log.exception("clerkmock: unexpected error serving %s", request.path)
                response = self.internal_error()
            response.meta["route"] = ASSET_ROUTE
            with self.lock:
                self._record(request, response, started)
            return response

        return Response(_NO_RESPONSE, meta={"deferred": answer, "route": ASSET_ROUTE})

    def _changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def _hand_over_events(self) -> None:
        """The webhook events the engine recorded go to the dispatcher, in the order they happened."""
        if self.engine.outbox.pending:
            self.webhooks.enqueue(self.engine.outbox.drain())

    def _answer(self, request: Request) -> Response:
        engine = self.engine
        decision = self.faults.decide(request, engine.clock.now_ms(), self.route_name) if self.faults.rules else None
        if decision is None:
            return engine.handle(request)
        response = self._faulted(request, decision)
        meta = response.meta
        if meta.get("route") is None:
            meta["route"] = self.route_name(request)
        meta["fault"] = decision.fault_id
        if decision.rule is not None:
            meta["fault_action"] = decision.rule.kind
        elif decision.fired:
            meta["fault_action"] = "delay"
        if len(decision.fired) > 1:
            meta["faults"] = list(decision.fired)
        if decision.delay_ms > 0:
            meta["delay_ms"] = decision.delay_ms
        return response

    def _faulted(self, request: Request, decision: Decision) -> Response:
        rule = decision.rule
        if rule is None:  # only delays fired: the engine answers, late
            return self.engine.handle(request)
        action = rule.action
        if isinstance(action, Respond):
            if action.code is not None:
                return self.engine.error(ClerkError(
                    action.status, action.code, action.message or action.code, action.long_message,
                    action.meta, dict(action.headers)))
            headers = {"content-type": "application/json", **{k.lower(): v for k, v in action.headers}}
            return Response(action.status, action.body or b"", headers)
        if isinstance(action, RateLimit):
            return self.engine.error(too_many_requests(decision.retry_after_s or 1))
        if isinstance(action, Malformed):
            return Response(200, action.body, {"content-type": "application/json"})
        transport = TRANSPORT_ACTIONS[type(action)]
        if isinstance(action, Truncate) or action.processed:
            response = self.engine.handle(request)
        else:
            response = Response(_NO_RESPONSE)
        response.meta["transport"] = transport
        return response

    def _record(self, request: Request, response: Response, started: float) -> None:
        meta = response.meta
        status = response.status if response.status != _NO_RESPONSE and meta.get("transport") not in (
            "reset", "drop", "hang") else None
        self.journal.record(
            at_ms=self.engine.clock.now_ms(),
            method=request.method,
            path=request.path,
            query=request.query,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            route=meta.get("route"),
            fault=meta.get("fault"),
            action=meta.get("transport") or meta.get("fault_action"),
            delay_ms=meta.get("delay_ms", 0),
            error_code=meta.get("error_code"),
            client=request.headers.get("user-agent"),
            request_body=request.body,
            response_body=response.body,
        )

    def route_name(self, request: Request) -> str | None:
        """The engine route a request would reach (``users.create``, ``fapi.createSignIn``), or None."""
        from clerkmock.engine.engine import _relative_path

        try:
            if is_fapi_path(request.path):
                route = self.engine.fapi.route_for(request)
                return route.name if route is not None else None
            rel = _relative_path(request.path)
            if rel is None:
                from clerkmock.engine.resources.directories.scim import route_name

                return route_name(request.method, request.path)
            route, _, _ = self.engine.router.match(request.method, rel)
        except Exception:  # noqa: BLE001 - a label for matching and the journal, never an error
            return None
        return route.name if route is not None else None

    def fapi_hosts(self) -> tuple[str, ...]:
        """Hosts answered as the Frontend API in the proxy modes (engine/fapi/surface.py `fapi_hosts`)."""
        from clerkmock.engine.fapi.surface import fapi_hosts

        with self.lock:
            return fapi_hosts(self.engine.state)

    def internal_error(self) -> Response:
        """Clerk's 500 envelope; also used by adapters whose own conversion code failed."""
        with self.lock:
            return self.engine.error(internal_clerk_error())

    # -- scenario ---------------------------------------------------------------------------------------------

    def install_scenario(self, scenario: Scenario) -> None:
        """Put a (seeded) scenario's fault rules and rate limit in force.  The engine side is seeded by
        ``scenario.apply(engine)``; call `set_baseline` afterwards to make it what `reset` returns to."""
        with self.lock:
            now = self.engine.clock.now_ms()
            if self.scenario is None:  # the first one; a document seeded on top does not replace it
                self.scenario = scenario
            if scenario.seed is not None:  # probabilities draw from the scenario's seed
                self.faults.reseed(scenario.seed, now)
            for rule in scenario.faults:
                self.faults.add(rule, now)
            if scenario.rate_limit is not None:
                self.faults.set_rate_limit(scenario.rate_limit, now)
            for endpoint in getattr(scenario, "webhooks", ()):
                self.webhooks.add(endpoint, source="scenario")
            self._hand_over_events()  # what seeding emitted (webhooks_on_seed) goes to the endpoints

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
