"""In-process httpx transports: httpx.Request -> `Request` -> pipeline -> `Response` -> httpx.Response.

No sockets and no mitmproxy, so ``Clerk(client=httpx.Client(transport=mock.transport()))`` works without
starting a server.  Like httpx's WSGI/ASGI transports, an unexpected engine exception is re-raised by default
(``raise_app_exceptions``): a test then sees the real traceback instead of a 500 that the Clerk Python SDK
would retry for up to an hour.

Fault actions the pipeline leaves to the adapter (``Response.meta``, see ``server/pipeline.py``) surface as
the exceptions httpx raises for the same thing on a real socket, so client retry logic runs unchanged:

============  =====================================================================================
delay_ms      ``time.sleep`` / ``asyncio.sleep``; past the request's read timeout: `httpx.ReadTimeout`
reset         `httpx.ReadError` ("Connection reset by peer"); the SDK's retries treat it as a network error
drop          `httpx.RemoteProtocolError` ("Server disconnected without sending a response.")
hang          `httpx.ReadTimeout` at once (no real wait: the outcome of waiting out the read timeout)
truncate      `httpx.RemoteProtocolError` ("peer closed connection without sending complete message body")
============  =====================================================================================
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs

import httpx

from clerkmock.engine import Request, Response
from clerkmock.server.control_guard import IN_PROCESS
from clerkmock.server.pipeline import Pipeline


def to_request(request: httpx.Request, body: bytes) -> Request:
    # raw_path keeps percent-encoding (the router decodes), the same as mitmproxy's flow.request.path.
    path, _, query = request.url.raw_path.decode("ascii").partition("?")
    return Request(
        method=request.method,
        path=path or "/",
        query=parse_qs(query, keep_blank_values=True),
        headers={k.lower(): v for k, v in request.headers.items()},  # repeated headers joined with ", "
        body=body,
        arrived_on=IN_PROCESS,  # no socket: the control plane's guard has nothing to check
    )


def to_httpx(response: Response, request: httpx.Request) -> httpx.Response:
    return httpx.Response(response.status, headers=response.headers, content=response.body, request=request)


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _wait(response: Response, request: httpx.Request) -> float:
    """Seconds to sleep for a delay fault, capped by the read timeout (then `_raise_delay_timeout`)."""
    delay = response.meta.get("delay_ms") or 0
    if not delay:
        return 0.0
    limit = _read_timeout(request)
    seconds = delay / 1000
    return min(seconds, limit) if limit is not None else seconds


def _after_wait(response: Response, request: httpx.Request) -> httpx.Response:
    delay = response.meta.get("delay_ms") or 0
    limit = _read_timeout(request)
    if delay and limit is not None and delay / 1000 > limit:
        raise httpx.ReadTimeout(f"clerkmock: delay fault of {delay} ms exceeds the read timeout", request=request)
    action = response.meta.get("transport")
    if action is None:
        return to_httpx(response, request)
    fault = response.meta.get("fault")
    if action == "reset":
        raise httpx.ReadError(f"[Errno 104] Connection reset by peer (clerkmock fault {fault})", request=request)
    if action == "drop":
        raise httpx.RemoteProtocolError(
            f"Server disconnected without sending a response. (clerkmock fault {fault})", request=request)
    if action == "hang":
        raise httpx.ReadTimeout(
            f"clerkmock fault {fault}: the server never answered (read timeout {limit} s)", request=request)
    if action == "truncate":
        sent = len(response.body) - max(1, len(response.body) // 2)
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {sent} bytes, expected {len(response.body)}) (clerkmock fault {fault})", request=request)
    raise RuntimeError(f"clerkmock: unknown transport action {action!r}")  # a pipeline bug


class ClerkMockTransport(httpx.BaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        req = to_request(request, request.read())
        response = self.pipeline.handle(req, raise_unexpected=self.raise_app_exceptions)
        if response.meta.get("transport") is None and not response.meta.get("delay_ms"):
            if "deferred" in response.meta:  # a blocking wait (webhook flush), run outside the pipeline lock
                response = response.meta["deferred"]()
            return to_httpx(response, request)  # the common case, kept short
        wait = _wait(response, request)
        if wait:
            time.sleep(wait)
        return _after_wait(response, request)


class AsyncClerkMockTransport(httpx.AsyncBaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        req = to_request(request, await request.aread())
        # Called inline, not in a thread: an engine call takes micro- to milliseconds, less than a thread hop.
        response = self.pipeline.handle(req, raise_unexpected=self.raise_app_exceptions)
        if response.meta.get("transport") is None and not response.meta.get("delay_ms"):
            if "deferred" in response.meta:  # a blocking wait (webhook flush): off the event loop
                response = await asyncio.to_thread(response.meta["deferred"])
            return to_httpx(response, request)
        wait = _wait(response, request)
        if wait:
            await asyncio.sleep(wait)
        return _after_wait(response, request)
