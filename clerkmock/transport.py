"""In-process httpx transports: httpx.Request -> `Request` -> pipeline -> `Response` -> httpx.Response.

No sockets and no mitmproxy, so ``Clerk(client=httpx.Client(transport=mock.transport()))`` works without
starting the proxy.  Like httpx's WSGI/ASGI transports, an unexpected engine exception is re-raised by default
(``raise_app_exceptions``): a test then sees the real traceback instead of a 500 that the Clerk Python SDK
would retry for up to an hour.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx

from clerkmock.engine import Request, Response
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
    )


def to_httpx(response: Response, request: httpx.Request) -> httpx.Response:
    return httpx.Response(response.status, headers=response.headers, content=response.body, request=request)


class ClerkMockTransport(httpx.BaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        req = to_request(request, request.read())
        return to_httpx(self.pipeline.handle(req, raise_unexpected=self.raise_app_exceptions), request)


class AsyncClerkMockTransport(httpx.AsyncBaseTransport):
    def __init__(self, pipeline: Pipeline, *, raise_app_exceptions: bool = True) -> None:
        self.pipeline = pipeline
        self.raise_app_exceptions = raise_app_exceptions

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        req = to_request(request, await request.aread())
        # Called inline, not in a thread: an engine call takes micro- to milliseconds, less than a thread hop.
        return to_httpx(self.pipeline.handle(req, raise_unexpected=self.raise_app_exceptions), request)
