"""mitmproxy addons for emulate mode: small classes with hook methods, like mitmproxy's own."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from mitmproxy import ctx, http
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.mode_specs import ReverseMode

from clerkmock.engine import Request
from clerkmock.server.directive import Action, Directive
from clerkmock.server.inbound import build_request
from clerkmock.engine.fapi.surface import FAPI_PREFIX
from clerkmock.proxy.hosts import CLERK_API_HOSTS, normalise_host
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.read_cache import Reusable

log = logging.getLogger("clerkmock.proxy")
HANG_MAX_S = 300.0  # a "hang" fault answers nothing for this long, then closes the connection


def flow_to_request(req: http.Request, arrived_on: str = "") -> Request:
    # flow.request.path is the raw request target: percent-encoding intact (the router decodes), query attached.
    # The body: the raw bytes minus any Content-Encoding (gzip ...) the client applied; raw if that fails.
    # Header fields as sent (build_request lower-cases and joins repeats): `headers.items()` would look every
    # name up again, ~30,000 instructions a header (docs/performance.md, "The forward proxy path").
    # The host, as mitmproxy's `pretty_host` finds it (HTTP/2's :authority, else the Host header, else the
    # host connected for), parsed by build_request: `pretty_host` costs ~60,000 instructions an access.
    h2 = req.is_http2 or req.is_http3
    request = build_request(req.method, req.path, req.headers.items(multi=True),
                            (req.raw_content and req.get_content(strict=False)) or b"",
                            (req.authority or None) if h2 else None, arrived_on=arrived_on)
    if not request.host:
        request.host = normalise_host(req.host)
    return request


def arrived_on(flow: http.HTTPFlow, host: str) -> str:
    """What the control guard may accept as Host: on the base-URL (reverse) listener the local address the
    connection arrived on (the listener keeps the client's Host header: keep_host_header); on the forward and
    transparent listeners the intercepted Clerk host itself (``host``), which hosts.HostPolicy has vetted."""
    if isinstance(flow.client_conn.proxy_mode, ReverseMode):
        sockname = flow.client_conn.sockname
        return str(sockname[0]) if sockname else ""
    return host


def reuse_key(flow: http.HTTPFlow) -> tuple[Any, ...] | None:
    """What a reused answer is kept under (server/read_cache.py): everything the request says -- the listener
    it came through, scheme, host, port, target, version and every header field as sent -- for a bodiless GET;
    None for anything else.  The proxy's counterpart of the base-URL listener's raw head, built without a loop
    (a tuple of mitmproxy's own bytes; mitmproxy parsed the head already)."""
    data = flow.request.data
    if data.method != b"GET" or data.content or data.trailers:
        return None
    return (flow.client_conn.proxy_mode, data.scheme, data.host, data.port, data.authority, data.path,
            data.http_version, data.headers.fields)


def reused_response(entry: Reusable) -> http.Response:
    """The answer kept in ``entry`` as a new mitmproxy response (its header fields as first sent)."""
    now = time.time()
    return http.Response(b"HTTP/1.1", 200, b"OK", http.Headers(entry.fields), entry.body, None, now, now)


class EmulateAddon:
    """Answers every request from the pipeline in the `request` hook.  A response set there short-circuits
    mitmproxy: with connection_strategy=lazy no upstream connection is ever opened.

    A pure read's answer is kept and sent again for the same request while nothing changed, as the base-URL
    listener does (server/read_cache.py): journaled, never routed, built or rendered again."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def running(self) -> None:
        # A reverse listener rewrites Host to its target unless told not to; the control guard must see the
        # client's own Host (DNS rebinding check).  Safe: in emulate mode nothing is forwarded upstream.
        ctx.options.keep_host_header = True

    async def request(self, flow: http.HTTPFlow) -> None:
        # async so a delay or hang fault waits without blocking the event loop's other connections
        if flow.response is not None or flow.metadata.get("clerkmock.passthrough"):
            return  # an earlier addon already answered (fault, replay, hosts.HostPolicy's 502) or passed it on
        key = reuse_key(flow)
        if key is not None and (cache := self.pipeline.read_cache) is not None and (
                entry := cache.entries.get(key)) is not None:
            if self.pipeline.replay(entry, time.perf_counter()):
                flow.response = reused_response(entry)
                return
            cache.entries.pop(key, None)
        try:
            request = flow_to_request(flow.request)
            request.arrived_on = arrived_on(flow, request.host)
            name = normalise_host(request.host)
            # The Backend API hosts are never a Frontend API or Account Portal host: no need to look those up.
            if name not in CLERK_API_HOSTS and name in self.pipeline.fapi_hosts():
                # a Frontend API host (the publishable key's): the same surface as /__clerk on the base URL
                request.path = FAPI_PREFIX + request.path
                request.headers.setdefault("x-forwarded-proto", flow.request.scheme)
            directive = self.pipeline.handle(request)
        except Exception:  # our conversion code, not the engine (the pipeline catches that)
            log.exception("clerkmock: cannot handle %s %s", flow.request.method, flow.request.path)
            directive = Directive(self.pipeline.internal_error())
        response = directive.response
        if directive.deferred is not None:  # a blocking wait (webhook flush): off the event loop
            response = await asyncio.to_thread(directive.deferred)
        if directive.delay_ms:
            await asyncio.sleep(directive.delay_ms / 1000)
        if directive.action is not Action.ANSWER:
            flow.metadata["clerkmock.fault"] = directive.fault
        if directive.action in (Action.RESET, Action.DROP):  # mitmproxy closes the connection; no RST control
            flow.kill()
            return
        if directive.action is Action.HANG:  # never answer; the client's timeout ends it.  Bounded.
            await asyncio.sleep(HANG_MAX_S)
            flow.kill()
            return
        # Headers are passed through untouched: Content-Type must stay exactly `application/json`.
        flow.response = http.Response.make(response.status, response.body, response.headers)
        for cookie in response.set_cookies:  # one header line each
            flow.response.headers.add("set-cookie", cookie)
        if key is not None and directive.plain and not response.set_cookies and (
                generation := self.pipeline.reusable(request, directive)) is not None:
            self.pipeline.remember(key, generation, request, response, fields=flow.response.headers.fields)
        if directive.action is Action.TRUNCATE:
            # Keep the full Content-Length, send part of the body and close: the client sees a short body.
            flow.response.headers["content-length"] = str(len(response.body))
            flow.response.headers["connection"] = "close"
            flow.response.raw_content = response.body[: directive.body_bytes]


class UpstreamGuard:
    """Belt and braces: in emulate mode nothing may ever reach a real upstream (api.clerk.com or anything
    else).  `server_connect` runs before DNS and connect; setting `.error` aborts the attempt."""

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        data.server.error = f"clerkmock: upstream connection to {data.server.address} blocked (emulate mode)"


class Ready:
    """Calls back once listeners are bound: mitmproxy fires `running` after `setup_servers`."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback

    def running(self) -> None:
        self.callback()
