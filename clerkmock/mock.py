"""`ClerkMock`: one engine + pipeline, reachable over HTTP (the asyncio base-URL listener; the proxy modes through mitmproxy) and in-process.

    with ClerkMock(port=0) as mock:          # CLERK_API_URL=mock.url, SDK server_url=mock.api_url
        ...
    ClerkMock().transport()                  # in-process httpx transport; no proxy, no mitmproxy import
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

from clerkmock.appenv import url_of
from clerkmock.assets import AssetCache
from clerkmock.config import config_dir as resolve_config_dir
from clerkmock.engine import Clock, Engine
from clerkmock.control_token import load_or_create as load_or_create_control_token
from clerkmock.keys import load_or_create_signing_key
from clerkmock.scenario import find as find_scenario
from clerkmock.scenario import load as load_scenario
from clerkmock.server.control_guard import ControlAccess
from clerkmock.server.http import BaseUrlServer
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.runtime import LoopThread
from clerkmock.webhooks.config import check_schedule
from clerkmock.webhooks.dispatcher import WebhookDispatcher
from clerkmock.webhooks.signing import check_secret

if TYPE_CHECKING:
    from clerkmock.appenv import Mode
    from clerkmock.scenario.seeding import Progress
    from clerkmock.server.persistence import StateFile
    from clerkmock.transport import AsyncClerkMockTransport, ClerkMockTransport
    from clerkmock.proxy.runner import ProxyRunner

DEFAULT_SECRET_KEY = "sk_test_clerkmock"  # what apps get when any bearer key is accepted
# "asyncio": the lean base-URL listener (default; ~10x mitmproxy's throughput here, docs/performance.md);
# "mitmproxy": a mitmproxy reverse-mode master answering through EmulateAddon (the interception path).
LISTENERS = ("asyncio", "mitmproxy")


class ClerkMock:
    latest: ClerkMock | None = None  # the most recently created one in this process
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
        proxy_port: int | None = None,
        transparent_port: int | None = None,
        intercept_hosts: Iterable[str] = (),
        passthrough: bool = False,
        webhooks: Iterable[str | dict[str, Any]] = (),
        webhook_secret: str | None = None,
        webhook_retry_schedule: Sequence[float] | str | None = None,
        state_file: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        allowed_hosts: Iterable[str] = (),
        control_token: str | None = None,
        control_open: bool = False,
        progress: Progress | None = None,
    ) -> None:
        if listener not in LISTENERS:
            raise ValueError(f"listener must be one of {', '.join(LISTENERS)}, not {listener!r}")
        self.listener = listener
        self.host = host
        self.port = port  # 0 until started; then the bound port, reused by a restart
        # Interception (docs/proxy.md): a forward proxy and/or a transparent listener for apps that call
        # https://api.clerk.com unmodified.  None = off, 0 = any free port (then the bound one).
        self.proxy_port = proxy_port
        self.transparent_port = transparent_port
        self.intercept_hosts = tuple(intercept_hosts)
        self.passthrough = passthrough
        self._keys = tuple(secret_keys)  # ordered, unlike engine.secret_keys, so `secret_key` is stable
        self.config_dir = resolve_config_dir(config_dir)
        # The instance's RSA key: <config dir>/signing_key.pem (created once), or a pinned key file.
        key = load_or_create_signing_key(self.config_dir, pinned=signing_key)
        self.engine = Engine(secret_keys=self._keys, seed=seed, clock=clock, signing_key=key)
        # a path, or the name of a bundled scenario (basic.yaml); parsed here, applied below
        self.scenario = load_scenario(find_scenario(scenario)) if scenario is not None else None
        # The browser bundles come from the user's npm cache (clerkmock/assets/): $CLERKMOCK_CACHE_DIR,
        # $XDG_CACHE_HOME/clerkmock or ~/.cache/clerkmock unless ``cache_dir`` says otherwise.
        self.pipeline = Pipeline(self.engine, assets=AssetCache(cache_dir))
        self.pipeline.app_env = self._served_env  # GET /__clerkmock/env, what `clerkmock env` asks
        ClerkMock.latest = self  # what clerkmock.messages reads when no server is named
        # Who may steer it over HTTP (docs/security.md): a given token is required; otherwise the config dir's
        # (created once, 0600) is required only where others can reach the port or in strict mode.
        self.control_token = control_token or load_or_create_control_token(self.config_dir)
        self.pipeline.control_guard.access = ControlAccess(
            listen_host=host, allowed_hosts=tuple(allowed_hosts), token=self.control_token,
            token_given=bool(control_token), open=control_open)
        # Webhooks (docs/webhooks.md): endpoints given here (serve --webhook) are in place before the scenario's
        # are added, so both get what seeding emitted (webhooks_on_seed).
        dispatcher = self.pipeline.webhooks
        if webhook_secret is not None:
            dispatcher.default_secret = check_secret(webhook_secret)
        if webhook_retry_schedule is not None:
            dispatcher.retry_schedule = check_schedule(webhook_retry_schedule)
        for endpoint in webhooks:
            dispatcher.add(endpoint, source="cli")
        if self.scenario is not None:
            self.pipeline.apply_scenario(self.scenario, progress)  # progress(section, done, total): serve's line
        self.pipeline.set_baseline()  # baseline = the seeded scenario + its faults + the webhook endpoints
        # --state-file (server/persistence.py): loaded over the seeded state, which stays what `reset` returns to.
        self.state_file: StateFile | None = None
        self.state_loaded = False
        if state_file is not None:
            from clerkmock.server.persistence import StateFile

            self.state_file = StateFile(state_file, self.pipeline)
            self.state_loaded = self.state_file.load_or_create()
            self.state_file.start()
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
        return url_of(self.host, self.port)

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

    def env(self, mode: Mode = "base") -> dict[str, str]:
        """The variables an app needs to talk to this mock (clerkmock/appenv.py): ``mode="base"`` points its
        Clerk SDK at `url`; ``"proxy"`` keeps https://api.clerk.com and goes through the forward proxy."""
        from clerkmock import appenv

        if not self.running:
            raise RuntimeError("ClerkMock is not started: call start() or use `with ClerkMock() as mock`")
        return appenv.variables(appenv.target_of(self), mode)

    @property
    def webhooks(self) -> WebhookDispatcher:
        """Webhook endpoints, deliveries and `flush()` (docs/webhooks.md)."""
        return self.pipeline.webhooks

    @property
    def proxy_url(self) -> str:
        """What an unmodified app sets as HTTPS_PROXY (needs ``proxy_port``)."""
        if not self.running or self.proxy_port is None:
            raise RuntimeError("no forward proxy: create ClerkMock(proxy_port=0) (or serve --proxy-port) and start it")
        return url_of(self.host, self.proxy_port)

    def _served_env(self, mode: str) -> dict[str, str]:
        from clerkmock import appenv

        # ValueError: "no forward proxy" (the control plane answers 409)
        return appenv.variables(appenv.target_of(self), "proxy" if mode == "proxy" else "base")

    def proxy_env(self) -> dict[str, str]:
        """HTTPS_PROXY plus the trust settings (clerkmock's CA) for an app calling https://api.clerk.com."""
        return self.env("proxy")

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        if self.running:
            return self
        if self.state_file is not None:
            self.state_file.start()  # a no-op unless a stop() ended it
        if self.listener == "asyncio":
            self._start_asyncio(timeout)
            if self.proxy_port is not None or self.transparent_port is not None:
                assert self._loop is not None
                try:  # the proxy listeners share the base-URL listener's loop
                    self._start_mitmproxy(timeout, base_url=False, loop=self._loop.loop)
                except BaseException:
                    self.stop()
                    raise
            return self
        self._start_mitmproxy(timeout, base_url=True)
        return self

    def _start_mitmproxy(self, timeout: float, *, base_url: bool, loop: Any = None) -> None:
        """One mitmproxy master for the forward/transparent listeners (and the base URL with
        listener="mitmproxy"); hosts.HostPolicy sorts Clerk hosts from others (502, or --passthrough)."""
        from clerkmock.proxy import EmulateAddon, ProxyRunner  # mitmproxy only when serving through it
        from clerkmock.proxy.listeners import Listeners

        ls = Listeners(
            self.port if base_url else None, self.proxy_port, self.transparent_port,
            (*self.intercept_hosts, *self.pipeline.fapi_hosts()), self.passthrough,
        )  # fmt: skip
        modes = ls.modes()
        runner = ProxyRunner(
            [ls.host_policy(), EmulateAddon(self.pipeline), *ls.guards()],
            mode=list(modes.values()),
            listen_host=self.host,
            confdir=ls.confdir(self.config_dir),
            options=ls.options(),
            loop=loop,
        )
        runner.start(timeout)
        bound = Listeners.bound(runner, modes)
        self._runner = runner
        self.port = bound.get("base", self.port)
        self.proxy_port = bound.get("proxy", self.proxy_port)
        self.transparent_port = bound.get("transparent", self.transparent_port)

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
        if self.state_file is not None:
            self.state_file.close()  # ends the writer after a final write; start() resumes it
        self.pipeline.webhooks.close()  # delivery threads; they start again with the next event
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

    @property
    def control_token_required(self) -> bool:
        """Whether control-plane requests over HTTP must carry ``Authorization: Bearer <control_token>``."""
        return self.pipeline.control_guard.token_required()

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
