"""The Account Portal pages (engine/fapi/portal.py) at the engine: which host they and the environment's
display_config URLs use, the redirect_url rule, route names for fault rules, and bad input.  The browser side
(typing into the real <SignIn/>) is tests/browser/test_account_portal.py."""

from __future__ import annotations

import json

import pytest

from clerkmock.engine import Engine
from clerkmock.engine.types import Request


def get(engine: Engine, url: str, host: str = "127.0.0.1:4818", **headers: str) -> tuple[int, str, dict[str, str]]:
    resp = engine.handle(Request.make("GET", url, headers={"host": host, **headers}))
    return resp.status, resp.body.decode(), resp.headers


def page_config(body: str) -> dict:
    start = body.index("var config = ") + len("var config = ")
    return json.loads(body[start:body.index(";\n", start)])


def test_display_config_points_at_the_pages_on_the_requests_host(engine: Engine) -> None:
    _, body, _ = get(engine, "/__clerk/v1/environment")
    shown = json.loads(body)["display_config"]
    assert shown["sign_in_url"] == "http://127.0.0.1:4818/__clerk/sign-in"
    assert shown["sign_up_url"] == "http://127.0.0.1:4818/__clerk/sign-up"
    assert shown["user_profile_url"] == "http://127.0.0.1:4818/__clerk/user"
    # a same-origin /__clerk forwarded by the app's dev server keeps the app's Host: the app's origin
    _, body, _ = get(engine, "/__clerk/v1/environment", host="localhost:5173")
    assert json.loads(body)["display_config"]["sign_in_url"] == "http://localhost:5173/__clerk/sign-in"
    # through the proxy, on the key's host: Clerk's Account Portal host, as the real one
    _, body, _ = get(engine, "/__clerk/v1/environment", host="clerkmock.clerk.accounts.dev", **{
        "x-forwarded-proto": "https"})
    assert json.loads(body)["display_config"]["sign_in_url"] == "https://clerkmock.accounts.dev/sign-in"


@pytest.mark.parametrize(("page", "mount"), [("sign-in", "mountSignIn"), ("sign-up", "mountSignUp"),
                                             ("user", "mountUserProfile")])
def test_each_page_mounts_clerks_component_with_the_instance_key(engine: Engine, page: str, mount: str) -> None:
    status, body, headers = get(engine, f"/__clerk/{page}?redirect_url=http://localhost:3000/dashboard")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    config = page_config(body)
    assert config["mount"] == mount
    assert config["load"]["allowedRedirectOrigins"] == ["http://127.0.0.1:4818", "http://localhost:3000"]
    assert 'data-clerk-publishable-key="pk_test_Y2xlcmttb2NrLmNsZXJrLmFjY291bnRzLmRldiQ="' in body
    assert 'data-clerk-proxy-url="http://127.0.0.1:4818/__clerk"' in body
    assert 'src="http://127.0.0.1:4818/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js"' in body
    if mount == "mountSignIn":
        assert config["props"]["forceRedirectUrl"] == "http://localhost:3000/dashboard"
        assert config["props"]["signUpUrl"] == ("http://127.0.0.1:4818/__clerk/sign-up?redirect_url="
                                                "http%3A%2F%2Flocalhost%3A3000%2Fdashboard")


def test_on_the_account_portal_host_the_page_uses_the_real_hosts(engine: Engine) -> None:
    status, body, _ = get(engine, "/__clerk/sign-in", host="clerkmock.accounts.dev", **{"x-forwarded-proto": "https"})
    assert status == 200
    assert "data-clerk-proxy-url" not in body  # clerk-js finds the Frontend API from the key, through the proxy
    assert 'src="https://clerkmock.clerk.accounts.dev/npm/@clerk/ui@1/dist/ui.browser.js"' in body
    assert page_config(body)["props"]["signUpUrl"] == "https://clerkmock.accounts.dev/sign-up"


@pytest.mark.parametrize("target", ["https://evil.example/x", "javascript:alert(1)", "//evil.example/",
                                    "http://[::1"])
def test_redirects_off_the_instances_origins_are_refused(engine: Engine, target: str) -> None:
    from urllib.parse import quote

    status, body, _ = get(engine, f"/__clerk/sign-in?redirect_url={quote(target)}")
    assert status == 400
    assert "This redirect URL is not allowed" in body and "Clerk.load" not in body
    assert "<script" not in body  # the refused URL is shown escaped, never run


def test_an_escaped_redirect_cannot_break_out_of_the_script(engine: Engine) -> None:
    status, body, _ = get(engine, "/__clerk/sign-in?redirect_url=http://localhost:3000/%3C/script%3E%3Cscript%3Ex")
    assert status == 200
    assert "</script><script>x" not in body
    assert page_config(body)["props"]["forceRedirectUrl"] == "http://localhost:3000/</script><script>x"


def test_route_names_and_methods(engine: Engine) -> None:
    assert engine.route_names("GET", "/__clerk/sign-in") == ("portal.sign_in",)
    assert engine.route_names("GET", "/__clerk/user") == ("portal.user",)
    resp = engine.handle(Request.make("POST", "/__clerk/sign-up", headers={"host": "127.0.0.1"}))
    assert resp.status == 405 and resp.headers["allow"] == "GET, HEAD"


def test_the_account_portal_origin_may_call_the_frontend_api(engine: Engine) -> None:
    """Its pages on https://<slug>.accounts.dev call https://<slug>.clerk.accounts.dev: CORS trusts that origin
    (and no other https site)."""
    from clerkmock.engine.fapi.cors import cors_headers

    assert cors_headers(engine.state, "https://clerkmock.accounts.dev")["access-control-allow-origin"] == \
        "https://clerkmock.accounts.dev"
    assert "access-control-allow-origin" not in cors_headers(engine.state, "https://evil.accounts.dev")
