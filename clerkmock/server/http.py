"""The base-URL listener: a lean HTTP/1.1 server on asyncio, for apps that set ``CLERK_API_URL``.

Base-URL traffic needs no interception, and mitmproxy's per-request cost (~0.6 ms of hook dispatch here,
reference/mitmproxy.md §3) would cap it at ~1.5k req/s.  This is an `asyncio.Protocol` (no stream objects,
no per-request tasks) that parses HTTP/1.1 with keep-alive, pipelining, ``Expect: 100-continue`` and chunked
request bodies, hands each request to the shared `Pipeline`, and carries out the transport part of fault
actions the pipeline put in ``Response.meta`` (``delay_ms``; ``transport`` = reset | drop | hang | truncate).

It runs in the same event loop as the mitmproxy master when proxy modes are on (see ``runtime.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from email.utils import formatdate
from http import HTTPStatus
from time import time
from urllib.parse import parse_qs

from clerkmock.engine import Request, Response
from clerkmock.server.pipeline import Pipeline

log = logging.getLogger("clerkmock")

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 11 * 1024 * 1024  # above the engine's largest limit (10 MiB uploads): the engine answers 413
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class ListenError(RuntimeError):
    """The listener could not be bound (port in use, permission denied, bad address)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


_date_cache: tuple[int, bytes] = (0, b"")


def _date_header() -> bytes:
    global _date_cache
    now = int(time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True).encode())
    return _date_cache[1]


def render(response: Response, *, keep_alive: bool) -> bytes:
    head = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}".encode()]
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
            head.append(f"{name}: {value}".encode("latin-1", "replace"))
    head.append(b"content-length: " + str(len(response.body)).encode())
    head.append(b"date: " + _date_header())
    if not keep_alive:
        head.append(b"connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + response.body


class _Connection(asyncio.Protocol):
    __slots__ = ("server", "transport", "buffer", "waiting", "closed", "_continue_sent")

    def __init__(self, server: BaseUrlServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting = False  # a delayed or hanging answer is pending: later requests wait their turn
        self.closed = False
        self._continue_sent = False

    # -- asyncio.Protocol -----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.waiting:
            self._process()

    # -- parsing ---------------------------------------------------------------------------------------------

    def _process(self) -> None:
        while not self.closed and not self.waiting:
            try:
                parsed = self._parse_one()
            except _HttpError as exc:
                self._send_raw(exc.status, str(exc))
                return
            if parsed is None:
                return
            request, keep_alive = parsed
            self._answer(request, keep_alive)

    def _parse_one(self) -> tuple[Request, bool] | None:
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_BYTES:
                raise _HttpError(431, "request header too large")
            return None
        try:
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise _HttpError(400, "malformed request line") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400, "malformed header line")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            decoded = self._dechunk(start)
            if decoded is None:
                return None
            body, consumed = decoded
        else:
            try:
                length = int(headers.get("content-length", "0") or "0")
            except ValueError:
                raise _HttpError(400, "invalid content-length") from None
            if length < 0 or length > MAX_BODY_BYTES:
                raise _HttpError(413, "request body too large")
            if len(buf) - start < length:
                self._maybe_continue(headers)
                return None
            body, consumed = bytes(buf[start : start + length]), start + length
        del buf[:consumed]
        self._continue_sent = False
        path, _, query = target.partition("?")
        if "://" in path:  # absolute-form target (a client that thinks we are a proxy)
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        request = Request(method.upper(), path or "/", parse_qs(query, keep_blank_values=True), headers, body)
        return request, keep_alive

    def _maybe_continue(self, headers: dict[str, str]) -> None:
        if not self._continue_sent and headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._continue_sent = True

    def _dechunk(self, start: int) -> tuple[bytes, int] | None:
        buf, pos, body = self.buffer, start, bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            try:
                size = int(bytes(buf[pos:line_end]).split(b";")[0].strip() or b"x", 16)
            except ValueError:
                raise _HttpError(400, "malformed chunk size") from None
            pos = line_end + 2
            if size == 0:
                trailer_end = buf.find(b"\r\n", pos)
                while trailer_end >= 0 and trailer_end != pos:  # skip trailer headers
                    pos = trailer_end + 2
                    trailer_end = buf.find(b"\r\n", pos)
                return (bytes(body), trailer_end + 2) if trailer_end >= 0 else None
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            if len(body) > MAX_BODY_BYTES:
                raise _HttpError(413, "request body too large")
            pos += size + 2

    # -- answering -------------------------------------------------------------------------------------------

    def _answer(self, request: Request, keep_alive: bool) -> None:
        response = self.server.pipeline.handle(request)
        delay = response.meta.get("delay_ms")
        if delay:
            self.waiting = True
            asyncio.get_running_loop().call_later(delay / 1000, self._deliver, response, keep_alive, True)
        else:
            self._deliver(response, keep_alive, False)

    def _deliver(self, response: Response, keep_alive: bool, resume: bool) -> None:
        transport = self.transport
        if self.closed or transport is None:
            return
        action = response.meta.get("transport")
        if action == "hang":
            self.waiting = True  # never answer; the client's timeout ends it (or the server stops)
            return
        if action == "reset":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0 turns close() into a TCP RST
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        if action == "drop":
            transport.close()
            return
        raw = render(response, keep_alive=keep_alive and action is None)
        if action == "truncate":
            transport.write(raw[: len(raw) - max(1, len(response.body) // 2)])
            transport.close()
            return
        transport.write(raw)
        if not keep_alive:
            transport.close()
            return
        if resume:
            self.waiting = False
            if self.buffer:
                self._process()

    def _send_raw(self, status: int, message: str) -> None:
        """Protocol-level errors (before a request exists): Clerk's envelope, then close."""
        from clerkmock.engine.errors import ClerkError

        code = {400: "bad_request", 413: "request_body_too_large", 431: "request_header_too_large"}.get(
            status, "bad_request"
        )
        pipeline = self.server.pipeline
        with pipeline.lock:
            response = pipeline.engine.error(ClerkError(status, code, message))
        if self.transport is not None:
            self.transport.write(render(response, keep_alive=False))
            self.transport.close()


class BaseUrlServer:
    """``await server.start()`` in a running loop; ``await server.stop()`` closes the listener and every
    keep-alive connection, so pooled clients fail fast instead of hanging."""

    def __init__(self, pipeline: Pipeline, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pipeline = pipeline
        self.host, self.port = host, port
        self.connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _Connection(self), self.host, self.port, reuse_address=True, backlog=1024
            )
        except OSError as exc:
            reason = "address already in use" if exc.errno == 98 else (exc.strerror or str(exc))
            raise ListenError(self.host, self.port, reason) from None
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        await self._server.wait_closed()
        self._server = None
