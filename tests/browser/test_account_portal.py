"""clerkmock's Account Portal (``/__clerk/sign-in``, ``/sign-up``, ``/user``: engine/fapi/portal.py) driven as an
app's signed-out redirect drives it (reference/clerk-fapi.md §9): the app made a dev browser D, sends the browser to
the hosted sign-in with ``redirect_url`` and ``__clerk_db_jwt=D``; the person types into Clerk's real <SignIn/>;
clerk-js itself goes back to ``redirect_url?__clerk_db_jwt=D`` and D's client holds the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.sync_api import expect

from clerkmock import ClerkMock
from tests.browser.test_ui_components import PASSWORD, sign_in_with_password


def dev_browser(mock: ClerkMock) -> str:
    """What the app's handshake does first: a dev browser on the Frontend API."""
    resp = httpx.post(f"{mock.url}/__clerk/v1/dev_browser")
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def client_of(mock: ClerkMock, token: str) -> dict[str, Any]:
    resp = httpx.get(f"{mock.url}/__clerk/v1/client", params={"__clerk_db_jwt": token})
    assert resp.status_code == 200, resp.text
    return resp.json()["response"]


def portal(mock: ClerkMock, page: str, redirect_url: str, token: str | None = None) -> str:
    query = {"redirect_url": redirect_url, **({"__clerk_db_jwt": token} if token else {})}
    return f"{mock.url}/__clerk/{page}?{urlencode(query)}"


def navigations(page: Any) -> list[str]:
    """Every top-level URL the page goes to (clerk-js strips ``__clerk_db_jwt`` from the address bar at load)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.is_navigation_request() and r.frame == page.main_frame
            else None)
    return seen


def test_hosted_sign_in_returns_to_the_app_signed_in(page: Any, page_server: Any, mock_server: ClerkMock,
                                                     offsite: list[str]) -> None:
    alice = httpx.post(f"{mock_server.url}/v1/users", headers={"authorization": f"Bearer {mock_server.secret_key}"},
                       json={"email_address": ["alice@example.com"], "password": PASSWORD}).json()
    token = dev_browser(mock_server)
    back = page_server.url("clerk.html", "load&back")
    seen = navigations(page)
    page.goto(portal(mock_server, "sign-in", back, token))
    sign_in_with_password(page, "alice@example.com")
    page.wait_for_url(f"{page_server.origin}/clerk.html?**")
    page.wait_for_function("() => window.Clerk?.loaded === true")
    assert page.evaluate("() => window.Clerk.user?.id ?? null") == alice["id"]
    # clerk-js went back to redirect_url with the dev browser it signed in on, and no page of ours redirected
    returned = [u for u in seen if u.startswith(page_server.origin)]
    assert len(returned) == 1, seen
    assert parse_qs(urlsplit(returned[0]).query)["__clerk_db_jwt"] == [token]
    assert [s["user"]["id"] for s in client_of(mock_server, token)["sessions"]] == [alice["id"]]
    assert offsite == []


def test_the_sign_up_link_opens_the_hosted_sign_up(page: Any, page_server: Any, mock_server: ClerkMock,
                                                   offsite: list[str]) -> None:
    back = page_server.url("clerk.html", "load")
    page.goto(portal(mock_server, "sign-in", back, dev_browser(mock_server)))
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_url(f"{mock_server.url}/__clerk/sign-up?**")
    assert parse_qs(urlsplit(page.url).query)["redirect_url"] == [back]  # still going back to the app
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # and back again
    assert offsite == []


def test_a_disallowed_redirect_origin_is_refused(page: Any, mock_server: ClerkMock) -> None:
    response = page.goto(portal(mock_server, "sign-in", "https://evil.example/steal"))
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("not allowed")
    expect(page.get_by_role("alert")).to_contain_text("https://evil.example/steal")
    assert page.evaluate("() => window.Clerk === undefined")  # nothing of Clerk's loaded: it cannot go there


def test_an_origin_the_instance_allows_is_accepted(mock_server: ClerkMock) -> None:
    bapi = {"authorization": f"Bearer {mock_server.secret_key}"}
    target = "https://app.example.com/dashboard"
    assert httpx.get(portal(mock_server, "sign-in", target)).status_code == 400
    resp = httpx.post(f"{mock_server.url}/v1/redirect_urls", headers=bapi, json={"url": "https://app.example.com/"})
    assert resp.status_code == 200, resp.text
    page = httpx.get(portal(mock_server, "sign-up", target))
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '"allowedRedirectOrigins": ["http://127.0.0.1:' in page.text and '"https://app.example.com"]' in page.text


def test_user_page_signed_out_shows_the_sign_in(page: Any, mock_server: ClerkMock, offsite: list[str]) -> None:
    page.goto(f"{mock_server.url}/__clerk/user")
    page.wait_for_function("() => window.clerkPortalReady === true || window.clerkPortalError !== undefined")
    expect(page.get_by_label("Email address")).to_be_visible()
    assert offsite == []


def test_the_account_portal_host_through_the_forward_proxy(page: Any, page_server: Any, proxied: ClerkMock,
                                                           allowed_hosts: set[str], offsite: list[str]) -> None:
    """What an unmodified app's signed-out redirect does: ``https://<slug>.accounts.dev/sign-in`` (answered by the
    forward proxy), where clerk-js finds the Frontend API from the key alone (no proxy URL), signs in on the
    app's dev browser and goes back to the app with it."""
    from clerkmock.engine.origins import account_portal_host

    alice = httpx.post(f"{proxied.url}/v1/users", headers={"authorization": f"Bearer {proxied.secret_key}"},
                       json={"email_address": ["alice@example.com"], "password": PASSWORD}).json()
    portal_host = account_portal_host(proxied.engine.state)
    allowed_hosts.add(portal_host)
    token = dev_browser(proxied)
    back = page_server.add("landed.html", "<!doctype html><title>landed</title><p>back in the app</p>")
    seen = navigations(page)
    page.goto(f"https://{portal_host}/sign-in?" + urlencode({"redirect_url": back, "__clerk_db_jwt": token}))
    sign_in_with_password(page, "alice@example.com")
    page.wait_for_url(f"{back}?**")
    assert parse_qs(urlsplit(page.url).query)["__clerk_db_jwt"] == [token]
    assert [s["user"]["id"] for s in client_of(proxied, token)["sessions"]] == [alice["id"]]
    assert len([u for u in seen if u.startswith(back)]) == 1
    paths = {e.path for e in proxied.pipeline.journal.entries()}  # the page and FAPI, both through the proxy
    assert {"/__clerk/sign-in", "/__clerk/v1/client/sign_ins"} <= paths, paths
    assert offsite == []
