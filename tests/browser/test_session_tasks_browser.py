"""Session tasks in a real browser (issue 14 item 5): organization selection forced, a user signs in with
Clerk's `<SignIn/>` (clerk-js + @clerk/ui from the bundle cache), is shown the choose-organization task,
creates an organization there and ends up signed in with it active; the app's webhook endpoint receives
``session.pending`` and then ``session.created`` (Svix-verified and checked against the webhook spec).  Also: a
member picking one of their organizations, and the reset-password task of a password marked compromised."""

from __future__ import annotations

from typing import Any

import httpx

from clerkmock import ClerkMock
from tests.browser.test_ui_components import PASSWORD, bapi, open_component, sign_in_with_password, signed_in_user
from tests.webhooks.receiver import Receiver


def test_sign_in_then_the_choose_organization_task(page: Any, page_server: Any, mock_server: ClerkMock,
                                                  offsite: list[str]) -> None:
    bapi(mock_server, "PATCH", "/instance/organization_settings", json={"force_organization_selection": True})
    user = bapi(mock_server, "POST", "/users", json={"email_address": ["tess@example.com"], "password": PASSWORD})
    secret = mock_server.env()["CLERK_WEBHOOK_SIGNING_SECRET"]
    with Receiver(secret) as rx:
        mock_server.webhooks.add(rx.url, events=["session.*", "organization.created"])
        open_component(page, page_server, "SignIn")
        sign_in_with_password(page, "tess@example.com")
        # the task, inside <SignIn/>: the session exists but is pending, so clerk-js counts nobody signed in
        page.get_by_label("Name").wait_for()
        assert page.evaluate("() => window.Clerk.session?.status") == "pending"
        assert page.evaluate("() => window.Clerk.session?.currentTask?.key") == "choose-organization"
        assert page.evaluate("() => window.Clerk.isSignedIn") is False
        [sess] = bapi(mock_server, "GET", "/sessions", params={"user_id": user["id"]})
        assert (sess["status"], sess["tasks"]) == ("pending", [{"key": "choose-organization"}])
        rx.wait_for(1)
        assert rx.types() == ["session.pending"]
        assert page.url.endswith("#/tasks/choose-organization")  # <SignIn/>'s own route for the task
        page.get_by_label("Name").fill("Tess Co")
        page.get_by_role("button", name="Continue", exact=True).click()
        assert signed_in_user(page) == user["id"]
        org_id = page.evaluate("() => window.Clerk.organization?.id ?? null")
        assert org_id is not None and page.evaluate("() => window.Clerk.session.status") == "active"
        [sess] = bapi(mock_server, "GET", "/sessions", params={"user_id": user["id"]})
        assert (sess["status"], sess["tasks"], sess["last_active_organization_id"]) == ("active", [], org_id)
        rx.wait_for(3)
        assert rx.types() == ["session.pending", "organization.created", "session.created"]
        created = rx.ok()[-1].payload["data"]
        assert (created["id"], created["status"], created["last_active_organization_id"]) == (
            sess["id"], "active", org_id)
    assert offsite == []


def test_a_member_picks_one_of_their_organizations(page: Any, page_server: Any, mock_server: ClerkMock,
                                                   offsite: list[str]) -> None:
    """A member of an organization is pending too: the task lists it, and picking it makes the session active."""
    bapi(mock_server, "PATCH", "/instance/organization_settings", json={"force_organization_selection": True})
    user = bapi(mock_server, "POST", "/users", json={"email_address": ["uma@example.com"], "password": PASSWORD})
    org = bapi(mock_server, "POST", "/organizations", json={"name": "Uma Works", "created_by": user["id"]})
    open_component(page, page_server, "SignIn")
    sign_in_with_password(page, "uma@example.com")
    page.get_by_text("Choose an organization").wait_for()  # the task lists the memberships to pick from
    assert page.evaluate("() => window.Clerk.session?.currentTask?.key") == "choose-organization"
    page.get_by_text("Uma Works").click()
    assert signed_in_user(page) == user["id"]
    assert page.evaluate("() => window.Clerk.organization?.id ?? null") == org["id"]
    # the chooser shows the organization's avatar from Clerk's image host (aborted offline: initials instead)
    assert [u for u in offsite if not u.startswith("https://img.clerk.com/")] == []


def test_a_compromised_password_is_reset_in_the_task(page: Any, page_server: Any, mock_server: ClerkMock,
                                                     offsite: list[str]) -> None:
    """SetUserPasswordCompromised: after the password, `<SignIn/>` shows Clerk's reset-password task; a new
    password there makes the session active, and it is the password from then on."""
    user = bapi(mock_server, "POST", "/users", json={"email_address": ["val@example.com"], "password": PASSWORD})
    bapi(mock_server, "POST", f"/users/{user['id']}/password/set_compromised")
    open_component(page, page_server, "SignIn")
    sign_in_with_password(page, "val@example.com")
    page.get_by_label("New password").wait_for()
    assert page.evaluate("() => window.Clerk.session?.currentTask?.key") == "reset-password"
    assert page.url.endswith("#/tasks/reset-password")
    page.get_by_label("New password").fill("a-brand-new-secret-9")
    page.get_by_label("Confirm password").fill("a-brand-new-secret-9")
    page.get_by_role("button", name="Reset Password").click()
    assert signed_in_user(page) == user["id"]
    assert page.evaluate("() => window.Clerk.session.status") == "active"
    verified = httpx.post(f"{mock_server.url}/v1/users/{user['id']}/verify_password",
                          headers={"authorization": f"Bearer {mock_server.secret_key}"},
                          json={"password": "a-brand-new-secret-9"})
    assert verified.json() == {"verified": True}
    assert offsite == []
