"""Several Set-Cookie header lines (the SSR handshake's cookie directives, the ``__client`` cookie): every
adapter sends `Response.set_cookies` one line each, never joined with commas (an ``Expires`` has one)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from mitmproxy.test import tflow

from clerkmock.engine import Request, Response
from clerkmock.proxy.addon import EmulateAddon
from clerkmock.server.directive import Directive
from clerkmock.server.http import render
from clerkmock.transport import to_httpx

COOKIES = ["a=1; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT", "b=2; Path=/; HttpOnly"]


def response() -> Response:
    return Response(302, b"", {"location": "/next", "content-type": "text/plain"}, set_cookies=list(COOKIES))


def test_the_asyncio_listener_writes_one_line_per_cookie() -> None:
    head = render(response(), keep_alive=True).split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    assert [line.removeprefix("set-cookie: ") for line in head if line.startswith("set-cookie:")] == COOKIES
    assert "location: /next" in head


def test_the_httpx_transport_keeps_them_apart() -> None:
    resp = to_httpx(response(), httpx.Request("GET", "http://x/"))
    assert resp.headers.get_list("set-cookie") == COOKIES
    assert resp.headers["location"] == "/next"


class _Pipeline:
    def fapi_hosts(self) -> tuple[str, ...]:
        return ()

    def handle(self, request: Request, **_: Any) -> Directive:
        return Directive(response())


def test_the_mitmproxy_addon_keeps_them_apart() -> None:
    flow = tflow.tflow()
    asyncio.run(EmulateAddon(_Pipeline()).request(flow))  # type: ignore[arg-type]
    assert flow.response is not None
    assert flow.response.headers.get_all("set-cookie") == COOKIES
    assert flow.response.headers["location"] == "/next"


def test_a_fapi_cookie_travels_in_set_cookies_over_http(mock_server: Any) -> None:
    """Cookie mode's ``__client`` through the real listener (not a header of `Response.headers`)."""
    httpx.post(f"{mock_server.url}/v1/users", headers={"authorization": f"Bearer {mock_server.secret_key}"},
               json={"email_address": ["sc@example.com"], "password": "correct-horse-battery"}).raise_for_status()
    r = httpx.post(f"{mock_server.url}/__clerk/v1/client/sign_ins", data={
        "identifier": "sc@example.com", "password": "correct-horse-battery", "strategy": "password"})
    assert r.status_code == 200
    [cookie] = r.headers.get_list("set-cookie")
    assert cookie.startswith("__client=") and "HttpOnly" in cookie
