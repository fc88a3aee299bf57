"""Which hosts clerkmock answers on its forward and transparent listeners, and what happens to the others.

The Clerk Backend API hosts (``api.clerk.com``, ``api.clerk.dev``, plus ``--intercept-host`` additions), the
Frontend API hosts (the publishable key's, ``clerk.<domain>``) and the Account Portal host (engine/fapi/hosts.py
`browser_hosts`) are answered by the addon that follows this one (emulate, replay, record).  Any other host is either refused with a
502 that says why (the default: offline-safe, nothing leaves the machine) or, with ``--passthrough``, left
alone: its TLS is not intercepted at all (mitmproxy's ``allow_hosts``, see `passthrough_options`), so the app
talks to the real host with the real certificate.

The base-URL (reverse) listener is not concerned: everything that reaches it is meant for the emulator.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

from mitmproxy import ctx, http
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.mode_specs import ReverseMode

log = logging.getLogger("clerkmock.proxy")

CLERK_API_HOSTS = ("api.clerk.com", "api.clerk.dev")
PASSTHROUGH_KEY = "clerkmock.passthrough"  # flow.metadata flag: leave this flow to mitmproxy (forward it)


def normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and "]" in host:  # [::1]:443
        return host[1 : host.index("]")]
    if host.count(":") == 1:  # host:port
        host = host.split(":", 1)[0]
    return host


def intercept_hosts(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The Clerk API hosts plus ``extra``, normalised and de-duplicated, in order."""
    return tuple(dict.fromkeys(normalise_host(h) for h in (*CLERK_API_HOSTS, *extra) if h.strip()))


def passthrough_options(hosts: Iterable[str]) -> dict[str, object]:
    """mitmproxy options for ``--passthrough``: intercept TLS only for ``hosts`` (tunnel every other host
    untouched, so it needs no trust in clerkmock's CA)."""
    alternatives = "|".join(re.escape(h) for h in hosts)
    return {"clerkmock_passthrough": True, "allow_hosts": [rf"^(?:{alternatives})(?::\d+)?$"]}


def refusal_text(host: str, hosts: Sequence[str]) -> str:
    return (
        f"clerkmock refused to forward a request for {host}: this proxy only answers the Clerk API hosts "
        f"({', '.join(hosts)}) and sends nothing anywhere else, so your app stays offline.\n"
        f"- Clerk on another host? Add it: clerkmock serve --intercept-host {host}\n"
        f"- Want other hosts to reach the network through the proxy? Use: clerkmock serve --passthrough\n"
        f"- Or exclude it from the proxy: NO_PROXY={host}\n"
    )


class HostPolicy:
    """Sorts flows on the forward/transparent listeners: Clerk hosts go on to the next addon, others are
    refused (502) or, with ``clerkmock_passthrough``, marked to be forwarded.  Must come before the addon that
    answers Clerk flows.  ``guard_clerk`` also blocks any upstream connection to a Clerk host (emulate/replay:
    those are always answered locally; record turns it off, since it forwards them to its upstream)."""

    def __init__(self, hosts: Iterable[str] = (), *, passthrough: bool = False, guard_clerk: bool = True) -> None:
        self.hosts = intercept_hosts(hosts)
        self.passthrough = passthrough
        self.guard_clerk = guard_clerk

    def load(self, loader) -> None:  # type: ignore[no-untyped-def]
        loader.add_option(
            "clerkmock_intercept_hosts",
            Sequence[str],
            list(self.hosts),
            "Hosts answered by clerkmock on the forward and transparent listeners (the Clerk API hosts are "
            "always included), e.g. api.clerk.example.com.",
        )
        loader.add_option(
            "clerkmock_passthrough",
            bool,
            self.passthrough,
            "Forward requests for hosts other than clerkmock_intercept_hosts to the network instead of "
            "answering them with a 502.  Pair with allow_hosts so their TLS is not intercepted.",
        )

    def configure(self, updated: set[str]) -> None:
        if "clerkmock_intercept_hosts" in updated:
            self.hosts = intercept_hosts(ctx.options.clerkmock_intercept_hosts)
        if "clerkmock_passthrough" in updated:
            self.passthrough = bool(ctx.options.clerkmock_passthrough)

    def is_clerk(self, flow: http.HTTPFlow) -> bool:
        # cheapest first: pretty_host parses the Host header (~60,000 instructions), the others are attributes
        req = flow.request
        return any(n and normalise_host(n) in self.hosts
                   for n in (req.host, flow.client_conn.sni, req.pretty_host))

    # -- hooks ---------------------------------------------------------------------------------------------

    def http_connect(self, flow: http.HTTPFlow) -> None:
        # Refuse the tunnel itself: the client sees "CONNECT tunnel failed, response 502" plus our text.
        if self.passthrough or normalise_host(flow.request.host) in self.hosts:
            return
        flow.response = self._refusal(flow.request.host)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or isinstance(flow.client_conn.proxy_mode, ReverseMode):
            return
        if self.is_clerk(flow):
            return
        if self.passthrough:
            flow.metadata[PASSTHROUGH_KEY] = True
            return
        flow.response = self._refusal(flow.request.pretty_host)

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        if not self.guard_clerk or data.server.address is None:
            return
        host = normalise_host(str(data.server.address[0]))
        if host in self.hosts:
            data.server.error = f"clerkmock: upstream connection to {host} blocked (answered locally)"

    def _refusal(self, host: str) -> http.Response:
        host = normalise_host(host)
        log.warning("clerkmock: refused a request for %s (not a Clerk API host; see --passthrough)", host)
        resp = http.Response.make(502, refusal_text(host, self.hosts), {"content-type": "text/plain; charset=utf-8"})
        # Clients that show only the status line of a refused CONNECT (httpx: "ProxyError: 502 ...") still say why.
        resp.reason = f"clerkmock refuses {host}: not a Clerk API host (see --passthrough)"
        return resp
