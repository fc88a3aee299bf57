"""Test helpers behind the pytest plugin (``clerkmock/pytest_plugin.py``), usable without pytest too.

`SessionServer` keeps one `ClerkMock` for a whole test session and switches between scenarios by restoring
cached baselines (a scenario is seeded once; after that a switch or a reset is a pickle load).
`ClerkMockFixture` is what a test gets as ``clerkmock``: the server's addresses, an in-process transport,
fault helpers (`fail`, `delay`, `rate_limit`) returning removable `Rule` handles, the journal as `Requests`,
the clock and seeding.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from clerkmock.faults import FaultRule, RateLimit, compile_rate_limit
from clerkmock.server.journal import JournalEntry
from clerkmock.server.pipeline import Baseline

if TYPE_CHECKING:
    import httpx

    from clerkmock.mock import ClerkMock
    from clerkmock.scenario import Scenario
    from clerkmock.transport import AsyncClerkMockTransport, ClerkMockTransport

BUNDLED_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"  # the repository's scenarios/


@dataclass(frozen=True, slots=True)
class Settings:
    """What selects a baseline.  Each field: None = not set at this level."""

    scenario: str | None = None  # a resolved path
    seed: str | None = None
    rate_limit: Any = None  # as in a scenario: development | production | {requests, window_s} | False
    secret_keys: tuple[str, ...] | None = None

    def key(self) -> tuple[Any, ...]:
        mtime = os.stat(self.scenario).st_mtime_ns if self.scenario else None
        return (self.scenario, mtime, self.seed, repr(self.rate_limit), self.secret_keys)


SETTING_NAMES = ("scenario", "seed", "rate_limit", "secret_keys")


def find_scenario(name: str | os.PathLike[str], search: list[Path]) -> str:
    """``name`` as given if it exists, else under each of ``search`` and the bundled scenarios."""
    path = Path(name)
    candidates = [path] if path.is_absolute() else [*(d / path for d in search), path, BUNDLED_SCENARIOS / path]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"clerkmock: scenario {os.fspath(name)!r} not found (looked in: {looked})")


class SessionServer:
    """One ClerkMock for many tests; `activate` switches to a settings' baseline and resets."""

    def __init__(self, mock: ClerkMock) -> None:
        if mock.scenario is not None:
            raise ValueError("SessionServer needs a ClerkMock without a scenario: scenarios are selected per "
                             "test (activate(Settings(scenario=...)))")
        self.mock = mock
        self.pristine = mock.pipeline.capture()  # no scenario, no faults
        self._baselines: dict[tuple[Any, ...], tuple[Baseline, Scenario | None]] = {}

    def activate(self, settings: Settings) -> Scenario | None:
        pipeline = self.mock.pipeline
        key = settings.key()
        with pipeline.lock:
            cached = self._baselines.get(key)
            if cached is None:
                cached = self._baselines[key] = self._build(settings)
            baseline, scenario = cached
            # By identity: a test may have moved the baseline (POST /__clerkmock/seed?baseline=true).
            if pipeline.baseline is not baseline:
                pipeline.set_baseline(baseline)
            pipeline.scenario = scenario
            pipeline.reset()
        type(self.mock).latest = self.mock  # clerkmock.messages reads the server of the test that runs
        return scenario

    def _build(self, settings: Settings) -> tuple[Baseline, Scenario | None]:
        from clerkmock.scenario import load

        pipeline, engine = self.mock.pipeline, self.mock.engine
        pipeline.restore(self.pristine)
        pipeline.scenario = None
        if settings.seed is not None:
            engine.state.ids.seed = settings.seed
            pipeline.faults.reseed(settings.seed, engine.clock.now_ms())
        scenario = None
        if settings.scenario is not None:
            scenario = load(settings.scenario)
            scenario.apply_to(pipeline)
        if settings.rate_limit is not None:
            pipeline.faults.set_rate_limit(compile_rate_limit(settings.rate_limit), engine.clock.now_ms())
        if settings.secret_keys is not None:
            engine.secret_keys = frozenset(settings.secret_keys)
        return pipeline.capture(), scenario

    def stop(self) -> None:
        self.mock.stop()


class Rule:
    """A fault rule in force: ``.remove()`` (or leave a ``with`` block) to take it out."""

    def __init__(self, fixture: ClerkMockFixture, rule: FaultRule) -> None:
        self._fixture = fixture
        self.rule = rule

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def fired(self) -> int:
        """How often its action was taken."""
        return self._fixture.pipeline.faults.fired(self.id)

    @property
    def matched(self) -> int:
        return self._fixture.pipeline.faults.matched(self.id)

    @property
    def active(self) -> bool:
        return self._fixture.pipeline.faults.get(self.id) is self.rule

    def remove(self) -> None:
        with self._fixture.pipeline.lock:
            if self.active:
                self._fixture.pipeline.faults.remove(self.id)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<clerkmock Rule {self.id} {self.rule.kind} fired={self.fired}>"


class Requests:
    """The journal of Backend API requests, oldest first (control-plane calls are not in it)."""

    def __init__(self, fixture: ClerkMockFixture) -> None:
        self._fixture = fixture

    def calls(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Requests by method and path: exact, glob (``/v1/users/*``) or route name (``users.create``)."""
        if method is not None and path is None and " " in method.strip():
            method, path = method.split(None, 1)
        elif method is not None and path is None and not method.isalpha():
            method, path = None, method
        with self._fixture.pipeline.lock:
            return self._fixture.pipeline.journal.entries(method=method, path=path)

    def assert_called(self, method: str | None = None, path: str | None = None, *,
                      times: int | None = None) -> list[JournalEntry]:
        """At least once, or exactly ``times`` times; the message lists what was called instead."""
        found = self.calls(method, path)
        ok = len(found) == times if times is not None else bool(found)
        if not ok:
            want = f"exactly {times} time{'s' if times != 1 else ''}" if times is not None else "at least once"
            raise AssertionError(
                f"expected {method or '*'} {path or '*'} to be called {want}, but it was called "
                f"{len(found)} time{'s' if len(found) != 1 else ''}.\n{self._listing()}")
        return found

    def assert_not_called(self, method: str | None = None, path: str | None = None) -> None:
        self.assert_called(method, path, times=0)

    def _listing(self) -> str:
        entries = self.all()
        if not entries:
            return "The journal is empty."
        lines = [f"  {e.method} {e.path} -> {e.status}" + (f" (fault {e.fault}: {e.action})" if e.fault else "")
                 for e in entries[-20:]]
        more = f" (last 20 of {len(entries)})" if len(entries) > 20 else ""
        return f"Requests{more}:\n" + "\n".join(lines)

    def all(self) -> list[JournalEntry]:
        return self.calls()

    @property
    def faulted(self) -> list[JournalEntry]:
        """Requests a fault rule answered or delayed."""
        return [e for e in self.all() if e.fault is not None]

    @property
    def last(self) -> JournalEntry | None:
        entries = self.all()
        return entries[-1] if entries else None

    def clear(self) -> None:
        with self._fixture.pipeline.lock:
            self._fixture.pipeline.journal.clear()

    def __len__(self) -> int:
        return len(self._fixture.pipeline.journal)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.all())

    def __getitem__(self, index: int) -> JournalEntry:
        return self.all()[index]


_TRIGGERS = ("times", "after", "every", "probability", "window")


class ClerkMockFixture:
    """What the ``clerkmock`` fixture gives a test."""

    def __init__(self, server: SessionServer, scenario: Scenario | None = None) -> None:
        self.server = server
        self.mock = server.mock
        self.scenario = scenario
        self.requests = Requests(self)

    # -- where -----------------------------------------------------------------------------------------------

    @property
    def pipeline(self) -> Any:
        return self.mock.pipeline

    @property
    def engine(self) -> Any:
        return self.mock.engine

    @property
    def url(self) -> str:
        """The base URL (CLERK_API_URL); starts the session's HTTP listener on first use."""
        self.mock.start()
        return self.mock.url

    @property
    def api_url(self) -> str:
        """The Python SDK's ``server_url`` (with /v1)."""
        return self.url + "/v1"

    @property
    def secret_key(self) -> str:
        return self.mock.secret_key

    @property
    def env(self) -> dict[str, str]:
        """What `clerkmock env` prints for this server (``CLERK_API_URL``, ``CLERK_SECRET_KEY``,
        ``CLERK_PUBLISHABLE_KEY``, ``CLERK_JWT_KEY``, ``CLERK_WEBHOOK_SIGNING_SECRET``; clerkmock/appenv.py), for
        ``for k, v in clerkmock.env.items(): monkeypatch.setenv(k, v)``.  Starts the HTTP listener."""
        self.mock.start()
        return self.mock.env()

    def transport(self, *, raise_app_exceptions: bool = True) -> ClerkMockTransport:
        """An in-process httpx transport: ``httpx.Client(transport=clerkmock.transport())``."""
        return self.mock.transport(raise_app_exceptions=raise_app_exceptions)

    def async_transport(self, *, raise_app_exceptions: bool = True) -> AsyncClerkMockTransport:
        return self.mock.async_transport(raise_app_exceptions=raise_app_exceptions)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the in-process transport, base URL set (for hand-rolled calls)."""
        import httpx

        kwargs.setdefault("base_url", "http://clerkmock.invalid")
        return httpx.Client(transport=self.transport(), **kwargs)

    # -- faults ----------------------------------------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> Rule:
        """Install a rule in the YAML/JSON shape (docs/scenarios.md, "faults")."""
        with self.pipeline.lock:
            rule = self.pipeline.faults.add(spec, self.engine.clock.now_ms())
        return Rule(self, rule)

    def fail(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        action: str = "respond",
        query: dict[str, str] | None = None,
        match_headers: dict[str, str] | None = None,
        match_body: Any = None,
        id: str | None = None,
        **triggers: Any,
    ) -> Rule:
        """Make matching requests fail.

        ``fail("POST", "/v1/users", status=429, error="too_many_requests", times=1)`` (or ``"POST /v1/users"``,
        a glob ``/v1/users/*`` or a route name ``users.create``).  ``action`` is ``respond`` (default: a Clerk
        error; 500 ``internal_clerk_error`` if nothing else is given -- the Python SDK retries 5xx unless told
        not to), ``reset``, ``drop``, ``hang``, ``truncate`` or ``malformed``.  Triggers: ``times``, ``after``,
        ``every``, ``probability``, ``window``.
        """
        spec = self._spec(method, path, query, match_headers, match_body, id, triggers)
        if action == "respond":
            respond: dict[str, Any] = {}
            if status is not None:
                respond["status"] = status
            if error is not None:
                respond["error"] = error
            if body is not None:
                respond["body"] = body
            if headers:
                respond["headers"] = headers
            spec["respond"] = respond or {"status": 500}
        elif action in ("reset", "drop", "hang", "truncate", "malformed"):
            if status is not None or error is not None or body is not None or headers:
                raise ValueError(f"fail(action={action!r}) sends no response: drop status/error/body/headers")
            spec[action] = True
        else:
            raise ValueError(f"action must be respond, reset, drop, hang, truncate or malformed, not {action!r}")
        return self.add_fault(spec)

    def delay(
        self,
        method: str | None = None,
        path: str | None = None,
        ms: int | None = None,
        *,
        min_ms: int | None = None,
        max_ms: int | None = None,
        median_ms: int | None = None,
        sigma: float | None = None,
        id: str | None = None,
        **triggers: Any,
    ) -> Rule:
        """Answer matching requests late: ``delay("GET /v1/users", ms=50)``, a range (``min_ms``/``max_ms``)
        or lognormal (``median_ms``, ``sigma``)."""
        spec = self._spec(method, path, None, None, None, id, triggers)
        values = {"ms": ms, "min_ms": min_ms, "max_ms": max_ms, "median_ms": median_ms, "sigma": sigma}
        spec["delay"] = {k: v for k, v in values.items() if v is not None}
        return self.add_fault(spec)

    def rate_limit(
        self,
        requests: int | str = "development",
        window_s: float = 10,
        *,
        exempt: list[str] | None = None,
        id: str | None = None,
    ) -> Rule:
        """A token bucket per secret key: ``rate_limit()`` is Clerk's development budget (100 per 10 s),
        ``rate_limit("production")`` 1000, ``rate_limit(5, window_s=1)`` custom.  ``GET /v1/jwks`` is exempt
        unless ``exempt`` says otherwise.  Time is the engine's: `advance` refills the bucket."""
        limit: RateLimit | None
        if isinstance(requests, str):
            limit = compile_rate_limit(requests)
            raw: dict[str, Any] = {"requests": limit.requests if limit else 0, "window_s": window_s}
        else:
            raw = {"requests": requests, "window_s": window_s}
        if exempt is not None:
            raw["exempt"] = exempt
        spec: dict[str, Any] = {"rate_limit": raw}
        if id is not None:
            spec["id"] = id
        with self.pipeline.lock:
            rule = self.pipeline.faults.add(spec, self.engine.clock.now_ms(), first=True)
        return Rule(self, rule)

    @property
    def faults(self) -> list[Rule]:
        return [Rule(self, r) for r in self.pipeline.faults.rules]

    def clear_faults(self) -> None:
        with self.pipeline.lock:
            self.pipeline.faults.clear()

    @staticmethod
    def _spec(method: str | None, path: str | None, query: Any, headers: Any, body: Any, rule_id: str | None,
              triggers: dict[str, Any]) -> dict[str, Any]:
        unknown = set(triggers) - set(_TRIGGERS)
        if unknown:
            raise TypeError(f"unexpected argument {sorted(unknown)[0]!r} (triggers: {', '.join(_TRIGGERS)})")
        if method is not None and path is None:
            if " " in method.strip():
                method, path = method.split(None, 1)
            elif not method.isalpha():  # "/v1/users" or "users.create": any method
                method, path = None, method
        match: dict[str, Any] = {}
        if method is not None:
            match["method"] = method
        if path is not None:
            match["path"] = path
        if query:
            match["query"] = query
        if headers:
            match["headers"] = headers
        if body is not None:
            match["body"] = body
        spec: dict[str, Any] = {"match": match, **{k: v for k, v in triggers.items() if v is not None}}
        if rule_id is not None:
            spec["id"] = rule_id
        return spec

    # -- time, state -----------------------------------------------------------------------------------------

    @property
    def clock(self) -> Any:
        return self.engine.clock

    def advance(self, seconds: float = 0, *, ms: int = 0) -> int:
        """Move the emulated time forward (tokens expire, rate-limit buckets refill, subscriptions renew); returns
        now in ms."""
        with self.pipeline.lock:
            now = int(self.engine.clock.advance(ms=ms, seconds=seconds))
            self.engine.settle()  # renewals, trials ending ... that the new time made due, with their events
            self.pipeline._hand_over_events()
            return now

    def seed(self, document: str | os.PathLike[str] | dict[str, Any] | None = None, /,
             **sections: Any) -> dict[str, list[str]]:
        """Apply a scenario document on top of the current state (until the next test's reset):
        ``seed(users=[{"email_address": ["carol@example.com"]}])``, a dict, YAML text or a file path.
        Returns the created ids by section."""
        import yaml

        from clerkmock.scenario import load, parse_text

        if document is None:
            scenario = parse_text(yaml.safe_dump(sections, sort_keys=False), "seed()")
        elif isinstance(document, dict):
            scenario = parse_text(yaml.safe_dump({**document, **sections}, sort_keys=False), "seed()")
        elif isinstance(document, os.PathLike) or (isinstance(document, str) and "\n" not in document
                                                   and document.endswith((".yaml", ".yml", ".json"))):
            scenario = load(document)
        else:
            scenario = parse_text(str(document), "seed()")
        return scenario.apply_to(self.pipeline)

    def reset(self) -> None:
        """Back to this test's starting point (the scenario's seeded state); clears the journal."""
        self.pipeline.reset()

    def __repr__(self) -> str:
        source = self.scenario.source if self.scenario else "no scenario"
        return f"<clerkmock fixture ({source}), {len(self.engine.state.users)} users>"
