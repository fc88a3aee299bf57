"""docs/examples/express (an Express app on @clerk/express, no clerkmock code in it) started and driven in Debian's
Chromium against the session's clerkmock, configured only by `clerkmock env`.

clerkMiddleware() authenticates every request from Clerk's cookies (running the handshake when they are missing or
stale), requireAuth() sends signed-out visitors of /protected to CLERK_SIGN_IN_URL (unset: the app's own page, /,
where clerk-js mounts <SignIn/>), getAuth() is what /api/me returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from clerkmock import ClerkMock

from . import examples
from .examples import PASSWORD, App, bapi, handshakes, make_user, server_auth, skip_or_fail


@pytest.fixture(scope="module")
def express_env(mock_server: ClerkMock) -> dict[str, str]:
    return examples.app_env(mock_server, mock_server.url)  # nothing is inlined: the session's own URL


@pytest.fixture(scope="module")
def express_app(express_env: dict[str, str]) -> Iterator[App]:
    problem = examples.node_problem()
    if problem:
        skip_or_fail(f"example apps: {problem}")
    try:
        examples.install("express")
    except RuntimeError as exc:  # npm ci could not fetch the packages
        skip_or_fail(f"example apps: {exc}")
        raise
    app = examples.start_express(express_env)
    try:
        yield app
    finally:
        app.stop()


def signed_in_at_protected(page: Any, app: App, mock: ClerkMock, email: str = "alice@example.com") -> dict[str, Any]:
    user = make_user(mock, email)
    page.goto(f"{app.url}/protected")
    page.wait_for_url(f"{app.url}/")  # requireAuth(): to the sign-in page, after the dev-browser handshake
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(f"{app.url}/protected")  # <SignIn forceRedirectUrl="/protected">
    page.locator("#email").wait_for()
    return user


def test_sign_in_then_the_server_renders_the_protected_page(page: Any, express_app: App, mock_server: ClerkMock,
                                                            offsite: list[str]) -> None:
    user = signed_in_at_protected(page, express_app, mock_server)
    assert page.locator("#email").inner_text() == "alice@example.com"
    assert page.locator("#user-id").inner_text() == user["id"]
    seen = server_auth(page, express_app)
    assert seen["userId"] == user["id"] and seen["azp"] == express_app.url
    assert handshakes(mock_server)[0] == "dev-browser-missing"
    assert examples.offsite_besides_avatars(offsite) == []


def test_a_deleted_session_cookie_is_restored_by_the_handshake(page: Any, context: Any, express_app: App,
                                                              mock_server: ClerkMock) -> None:
    user = signed_in_at_protected(page, express_app, mock_server)
    page.goto("about:blank")  # no clerk-js left running to write a fresh __session first
    kept = [c for c in context.cookies() if not c["name"].startswith("__session")]
    context.clear_cookies()
    context.add_cookies(kept)
    before = len(handshakes(mock_server))
    page.goto(f"{express_app.url}/protected")
    assert page.locator("#email").inner_text() == "alice@example.com"
    assert handshakes(mock_server)[before:] == ["client-uat-but-no-session-token"]
    assert server_auth(page, express_app)["userId"] == user["id"]


def test_the_active_organization_reaches_get_auth(page: Any, express_app: App, mock_server: ClerkMock) -> None:
    user = signed_in_at_protected(page, express_app, mock_server)
    acme = bapi(mock_server, "POST", "/organizations", {"name": "Acme", "created_by": user["id"]})
    page.evaluate("async (org) => { await Clerk.setActive({ organization: org }); }", acme["id"])
    seen = server_auth(page, express_app)
    assert (seen["orgId"], seen["orgRole"]) == (acme["id"], "org:admin")
    page.reload()
    assert page.locator("#org").inner_text() == acme["id"]


def test_sign_out_protects_the_page_again(page: Any, express_app: App, mock_server: ClerkMock) -> None:
    signed_in_at_protected(page, express_app, mock_server)
    page.locator(".cl-userButtonTrigger").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{express_app.url}/")  # afterSignOutUrl
    expect(page.locator("#who")).to_have_text("Signed out")  # rendered by the server
    assert server_auth(page, express_app)["userId"] is None
    page.goto(f"{express_app.url}/protected")
    page.wait_for_url(f"{express_app.url}/")


def test_clerk_testing_signs_in_to_the_app(express_app: App, express_env: dict[str, str], mock_server: ClerkMock,
                                           tmp_path: Any) -> None:
    problem = examples.clerk_testing_problem()
    if problem:
        skip_or_fail(problem)
    user = make_user(mock_server, "carol@example.com")
    stats, output = examples.run_clerk_testing(
        express_env, express_app, "/protected", f"{express_app.url}/",
        {"id": user["id"], "email": "carol@example.com", "password": PASSWORD}, tmp_path / "report.json")
    assert (stats.get("expected"), stats.get("unexpected")) == (1, 0), output


def test_continue_with_google_through_the_fake_provider(page: Any, express_app: App, mock_server: ClerkMock,
                                                        offsite: list[str]) -> None:
    resp = httpx.post(f"{mock_server.url}/__clerkmock/seed", json={
        "frontend": {"social": ["google"]},
        "users": [{"email_address": "alice@example.com",
                   "external_accounts": [{"provider": "google", "provider_user_id": "1001"}]}]})
    assert resp.status_code == 200, resp.text
    page.goto(f"{express_app.url}/protected")
    page.wait_for_url(f"{express_app.url}/")
    page.get_by_role("button", name=re.compile(r"\bGoogle\b")).click()
    page.wait_for_url(lambda url: "/__clerk/oauth/google/authorize?" in url)  # clerkmock's consent page
    page.get_by_role("button", name="alice@example.com").click()
    # The provider's callback completes the sign-in (FAPI makes its session the client's last active one, as any
    # completed sign-in does) and sends the browser back to the app's page at #/sso-callback.  This app's `/`
    # mounts <UserButton/> once Clerk.user is set (it has no <AuthenticateWithRedirectCallback/>), so the browser
    # stays there, signed in; the protected page then renders from the session cookie.
    page.wait_for_url(lambda url: url.startswith(f"{express_app.url}/#/sso-callback"))
    page.locator(".cl-userButtonTrigger").wait_for()
    page.goto(f"{express_app.url}/protected")
    assert page.url == f"{express_app.url}/protected"
    assert page.locator("#email").inner_text() == "alice@example.com"
    assert server_auth(page, express_app)["userId"] == page.locator("#user-id").inner_text()
    assert examples.offsite_besides_avatars(offsite) == []
