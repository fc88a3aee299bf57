"""mitmproxy addons for emulate mode: small classes with hook methods, like mitmproxy's own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from mitmproxy import http
from mitmproxy.proxy import server_hooks

from clerkmock.engine import Request
from clerkmock.server.directive import Action, Directive
from clerkmock.server.inbound import build_request
from clerkmock.server.pipeline import Pipeline

log = logging.getLogger("clerkmock.proxy")
HANG_MAX_S = 300.0  # a "hang" fault answers nothing for this long, then closes the connection


def flow_to_request(req: http.Request) -> Request:
    # flow.request.path is the raw request target: percent-encoding intact (the router decodes), query attached.
    # The body: the raw bytes minus any Content-Encoding (gzip ...) the client applied; raw if that fails.
    return build_request(req.method, req.path, req.headers.items(), req.get_content(strict=False) or b"",
                         req.pretty_host)


class EmulateAddon:
    """Answers every request from the pipeline in the `request` hook.  A response set there short-circuits
    mitmproxy: with connection_strategy=lazy no upstream connection is ever opened."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def request(self, flow: http.HTTPFlow) -> None:
        # async so a delay or hang fault waits without blocking the event loop's other connections
        if flow.response is not None or flow.metadata.get("clerkmock.passthrough"):
            return  # an earlier addon already answered (fault, replay, hosts.HostPolicy's 502) or passed it on
        try:
            directive = self.pipeline.handle(flow_to_request(flow.request))
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
