"""The lean base-URL listener (server/http.py) at the byte level: framing, keep-alive, and the transport
part of fault actions it carries out from the pipeline's `Directive`."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.server.directive import Action, Directive, truncated_length

AUTH = b"Authorization: Bearer sk_test_x\r\n"


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    with ClerkMock(config_dir=tmp_path_factory.mktemp("cfg")) as m:
        yield m


def raw(mock: ClerkMock, data: bytes, *, read_until_close: bool = True, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=timeout) as s:
        s.sendall(data)
        if not read_until_close:
            return s.recv(65536)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_pipelined_requests_answer_in_order(mock: ClerkMock) -> None:
    req = b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
    last = b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    out = raw(mock, req + req + last)
    assert out.count(b"HTTP/1.1 200 OK") == 3
    assert out.index(b"total_count") < out.index(b'"status"')
    assert b"connection: close" in out


def test_chunked_body_and_expect_continue(mock: ClerkMock) -> None:
    body = b'{"username": "chunky_user"}'
    head = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + AUTH
            + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    out = raw(mock, head + chunked)
    assert out.startswith(b"HTTP/1.1 200 OK") and b"chunky_user" in out
    with socket.create_connection(("127.0.0.1", mock.port), timeout=2) as s:
        s.sendall(b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + AUTH
                  + b"Expect: 100-continue\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        rest = s.recv(65536)
        assert rest.startswith(b"HTTP/1.1 422")  # the username exists now: form_identifier_exists
        assert b"form_identifier_exists" in rest


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nno-colon-here\r\n\r\n", b"400"),
        (b"POST /v1/users HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"POST /v1/users HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", b"413"),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70000, b"431"),
    ],
)
def test_protocol_errors_get_clerk_envelopes(mock: ClerkMock, data: bytes, status: bytes) -> None:
    out = raw(mock, data)
    assert out.startswith(b"HTTP/1.1 " + status), out[:80]
    assert b'"errors"' in out and b"connection: close" in out


def test_nothing_is_answered_after_connection_close(mock: ClerkMock) -> None:
    req = b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    out = raw(mock, req + b"Connection: close\r\n\r\n" + req + b"\r\n")
    assert out.count(b"HTTP/1.1 ") == 1 and b"connection: close" in out


def test_upgrade_requests_are_answered_as_plain_requests(mock: ClerkMock) -> None:
    """An Upgrade head is answered as an ordinary request (nothing is switched) and what follows is parsed."""
    req = b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    out = raw(mock, req + b"Connection: upgrade\r\nUpgrade: websocket\r\n\r\n" + req + b"Connection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200 OK") == 2


def test_http10_closes_by_default(mock: ClerkMock) -> None:
    out = raw(mock, b"GET /__clerkmock/health HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK")


def _scripted(mock: ClerkMock, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    original = mock.pipeline.handle

    def handle(request: Any, **kw: Any) -> Directive:
        directive = original(request, **kw)
        if request.path.startswith("/v1/"):
            directive = directive._replace(**changes)
            if directive.action is Action.TRUNCATE:
                directive = directive._replace(body_bytes=truncated_length(directive.response.body))
        return directive

    monkeypatch.setattr(mock.pipeline, "handle", handle)


def test_delay(mock: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted(mock, monkeypatch, delay_ms=150)
    t0 = time.monotonic()
    r = httpx.get(f"{mock.url}/v1/users/count", headers={"authorization": "Bearer k"})
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.14


def test_reset_drop_truncate_hang(mock: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> None:
    url, auth = f"{mock.url}/v1/users/count", {"authorization": "Bearer k"}
    for action, errors in (
        ("reset", (httpx.ReadError, httpx.RemoteProtocolError)),
        ("drop", (httpx.RemoteProtocolError, httpx.ReadError)),
        ("truncate", (httpx.RemoteProtocolError, httpx.ReadError)),
    ):
        with monkeypatch.context() as m:
            _scripted(mock, m, action=Action(action))
            with pytest.raises(errors):
                httpx.get(url, headers=auth)
    with monkeypatch.context() as m:
        _scripted(mock, m, action=Action.HANG)
        t0 = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(url, headers=auth, timeout=0.3)
        assert time.monotonic() - t0 < 2
    assert httpx.get(url, headers=auth).status_code == 200  # the listener is fine afterwards


def test_port_in_use_is_a_listen_error(mock: ClerkMock, tmp_path: Any) -> None:
    from clerkmock.server.http import ListenError

    with pytest.raises(ListenError, match="address already in use"):
        ClerkMock(port=mock.port, config_dir=tmp_path).start()


def test_idle_and_incomplete_connections_are_swept(mock: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> None:
    """No idle or header timeout would let a client that sends half a request hold a connection forever."""
    from clerkmock.server import http as listener

    server = mock._http
    assert server is not None
    with socket.create_connection(("127.0.0.1", mock.port), timeout=2) as half, \
            socket.create_connection(("127.0.0.1", mock.port), timeout=2) as idle:
        half.sendall(b"GET /v1/users HTTP/1.1\r\nHost: x\r\n")  # never finished
        idle.sendall(b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert idle.recv(1000).startswith(b"HTTP/1.1 200")
        time.sleep(0.1)
        monkeypatch.setattr(listener, "INCOMPLETE_REQUEST_SECONDS", 0.0)
        mock._loop.loop.call_soon_threadsafe(server._sweep)
        assert half.recv(100) == b""  # closed
        idle.sendall(b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert idle.recv(1000).startswith(b"HTTP/1.1 200")  # idle keep-alive survives the short limit
        monkeypatch.setattr(listener, "IDLE_KEEPALIVE_SECONDS", 0.0)
        time.sleep(0.05)
        mock._loop.loop.call_soon_threadsafe(server._sweep)
        assert idle.recv(100) == b""


def test_answers_of_one_round_of_reads_are_sent_after_it(mock: ClerkMock) -> None:
    """Reads that arrive in one round of the loop are all handled before any answer is written (one wake-up of
    a client waiting on several connections instead of one per answer); a lone read is answered at once."""
    import asyncio

    from fake_transport import FakeTransport  # tests/ is on sys.path

    from clerkmock.server.http import BaseUrlServer, _Connection

    req = b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"

    async def rounds() -> tuple[list[list[bytes]], list[bytes], list[bytes]]:
        loop = asyncio.get_running_loop()
        server = BaseUrlServer(mock.pipeline)
        server.bind(loop)
        transports = [FakeTransport() for _ in range(3)]
        conns = [_Connection(server) for _ in transports]
        for conn, transport in zip(conns, transports, strict=True):
            conn.connection_made(transport)
        seen: list[list[bytes]] = []

        def read(conn: _Connection) -> None:
            conn.data_received(req)
            seen.append([bytes(t.out) for t in transports])

        loop.call_soon(read, conns[0])  # two reads in one round
        loop.call_soon(read, conns[1])
        await asyncio.sleep(0.01)
        together = [bytes(t.out) for t in transports]
        loop.call_later(0.001, read, conns[2])  # a lone read: nothing else queued when it runs
        await asyncio.sleep(0.01)
        for conn in conns:
            conn.connection_lost(None)
        return seen, together, [bytes(t.out) for t in transports]

    seen, together, after = asyncio.run(rounds())
    assert seen[0] == seen[1] == [b"", b"", b""]  # neither answer written while the round was being handled
    assert [out.count(b"HTTP/1.1 200 OK") for out in together] == [1, 1, 0]  # both written after it
    assert seen[2][2].count(b"HTTP/1.1 200 OK") == 1  # the lone read's answer, written before read() returned
    assert after[:2] == together[:2]


def test_a_head_seen_again_is_parsed_once_and_each_request_is_its_own(mock: ClerkMock) -> None:
    """The listener keeps parsed heads (a client sends the same head again and again, only the body differs):
    the same head with two bodies creates two users, and what a handler could change in one request (its
    headers, its query) is never seen by the next."""
    from fake_transport import FakeTransport  # tests/ is on sys.path

    from clerkmock.server.http import BaseUrlServer, _Connection

    server = BaseUrlServer(mock.pipeline)
    conn = _Connection(server)
    transport = FakeTransport()
    conn.connection_made(transport)
    bodies = [b'{"email_address":["head-a@example.com"]}', b'{"email_address":["head-b@example.com"]}']
    head = (b"POST /v1/users?x=1 HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bodies[0]))
    seen: list[Any] = []
    arrived: list[tuple[dict[str, str], dict[str, list[str]]]] = []  # each request as it arrived
    real_handle = mock.pipeline.handle

    def handle(request: Any, **kwargs: Any) -> Directive:
        seen.append(request)
        arrived.append((dict(request.headers), {k: list(v) for k, v in request.query.items()}))
        request.headers["x-changed"] = "by the first"  # what a careless handler might do
        request.query["x"].append("2")
        return real_handle(request, **kwargs)

    mock.pipeline.handle = handle  # type: ignore[method-assign]
    try:
        for body in bodies:
            conn.data_received(head + body)
    finally:
        mock.pipeline.handle = real_handle  # type: ignore[method-assign]
        conn.connection_lost(None)
    assert transport.out.count(b"HTTP/1.1 200 OK") == 2, bytes(transport.out[:400])
    assert [r.body for r in seen] == bodies
    assert arrived[1] == arrived[0] and "x-changed" not in arrived[1][0] and arrived[1][1] == {"x": ["1"]}
    assert list(server.heads) == [head]  # one parse for both
    for email in (b"head-a@example.com", b"head-b@example.com"):
        assert email in transport.out


def test_kept_heads_are_bounded(mock: ClerkMock) -> None:
    """A client whose every head differs cannot grow the kept heads without bound; a huge head is not kept."""
    from fake_transport import FakeTransport

    from clerkmock.server import http
    from clerkmock.server.http import BaseUrlServer, _Connection

    server = BaseUrlServer(mock.pipeline)
    conn = _Connection(server)
    transport = FakeTransport()
    conn.connection_made(transport)
    for i in range(http.MAX_KEPT_HEADS + 10):
        conn.data_received(b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\nX-Trace: %d\r\n" % i + AUTH + b"\r\n")
    assert 0 < len(server.heads) <= http.MAX_KEPT_HEADS
    server.heads.clear()
    conn.data_received(b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * http.MAX_KEPT_HEAD_BYTES
                       + b"\r\n" + AUTH + b"\r\n")
    conn.connection_lost(None)
    assert transport.out.count(b"HTTP/1.1 200 OK") == http.MAX_KEPT_HEADS + 11
    assert not server.heads
