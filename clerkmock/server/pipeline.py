"""`Pipeline.handle(Request) -> Directive`: the one entry point shared by every way in (the base-URL listener,
the mitmproxy addon, the in-process httpx transport), so no way in re-implements another's logic.

Order: control plane (``/__clerkmock/*``, behind its guard, not journaled) -> fault rules -> engine -> journal.
The engine answers the Backend API under ``/v1`` and the Frontend API under ``/__clerk/v1`` (engine/fapi/); for
the latter the pipeline answers CORS preflights and adds the CORS headers of the page's origin to every response.
Bundle files (``/__clerk/npm/…``, clerkmock/assets/) are static I/O outside the engine: answered off the event
loop (``deferred``) and journaled as route ``assets.npm``.

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

from clerkmock.assets import AssetCache
from clerkmock.assets.serve import PREFIXES as ASSET_PREFIXES, ROUTE as ASSET_ROUTE, is_asset_request, serve
from clerkmock.engine import Engine, Request, Response
from clerkmock.engine.engine import RouteMatch
from clerkmock.engine.errors import ClerkError, internal_clerk_error, too_many_requests
from clerkmock.engine.fapi.cors import cors_headers
from clerkmock.engine.fapi.surface import is_fapi_path
from clerkmock.faults import FaultSet, FaultsBaseline
from clerkmock.faults.decide import Decision
from clerkmock.faults.rules import TRANSPORT_ACTIONS, Delay, Malformed, RateLimit, Respond, Truncate
from clerkmock.server.control import CONTROL_PREFIX, ControlPlane, is_control_path
from clerkmock.server.directive import SILENT_ACTIONS, Action, Directive, truncated_length
from clerkmock.server.control_guard import ControlGuard
from clerkmock.server.redaction import Sealer
from clerkmock.server.journal import Journal
from clerkmock.server.read_cache import ReadCache, Reusable
from clerkmock.server.key_notice import KeyNotice
from clerkmock.webhooks.dispatcher import WebhookDispatcher

if TYPE_CHECKING:
    from clerkmock.scenario import Scenario
    from clerkmock.scenario.seeding import Progress, Summary

log = logging.getLogger("clerkmock")

__all__ = ["CONTROL_PREFIX", "Baseline", "Pipeline"]  # CONTROL_PREFIX lives in server/control; re-exported
_NO_RESPONSE = 0  # status of a reset/drop/hang the engine never saw: there is no HTTP response


@dataclass(frozen=True, slots=True)
class Baseline:
    """Everything `reset` returns to: the engine's state and clock, the accepted keys and default API version,
    the fault rules in force and the webhook endpoints."""

    state: bytes
    clock: dict[str, int | None]  # Clock.state()
    secret_keys: frozenset[str]
    default_version: str
    faults: FaultsBaseline
    webhooks: tuple[Any, ...] = ()  # the webhook endpoints configured (WebhookDispatcher.snapshot)


class StateLock:
    """The pipeline's lock as code outside the pipeline holds it (tests, ``clerkmock.testing``, the state file,
    docs/auth-in-tests.md's direct calls on ``engine.state``): on release it calls `Engine.touch`, because the
    holder may have written the state directly, so no answer the listener built before is sent again
    (server/read_cache.py).  The pipeline's own requests take the bare lock and keep their answers."""

    __slots__ = ("_lock", "_pipeline")

    def __init__(self, lock: threading.RLock, pipeline: Pipeline) -> None:
        self._lock = lock
        self._pipeline = pipeline

    def __enter__(self) -> StateLock:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._pipeline.engine.touch()
        finally:
            self._lock.release()


class Pipeline:
    def __init__(self, engine: Engine, *, assets: AssetCache | None = None) -> None:
        self.engine = engine
        # The browser bundles (clerk-js, @clerk/ui) from the user's npm cache: no engine state, never reset.
        self.assets = assets if assets is not None else AssetCache()
        # The engine is not thread-safe; listener threads and test threads call concurrently.  An RLock so
        # control-plane handlers may call back into pipeline methods (reset ...) while holding it.  The pipeline
        # takes `_lock` itself; `lock` is what code outside it holds to read or write ``engine.state`` directly.
        self._lock = threading.RLock()
        self.lock = StateLock(self._lock, self)
        self.faults = FaultSet(engine.state.ids.seed, lambda: self.engine.clock.now_ms())
        self.journal = Journal()
        # Answers of pure reads the base-URL listener sends again while the state is unchanged
        # (server/read_cache.py); None turns reuse off (tests/test_read_cache.py compares both ways).
        self.read_cache: ReadCache | None = ReadCache()
        # Webhook deliveries: the engine's events are handed over after every request (_hand_over_events).
        self.webhooks = WebhookDispatcher(engine.outbox, seed=engine.outbox.seed)
        self.sealer = Sealer()  # seals the secrets of GET /__clerkmock/state (server/redaction.py)
        self.control = ControlPlane(self)
        # Who may steer this server (server/control_guard.py): checked before any control route, by prefix.
        self.control_guard = ControlGuard(lambda: self.engine.secret_keys)
        # Set by ClerkMock: mode ("base" | "proxy") -> the variables an app needs (GET /__clerkmock/env).
        self.app_env: Callable[[str], dict[str, str]] | None = None
        self.key_notice = KeyNotice()  # one log line for the first non-secret Bearer key (key_notice.py)
        self.scenario: Scenario | None = None
        # Called (under the lock) after any request that may have changed state: persistence listens here.
        self.change_listeners: list[Callable[[], None]] = []
        self._baseline = self.capture()

    # -- answering ------------------------------------------------------------------------------------------

    def handle(self, request: Request, *, raise_unexpected: bool = False) -> Directive:
        """Answer one request.  An unexpected exception (an engine bug) is logged and answered 500
        ``internal_clerk_error`` so a server never dies; ``raise_unexpected`` re-raises it instead (the
        in-process transport does, so a test sees the real traceback rather than a retried 500)."""
        if request.path.startswith(ASSET_PREFIXES) and is_asset_request(request):
            return self._asset(request)
        special = request.path.startswith("/__")  # the control plane's and the Frontend API's: one test for the rest
        if special and is_control_path(request.path):
            try:
                with self._lock:
                    refusal = self.control_guard.refusal(request, request.path[len(CONTROL_PREFIX):].rstrip("/"))
                    if refusal is not None:
                        return Directive(self.engine.error(refusal))
                    directive = self.control.handle(request)
                    self.engine.touch()  # control handlers write the state, the clock, keys ... directly
                    self._hand_over_events()
                    if request.method != "GET":
                        self._changed()
                    return directive
            except Exception:
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return Directive(self.internal_error())
        fapi = special and is_fapi_path(request.path)
        if fapi and request.method == "OPTIONS":  # CORS preflight: answered here, never faulted or journaled
            with self._lock:
                headers = cors_headers(self.engine.state, request.headers.get("origin"), preflight=True,
                                       requested_headers=request.headers.get("access-control-request-headers"))
            return Directive(Response(204, b"", headers))
        if not fapi:  # Backend API keys only: the Frontend API authenticates browsers, not secret keys
            self.key_notice.check(request, strict=bool(self.engine.secret_keys))
        started = time.perf_counter()
        with self._lock:
            decision = routed = None
            try:
                if self.faults.rules:  # routed once, for the rules and then the engine
                    routed = self.engine.match(request.method, request.path)
                    names = self.engine.route_names(request.method, request.path, routed)
                    decision = self.faults.decide(request, self.engine.clock.now_ms(), lambda _: names)
                if decision is None:
                    directive = Directive(self.engine.handle(request, routed=routed))
                else:
                    directive = self._faulted(request, decision, routed)
                if fapi:  # every Frontend API answer, a faulted one too, carries the page's CORS headers
                    directive.response.headers.update(cors_headers(self.engine.state, request.headers.get("origin")))
            except Exception:
                failed = Directive(self.engine.error(internal_clerk_error()))
                self._record(request, failed, decision, routed, started)
                if raise_unexpected:
                    raise
                log.exception("clerkmock: unexpected error answering %s %s", request.method, request.path)
                return failed
            self._record(request, directive, decision, routed, started)
            self._hand_over_events()
            if request.method != "GET":
                self._changed()
            return directive

    def reusable(self, request: Request, directive: Directive) -> int | None:
        """The generation a plain answer of a pure read was built at, if it may be sent again for the same
        head (server/read_cache.py); None otherwise.  Called right after `handle`."""
        if self.read_cache is None or request.method != "GET" or not directive.plain or self.faults.rules:
            return None
        generation: int | None = directive.response.meta.get("reusable")
        return generation

    def remember(self, key: object, generation: int, request: Request, response: Response, head: bytes = b"",
                 tail: bytes = b"", fields: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        """Keep an answer `reusable` allowed: rendered by the base-URL listener (``head`` up to the date,
        ``tail`` after), or, from the proxy, its body and the header ``fields`` it was sent with."""
        if self.read_cache is not None:
            self.read_cache.put(key, Reusable(generation, head, tail, request.method, request.path, request.query,
                                              response.meta.get("route"), request.headers.get("user-agent"),
                                              response.body, fields))

    def replay(self, entry: Reusable, started: float) -> bool:
        """Journal a reused answer, if it is still what the engine would answer (the invariant of
        server/read_cache.py); False: answer the request the ordinary way."""
        with self._lock:
            engine = self.engine
            if entry.generation != engine.generation or self.faults.rules or engine.state.billing.items:
                return False
            self.journal.record(engine.clock.now_ms(), entry.method, entry.path, entry.query, 200,
                                int((time.perf_counter() - started) * 1e6 + 0.5) / 1000, entry.route, None, None, 0,
                                None, entry.client, b"", entry.body)
            return True

    def _asset(self, request: Request) -> Directive:
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
            with self._lock:
                self._record(request, Directive(response), None, None, started)
            return response

        return Directive(Response(_NO_RESPONSE, meta={"route": ASSET_ROUTE}), deferred=answer)

    def _changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def _hand_over_events(self) -> None:
        """The webhook events the engine recorded go to the dispatcher, in the order they happened."""
        if self.engine.outbox.pending:
            self.webhooks.enqueue(self.engine.outbox.drain())

    def _faulted(self, request: Request, decision: Decision, routed: RouteMatch | None) -> Directive:
        rule, delay, fault = decision.rule, decision.delay_ms, decision.fault_id
        if rule is None:  # only delays fired: the engine answers, late
            return Directive(self.engine.handle(request, routed=routed), delay_ms=delay, fault=fault)
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
            response = self.engine.handle(request, routed=routed)
            return Directive(response, kind, delay, truncated_length(response.body), fault)
        assert not isinstance(action, Delay)  # delays only add to delay_ms; they never end the evaluation
        response = self.engine.handle(request, routed=routed) if action.processed else Response(_NO_RESPONSE)
        return Directive(response, kind, delay, fault=fault)

    def _record(self, request: Request, directive: Directive, decision: Decision | None, routed: RouteMatch | None,
                started: float) -> None:
        response = directive.response
        meta = response.meta
        route = meta.get("route")
        action = None
        if decision is not None:
            if route is None and routed is not None:
                names = self.engine.route_names(request.method, request.path, routed)
                route = names[0] if names else None
            action = directive.action.value if directive.action is not Action.ANSWER else (
                decision.rule.kind if decision.rule is not None else "delay" if decision.fired else None)
        self.journal.record(  # positional: the journal's field order (at_ms, method, path ... response_body)
            self.engine.clock.now_ms(),
            request.method,
            request.path,
            request.query,
            None if directive.action in SILENT_ACTIONS or response.status == _NO_RESPONSE else response.status,
            # to the microsecond, as round(ms, 3) would (which costs a third of a reused answer's journal entry)
            int((time.perf_counter() - started) * 1e6 + 0.5) / 1000,
            route,
            directive.fault,
            action,
            directive.delay_ms,
            meta.get("error_code"),
            request.headers.get("user-agent"),
            request.body,
            response.body,
        )

    def route_name(self, request: Request) -> str | None:
        """The engine route a request would reach (``users.create``, ``fapi.createSignIn``), or None."""
        with self._lock:
            names = self.engine.route_names(request.method, request.path)
        return names[0] if names else None

    def fapi_hosts(self) -> tuple[str, ...]:
        """Hosts answered under ``/__clerk`` in the proxy modes: the Frontend API's and the Account Portal's
        (engine/fapi/hosts.py `browser_hosts`)."""
        from clerkmock.engine.fapi.hosts import browser_hosts

        with self._lock:
            return browser_hosts(self.engine.state)

    def internal_error(self) -> Response:
        """Clerk's 500 envelope; also used by adapters whose own conversion code failed."""
        with self._lock:
            return self.engine.error(internal_clerk_error())

    # -- scenario ---------------------------------------------------------------------------------------------

    def apply_scenario(self, scenario: Scenario, progress: Progress | None = None) -> Summary:
        """Put a scenario in force -- the one way to: seed the engine (all or nothing, `Scenario.apply`), then
        its fault rules, rate limit and webhook endpoints.  Returns the created ids by section.  Call
        `set_baseline` afterwards to make the result what `reset` returns to."""
        with self._lock:
            summary = scenario.apply(self.engine, progress)
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
            self.engine.touch()
            return summary

    # -- baseline / reset --------------------------------------------------------------------------------------

    def capture(self) -> Baseline:
        with self._lock:
            return Baseline(
                self.engine.state.snapshot(),
                self.engine.clock.state(),
                self.engine.secret_keys,
                self.engine.default_version,
                self.faults.baseline(),
                self.webhooks.snapshot(),
            )

    def restore(self, baseline: Baseline) -> None:
        """Back to ``baseline``: state, clock, keys, API version and fault rules (with fresh counters)."""
        with self._lock:
            engine = self.engine
            engine.state = type(engine.state).restore(baseline.state)
            # The clock is restored in place: callers may hold a reference to `engine.clock`.
            clock = engine.clock
            clock.restore_state(baseline.clock)
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
        with self._lock:
            self._baseline = baseline if baseline is not None else self.capture()

    def reset(self) -> None:
        """Back to the baseline and an empty journal.  Cheap (a pickle load), meant to run between tests."""
        with self._lock:
            self.restore(self._baseline)
            self.journal.clear()
            if self.read_cache is not None:  # stale now anyway (a new state); dropped to bound memory
                self.read_cache.clear()
