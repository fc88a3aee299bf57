"""The one request builder (server/inbound.py) and the directive the adapters carry out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.engine import Request
from clerkmock.proxy.addon import flow_to_request
from clerkmock.server.directive import SILENT_ACTIONS, Action, Directive, truncated_length
from clerkmock.server.inbound import build_request


def test_origin_and_absolute_form_targets() -> None:
    r = build_request("get", "/v1/users/user%2F1?limit=2&x=", [("Host", "API.clerk.com:443"), ("X-A", "1"),
                                                              ("x-a", "2")], b"")
    assert (r.method, r.path, r.query, r.host) == ("GET", "/v1/users/user%2F1", {"limit": ["2"], "x": [""]},
                                                   "api.clerk.com")
    assert r.headers == {"host": "API.clerk.com:443", "x-a": "1, 2"}
    r = build_request("POST", "http://clerk.example.com:8080/v1/users", [], b"{}")
    assert (r.path, r.host, r.body) == ("/v1/users", "clerk.example.com", b"{}")
    assert build_request("GET", "http://[::1]:1", [], b"").host == "::1"
    assert build_request("GET", "/", [("host", "x")], b"", host="Proxy.Test").host == "proxy.test"


def _captured(mock: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    seen: list[Request] = []
    original = mock.pipeline.handle

    def handle(request: Request, **kw: Any) -> Directive:
        seen.append(request)
        return original(request, **kw)

    monkeypatch.setattr(mock.pipeline, "handle", handle)
    return seen


def test_the_adapters_build_the_same_request(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mitmproxy.test import tutils

    mock = ClerkMock(config_dir=tmp_path)
    seen = _captured(mock, monkeypatch)
    headers = {"Authorization": "Bearer sk_test_x", "X-Trace": "abc"}
    with httpx.Client(transport=mock.transport()) as client:
        client.get("http://api.clerk.test/v1/users?limit=1&q=a%20b", headers=headers)
    with mock:
        httpx.get(f"{mock.url}/v1/users?limit=1&q=a%20b", headers={**headers, "Host": "api.clerk.test"})
    flow_request = tutils.treq(method=b"GET", host="api.clerk.test", port=443, path=b"/v1/users?limit=1&q=a%20b",
                               headers=((b"Host", b"api.clerk.test"), (b"Authorization", b"Bearer sk_test_x"),
                                        (b"X-Trace", b"abc")), content=b"")
    seen.append(flow_to_request(flow_request))
    assert len(seen) == 3
    for request in seen:
        assert (request.method, request.path, request.query, request.host, request.body) == (
            "GET", "/v1/users", {"limit": ["1"], "q": ["a b"]}, "api.clerk.test", b"")
        assert request.headers["authorization"] == "Bearer sk_test_x" and request.headers["x-trace"] == "abc"


def test_flow_to_request_finds_the_host_where_pretty_host_does() -> None:
    """The proxy adapter reads mitmproxy's header fields and host directly (its `pretty_host` and `headers.items()`
    cost more than the rest of the conversion, docs/performance.md): the same host, headers and body."""
    import gzip

    from mitmproxy.test import tutils

    from clerkmock.proxy.hosts import normalise_host

    def treq(**kw: Any) -> Any:
        return tutils.treq(method=b"POST", host="10.0.0.1", port=443, path=b"/v1/users", content=b"", **kw)

    h1 = treq(headers=((b"Host", b"API.Clerk.com:443"), (b"X-A", b"1"), (b"x-a", b"2"),
                       (b"Content-Encoding", b"gzip")))
    h1.raw_content = gzip.compress(b'{"a":1}')
    no_host = treq(headers=())
    h2 = treq(headers=((b"Host", b"ignored.example"),))
    h2.http_version, h2.authority = "HTTP/2.0", "clerk.example.com"
    for req in (h1, no_host, h2):
        assert flow_to_request(req).host == normalise_host(req.pretty_host)
    assert [flow_to_request(r).host for r in (h1, no_host, h2)] == ["api.clerk.com", "10.0.0.1", "clerk.example.com"]
    r = flow_to_request(h1)
    assert r.headers["x-a"] == "1, 2" and r.body == b'{"a":1}'
    assert flow_to_request(no_host).body == b""


def test_directive_defaults_and_truncation() -> None:
    from clerkmock.engine import Response

    d = Directive(Response(200, b"x"))
    assert d.plain and d.action is Action.ANSWER and d.action not in SILENT_ACTIONS
    assert not d._replace(delay_ms=5).plain and Directive(Response(0), Action.HANG).action in SILENT_ACTIONS
    assert [truncated_length(b"x" * n) for n in (0, 1, 2, 10)] == [0, 0, 1, 5]
