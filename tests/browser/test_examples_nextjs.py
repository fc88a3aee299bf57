"""docs/examples/nextjs (a Next.js App Router app on @clerk/nextjs, no clerkmock code in it) built, started and driven
in Debian's Chromium against the session's clerkmock, configured only by `clerkmock env --next`.

The server renders /dashboard from the session cookie after Clerk's handshake; signed-out visitors go to the hosted
sign-in page (NEXT_PUBLIC_CLERK_SIGN_IN_URL); a missing ``__session`` is restored by the handshake; the organization
chosen in the browser is what ``auth()`` sees on the server; sign-out protects /dashboard again.  The build is cached
(tests/browser/examples.py): a warm run does not rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from clerkmock import ClerkMock

from . import examples
from .examples import PASSWORD, App, Relay, bapi, handshakes, make_user, server_auth, skip_or_fail

@pytest.fixture(scope="module")
def relay(mock_server: ClerkMock) -> Iterator[Relay]:
    relay = Relay(int(urlsplit(mock_server.url).port or 0))
    try:
        yield relay
    finally:
        relay.close()


@pytest.fixture(scope="module")
def next_env(mock_server: ClerkMock, relay: Relay) -> dict[str, str]:
    return examples.app_env(mock_server, relay.url, "next")


@pytest.fixture(scope="module")
def next_app(next_env: dict[str, str]) -> Iterator[App]:
    problem = examples.node_problem()
    if problem:
        skip_or_fail(f"example apps: {problem}")
    try:
        examples.build_next(next_env)
    except RuntimeError as exc:  # npm ci could not fetch the packages
        skip_or_fail(f"example apps: {exc}")
        raise
    app = examples.start_next(next_env)
    try:
        yield app
    finally:
        app.stop()


def sign_in_on_hosted_page(page: Any, email: str) -> None:
    """Clerk's <SignIn/> on the sign-in page the app sent the browser to: identifier, then password."""
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()


def signed_in_at_dashboard(page: Any, next_app: App, next_env: dict[str, str], mock: ClerkMock,
                           email: str = "alice@example.com") -> dict[str, Any]:
    user = make_user(mock, email)
    page.goto(f"{next_app.url}/dashboard")
    # Signed out: the handshake gives the browser a dev browser, then auth.protect() sends it to the sign-in page.
    sign_in = next_env["NEXT_PUBLIC_CLERK_SIGN_IN_URL"]
    page.wait_for_url(lambda url: url.startswith(sign_in))
    assert parse_qs(urlsplit(page.url).query)["redirect_url"] == [f"{next_app.url}/dashboard"]
    sign_in_on_hosted_page(page, email)
    page.wait_for_url(f"{next_app.url}/dashboard")
    page.locator("#email").wait_for()
    return user


def test_signed_out_dashboard_goes_through_the_hosted_sign_in_and_comes_back_server_rendered(
        page: Any, next_app: App, next_env: dict[str, str], mock_server: ClerkMock, offsite: list[str]) -> None:
    user = signed_in_at_dashboard(page, next_app, next_env, mock_server)
    assert page.locator("#email").inner_text() == "alice@example.com"
    assert page.locator("#user-id").inner_text() == user["id"]
    assert server_auth(page, next_app)["userId"] == user["id"]
    reasons = handshakes(mock_server)
    assert reasons[0] == "dev-browser-missing" and "dev-browser-sync" in reasons, reasons
    # No redirect loop: @clerk/backend counts its handshakes in __clerk_redirect_count and gives up at 3.
    assert len(reasons) <= 3, reasons
    assert examples.offsite_besides_avatars(offsite) == []


def test_a_deleted_session_cookie_is_restored_by_the_handshake(
        page: Any, context: Any, next_app: App, next_env: dict[str, str], mock_server: ClerkMock) -> None:
    user = signed_in_at_dashboard(page, next_app, next_env, mock_server)
    page.goto("about:blank")  # no clerk-js left running to write a fresh __session first
    kept = [c for c in context.cookies() if not c["name"].startswith("__session")]
    assert len(kept) < len(context.cookies())
    context.clear_cookies()
    context.add_cookies(kept)
    before = len(handshakes(mock_server))
    page.goto(f"{next_app.url}/dashboard")
    assert page.locator("#email").inner_text() == "alice@example.com"
    assert handshakes(mock_server)[before:] == ["client-uat-but-no-session-token"]
    assert any(c["name"] == "__session" for c in context.cookies())  # set again by the handshake's directives
    assert server_auth(page, next_app)["userId"] == user["id"]


def test_the_organization_chosen_in_the_browser_is_what_the_server_sees(
        page: Any, next_app: App, next_env: dict[str, str], mock_server: ClerkMock) -> None:
    user = signed_in_at_dashboard(page, next_app, next_env, mock_server)
    acme = bapi(mock_server, "POST", "/organizations", {"name": "Acme", "created_by": user["id"]})
    page.goto(f"{next_app.url}/dashboard/org")
    assert page.locator("#org-required").is_visible()
    # The <OrganizationSwitcher/> in the app's header: open it, pick Acme.
    page.locator(".cl-organizationSwitcherTrigger").click()
    page.locator(".cl-organizationSwitcherPreviewButton", has_text="Acme").click()
    page.wait_for_function("(org) => window.Clerk?.organization?.id === org", arg=acme["id"])
    page.goto(f"{next_app.url}/dashboard/org")
    assert page.locator("#org-id").inner_text() == acme["id"]
    assert page.locator("#org-admin").inner_text() == "admin"  # the creator is org:admin: has({ role }) on the server
    seen = server_auth(page, next_app)
    assert (seen["orgId"], seen["orgRole"]) == (acme["id"], "org:admin")


def test_sign_out_protects_the_dashboard_again(
        page: Any, next_app: App, next_env: dict[str, str], mock_server: ClerkMock) -> None:
    signed_in_at_dashboard(page, next_app, next_env, mock_server)
    page.locator(".cl-userButtonTrigger").click()
    page.get_by_role("button", name="Sign out").click()
    # clerk-js ends the session, sets __client_uat=0, removes __session and navigates to the app's /
    page.wait_for_url(f"{next_app.url}/")
    expect(page.locator("#who")).to_have_text("Signed out")  # rendered by the server
    assert server_auth(page, next_app)["userId"] is None
    page.goto(f"{next_app.url}/dashboard")
    page.wait_for_url(lambda url: url.startswith(next_env["NEXT_PUBLIC_CLERK_SIGN_IN_URL"]))


def test_a_warm_build_is_not_rebuilt(next_app: App, next_env: dict[str, str]) -> None:
    assert examples.build_next(next_env).seconds is None


def test_another_build_and_a_prune_leave_a_running_app_alone(next_app: App, next_env: dict[str, str]) -> None:
    # What another test session does meanwhile: a build for other inlined values (its relay fell back to another
    # port), started while this session's app runs, then a prune of every build no app runs from.
    other = {**next_env, "NEXT_PUBLIC_CLERKMOCK_BUILD": "another session"}
    second = examples.start_next(other)
    try:
        assert second.directory != next_app.directory
        stale = next_app.directory.parent / ".crashed-build-0"  # a build that died half-way
        stale.mkdir(exist_ok=True)
        removed = examples.prune("nextjs", keep=0)
        assert stale in removed and next_app.directory not in removed and second.directory not in removed
        for app in (next_app, second):
            resp = httpx.get(f"{app.url}/api/me", timeout=30)
            assert resp.status_code == 200 and resp.json()["userId"] is None, app.output()
    finally:
        second.stop()
    assert examples.build_next(next_env).seconds is None  # still this session's build, not rebuilt


def test_clerk_testing_signs_in_to_the_app(next_app: App, next_env: dict[str, str], mock_server: ClerkMock,
                                           tmp_path: Any) -> None:
    problem = examples.clerk_testing_problem()
    if problem:
        skip_or_fail(problem)
    user = make_user(mock_server, "carol@example.com")
    stats, output = examples.run_clerk_testing(
        next_env, next_app, "/dashboard", next_env["NEXT_PUBLIC_CLERK_SIGN_IN_URL"],
        {"id": user["id"], "email": "carol@example.com", "password": PASSWORD}, tmp_path / "report.json")
    assert (stats.get("expected"), stats.get("unexpected")) == (1, 0), output
    assert [e.status for e in mock_server.pipeline.journal.entries("POST", "/v1/testing_tokens")] == [200]


def test_continue_with_google_through_the_fake_provider(page: Any, next_app: App, next_env: dict[str, str],
                                                        mock_server: ClerkMock, offsite: list[str]) -> None:
    resp = httpx.post(f"{mock_server.url}/__clerkmock/seed", json={
        "frontend": {"social": ["google"]},
        "users": [{"email_address": "alice@example.com",
                   "external_accounts": [{"provider": "google", "provider_user_id": "1001"}]}]})
    assert resp.status_code == 200, resp.text
    page.goto(f"{next_app.url}/dashboard")
    page.wait_for_url(lambda url: url.startswith(next_env["NEXT_PUBLIC_CLERK_SIGN_IN_URL"]))
    page.get_by_role("button", name=re.compile(r"\bGoogle\b")).click()
    # clerkmock's consent page stands in for Google's; the scenario's account is listed
    page.wait_for_url(lambda url: "/__clerk/oauth/google/authorize?" in url)
    page.get_by_role("button", name="alice@example.com").click()
    # the provider's callback, clerk-js's sso-callback on the sign-in page, then back to the app (dev-browser sync)
    page.wait_for_url(f"{next_app.url}/dashboard")
    assert page.locator("#email").inner_text() == "alice@example.com"
    user_id = page.locator("#user-id").inner_text()
    assert server_auth(page, next_app)["userId"] == user_id
    tokens = bapi(mock_server, "GET", f"/users/{user_id}/oauth_access_tokens/oauth_google")
    assert [t["provider_user_id"] for t in tokens] == ["1001"]
    assert examples.offsite_besides_avatars(offsite) == []
