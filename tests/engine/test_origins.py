"""The origin-allow rule (engine/origins.py) the Frontend API's CORS answers use: loopback origins by default, the
instance's allowed_origins / development_origin, and the origins of its redirect URLs -- never any other site."""

from __future__ import annotations

import pytest

from clerkmock.engine import Engine
from clerkmock.engine.origins import is_allowed_origin, is_loopback_host, origin_of

KEY = {"Authorization": "Bearer sk_test_origins"}


@pytest.fixture
def engine() -> Engine:
    return Engine()


def _call(engine: Engine, method: str, path: str, body: object) -> None:
    from clerkmock.engine import Request

    r = engine.handle(Request.make(method, path, headers=KEY, json=body))
    assert r.status in (200, 204), r.body


@pytest.mark.parametrize("origin", [
    "http://localhost:3000", "http://localhost", "https://localhost:8443", "http://127.0.0.1:5173",
    "http://127.1.2.3", "http://[::1]:3000", "http://app.localhost:3000",
])
def test_loopback_origins_are_allowed_by_default(engine: Engine, origin: str) -> None:
    assert is_allowed_origin(origin, engine.state)


@pytest.mark.parametrize("origin", [
    "https://evil.example", "http://evil.example:3000", "null", "", None, "file://", "http://localhost:3000/page",
    "myapp://callback", "http://localhost.evil.example", "http://127.0.0.1.nip.io", "http://[::1",
])
def test_other_origins_are_refused(engine: Engine, origin: str | None) -> None:
    assert not is_allowed_origin(origin, engine.state)


def test_allowed_origins_setting_and_redirect_urls_add_origins(engine: Engine) -> None:
    assert not is_allowed_origin("https://app.example.com", engine.state)
    _call(engine, "PATCH", "/v1/instance", {"allowed_origins": ["https://app.example.com"]})
    assert is_allowed_origin("https://app.example.com", engine.state)
    assert is_allowed_origin("HTTPS://APP.EXAMPLE.COM", engine.state)
    assert not is_allowed_origin("https://app.example.com:8443", engine.state)  # another origin
    assert not is_allowed_origin("http://app.example.com", engine.state)

    _call(engine, "POST", "/v1/redirect_urls", {"url": "https://shop.example.org:8443/sso-callback?x=1"})
    assert is_allowed_origin("https://shop.example.org:8443", engine.state)
    assert not is_allowed_origin("https://shop.example.org", engine.state)

    _call(engine, "PATCH", "/v1/instance", {"development_origin": "https://dev.example.net"})
    assert is_allowed_origin("https://dev.example.net", engine.state)


def test_origin_of_normalises() -> None:
    assert origin_of("HTTPS://Example.COM:443/a?b") == "https://example.com"
    assert origin_of("http://example.com:8080/") == "http://example.com:8080"
    assert origin_of("http://[::1]:3000/x") == "http://[::1]:3000"
    assert origin_of("myapp://callback") is None
    assert origin_of("http://example.com:99999") is None


def test_loopback_hosts() -> None:
    assert all(map(is_loopback_host, ["localhost", "LOCALHOST.", "a.localhost", "127.0.0.1", "127.9.9.9",
                                      "::1", "[::1]", "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback_host, ["example.com", "10.0.0.1", "0.0.0.0", "::", "localhost.example"]))
