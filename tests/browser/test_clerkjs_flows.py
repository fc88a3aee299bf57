"""The Frontend API judged by the real clerk-js (its JS API, ``window.Clerk``) in Debian's Chromium: a page on
``http://localhost:<port>`` reaching clerkmock's ``/__clerk`` proxy URL cross-site, in dev-browser mode, with no
request leaving the loopback.  Users, organizations and revocations come from the Backend API of the same
server; tokens are checked against its JWKS."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pyotp
import pytest

import clerkmock
from clerkmock import ClerkMock

PASSWORD = "correct-horse-battery"


def bapi(mock: ClerkMock, method: str, path: str, json: Any = None) -> Any:
    resp = httpx.request(method, f"{mock.url}/v1{path}", json=json,
                         headers={"authorization": f"Bearer {mock.secret_key}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def make_user(mock: ClerkMock, email: str = "alice@example.com", **extra: Any) -> dict[str, Any]:
    return bapi(mock, "POST", "/users", {"email_address": [email], "password": PASSWORD, **extra})


def verify(mock: ClerkMock, token: str) -> dict[str, Any]:
    """The session token, verified with the Backend API's JWKS (what an app's middleware does)."""
    jwks = bapi(mock, "GET", "/jwks")
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    return jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False}, leeway=300)


def load(page: Any, page_server: Any) -> None:
    page.goto(page_server.url("clerk.html"))
    page.wait_for_function("() => window.Clerk !== undefined && window.startClerk !== undefined")
    page.evaluate("() => window.startClerk()")
    page.wait_for_function("() => window.Clerk.loaded === true")


def sign_in_with_password(page: Any, email: str = "alice@example.com") -> dict[str, Any]:
    return page.evaluate("""async ([email, password]) => {
        const si = await Clerk.client.signIn.create({ strategy: 'password', identifier: email, password });
        if (si.status === 'complete') await Clerk.setActive({ session: si.createdSessionId });
        return { status: si.status, user: Clerk.user && Clerk.user.id, sessionId: Clerk.session && Clerk.session.id };
    }""", [email, PASSWORD])


def user_id(page: Any) -> str | None:
    return page.evaluate("() => window.Clerk.user ? window.Clerk.user.id : null")


def token(page: Any, **options: Any) -> str:
    return page.evaluate("async (options) => await Clerk.session.getToken(options)", options)


def test_signed_out_load(page: Any, page_server: Any, mock_server: ClerkMock, offsite: list[str]) -> None:
    load(page, page_server)
    assert user_id(page) is None
    assert page.evaluate("() => window.Clerk.client.sessions.length") == 0
    assert offsite == []


def test_password_sign_in_token_reload_and_sign_out(page: Any, page_server: Any, mock_server: ClerkMock,
                                                     offsite: list[str]) -> None:
    alice = make_user(mock_server)
    load(page, page_server)
    done = sign_in_with_password(page)
    assert done["status"] == "complete" and done["user"] == alice["id"]
    claims = verify(mock_server, token(page))
    assert claims["sub"] == alice["id"] and claims["sid"] == done["sessionId"]
    assert claims["azp"] == page_server.origin
    # the Backend API sees the session
    assert bapi(mock_server, "GET", f"/sessions/{done['sessionId']}")["status"] == "active"
    page.reload()
    page.wait_for_function("() => window.startClerk !== undefined")
    page.evaluate("() => window.startClerk()")
    page.wait_for_function("() => window.Clerk.loaded === true")
    assert user_id(page) == alice["id"]
    page.evaluate("async () => { await Clerk.signOut({ redirectUrl: window.location.href }); }")
    page.wait_for_function("() => window.startClerk !== undefined")
    page.evaluate("() => window.startClerk()")
    page.wait_for_function("() => window.Clerk.loaded === true")
    assert user_id(page) is None
    assert bapi(mock_server, "GET", f"/sessions/{done['sessionId']}")["status"] == "ended"
    assert offsite == []


def test_wrong_password_shows_clerks_error(page: Any, page_server: Any, mock_server: ClerkMock) -> None:
    make_user(mock_server)
    load(page, page_server)
    error = page.evaluate("""async () => {
        try { await Clerk.client.signIn.create({ strategy: 'password', identifier: 'alice@example.com',
                                                 password: 'not-the-password' }); return null; }
        catch (e) { return { code: e.errors[0].code, message: e.errors[0].longMessage,
                             param: e.errors[0].meta.paramName, status: e.status }; }
    }""")
    assert error == {"code": "form_password_incorrect",
                     "message": "Password is incorrect. Try again, or use another method.",
                     "param": "password", "status": 422}
    assert user_id(page) is None


def test_email_code_sign_in(page: Any, page_server: Any, mock_server: ClerkMock) -> None:
    bob = make_user(mock_server, "bob@example.com")
    load(page, page_server)
    page.evaluate("""async () => {
        const si = await Clerk.client.signIn.create({ identifier: 'bob@example.com' });
        const factor = si.supportedFirstFactors.find(f => f.strategy === 'email_code');
        await si.prepareFirstFactor({ strategy: 'email_code', emailAddressId: factor.emailAddressId });
    }""")
    code = clerkmock.messages.last(to="bob@example.com", mock=mock_server).code
    result = page.evaluate("""async (code) => {
        const si = await Clerk.client.signIn.attemptFirstFactor({ strategy: 'email_code', code });
        await Clerk.setActive({ session: si.createdSessionId });
        return { status: si.status, user: Clerk.user.id };
    }""", code)
    assert result == {"status": "complete", "user": bob["id"]}


def test_sign_up_with_email_code(page: Any, page_server: Any, mock_server: ClerkMock) -> None:
    load(page, page_server)
    page.evaluate("""async (password) => {
        const su = await Clerk.client.signUp.create({ emailAddress: 'dana@example.com', password });
        await su.prepareEmailAddressVerification({ strategy: 'email_code' });
    }""", PASSWORD)
    code = clerkmock.messages.last(to="dana@example.com", mock=mock_server).code
    result = page.evaluate("""async (code) => {
        const su = await Clerk.client.signUp.attemptEmailAddressVerification({ code });
        await Clerk.setActive({ session: su.createdSessionId });
        return { status: su.status, userId: su.createdUserId, user: Clerk.user.id,
                 email: Clerk.user.primaryEmailAddress.emailAddress };
    }""", code)
    assert result["status"] == "complete" and result["user"] == result["userId"]
    assert result["email"] == "dana@example.com"
    listed = bapi(mock_server, "GET", "/users?email_address=dana@example.com")
    assert [u["id"] for u in listed] == [result["userId"]]


def test_totp_second_factor(page: Any, page_server: Any, mock_server: ClerkMock) -> None:
    secret = pyotp.random_base32()
    alice = make_user(mock_server, totp_secret=secret)
    load(page, page_server)
    assert sign_in_with_password(page)["status"] == "needs_second_factor"
    code = pyotp.TOTP(secret).now()  # the server runs on the wall clock
    result = page.evaluate("""async (code) => {
        const si = await Clerk.client.signIn.attemptSecondFactor({ strategy: 'totp', code });
        await Clerk.setActive({ session: si.createdSessionId });
        return { status: si.status, user: Clerk.user.id };
    }""", code)
    assert result == {"status": "complete", "user": alice["id"]}
    assert verify(mock_server, token(page))["fva"][1] == 0


def test_org_switch_changes_the_next_token(page: Any, page_server: Any, mock_server: ClerkMock) -> None:
    alice = make_user(mock_server)
    acme = bapi(mock_server, "POST", "/organizations", {"name": "Acme", "created_by": alice["id"]})
    load(page, page_server)
    sign_in_with_password(page)
    assert "o" not in verify(mock_server, token(page))
    memberships = page.evaluate("""async () => {
        const page = await Clerk.user.getOrganizationMemberships();
        return page.data.map(m => m.organization.id);
    }""")
    assert memberships == [acme["id"]]
    page.evaluate("async (org) => { await Clerk.setActive({ organization: org }); }", acme["id"])
    claims = verify(mock_server, token(page, skipCache=True))
    assert claims["o"]["id"] == acme["id"] and claims["o"]["rol"] == "admin"
    assert page.evaluate("() => Clerk.organization.slug") == "acme"


def test_two_browser_contexts_are_isolated(chromium: Any, context: Any, page_server: Any,
                                           mock_server: ClerkMock) -> None:
    alice = make_user(mock_server)
    first = context.new_page()
    load(first, page_server)
    assert sign_in_with_password(first)["user"] == alice["id"]
    other = chromium.new_context()
    try:
        second = other.new_page()
        load(second, page_server)
        assert user_id(second) is None
        first.reload()
        first.wait_for_function("() => window.startClerk !== undefined")
        first.evaluate("() => window.startClerk()")
        first.wait_for_function("() => window.Clerk.loaded === true")
        assert user_id(first) == alice["id"]
    finally:
        other.close()


def test_a_session_revoked_through_the_backend_api_signs_the_page_out(page: Any, page_server: Any,
                                                                      mock_server: ClerkMock) -> None:
    make_user(mock_server)
    load(page, page_server)
    session_id = sign_in_with_password(page)["sessionId"]
    bapi(mock_server, "POST", f"/sessions/{session_id}/revoke")
    # the next refresh (clerk-js polls before expiry; a test forces it) meets 401 signed_out
    page.evaluate("async () => { try { await Clerk.session.getToken({ skipCache: true }); } catch (e) {} }")
    page.wait_for_function("() => window.Clerk.user === null", timeout=15_000)


@pytest.fixture(autouse=True)
def _no_leftover_messages(mock_server: ClerkMock) -> None:
    """Each test reads the codes it caused (the session server is reset between tests)."""
    assert mock_server.pipeline.engine.state.fapi.messages == []
