"""mitmproxy addons for emulate mode: small classes with hook methods, like mitmproxy's own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs

from mitmproxy import http
from mitmproxy.proxy import server_hooks

from clerkmock.engine import Request, Response
from clerkmock.server.pipeline import Pipeline

log = logging.getLogger("clerkmock.proxy")


def flow_to_request(req: http.Request) -> Request:
    # flow.request.path is the raw request target: percent-encoding intact (the router decodes), query attached.
    path, _, query = req.path.partition("?")
    return Request(
        method=req.method,
        path=path or "/",
        query=parse_qs(query, keep_blank_values=True),
        headers={k.lower(): v for k, v in req.headers.items()},  # repeated headers joined with ", "
        # The raw bytes, minus any Content-Encoding (gzip ...) the client applied; raw if that fails to decode.
        body=req.get_content(strict=False) or b"",
    )


class EmulateAddon:
    """Answers every request from the pipeline in the `request` hook.  A response set there short-circuits
    mitmproxy: with connection_strategy=lazy no upstream connection is ever opened."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None:  # an earlier addon (fault, replay ...) already answered
            return
        resp: Response
        try:
            resp = self.pipeline.handle(flow_to_request(flow.request))
        except Exception:  # our conversion code, not the engine (the pipeline catches that)
            log.exception("clerkmock: cannot handle %s %s", flow.request.method, flow.request.path)
            resp = self.pipeline.internal_error()
        # Headers are passed through untouched: Content-Type must stay exactly `application/json`.
        flow.response = http.Response.make(resp.status, resp.body, resp.headers)


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
