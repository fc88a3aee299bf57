"""The serving layer over real HTTP (mitmproxy reverse listener) and in-process."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import httpx
import pytest

import clerkmock
from clerkmock import ClerkMock
from clerkmock.engine import Request

AUTH = {"Authorization": "Bearer sk_test_anything"}


def _no_trace(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "clerk_trace_id"}  # differs per request by design


def _local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def _simple_get_route(mock: ClerkMock) -> Any:
    """Some route reachable with a plain authenticated GET (no path parameters)."""
    return next(r for r in mock.engine.router.routes if r.method == "GET" and "{" not in r.template)


@pytest.fixture
def http(mock_server: ClerkMock) -> httpx.Client:
    with httpx.Client(base_url=mock_server.url, timeout=5) as client:
        yield client


@pytest.fixture
def inproc(mock_server: ClerkMock) -> httpx.Client:
    with httpx.Client(base_url="http://clerkmock.invalid", transport=mock_server.transport()) as client:
        yield client


def test_health_needs_no_auth(http: httpx.Client) -> None:
    r = http.get("/__clerkmock/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": clerkmock.__version__, "users": 0}


def test_unauthenticated_api_call_is_401(http: httpx.Client) -> None:
    r = http.get("/v1/users")
    assert r.status_code == 401
    assert r.json()["errors"][0]["code"] == "authorization_header_format_invalid"
    assert r.json()["clerk_trace_id"]


def test_content_type_is_exactly_application_json(http: httpx.Client) -> None:
    for r in (http.get("/__clerkmock/health"), http.get("/v1/users"), http.get("/v1/nope", headers=AUTH)):
        assert r.headers.get_list("content-type") == ["application/json"]


def test_unknown_control_path_is_clerk_shaped_404(http: httpx.Client) -> None:
    r = http.get("/__clerkmock/nope")
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "resource_not_found"
    assert http.post("/__clerkmock/health").status_code == 405


def test_keep_alive_connection_is_reused(http: httpx.Client) -> None:
    ports = {_local_port(http.get("/__clerkmock/health")) for _ in range(5)}
    assert len(ports) == 1


def test_query_and_repeated_params_reach_the_engine(mock_server: ClerkMock, http: httpx.Client) -> None:
    seen: list[Request] = []
    original = mock_server.pipeline.engine.handle

    def spy(request: Request, **kw: Any) -> Any:
        seen.append(request)
        return original(request, **kw)

    mock_server.pipeline.engine.handle = spy  # type: ignore[method-assign]
    try:
        http.get("/v1/users?email_address=a%40x.com&email_address=b@x.com&blank=", headers={**AUTH, "X-Y": "1"})
    finally:
        del mock_server.pipeline.engine.handle
    (req,) = seen
    assert req.path == "/v1/users"
    assert req.query == {"email_address": ["a@x.com", "b@x.com"], "blank": [""]}
    assert req.headers["authorization"] == AUTH["Authorization"] and req.headers["x-y"] == "1"


def test_in_process_transport_matches_http(http: httpx.Client, inproc: httpx.Client) -> None:
    for method, path, headers in [
        ("GET", "/__clerkmock/health", {}),
        ("GET", "/__clerkmock/nope", {}),
        ("GET", "/v1/users", {}),
        ("GET", "/v1/users", {"Authorization": "Basic x"}),
        ("GET", "/v1/not_a_route", AUTH),
    ]:
        a, b = http.request(method, path, headers=headers), inproc.request(method, path, headers=headers)
        assert (a.status_code, _no_trace(a.json())) == (b.status_code, _no_trace(b.json())), path
        assert a.headers["content-type"] == b.headers["content-type"] == "application/json"


def test_transport_works_without_starting_the_proxy() -> None:
    mock = ClerkMock()
    with httpx.Client(base_url="http://x", transport=mock.transport()) as client:
        assert client.get("/__clerkmock/health").json()["status"] == "ok"
    assert not mock.running
    with pytest.raises(RuntimeError, match="not started"):
        _ = mock.url


async def _async_health(mock: ClerkMock) -> int:
    async with httpx.AsyncClient(base_url="http://x", transport=mock.async_transport()) as client:
        return (await client.get("/v1/users")).status_code


def test_async_transport() -> None:
    import asyncio

    assert asyncio.run(_async_health(ClerkMock())) == 401


def test_engine_bug_is_500_over_http_and_logged(
    mock_server: ClerkMock, http: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    route = _simple_get_route(mock_server)

    def boom(ctx: Any) -> Any:
        raise RuntimeError("simulated engine bug")

    monkeypatch.setattr(route, "handler", boom)
    with caplog.at_level(logging.ERROR, logger="clerkmock"):
        r = http.get("/v1" + route.template, headers=AUTH)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errors"][0]["code"] == "internal_clerk_error"
    assert any("simulated engine bug" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)
    assert http.get("/__clerkmock/health").status_code == 200  # the server survived


def test_engine_bug_in_process_raises_unless_asked_not_to(
    mock_server: ClerkMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = _simple_get_route(mock_server)
    monkeypatch.setattr(route, "handler", lambda ctx: 1 / 0)
    url = "http://x/v1" + route.template
    with httpx.Client(transport=mock_server.transport()) as client, pytest.raises(ZeroDivisionError):
        client.get(url, headers=AUTH)
    with httpx.Client(transport=mock_server.transport(raise_app_exceptions=False)) as client:
        r = client.get(url, headers=AUTH)
    assert r.status_code == 500 and r.json()["errors"][0]["code"] == "internal_clerk_error"


def test_concurrent_callers_share_the_engine_safely(mock_server: ClerkMock, http: httpx.Client) -> None:
    errors: list[BaseException] = []

    def worker(client: httpx.Client) -> None:
        try:
            for _ in range(25):
                assert client.get("/v1/users").status_code == 401
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    clients = [httpx.Client(base_url=mock_server.url, timeout=5) for _ in range(2)]
    clients += [httpx.Client(base_url="http://x", transport=mock_server.transport()) for _ in range(2)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in clients:
        c.close()
    assert errors == []


def test_reset_restores_baseline_state_and_clock(mock_server: ClerkMock) -> None:
    engine = mock_server.engine
    state, clock, before = engine.state, engine.clock, engine.clock.now_ms()
    clock.advance(seconds=3600)
    mock_server.reset()
    assert engine.state is not state  # a fresh copy of the baseline
    assert engine.clock is clock  # restored in place: references stay valid
    assert engine.clock.now_ms() - before < 60_000


def test_secret_key_and_api_url(mock_server: ClerkMock) -> None:
    assert mock_server.secret_key == "sk_test_clerkmock"
    assert mock_server.api_url == mock_server.url + "/v1"
    assert mock_server.url.startswith("http://127.0.0.1:")
    strict = ClerkMock(secret_keys=["sk_test_b", "sk_test_a"])
    assert strict.secret_key == "sk_test_b"
    with httpx.Client(base_url="http://x", transport=strict.transport()) as client:
        r = client.get("/v1/users", headers={"Authorization": "Bearer sk_test_wrong"})
        assert r.json()["errors"][0]["code"] == "clerk_key_invalid"


def test_stop_frees_port_and_pooled_client_fails_fast(mock_server: ClerkMock) -> None:
    # Uses the session server (mitmproxy runs one master per process) and restarts it on the same port.
    port = mock_server.port
    client = httpx.Client(base_url=mock_server.url, timeout=5)
    try:
        assert client.get("/__clerkmock/health").status_code == 200  # leaves a pooled keep-alive connection
        t0 = time.monotonic()
        mock_server.stop()
        assert time.monotonic() - t0 < 1.0
        with socket.socket() as s:  # a new listener can bind at once (SO_REUSEADDR, as every server sets it)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()
        t0 = time.monotonic()
        with pytest.raises(httpx.ConnectError):
            client.get("/__clerkmock/health")
        assert time.monotonic() - t0 < 1.0  # not a hang until the read timeout
    finally:
        client.close()
        mock_server.start()
    assert mock_server.port == port
    with httpx.Client(base_url=mock_server.url, timeout=5) as again:
        assert again.get("/__clerkmock/health").status_code == 200


def test_two_asyncio_listeners_are_independent(tmp_path: Any) -> None:
    with ClerkMock(config_dir=tmp_path) as a, ClerkMock(config_dir=tmp_path) as b:
        auth = {"authorization": "Bearer sk_test_x"}
        created = httpx.post(f"{a.url}/v1/users", json={"username": "only_in_a"}, headers=auth)
        assert created.status_code == 200
        assert httpx.get(f"{b.url}/v1/users/count", headers=auth).json()["total_count"] == 0
        assert httpx.get(f"{a.url}/v1/users/count", headers=auth).json()["total_count"] == 1


def test_mitmproxy_listener_serves_the_same_pipeline(tmp_path: Any) -> None:
    """The interception path (EmulateAddon in a mitmproxy reverse master) answers like the lean listener."""
    with ClerkMock(config_dir=tmp_path, listener="mitmproxy") as mock:
        auth = {"authorization": "Bearer sk_test_x"}
        r = httpx.post(f"{mock.url}/v1/users", json={"username": "via_mitm"}, headers=auth)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert httpx.get(f"{mock.url}/v1/users", headers=auth).json()[0]["username"] == "via_mitm"
        # mitmproxy keeps its master in process globals: a second one at the same time is refused
        with pytest.raises(RuntimeError, match="already running"):
            ClerkMock(config_dir=tmp_path, listener="mitmproxy").start()


def test_unknown_listener_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="listener"):
        ClerkMock(listener="nginx")
