"""Clerk's prebuilt `<SignIn/>` and `<SignUp/>` (clerk-js `mountSignIn` / `mountSignUp` with @clerk/ui, both from
clerkmock's bundle cache) used as a person would: labels, typing, buttons.  The Frontend API behind them is
clerkmock's, on the same state as its Backend API; the sign-up code is read where a tester would find it,
``GET /__clerkmock/messages``.  A failing test keeps a screenshot in tests/browser/artifacts/."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from clerkmock import ClerkMock

PASSWORD = "correct-horse-battery"
# After a completed sign-in or sign-up the component navigates; back to the test page, which loads Clerk again.
MOUNT = """([component, target]) => window.Clerk['mount' + component](document.getElementById('clerk'),
                                                                     { forceRedirectUrl: target })"""


def bapi(mock: ClerkMock, method: str, path: str, **kwargs: Any) -> Any:
    resp = httpx.request(method, f"{mock.url}/v1{path}", headers={"authorization": f"Bearer {mock.secret_key}"},
                         **kwargs)
    assert resp.status_code == 200, resp.text
    return resp.json()


def open_component(page: Any, page_server: Any, component: str) -> str:
    """The test page with Clerk loaded and ``component`` mounted; returns the URL it comes back to when done."""
    landing = page_server.url("clerk.html", "load&landed")
    page.goto(page_server.url("clerk.html", "load"))
    page.wait_for_function("() => window.Clerk?.loaded === true || window.clerkLoadError !== undefined")
    assert page.evaluate("() => window.clerkLoadError ?? null") is None
    page.evaluate(MOUNT, [component, landing])
    return landing


def signed_in_user(page: Any) -> str | None:
    """After the component's navigation: wait for the landing page's Clerk, then its user id.  Polled in the page
    rather than `wait_for_url`: when clerk-js navigates again before the first navigation has loaded (a task
    finished, then setActive's redirect), the first one is aborted and `wait_for_url` fails on it."""
    page.wait_for_function("() => window.Clerk?.loaded === true && location.pathname.endsWith('/clerk.html')"
                           " && new URLSearchParams(location.search).has('landed')")
    return page.evaluate("() => window.Clerk.user?.id ?? null")


def sign_in_with_password(page: Any, email: str, password: str = PASSWORD) -> None:
    """Clerk's two-step `<SignIn/>` form as a person fills it: the email address, Continue, the password,
    Continue."""
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue", exact=True).click()


def test_sign_in_with_a_password(page: Any, page_server: Any, mock_server: ClerkMock, offsite: list[str]) -> None:
    alice = bapi(mock_server, "POST", "/users", json={"email_address": ["alice@example.com"], "password": PASSWORD})
    open_component(page, page_server, "SignIn")
    sign_in_with_password(page, "alice@example.com")
    assert signed_in_user(page) == alice["id"]
    sessions = bapi(mock_server, "GET", "/sessions", params={"user_id": alice["id"], "status": "active"})
    assert len(sessions) == 1  # the Backend API sees the browser's session
    assert offsite == []


def test_a_wrong_password_shows_clerks_error(page: Any, page_server: Any, mock_server: ClerkMock,
                                            offsite: list[str]) -> None:
    bapi(mock_server, "POST", "/users", json={"email_address": ["alice@example.com"], "password": PASSWORD})
    open_component(page, page_server, "SignIn")
    sign_in_with_password(page, "alice@example.com", "not-the-password")
    # @clerk/ui's en-US text for form_password_incorrect, shown under the field (and read out to screen readers)
    expect(page.locator("#error-password")).to_have_text("Password is incorrect. Try again, or use another method.")
    assert page.evaluate("() => window.Clerk.user") is None
    assert page.url.endswith("#/factor-one")  # no navigation: still on the password step
    assert offsite == []


def test_an_unknown_email_shows_clerks_error(page: Any, page_server: Any, offsite: list[str]) -> None:
    open_component(page, page_server, "SignIn")
    page.get_by_label("Email address").fill("nobody@example.com")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#error-identifier")).to_have_text("Couldn't find your account.")  # form_identifier_not_found
    assert offsite == []


def test_sign_up_with_an_emailed_code(page: Any, page_server: Any, mock_server: ClerkMock,
                                      offsite: list[str]) -> None:
    open_component(page, page_server, "SignUp")
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_text("Verify your email").wait_for()
    # the code clerkmock "emailed": random per attempt, read as a tester would
    messages = httpx.get(f"{mock_server.url}/__clerkmock/messages", params={"to": "dana@example.com"}).json()
    code = messages["data"][0]["code"]
    assert code and code != "424242"
    page.get_by_label("Enter verification code").press_sequentially(code)  # typed digit by digit
    user_id = signed_in_user(page)
    assert user_id is not None
    # the user exists in the Backend API at once, with the verified address
    user = bapi(mock_server, "GET", f"/users/{user_id}")
    assert [(e["email_address"], e["verification"]["status"]) for e in user["email_addresses"]] == \
        [("dana@example.com", "verified")]
    assert offsite == []
