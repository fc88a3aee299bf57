"""In-process httpx transports: httpx.Request -> `Request` -> pipeline -> `Response` -> httpx.Response.

No sockets and no mitmproxy, so ``Clerk(client=httpx.Client(transport=mock.transport()))`` works without
starting a server.  Like httpx's WSGI/ASGI transports, an unexpected engine exception is re-raised by default
(``raise_app_exceptions``): a test then sees the real traceback instead of a 500 that the Clerk Python SDK
would retry for up to an hour.

The pipeline's `Directive` (server/directive.py) is carried out the way a real socket would show it: a delay
waits, and the transport actions surface as the exceptions httpx raises for the same thing, so client retry
logic runs unchanged:

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

import httpx

from clerkmock.engine import Request, Response
from clerkmock.server.directive import Action, Directive
from clerkmock.server.inbound import build_request
from clerkmock.server.control_guard import IN_PROCESS
from clerkmock.server.pipeline import Pipeline


def to_request(request: httpx.Request, body: bytes) -> Request:
    # raw_path keeps percent-encoding (the router decodes), the same as mitmproxy's flow.request.path.
    return build_request(request.method, request.url.raw_path.decode("ascii"), request.headers.items(), body,
                         request.url.host, arrived_on=IN_PROCESS)  # no socket: the control guard checks nothing


def to_httpx(response: Response, request: httpx.Request) -> httpx.Response:
    headers = list(response.headers.items()) + [("set-cookie", c) for c in response.set_cookies]
    return httpx.Response(response.status, headers=headers, content=response.body, request=request)


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def _wait(directive: Directive, request: httpx.Request) -> float:
    """Seconds to sleep for a delay fault, capped by the read timeout (then `_carry_out` raises)."""
    if not directive.delay_ms:
        return 0.0
    limit = _read_timeout(request)
    seconds = directive.delay_ms / 1000
    return min(seconds, limit) if limit is not None else seconds


def _carry_out(directive: Directive, request: httpx.Request) -> httpx.Response:
    """After the wait: the answer, or the exception httpx raises for the transport action."""
    response, fault, delay = directive.response, directive.fault, directive.delay_ms
    limit = _read_timeout(request)
    if delay and limit is not None and delay / 1000 > limit:
        raise httpx.ReadTimeout(f"clerkmock: delay fault of {delay} ms exceeds the read timeout", request=request)
    match directive.action:
        case Action.ANSWER:
            return to_httpx(response, request)
        case Action.RESET:
            raise httpx.ReadError(f"[Errno 104] Connection reset by peer (clerkmock fault {fault})", request=request)
        case Action.DROP:
            raise httpx.RemoteProtocolError(
                f"Server disconnected without sending a response. (clerkmock fault {fault})", request=request)
        case Action.HANG:
            raise httpx.ReadTimeout(
                f"clerkmock fault {fault}: the server never answered (read timeout {limit} s)", request=request)
        case Action.TRUNCATE:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                f"(received {directive.body_bytes} bytes, expected {len(response.body)}) (clerkmock fault {fault})",
                request=request)


class ClerkMockTransport(httpx.BaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        directive = self.pipeline.handle(to_request(request, request.read()),
                                         raise_unexpected=self.raise_app_exceptions)
        if directive.plain:
            return to_httpx(directive.response, request)  # the common case, kept short
        if directive.deferred is not None:  # a blocking wait (webhook flush), run outside the pipeline lock
            return to_httpx(directive.deferred(), request)
        wait = _wait(directive, request)
        if wait:
            time.sleep(wait)
        return _carry_out(directive, request)


class AsyncClerkMockTransport(httpx.AsyncBaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Called inline, not in a thread: an engine call takes micro- to milliseconds, less than a thread hop.
        directive = self.pipeline.handle(to_request(request, await request.aread()),
                                         raise_unexpected=self.raise_app_exceptions)
        if directive.plain:
            return to_httpx(directive.response, request)
        if directive.deferred is not None:  # a blocking wait (webhook flush): off the event loop
            return to_httpx(await asyncio.to_thread(directive.deferred), request)
        wait = _wait(directive, request)
        if wait:
            await asyncio.sleep(wait)
        return _carry_out(directive, request)
