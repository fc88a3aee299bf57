"""The base-URL listener: a lean HTTP/1.1 server on asyncio, for apps that set ``CLERK_API_URL``.

Base-URL traffic needs no interception, and mitmproxy's per-request cost (~0.6 ms of hook dispatch here,
reference/mitmproxy.md §3) would cap it at ~1.5k req/s.  This is an `asyncio.Protocol` (no stream objects,
no per-request tasks) that parses HTTP/1.1 with keep-alive, pipelining, ``Expect: 100-continue`` and chunked
request bodies, hands each request to the shared `Pipeline`, and carries out the `Directive` it answers with (a delay; a
reset, drop, hang or truncation).

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
from time import perf_counter, time
from typing import Any

from clerkmock.engine import Request, Response
from clerkmock.engine.engine import MAX_BODY_BYTES as JSON_BODY_BYTES
from clerkmock.engine.engine import MAX_UPLOAD_BYTES
from clerkmock.engine.errors import ClerkError, protocol_error, request_too_large
from clerkmock.server.control import CONTROL_PREFIX
from clerkmock.server.directive import Action, Directive
from clerkmock.server.inbound import Head
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.read_cache import Reusable

log = logging.getLogger("clerkmock")

MAX_HEAD_BYTES = 64 * 1024
# Parsed heads kept for reuse, per server: a client sends the same head again and again (only the body
# differs, or nothing).  Bounded in number and size: at most ~1 MB.
MAX_KEPT_HEADS = 256
MAX_KEPT_HEAD_BYTES = 4096
MAX_BODY_BYTES = 11 * 1024 * 1024  # above the engine's largest limit (10 MiB uploads): the engine answers 413
MAX_CHUNKS = 100_000  # per chunked body: real clients send KB-sized chunks; 1-byte chunks would cost CPU
MAX_CHUNK_LINE = 4096  # a chunk-size line (with extensions) or a trailer line
# After an early 413, the rest of the declared body (if at most this much) is read and dropped, so the client,
# still sending, gets the answer instead of a reset; the connection closes after it, or after DISCARD_SECONDS.
DISCARD_BYTES = 64 * 1024 * 1024
DISCARD_SECONDS = 30.0
# A client that sends half a request and stops is closed after this; so is a keep-alive connection left idle
# (nginx's default keep-alive timeout is 75 s; clients re-open pooled connections transparently).
INCOMPLETE_REQUEST_SECONDS = 30.0
IDLE_KEEPALIVE_SECONDS = 75.0
SWEEP_SECONDS = 5.0
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class ListenError(RuntimeError):
    """The listener could not be bound (port in use, permission denied, bad address)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


class _HttpError(Exception):
    def __init__(self, status: int, message: str, *, error: ClerkError | None = None, discard: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.error = error  # the Clerk error to answer with (default: one made from status and message)
        self.discard = discard  # body bytes still to come that the client will send anyway


def _body_limit(path: str, headers: dict[str, str]) -> int:
    """The engine's limit for this request's body, known from its head: a larger body is refused before it is
    read (JSON and form bodies 1 MiB, multipart uploads 10 MiB; the control plane up to MAX_BODY_BYTES)."""
    if path.startswith(CONTROL_PREFIX):
        return MAX_BODY_BYTES
    if headers.get("content-type", "")[:10].lower() == "multipart/":
        return MAX_UPLOAD_BYTES
    return JSON_BODY_BYTES


def _request_line(line: str) -> tuple[str, str, str]:
    try:
        method, target, version = line.split(" ")
    except ValueError:
        raise _HttpError(400, "malformed request line") from None
    if not (method.isascii() and method.isalpha()) or not target:
        raise _HttpError(400, "malformed request line")
    if version != "HTTP/1.1" and version != "HTTP/1.0":
        # A 4xx, not 505: bad input is never answered with a server error (HTTP/2 needs TLS ALPN or h2c upgrade,
        # neither of which is offered, so only a confused or hostile client gets here).
        if version.startswith("HTTP/"):
            raise _HttpError(400, f"HTTP version {version[5:]!r} is not supported; speak HTTP/1.1")
        raise _HttpError(400, "malformed request line")
    return method, target, version


def _check_partial_head(buf: bytearray) -> None:
    """Refuse garbage before the head is complete (a TLS hello, a binary protocol, a line that never ends), so
    it is answered at once instead of waiting for a blank line that may never come."""
    line_end = buf.find(b"\r\n", 0, MAX_HEAD_BYTES)
    if line_end >= 0:
        _request_line(bytes(buf[:line_end]).decode("latin-1"))
        return
    space = buf.find(b" ", 0, 32)
    method = bytes(buf[:space] if space >= 0 else buf[:32])
    if (method and not method.isalpha()) or (space < 0 and len(buf) >= 32):
        raise _HttpError(400, "malformed request line")


def _parse_head(whole: bytes) -> tuple[Head, bool, bool, int]:
    """A complete head (its blank line included) -> (the request's `Head`, keep-alive, chunked, the declared
    body length: -1 for a head with neither content-length nor transfer-encoding).  Hand-written on purpose:
    llhttp (httptools) was measured slower here, whatever the number of headers, because each header still
    costs a Python callback (docs/performance.md, "Step 1")."""
    lines = whole.decode("latin-1").split("\r\n")  # ends with the blank line's two empty strings
    method, target, version = _request_line(lines[0])
    headers: dict[str, str] = {}
    for line in lines[1:-2]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _HttpError(400, "malformed header line")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    # (each framing header looked up once and lowered only when present: most requests have none of them)
    encoding = headers.get("transfer-encoding")
    chunked = encoding is not None and "chunked" in encoding.lower()
    declared = headers.get("content-length")
    if chunked:
        length = 0  # (the chunks frame the body; a content-length beside them is ignored)
    elif declared is None:
        length = -1 if encoding is None else 0  # -1: no body at all, the only head that may key a reused answer
    else:
        try:
            length = int(declared) if declared else 0
        except ValueError:
            raise _HttpError(400, "invalid content-length") from None
        if length < 0:
            raise _HttpError(400, "invalid content-length")
    connection = headers.get("connection")
    if connection is None:
        keep_alive = version == "HTTP/1.1"
    else:
        connection = connection.lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    return Head(method, target, headers), keep_alive, chunked, length


_date_cache: tuple[int, str, bytes] = (0, "", b"")


def _date_header() -> str:
    global _date_cache
    now = int(time())
    if _date_cache[0] != now:
        date = formatdate(now, usegmt=True)
        _date_cache = (now, date, date.encode("latin-1"))
    return _date_cache[1]


def _resent(entry: Reusable, now: float) -> bytes:
    """A reused answer as it goes out again: its bytes around a fresh date."""
    if _date_cache[0] != int(now):
        _date_header()
    return b"".join((entry.head, _date_cache[2], entry.tail))


_FRAMING_HEADERS = frozenset(("content-length", "connection", "transfer-encoding"))  # ours to set


def render(response: Response, *, keep_alive: bool) -> bytes:
    """The head, latin-1 as HTTP/1.1 heads are (anything else becomes ``?``), then the body."""
    headers = response.headers
    start = _HEAD_STARTS.get((response.status, *headers.items())) if len(headers) == 1 else None
    if start is None:
        start = _head_start(response)
    if response.set_cookies:  # one line each: cookies cannot be joined with ", "
        start += "".join(f"set-cookie: {cookie}\r\n" for cookie in response.set_cookies).encode("latin-1", "replace")
    if _date_cache[0] != int(time()):
        _date_header()
    return b"".join((start, b"content-length: %d\r\ndate: " % len(response.body), _date_cache[2],
                     b"\r\n\r\n" if keep_alive else b"\r\nconnection: close\r\n\r\n", response.body))


# The status line and header lines of an answer with one header (most are: a JSON one's content-type),
# rendered once: a head rendered line by line cost ~10,000 instructions a request.
_HEAD_STARTS: dict[tuple[Any, ...], bytes] = {}


def _head_start(response: Response) -> bytes:
    status = response.status
    head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
    for name, value in response.headers.items():
        if name.lower() not in _FRAMING_HEADERS:
            head += f"{name}: {value}\r\n"
    start = head.encode("latin-1", "replace")
    if len(response.headers) == 1 and len(_HEAD_STARTS) < 256:  # (bounded: a handler may vary the value)
        _HEAD_STARTS[(status, *response.headers.items())] = start
    return start


def _split_at_date(raw: bytes) -> tuple[bytes, bytes] | None:
    """A keep-alive answer `render` built, cut around its date (the one part of a reused answer made anew)."""
    date = raw.find(b"\r\ndate: ")
    end = raw.find(b"\r\n\r\n")
    if date < 0 or raw.find(b"\r\n", date + 2) != end:  # the date is the head's last line
        return None
    cut = date + len(b"\r\ndate: ")
    return raw[:cut], raw[end:]


class _Connection(asyncio.Protocol):
    __slots__ = ("server", "transport", "buffer", "waiting", "closed", "_continue_sent", "_paused", "_discard",
                 "_chunks", "last_active", "local_addr", "outbox")

    def __init__(self, server: BaseUrlServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting = False  # a delayed or hanging answer is pending: later requests wait their turn
        self.closed = False
        self._continue_sent = False
        self._paused = False  # the client is not reading our answers: stop reading its requests (flow control)
        self._discard = 0  # bytes of a refused body still to read and drop before closing
        # a chunked body being decoded, kept across reads so each byte is decoded once: (pos, body, chunks)
        self._chunks: tuple[int, bytearray, int] | None = None
        self.last_active = time()  # read by the server's idle sweep (one timer per server, not per read)
        self.local_addr = ""  # the address this connection arrived on: the control guard's Host check
        self.outbox: bytes | None = None  # an answer waiting for the server's flush (`_write`)

    # -- asyncio.Protocol -----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sockname = transport.get_extra_info("sockname")
        if isinstance(sockname, tuple) and sockname:
            self.local_addr = str(sockname[0])

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.outbox = None
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = now = time()
        if self._discard:
            self._discard -= min(len(data), self._discard)
            if not self._discard and self.transport is not None:
                self.flush()
                self.transport.close()
            return
        if not self.buffer and not self.waiting and not self._paused and not self.closed:
            # One whole request in this read (what a client waiting for each answer sends) whose answer may be
            # sent again: the buffer, the framing and the parser are skipped too (server/read_cache.py).
            pipeline = self.server.pipeline
            cache = pipeline.read_cache
            entry = cache.entries.get(data) if cache is not None else None
            if entry is not None and self.transport is not None and pipeline.replay(entry, perf_counter()):
                self._write(_resent(entry, now))
                return
        self.buffer += data
        if not self.waiting:
            self._process()

    def eof_received(self) -> bool | None:
        """The client half-closed with a request still incomplete: answer 400 rather than closing silently."""
        if self.buffer.strip() and not self.waiting and not self.closed:
            self._send_raw(400, "incomplete request: the connection was closed before the request ended")
        return None  # close our side too

    def pause_writing(self) -> None:
        """The transport's write buffer is over its high-water mark: a client pipelining requests without
        reading the answers.  Stop reading and answering until it drains, so memory stays bounded."""
        self._paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()
            if self.buffer and not self.waiting:
                self._process()

    # -- parsing ---------------------------------------------------------------------------------------------

    def _process(self) -> None:
        while not self.closed and not self.waiting and not self._paused:
            try:
                parsed = self._parse_one()
            except _HttpError as exc:
                self._send_raw(exc.status, str(exc), exc.error, exc.discard)
                return
            if parsed is None:
                return
            if isinstance(parsed, Reusable):  # sent again as it was (server/read_cache.py)
                self._write(_resent(parsed, time()))
                continue
            request, keep_alive, key = parsed
            self._answer(request, keep_alive, key)

    def _parse_one(self) -> tuple[Request, bool, bytes | None] | Reusable | None:
        buf = self.buffer
        if not buf:  # the common case after answering: nothing pipelined behind it
            return None
        while buf.startswith(b"\r\n"):  # empty lines before a request line are ignored (RFC 9112 §2.2)
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0 or end > MAX_HEAD_BYTES:
            if len(buf) > MAX_HEAD_BYTES:
                raise _HttpError(431, "request header too large")
            _check_partial_head(buf)
            return None
        whole = bytes(buf[: end + 4])  # the whole head, its blank line included: what keys a reused answer
        cache = self.server.pipeline.read_cache
        if cache is not None and (entry := cache.entries.get(whole)) is not None:
            # the same head as an answer that may be sent again: nothing to parse if it still holds
            if self.server.pipeline.replay(entry, perf_counter()):
                del buf[: end + 4]
                self._continue_sent = False
                return entry
            cache.entries.pop(whole, None)
        heads = self.server.heads
        parsed = heads.get(whole)
        if parsed is None:
            parsed = _parse_head(whole)
            if len(whole) <= MAX_KEPT_HEAD_BYTES:
                if len(heads) >= MAX_KEPT_HEADS:
                    heads.clear()  # (a client whose every head differs gains nothing: start again, bounded)
                heads[whole] = parsed
        head, keep_alive, chunked, length = parsed
        start = end + 4
        if chunked:
            decoded = self._dechunk(start, _body_limit(head.path, head.headers))
            if decoded is None:
                return None
            body, consumed = decoded
        else:
            if length > JSON_BODY_BYTES and length > (limit := _body_limit(head.path, head.headers)):
                # Refused from the head alone: the body is never buffered.  Unless the client waits for a
                # 100 Continue (then it sends nothing more), the rest of its body is read and dropped.
                # An absurd length (more than DISCARD_BYTES) is not waited for: the connection closes at once.
                waits = head.headers.get("expect", "").lower() == "100-continue" or length > DISCARD_BYTES
                rest = 0 if waits else length - (len(buf) - start)
                raise _HttpError(413, "request body too large", error=request_too_large(limit), discard=rest)
            if len(buf) - start < length:
                self._maybe_continue(head.headers)
                return None
            body, consumed = (bytes(buf[start : start + length]), start + length) if length > 0 else (b"", start)
        del buf[:consumed]
        self._continue_sent = False
        # (only a head without a body, kept alive, may key a reused answer)
        return head.request(body, self.local_addr), keep_alive, whole if length < 0 and keep_alive else None

    def _maybe_continue(self, headers: dict[str, str]) -> None:
        if not self._continue_sent and headers.get("expect", "").lower() == "100-continue" and self.transport:
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._continue_sent = True

    def _dechunk(self, start: int, limit: int) -> tuple[bytes, int] | None:
        """Decode a chunked body from ``start``; None while incomplete.  Progress is kept between reads (the
        buffer only grows until the request is consumed), so a body in many reads is decoded once."""
        buf = self.buffer
        pos, body, chunks = self._chunks or (start, bytearray(), 0)
        try:
            while True:
                line_end = buf.find(b"\r\n", pos, pos + MAX_CHUNK_LINE)
                if line_end < 0:
                    if len(buf) - pos >= MAX_CHUNK_LINE:
                        raise _HttpError(400, "malformed chunk size")
                    return None
                try:
                    size = int(bytes(buf[pos:line_end]).split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    raise _HttpError(400, "malformed chunk size") from None
                if size < 0:
                    raise _HttpError(400, "malformed chunk size")
                if size == 0:
                    trailer = line_end + 2
                    while True:  # trailer lines up to an empty one
                        trailer_end = buf.find(b"\r\n", trailer, trailer + MAX_CHUNK_LINE)
                        if trailer_end < 0:
                            if len(buf) - trailer >= MAX_CHUNK_LINE or trailer - line_end > MAX_HEAD_BYTES:
                                raise _HttpError(400, "malformed chunked trailer")
                            return None
                        if trailer_end == trailer:
                            self._chunks = None
                            return bytes(body), trailer_end + 2
                        trailer = trailer_end + 2
                if len(body) + size > limit:
                    raise _HttpError(413, "request body too large", error=request_too_large(limit))
                chunks += 1
                if chunks > MAX_CHUNKS:
                    raise _HttpError(400, f"more than {MAX_CHUNKS} chunks in one body")
                data_start = line_end + 2
                if len(buf) < data_start + size + 2:
                    return None
                if buf[data_start + size : data_start + size + 2] != b"\r\n":
                    raise _HttpError(400, "malformed chunk")
                body += buf[data_start : data_start + size]
                pos = data_start + size + 2
                self._chunks = (pos, body, chunks)
        except _HttpError:
            self._chunks = None
            raise

    # -- writing ---------------------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        """Send ``data`` once the loop has handled the reads it is handling (`BaseUrlServer._flush`).

        Each send to a client that sleeps waiting for it wakes the client; on a VM that wake (an inter-processor
        interrupt) cost ~15 % of a create's CPU time (docs/performance.md).  Answers written together, after a
        round of reads, wake a busy client once.  One answer waits at most: a second one (pipelining) sends the
        first, so the transport's flow control (`pause_writing`) still sees every byte.
        """
        if self.outbox is not None:
            self.flush()
        server = self.server
        if server.unflushed or server.ready:  # other answers of this round are waiting: this one waits with them
            self.outbox = data
            server.pending(self)
        elif self.transport is not None:  # the round's only answer
            self.transport.write(data)

    def flush(self) -> None:
        data = self.outbox
        if data is not None:
            self.outbox = None
            if self.transport is not None:
                self.transport.write(data)

    # -- answering -------------------------------------------------------------------------------------------

    def _answer(self, request: Request, keep_alive: bool, key: bytes | None) -> None:
        pipeline = self.server.pipeline
        directive = pipeline.handle(request)
        if directive.plain:
            raw = None
            if key is not None and (generation := pipeline.reusable(request, directive)) is not None:
                # a key means keep-alive, a plain directive an answer: the bytes `_deliver` would render
                raw = render(directive.response, keep_alive=True)
                self._remember(key, generation, request, directive.response, raw)
            self._deliver(directive, keep_alive, False, raw)
            return
        self.waiting = True  # later requests on this connection queue behind this answer
        if directive.deferred is not None:  # a blocking wait (webhook flush): off the loop
            future = asyncio.get_running_loop().run_in_executor(None, directive.deferred)
            future.add_done_callback(lambda f: self._deliver(Directive(
                f.result() if f.exception() is None else self.server.pipeline.internal_error()), keep_alive, True))
        else:
            asyncio.get_running_loop().call_later(directive.delay_ms / 1000, self._deliver, directive, keep_alive,
                                                  True)

    def _remember(self, key: bytes, generation: int, request: Request, response: Response, raw: bytes) -> None:
        """Keep a pure read's answer, as rendered for sending (``raw``), for its head (server/read_cache.py)."""
        parts = _split_at_date(raw)
        if parts is not None and not response.set_cookies:
            self.server.pipeline.remember(key, generation, request, response, *parts)

    def _deliver(self, directive: Directive, keep_alive: bool, resume: bool, raw: bytes | None = None) -> None:
        """Carry out the directive; ``raw``: the answer already rendered (`_answer`, for a reused read)."""
        transport = self.transport
        if self.closed or transport is None:
            return
        action = directive.action
        if action is Action.HANG:
            self.waiting = True  # never answer; the client's timeout ends it (or the server stops)
            return
        if self.outbox is not None and (action is not Action.ANSWER or not keep_alive):
            self.flush()  # the answers before this one go first, then the transport is written and closed directly
        if action is Action.RESET:
            sock = transport.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0 turns close() into a TCP RST
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        if action is Action.DROP:
            transport.close()
            return
        response = directive.response
        if raw is None:
            raw = render(response, keep_alive=keep_alive and action is Action.ANSWER)
        if action is Action.TRUNCATE:
            transport.write(raw[: len(raw) - len(response.body) + directive.body_bytes])
            transport.close()
            return
        if not keep_alive:
            transport.write(raw)
            self.closed = True  # nothing pipelined behind a "Connection: close" request is answered
            transport.close()
            return
        self._write(raw)
        if resume:
            self.waiting = False
            if self.buffer:
                self._process()

    def _send_raw(self, status: int, message: str, error: ClerkError | None = None, discard: int = 0) -> None:
        """Protocol-level errors (before a request exists): Clerk's envelope, then close; after an early 413,
        first read and drop the rest of the body the client is still sending (a lingering close)."""
        error = error or protocol_error(status, message)
        pipeline = self.server.pipeline
        with pipeline.lock:
            response = pipeline.engine.error(error)
        transport = self.transport
        if transport is None:
            return
        self.closed = True  # no further requests on this connection
        self.buffer.clear()
        self.flush()
        transport.write(render(response, keep_alive=False))
        if discard > 0:
            self._discard = discard
            asyncio.get_running_loop().call_later(DISCARD_SECONDS, transport.close)
        else:
            transport.close()


class BaseUrlServer:
    """``await server.start()`` in a running loop; ``await server.stop()`` closes the listener and every
    keep-alive connection, so pooled clients fail fast instead of hanging."""

    def __init__(self, pipeline: Pipeline, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pipeline = pipeline
        self.host, self.port = host, port
        self.connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self.unflushed: list[_Connection] = []  # connections with an answer in their outbox
        self.heads: dict[bytes, tuple[Head, bool, bool, int]] = {}  # `_parse_head`'s answers, by head
        self._call_soon: Any = None
        # The loop's queue of callbacks still to run (asyncio's `BaseEventLoop._ready`): empty when this read
        # is the round's last, and then an answer is sent at once (a lone client gains nothing by waiting).
        # A loop without one (uvloop) always waits for the round's end; before `bind`, nothing waits.
        self.ready: Any = ()

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.bind(loop)
        try:
            self._server = await loop.create_server(
                lambda: _Connection(self), self.host, self.port, reuse_address=True, backlog=1024
            )
        except OSError as exc:
            reason = "address already in use" if exc.errno == 98 else (exc.strerror or str(exc))
            raise ListenError(self.host, self.port, reason) from None
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = loop.call_later(SWEEP_SECONDS, self._sweep)
        return self.port

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop whose rounds `pending` follows (`start` binds the running one)."""
        self._call_soon = loop.call_soon
        self.ready = getattr(loop, "_ready", (None,))

    def pending(self, conn: _Connection) -> None:
        """``conn`` has an answer in its outbox: sent at the end of this round of the loop, together with the
        round's other answers."""
        if not self.unflushed:
            self._call_soon(self._flush)  # after the callbacks already queued in this round of the loop
        self.unflushed.append(conn)

    def _flush(self) -> None:
        unflushed, self.unflushed = self.unflushed, []
        for conn in unflushed:
            conn.flush()

    def _sweep(self) -> None:
        """Close connections that sent half a request and went quiet, and keep-alive connections idle for long;
        a connection held by a scripted ``hang`` or ``delay`` is left alone (the fault decides its fate)."""
        now = time()
        for conn in list(self.connections):
            if conn.waiting or conn.transport is None:
                continue
            limit = INCOMPLETE_REQUEST_SECONDS if conn.buffer else IDLE_KEEPALIVE_SECONDS
            if now - conn.last_active > limit:
                conn.flush()
                conn.transport.close()
        if self._server is not None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_SECONDS, self._sweep)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.flush()
                conn.transport.close()
        await self._server.wait_closed()
        self._server = None
