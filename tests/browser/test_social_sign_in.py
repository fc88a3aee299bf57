"""Social sign-in through clerkmock's fake OAuth provider (engine/fapi/social.py, oauth_provider.py), driven as a
person would: "Continue with Google" in Clerk's real <SignIn/> (on clerkmock's hosted sign-in page), the provider's
consent page, and clerk-js's own sso-callback round trip back to the app.  The accounts come from the scenario's
``external_accounts``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.sync_api import expect

from clerkmock import ClerkMock

SCENARIO = {
    "frontend": {"social": ["google", "github"]},
    "users": [{"email_address": "alice@example.com", "password": "correct-horse-battery",
               "external_accounts": [{"provider": "google", "provider_user_id": "1001", "first_name": "Alice"}]}],
}


def seed(mock: ClerkMock, scenario: dict[str, Any] = SCENARIO) -> None:
    resp = httpx.post(f"{mock.url}/__clerkmock/seed", json=scenario)
    assert resp.status_code == 200, resp.text


def bapi(mock: ClerkMock, path: str, **params: Any) -> Any:
    resp = httpx.get(f"{mock.url}/v1{path}", params=params, headers={"authorization": f"Bearer {mock.secret_key}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def open_sign_in(page: Any, mock: ClerkMock, page_server: Any) -> str:
    """The hosted sign-in, going back to a test page; returns that page's URL."""
    back = page_server.url("clerk.html", "load&back")
    page.goto(f"{mock.url}/__clerk/sign-in?{urlencode({'redirect_url': back})}")
    return back


def offline(offsite: list[str]) -> list[str]:
    """What the page tried to fetch off loopback, besides the provider logos @clerk/ui shows from Clerk's image
    CDN (aborted by the harness: the buttons keep their text)."""
    return [u for u in offsite if not u.startswith("https://img.clerk.com/")]


def social_button(page: Any, provider: str) -> Any:
    """<SignIn/>'s button for ``provider`` (labelled "Continue with X", or just "X" when several share a row)."""
    return page.get_by_role("button", name=re.compile(rf"\b{provider}\b"))


def landed_user(page: Any, page_server: Any) -> str | None:
    page.wait_for_url(f"{page_server.origin}/clerk.html?**")
    page.wait_for_function("() => window.Clerk?.loaded === true")
    return page.evaluate("() => window.Clerk.user?.id ?? null")


def test_continue_with_google_signs_in_a_known_account(page: Any, page_server: Any, mock_server: ClerkMock,
                                                       offsite: list[str]) -> None:
    seed(mock_server)
    alice = bapi(mock_server, "/users", email_address="alice@example.com")[0]
    open_sign_in(page, mock_server, page_server)
    social_button(page, "Google").click()
    page.wait_for_url(f"{mock_server.url}/__clerk/oauth/google/authorize?**")
    expect(page.get_by_role("heading", name="Sign in with Google")).to_be_visible()
    page.get_by_role("button", name="alice@example.com").click()
    assert landed_user(page, page_server) == alice["id"]
    tokens = bapi(mock_server, f"/users/{alice['id']}/oauth_access_tokens/oauth_google")
    assert [t["provider_user_id"] for t in tokens] == ["1001"] and tokens[0]["token"].startswith("oat_")
    assert offline(offsite) == []


def test_a_new_account_signs_up(page: Any, page_server: Any, mock_server: ClerkMock, offsite: list[str]) -> None:
    seed(mock_server)
    open_sign_in(page, mock_server, page_server)
    social_button(page, "GitHub").click()
    page.wait_for_url(f"{mock_server.url}/__clerk/oauth/github/authorize?**")
    page.get_by_label("Email address").fill("nina@example.com")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Provider user id").fill("gh-4242")
    page.get_by_role("button", name="Continue with this account").click()
    user_id = landed_user(page, page_server)  # signIn transferable -> signUp.create({transfer: true}) -> session
    assert user_id is not None
    user = bapi(mock_server, f"/users/{user_id}")
    assert [e["email_address"] for e in user["email_addresses"]] == ["nina@example.com"]
    assert user["email_addresses"][0]["verification"]["strategy"] == "from_oauth_github"
    assert [(a["provider"], a["provider_user_id"]) for a in user["external_accounts"]] == [("oauth_github", "gh-4242")]
    assert offline(offsite) == []


def test_denying_consent_shows_clerks_error(page: Any, page_server: Any, mock_server: ClerkMock,
                                            offsite: list[str]) -> None:
    seed(mock_server)
    open_sign_in(page, mock_server, page_server)
    social_button(page, "Google").click()
    page.get_by_role("button", name="Deny").click()
    # back on the sign-in page, <SignIn/> shows the first-factor verification's oauth_access_denied error in its
    # own words (@clerk/ui's en-US text for that code)
    page.wait_for_url(f"{mock_server.url}/__clerk/sign-in**")
    expect(page.get_by_text("You did not grant access to your account.")).to_be_visible()
    assert page.evaluate("() => window.Clerk.user") is None
    assert offline(offsite) == []


def test_social_sign_in_on_the_account_portal_through_the_forward_proxy(
        page: Any, page_server: Any, proxied: ClerkMock, allowed_hosts: set[str], offsite: list[str]) -> None:
    """The unmodified way: the hosted sign-in on https://<slug>.accounts.dev, the consent page and the callback on
    the key's Frontend API host, all answered by the forward proxy."""
    from clerkmock.engine.origins import account_portal_host

    seed(proxied)
    alice = bapi(proxied, "/users", email_address="alice@example.com")[0]
    portal_host = account_portal_host(proxied.engine.state)
    fapi_host = proxied.engine.state.instance.frontend_host
    allowed_hosts.add(portal_host)
    back = page_server.add("landed.html", "<!doctype html><title>landed</title><p>back in the app</p>")
    page.goto(f"https://{portal_host}/sign-in?" + urlencode({"redirect_url": back}))
    social_button(page, "Google").click()
    page.wait_for_url(f"https://{fapi_host}/oauth/google/authorize?**")
    page.get_by_role("button", name="alice@example.com").click()
    page.wait_for_url(f"{back}?**")
    token = parse_qs(urlsplit(page.url).query)["__clerk_db_jwt"][0]
    client = httpx.get(f"{proxied.url}/__clerk/v1/client", params={"__clerk_db_jwt": token}).json()["response"]
    assert [s["user"]["id"] for s in client["sessions"]] == [alice["id"]]
    assert offline(offsite) == []
