"""`ClerkMock`: one engine + pipeline, reachable over HTTP (a mitmproxy reverse proxy) and in-process.

    with ClerkMock(port=0) as mock:          # CLERK_API_URL=mock.url, SDK server_url=mock.api_url
        ...
    ClerkMock().transport()                  # in-process httpx transport; no proxy, no mitmproxy import
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

from clerkmock.config import config_dir as resolve_config_dir
from clerkmock.engine import Clock, Engine
from clerkmock.keys import load_or_create_signing_key
from clerkmock.server.http import BaseUrlServer
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.runtime import LoopThread

if TYPE_CHECKING:
    from clerkmock.transport import AsyncClerkMockTransport, ClerkMockTransport
    from clerkmock.proxy.runner import ProxyRunner

DEFAULT_SECRET_KEY = "sk_test_clerkmock"  # what apps get when any bearer key is accepted
# "asyncio": the lean base-URL listener (default; ~10x mitmproxy's throughput here, docs/performance.md);
# "mitmproxy": a mitmproxy reverse-mode master answering through EmulateAddon (the interception path).
LISTENERS = ("asyncio", "mitmproxy")


class ScenarioUnavailable(RuntimeError):
    """clerkmock.scenario is not installed/written yet."""


def load_scenario(path: str | os.PathLike[str], engine: Engine) -> Any:
    # Imported here so the package works before (and without) the scenario module.
    try:
        from clerkmock.scenario import load_scenario as load
    except ImportError as exc:
        if exc.name != "clerkmock.scenario":
            raise  # a broken dependency inside the scenario package: a real error
        raise ScenarioUnavailable(f"cannot load {os.fspath(path)}: clerkmock.scenario is not available") from exc
    return load(path, engine)


class ClerkMock:
    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        secret_keys: Iterable[str] = (),
        scenario: str | os.PathLike[str] | None = None,
        seed: str = "clerkmock",
        clock: Clock | None = None,
        *,
        config_dir: str | os.PathLike[str] | None = None,
        signing_key: str | os.PathLike[str] | None = None,
        listener: str = "asyncio",
    ) -> None:
        if listener not in LISTENERS:
            raise ValueError(f"listener must be one of {', '.join(LISTENERS)}, not {listener!r}")
        self.listener = listener
        self.host = host
        self.port = port  # 0 until started; then the bound port, reused by a restart
        self._keys = tuple(secret_keys)  # ordered, unlike engine.secret_keys, so `secret_key` is stable
        self.config_dir = resolve_config_dir(config_dir)
        # The instance's RSA key: <config dir>/signing_key.pem (created once), or a pinned key file.
        key = load_or_create_signing_key(self.config_dir, pinned=signing_key)
        self.engine = Engine(secret_keys=self._keys, seed=seed, clock=clock, signing_key=key)
        self.scenario = load_scenario(scenario, self.engine) if scenario is not None else None
        self.pipeline = Pipeline(self.engine, scenario=self.scenario)  # baseline = the seeded scenario + its faults
        self._runner: ProxyRunner | None = None
        self._loop: LoopThread | None = None
        self._http: BaseUrlServer | None = None

    # -- addresses -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        if self._http is not None:
            return True
        return self._runner is not None and self._runner.running

    @property
    def url(self) -> str:
        """What an app sets as CLERK_API_URL (no /v1: the SDKs append it)."""
        if not self.running:
            raise RuntimeError("ClerkMock is not started: call start() or use `with ClerkMock() as mock`")
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Python SDK's `server_url` (it expects the /v1 prefix included)."""
        return self.url + "/v1"

    @property
    def secret_key(self) -> str:
        """A key the engine accepts: the first strict key if any, else a fixed placeholder."""
        keys = self.engine.secret_keys  # a scenario may have changed them
        for key in self._keys:
            if key in keys:
                return key
        return min(keys) if keys else DEFAULT_SECRET_KEY

    def env(self) -> dict[str, str]:
        """The variables an app needs to talk to this mock."""
        return {"CLERK_API_URL": self.url, "CLERK_SECRET_KEY": self.secret_key}

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        if self.running:
            return self
        if self.listener == "asyncio":
            return self._start_asyncio(timeout)
        from clerkmock.proxy import EmulateAddon, ProxyRunner, UpstreamGuard  # mitmproxy only when serving

        runner = ProxyRunner(
            [EmulateAddon(self.pipeline), UpstreamGuard()],
            listen_host=self.host,
            listen_port=self.port,
            confdir=self.config_dir,
        )
        runner.start(timeout)
        self._runner, self.port = runner, runner.port or 0
        return self

    def _start_asyncio(self, timeout: float) -> Self:
        """The lean base-URL listener (server/http.py) in a loop thread: no interception cost."""
        loop = LoopThread().start()
        server = BaseUrlServer(self.pipeline, self.host, self.port)
        try:
            self.port = loop.run(server.start(), timeout)
        except BaseException:
            loop.stop()
            raise
        self._loop, self._http = loop, server
        return self

    def stop(self, timeout: float = 10.0) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.stop(timeout)
        server, self._http = self._http, None
        loop, self._loop = self._loop, None
        if server is not None and loop is not None:
            loop.run(server.stop(), timeout)
        if loop is not None:
            loop.stop(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the state right after construction (scenario seeded); for use between tests."""
        self.pipeline.reset()

    # -- in-process ----------------------------------------------------------------------------------------

    def transport(self, *, raise_app_exceptions: bool = True) -> ClerkMockTransport:
        from clerkmock.transport import ClerkMockTransport  # httpx only when asked for (serve starts faster)

        return ClerkMockTransport(self.pipeline, raise_app_exceptions=raise_app_exceptions)

    def async_transport(self, *, raise_app_exceptions: bool = True) -> AsyncClerkMockTransport:
        from clerkmock.transport import AsyncClerkMockTransport

        return AsyncClerkMockTransport(self.pipeline, raise_app_exceptions=raise_app_exceptions)

    def __repr__(self) -> str:
        where = self.url if self.running else "not started"
        return f"<ClerkMock {where}, {len(self.engine.state.users)} users>"
