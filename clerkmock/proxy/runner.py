"""Run a lean mitmproxy `Master` in its own thread and event loop (reference/mitmproxy.md, "In-process recipe"),
or inside an event loop that already runs in another thread (``loop=``), e.g. one shared with the base-URL
listener.

Lean = core, proxyserver, next_layer, tlsconfig + ours, registered as one `AddonChain`: about 2x faster per
request than DumpMaster, whose ~35 addons dominate the hook-dispatch cost (each addon costs on every event).  The recipe's pitfalls, all handled here:

1. Only core options are accepted by `Options(...)`; addon options (connection_strategy) are set after the
   addons are added.
2. `Master.shutdown()` leaves the listen socket bound and keep-alive client sockets half-open, so a pooled
   client hangs until its own timeout.  `_aclose` closes the listeners, then every client connection.
3. `reverse:https://` also opens a UDP (HTTP/3) listener in mitmproxy_rs's tokio runtime; not awaiting its
   `wait_closed()` can segfault the interpreter at exit.
Also: mitmproxy keeps the master in process globals (`mitmproxy.ctx`) and hands every new connection to
`ctx.master`, so two masters running at once would answer each other's traffic.  We allow one at a time, and
that one master carries every listener at once: ``mode=["reverse:https://api.clerk.com@4818", "regular@4819",
"transparent@4820"]``; `ports` maps each mode to its bound port.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig
from mitmproxy.master import Master
from mitmproxy.options import Options

from clerkmock.proxy.addon import Ready
from clerkmock.proxy.chain import AddonChain
from clerkmock.server.http import ListenError  # one error type for every listener

REVERSE_MODE = "reverse:https://api.clerk.com"

_active_lock = threading.Lock()
_active: ProxyRunner | None = None


class _ErrorCapture(logging.Handler):
    """mitmproxy reports a failed bind only as a log record; keep it for a clear error message."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class ProxyRunner:
    """One lean mitmproxy master.  ``mode`` is a mitmproxy mode spec or a list of them (each may carry its own
    ``@port``; ``listen_port`` is the default for those that don't).  Without ``loop`` the master gets its own
    thread and event loop; with ``loop`` (running in another thread) it runs as a task in that loop."""

    def __init__(
        self,
        addons: Sequence[object],
        *,
        mode: str | Sequence[str] = REVERSE_MODE,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        confdir: str | Path,
        options: dict[str, Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.addons = list(addons)
        self.modes = [mode] if isinstance(mode, str) else list(mode)
        if not self.modes:
            raise ValueError("ProxyRunner needs at least one mode, e.g. 'regular@4819'")
        self.mode = self.modes[0]
        self.listen_host = listen_host
        self.listen_port = listen_port  # 0 = any free port; read the real one from `port` after start()
        self.confdir = Path(confdir).expanduser()
        self.options = {"connection_strategy": "lazy", **(options or {})}
        self.loop = loop
        self.port: int | None = None  # the first mode's port
        self.ports: dict[str, int] = {}  # every mode spec (as given) -> its bound port
        self._master: Master | None = None
        self._thread: threading.Thread | None = None
        self._task: Future[None] | None = None  # the master's run() when it lives in a shared loop
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._bound: dict[str, int] = {}

    @property
    def running(self) -> bool:
        return self._alive() and self.port is not None

    def _alive(self) -> bool:
        if self._task is not None:
            return not self._task.done()
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> ProxyRunner:
        global _active
        with _active_lock:
            if _active is not None:
                raise RuntimeError(
                    "a clerkmock proxy is already running in this process on port "
                    f"{_active.port}; mitmproxy supports one at a time (stop it, share it, or use transport())"
                )
            _active = self
        try:
            self._start(timeout)
        except BaseException:
            self._release()
            raise
        return self

    def _start(self, timeout: float) -> None:
        self.confdir.mkdir(parents=True, exist_ok=True)  # tlsconfig writes the CA here on first start
        capture = _ErrorCapture()
        ps_log = logging.getLogger(proxyserver.__name__)
        ps_log.addHandler(capture)
        self._ready.clear()
        self._error = None
        try:
            if self.loop is not None:
                self._start_in_loop(self.loop)
            else:
                self._thread = threading.Thread(target=self._run, name="clerkmock-proxy", daemon=True)
                self._thread.start()
            if not self._ready.wait(timeout):
                with contextlib.suppress(Exception):  # best effort: leave no half-started master behind
                    self._shutdown(1.0)
                raise TimeoutError(f"mitmproxy did not start within {timeout} s")
        finally:
            ps_log.removeHandler(capture)
        if self._error is not None:
            raise RuntimeError(f"mitmproxy failed to start: {self._error!r}") from self._error
        if self.port is None:
            self._shutdown(timeout)
            reason = capture.messages[-1] if capture.messages else "no listener was bound"
            if "address already in use" in reason.lower():
                reason = "address already in use"
            raise ListenError(self.listen_host, self._failed_port(), reason)

    def _failed_port(self) -> int:
        """The port of the first mode that did not bind (the one to name in the error)."""
        from mitmproxy.proxy.mode_specs import ProxyMode

        for spec in self.modes:
            if spec not in self._bound:
                with contextlib.suppress(ValueError):
                    return ProxyMode.parse(spec).listen_port(self.listen_port) or self.listen_port
        return self.listen_port

    def _start_in_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            on_loop_thread = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop_thread = False
        if on_loop_thread:  # start() blocks until the listeners are bound: that would deadlock this loop
            raise RuntimeError("ProxyRunner(loop=...) must be started from another thread than the loop's")
        if not loop.is_running():
            raise RuntimeError("ProxyRunner(loop=...) needs a loop that is already running in another thread")

        def done(fut: Future[None]) -> None:
            if not fut.cancelled() and fut.exception() is not None:
                self._error = fut.exception()
            self._ready.set()

        self._task = asyncio.run_coroutine_threadsafe(self._main(), loop)
        self._task.add_done_callback(done)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        opts = Options(
            mode=self.modes, listen_host=self.listen_host, listen_port=self.listen_port, confdir=str(self.confdir)
        )
        master = Master(opts)  # needs the running loop, hence created here
        master.addons.add(core.Core(), proxyserver.Proxyserver(), next_layer.NextLayer(), tlsconfig.TlsConfig())
        # ours as one addon: mitmproxy's dispatch costs per addon and per event (chain.py)
        master.addons.add(AddonChain([*self.addons, Ready(self._on_running)]))
        opts.update(**self.options)  # pitfall 1: addon options exist only now
        self._master = master
        await master.run()

    def _on_running(self) -> None:  # in the proxy thread, listeners bound (or failed)
        assert self._master is not None
        servers = self._master.addons.get("proxyserver").servers
        ports: dict[str, int] = {}
        for spec in self.modes:
            try:
                addrs = servers[spec].listen_addrs
            except KeyError:
                addrs = ()
            if addrs:
                ports[spec] = addrs[0][1]  # TCP and (reverse https) UDP share the port
        # All or nothing: a mode that failed to bind (port in use ...) fails the start.
        self._bound = ports
        self.ports = ports if len(ports) == len(self.modes) else {}
        self.port = self.ports.get(self.modes[0])
        self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Close listeners and client connections, then stop the loop.  Idempotent."""
        try:
            self._shutdown(timeout)
        finally:
            self.port = None
            self.ports = {}
            self._release()

    def _shutdown(self, timeout: float) -> None:
        master, thread, task = self._master, self._thread, self._task
        if master is None or not self._alive():
            return
        fut = asyncio.run_coroutine_threadsafe(_aclose(master, time.monotonic() + timeout), master.event_loop)
        try:
            fut.result(timeout)  # _aclose ends with master.shutdown()
        except BaseException:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                master.shutdown()
            raise
        finally:
            if task is not None:  # shared loop: wait for run() to return (done hooks)
                with contextlib.suppress(BaseException):
                    task.result(timeout)
            elif thread is not None:
                thread.join(timeout)
        self._master = None
        self._task = None

    def _release(self) -> None:
        global _active
        with _active_lock:
            if _active is self:
                _active = None


async def _aclose(master: Master, deadline: float) -> None:
    ps = master.addons.get("proxyserver")
    udp = [
        s
        for inst in ps.servers
        for s in getattr(inst, "_servers", [])
        if type(s).__name__ in ("UdpServer", "WireGuardServer")
    ]
    await ps.servers.update([])  # pitfall 2: closes the listen sockets (Master.shutdown() alone does not)
    for s in udp:  # pitfall 3: let mitmproxy_rs finish before the interpreter may exit
        await s.wait_closed()
    for handler in list(ps.connections.values()):  # pitfall 2: keep-alive clients would hang otherwise
        if handler.client in handler.transports:
            handler.close_connection(handler.client)
    while ps.connections and time.monotonic() < deadline:
        await asyncio.sleep(0.002)
    master.shutdown()


@atexit.register
def _stop_at_exit() -> None:
    # A forgotten runner would leave mitmproxy_rs's tokio thread alive during interpreter shutdown (pitfall 3).
    runner = _active
    if runner is not None:
        runner.stop(timeout=5.0)
