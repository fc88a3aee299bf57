"""The listeners one clerkmock process opens - all on ONE mitmproxy master (mitmproxy keeps its master in process
globals, `reference/mitmproxy.md` pitfall 5) - and the addons each way in needs:

* base URL (``--port``): ``reverse:<target>``; everything arriving there is for clerkmock;
* forward proxy (``--proxy-port``): ``regular``; apps set ``HTTPS_PROXY`` and trust clerkmock's CA;
* transparent (``--transparent --transparent-port``): ``transparent``; iptables redirects :443 to it.

`start_replay` and `start_record` build the replay and record servers; `ClerkMock.start` the emulator's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clerkmock.proxy.addon import UpstreamGuard
from clerkmock.proxy.ca import ensure_ca
from clerkmock.proxy.hosts import HostPolicy, intercept_hosts, passthrough_options
from clerkmock.proxy.runner import ProxyRunner

CLERK_TARGET = "https://api.clerk.com"  # the base URL's nominal upstream (never contacted: lazy + answered)


@dataclass(slots=True)
class Listeners:
    port: int | None = None  # base URL; 0 = any free port
    proxy_port: int | None = None
    transparent_port: int | None = None
    hosts: tuple[str, ...] = field(default_factory=intercept_hosts)
    passthrough: bool = False

    def __post_init__(self) -> None:
        self.hosts = intercept_hosts(self.hosts)
        if self.port is None and self.proxy_port is None and self.transparent_port is None:
            raise ValueError("nothing to listen on: give a port, a proxy port or a transparent port")

    @property
    def intercepts(self) -> bool:
        """Whether TLS is intercepted (forward or transparent): then the CA must exist."""
        return self.proxy_port is not None or self.transparent_port is not None

    def modes(self, base_target: str = CLERK_TARGET) -> dict[str, str]:
        """role (base | proxy | transparent) -> mitmproxy mode spec."""
        out = {}
        if self.port is not None:
            out["base"] = f"reverse:{base_target}@{self.port}"
        if self.proxy_port is not None:
            out["proxy"] = f"regular@{self.proxy_port}"
        if self.transparent_port is not None:
            out["transparent"] = f"transparent@{self.transparent_port}"
        return out

    def options(self, extra_hosts: Iterable[str] = ()) -> dict[str, Any]:
        return passthrough_options((*self.hosts, *extra_hosts)) if self.passthrough else {}

    def host_policy(self, *, guard_clerk: bool = True) -> HostPolicy:
        return HostPolicy(self.hosts, passthrough=self.passthrough, guard_clerk=guard_clerk)

    def guards(self) -> list[object]:
        # Nothing may reach a real upstream - unless --passthrough lets other hosts out (HostPolicy still
        # blocks the Clerk hosts themselves).
        return [] if self.passthrough else [UpstreamGuard()]

    def confdir(self, config_dir: str | os.PathLike[str] | None) -> Path:
        """The config dir, with the CA created there first when TLS is intercepted (once; key 0600)."""
        return ensure_ca(config_dir).confdir if self.intercepts else Path(os.fspath(config_dir or "")).expanduser()

    @staticmethod
    def bound(runner: ProxyRunner, modes: dict[str, str]) -> dict[str, int]:
        """role -> the port it actually listens on."""
        return {role: runner.ports[spec] for role, spec in modes.items()}


def start_replay(
    replayer: Any, listeners: Listeners, *, host: str = "127.0.0.1", config_dir: str | None = None,
    timeout: float = 10.0,
) -> tuple[ProxyRunner, dict[str, int]]:  # fmt: skip
    from clerkmock.config import config_dir as resolve
    from clerkmock.proxy.replay import ReplayAddon

    modes = listeners.modes()
    runner = ProxyRunner(
        [listeners.host_policy(), ReplayAddon(replayer), *listeners.guards()],
        mode=list(modes.values()),
        listen_host=host,
        confdir=listeners.confdir(resolve(config_dir)),
        options=listeners.options(),
    )
    runner.start(timeout)
    return runner, Listeners.bound(runner, modes)


def start_record(
    writer: Any, upstream: str, listeners: Listeners, *, host: str = "127.0.0.1", config_dir: str | None = None,
    timeout: float = 10.0,
) -> tuple[ProxyRunner, dict[str, int]]:  # fmt: skip
    from clerkmock.config import config_dir as resolve
    from clerkmock.proxy.record import RecordAddon, parse_upstream

    _, up_host, _ = parse_upstream(upstream)
    modes = listeners.modes(base_target=upstream.rstrip("/"))
    runner = ProxyRunner(
        [listeners.host_policy(guard_clerk=False), RecordAddon(writer, upstream)],
        mode=list(modes.values()),
        listen_host=host,
        confdir=listeners.confdir(resolve(config_dir)),
        options=listeners.options(extra_hosts=[up_host]),
    )
    runner.start(timeout)
    return runner, Listeners.bound(runner, modes)
