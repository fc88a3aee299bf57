"""The demo app's retry logic and error page, tested with scripted clerkmock faults through the official SDK:
a 429-then-200 on sign-up, a connection reset on the profile page -- in-process and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from .app import clerk_from_env, create_app

ALICE = "user_2basicAlice0000000000000000"
pytestmark = [pytest.mark.clerkmock(scenario="basic.yaml"),
              pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning")]


@pytest.fixture
def slept(clerkmock: Any) -> list[float]:
    return []


@pytest.fixture
def app(clerkmock: Any, monkeypatch: pytest.MonkeyPatch, slept: list[float]) -> Iterator[TestClient]:
    """The app wired to clerkmock in-process; its sleep advances clerkmock's clock instead of waiting."""
    monkeypatch.setenv("CLERK_SECRET_KEY", clerkmock.secret_key)
    monkeypatch.setenv("CLERK_API_URL", "http://clerkmock.invalid")

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clerkmock.advance(seconds=seconds)

    clerk = clerk_from_env(client=httpx.Client(transport=clerkmock.transport()))
    with TestClient(create_app(clerk, sleep=sleep)) as client:
        yield client


def test_signup_waits_out_a_429_then_succeeds(app: TestClient, clerkmock: Any, slept: list[float]) -> None:
    clerkmock.fail("POST", "/v1/users", status=429, error="too_many_requests",
                   headers={"Retry-After": "2"}, times=1)
    r = app.post("/signup", json={"email": "dave@example.com", "first_name": "Dave"})
    assert r.status_code == 201 and r.json()["id"].startswith("user_")
    assert slept == [2.0]
    calls = clerkmock.requests.assert_called("POST", "/v1/users", times=2)
    assert [c.status for c in calls] == [429, 200] and calls[0].fault is not None


def test_signup_gives_up_after_three_429s(app: TestClient, clerkmock: Any, slept: list[float]) -> None:
    clerkmock.fail("POST /v1/users", error="too_many_requests")
    r = app.post("/signup", json={"email": "dave@example.com"})
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert slept == [1.0, 1.0]
    clerkmock.requests.assert_called("POST", "/v1/users", times=3)


def test_signup_against_the_real_rate_limit(app: TestClient, clerkmock: Any, slept: list[float]) -> None:
    clerkmock.rate_limit(2, window_s=10)  # 2 requests per 10 s: the third waits 5 s (on the emulated clock)
    for i in range(3):
        assert app.post("/signup", json={"email": f"u{i}@example.com"}).status_code == 201
    assert slept == [5.0]


def test_profile_page(app: TestClient) -> None:
    r = app.get(f"/users/{ALICE}")
    assert r.status_code == 200 and "<h1>Alice Anderson</h1>" in r.text
    assert app.get("/users/user_2nobody00000000000000000000").status_code == 404


def test_profile_shows_an_error_page_when_the_connection_is_reset(app: TestClient, clerkmock: Any) -> None:
    clerkmock.fail("GET", "/v1/users/*", action="reset", times=1)
    r = app.get(f"/users/{ALICE}")
    assert r.status_code == 503 and "temporarily unavailable" in r.text
    assert clerkmock.requests.last.action == "reset"
    assert app.get(f"/users/{ALICE}").status_code == 200  # the next request goes through


def test_error_page_over_real_http(clerkmock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same app, unmodified, configured only by environment variables, against clerkmock's listener."""
    for name, value in clerkmock.env.items():
        monkeypatch.setenv(name, value)
    clerkmock.fail("GET", "/v1/users/*", action="reset", times=1)
    with TestClient(create_app(clerk_from_env())) as app:
        r = app.get(f"/users/{ALICE}")
        assert r.status_code == 503 and "temporarily unavailable" in r.text
        assert app.get(f"/users/{ALICE}").status_code == 200


def test_an_undeclared_429_reaches_the_sdk_as_sdkerror_and_a_declared_404_as_clerkerrors(
        clerkmock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12.13 (README "Which exception the Python SDK raises"): the spec declares no 429 for CreateUser,
    so the SDK raises SDKError, as it would for real Clerk's 429; the app's ``except`` names both."""
    from clerk_backend_api import models

    from .app import NO_SDK_RETRIES, _status

    monkeypatch.setenv("CLERK_SECRET_KEY", clerkmock.secret_key)
    monkeypatch.setenv("CLERK_API_URL", "http://clerkmock.invalid")
    clerk = clerk_from_env(client=httpx.Client(transport=clerkmock.transport()))
    clerkmock.fail("POST /v1/users", error="too_many_requests", headers={"Retry-After": "1"}, times=1)
    with pytest.raises(models.SDKError) as undeclared:
        clerk.users.create(email_address=["dave@example.com"])
    assert not isinstance(undeclared.value, models.ClerkErrors) and _status(undeclared.value) == 429
    with pytest.raises(models.ClerkErrors) as declared:
        clerk.users.get(user_id="user_2nobody00000000000000000000")
    assert _status(declared.value) == 404 and declared.value.data.errors[0].code == "resource_not_found"
    assert clerk.sdk_configuration.retry_config is NO_SDK_RETRIES

