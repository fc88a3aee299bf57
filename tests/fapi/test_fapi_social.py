"""Social sign-in and sign-up through the fake OAuth provider (engine/fapi/social.py, oauth_accounts.py,
oauth_provider.py) at the engine, every FAPI answer checked against the spec: the consent page, the callback's
redirects, transfers both ways, account linking by verified email, denial, bad input, the fault-rule recipe, and
the Backend API's view (external accounts, provider access tokens).  The browser side (Clerk's real <SignIn/>) is
tests/browser/test_social_sign_in.py; the scenario key ``external_accounts`` is tested in tests/test_scenarios.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from clerkmock.engine import Engine, Request, Response
from clerkmock.scenario import ScenarioError, parse_text
from tests.fapi.helpers import Browser

CALLBACK = "http://localhost:3000/sign-in#/sso-callback"
SCENARIO = """
frontend:
  social: [google, github, microsoft]
users:
  - email_address: alice@example.com
    password: correct-horse-battery
    external_accounts:
      - {provider: google, provider_user_id: "1001", first_name: Alice}
  - email_address: bob@example.com
"""


@pytest.fixture()
def seeded(engine: Engine) -> Engine:
    parse_text(SCENARIO, "social.yaml").apply(engine)
    return engine


def bapi(engine: Engine, path: str) -> Any:
    resp = engine.handle(Request.make("GET", "/v1" + path, headers={"authorization": "Bearer sk_test_x"}))
    assert resp.status == 200, resp.body
    return resp.json()


def provider(engine: Engine, url: str, form: dict[str, str] | None = None) -> Response:
    """The browser at the provider: GET the consent page, or POST its form."""
    parts = urlsplit(url)
    if form is None:
        return engine.handle(Request.make("GET", f"{parts.path}?{parts.query}", headers={"host": "127.0.0.1"}))
    state = parse_qs(parts.query)["state"][0]
    return engine.handle(Request.make("POST", parts.path, headers={
        "host": "127.0.0.1", "content-type": "application/x-www-form-urlencoded"},
        body=urlencode({"state": state, **form})))


def callback(engine: Engine, location: str) -> Response:
    """The provider's redirect, followed: a top-level navigation with no Frontend API credentials."""
    parts = urlsplit(location)
    assert parts.path == "/__clerk/v1/oauth_callback"
    return engine.handle(Request.make("GET", f"{parts.path}?{parts.query}", headers={"host": "127.0.0.1"}))


def go(engine: Engine, browser: Browser, strategy: str, form: dict[str, str], *, sign_up: bool = False
       ) -> dict[str, Any]:
    """Start with ``strategy``, answer the consent page with ``form``, follow the callback; the client after."""
    path = "/v1/client/sign_ups" if sign_up else "/v1/client/sign_ins"
    attempt = browser.call("POST", path, {"strategy": strategy, "redirect_url": CALLBACK})
    verification = attempt["verifications"]["external_account"] if sign_up else attempt["first_factor_verification"]
    assert verification["status"] == "unverified" and verification["strategy"] == strategy
    url = verification["external_verification_redirect_url"]
    assert url.startswith(f"http://127.0.0.1/__clerk/oauth/{strategy.removeprefix('oauth_')}/authorize?")
    consent = provider(engine, url, form)
    assert consent.status == 303, consent.body
    back = callback(engine, consent.headers["location"])
    assert back.status == 303 and back.headers["location"] == CALLBACK  # the sso-callback round trip
    client = browser.client()
    assert client is not None
    return client


def test_the_environment_offers_the_enabled_providers(seeded: Engine, browser: Browser) -> None:
    social = browser.call("GET", "/v1/environment", bare=True)["user_settings"]["social"]
    assert list(social) == ["oauth_google", "oauth_github", "oauth_microsoft"]
    assert social["oauth_github"]["name"] == "GitHub" and social["oauth_github"]["authenticatable"] is True


def test_the_consent_page_lists_the_scenarios_accounts(seeded: Engine, browser: Browser) -> None:
    si = browser.call("POST", "/v1/client/sign_ins", {"strategy": "oauth_google", "redirect_url": CALLBACK})
    page = provider(seeded, si["first_factor_verification"]["external_verification_redirect_url"])
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.meta["route"] == "oauth_provider.authorize"
    text = page.body.decode()
    assert "alice@example.com" in text and "bob@example.com" not in text  # bob has no Google account
    assert "<script" not in text and "Deny" in text


def test_a_known_account_signs_in(seeded: Engine, browser: Browser) -> None:
    client = go(seeded, browser, "oauth_google", {"action": "account", "provider_user_id": "1001"})
    alice = bapi(seeded, "/users?email_address=alice@example.com")[0]
    assert client["sign_in"]["status"] == "complete"
    assert client["sign_in"]["first_factor_verification"]["status"] == "verified"
    assert [s["user"]["id"] for s in client["sessions"]] == [alice["id"]]
    assert client["last_authentication_strategy"] == "oauth_google"
    tokens = bapi(seeded, f"/users/{alice['id']}/oauth_access_tokens/oauth_google")
    assert len(tokens) == 1 and tokens[0]["token"].startswith("oat_") and tokens[0]["provider_user_id"] == "1001"


def test_a_new_account_is_transferred_to_a_sign_up(seeded: Engine, browser: Browser) -> None:
    client = go(seeded, browser, "oauth_github", {"action": "new", "email_address": "nina@example.com",
                                                  "provider_user_id": "gh-7"})
    verification = client["sign_in"]["first_factor_verification"]
    assert verification["status"] == "transferable"
    assert verification["error"]["code"] == "external_account_not_found"
    assert client["sessions"] == []
    su = browser.call("POST", "/v1/client/sign_ups", {"transfer": "true"})
    assert su["status"] == "complete" and su["email_address"] == "nina@example.com"
    assert su["verifications"]["external_account"]["status"] == "verified"
    assert su["verifications"]["email_address"]["strategy"] == "from_oauth_github"
    user = bapi(seeded, f"/users/{su['created_user_id']}")
    assert [(a["provider"], a["provider_user_id"], a["email_address"]) for a in user["external_accounts"]] == [
        ("oauth_github", "gh-7", "nina@example.com")]
    assert user["email_addresses"][0]["verification"] == {
        "object": "verification_from_oauth", "status": "verified", "strategy": "from_oauth_github",
        "attempts": None, "expire_at": None}
    assert user["password_enabled"] is False  # an OAuth sign-up needs no password, even when one is required


def test_an_account_with_a_users_verified_email_is_linked(seeded: Engine, browser: Browser) -> None:
    client = go(seeded, browser, "oauth_microsoft", {"action": "new", "email_address": "bob@example.com"})
    bob = bapi(seeded, "/users?email_address=bob@example.com")[0]
    assert [s["user"]["id"] for s in client["sessions"]] == [bob["id"]]
    assert [a["provider"] for a in bapi(seeded, f"/users/{bob['id']}")["external_accounts"]] == ["oauth_microsoft"]


def test_a_sign_up_that_meets_a_known_account_is_transferred_to_a_sign_in(seeded: Engine, browser: Browser
                                                                          ) -> None:
    client = go(seeded, browser, "oauth_google", {"action": "account", "provider_user_id": "1001"}, sign_up=True)
    verification = client["sign_up"]["verifications"]["external_account"]
    assert verification["status"] == "transferable" and verification["error"]["code"] == "external_account_exists"
    si = browser.call("POST", "/v1/client/sign_ins", {"transfer": "true"})
    assert si["status"] == "complete"
    assert len(bapi(seeded, "/users")) == 2  # nobody new


def test_a_sign_up_with_a_new_account_completes_at_the_callback(seeded: Engine, browser: Browser) -> None:
    client = go(seeded, browser, "oauth_github", {"action": "new", "email_address": "omar@example.com"},
                sign_up=True)
    assert client["sign_up"]["status"] == "complete" and len(client["sessions"]) == 1


def test_denied_consent_fails_the_verification(seeded: Engine, browser: Browser) -> None:
    client = go(seeded, browser, "oauth_google", {"action": "deny"})
    verification = client["sign_in"]["first_factor_verification"]
    assert verification["status"] == "failed" and verification["error"]["code"] == "oauth_access_denied"
    assert client["sessions"] == []


def test_a_second_factor_is_still_asked(seeded: Engine, browser: Browser) -> None:
    alice = bapi(seeded, "/users?email_address=alice@example.com")[0]
    resp = seeded.handle(Request.make("PATCH", f"/v1/users/{alice['id']}", headers={
        "authorization": "Bearer sk_test_x"}, json={"totp_secret": "JBSWY3DPEHPK3PXP"}))
    assert resp.status == 200, resp.body
    client = go(seeded, browser, "oauth_google", {"action": "account", "provider_user_id": "1001"})
    assert client["sign_in"]["status"] == "needs_second_factor" and client["sessions"] == []


def test_refusals(seeded: Engine, browser: Browser) -> None:
    status, code = browser.error("POST", "/v1/client/sign_ins", {"strategy": "oauth_apple", "redirect_url": CALLBACK})
    assert (status, code) == (422, "strategy_for_user_invalid")  # not enabled by the scenario
    assert browser.error("POST", "/v1/client/sign_ins", {"strategy": "oauth_google"}) == (422, "form_param_missing")
    assert browser.error("POST", "/v1/client/sign_ups", {"transfer": "true"}) == (400, "transfer_invalid")
    bad = seeded.handle(Request.make("GET", "/__clerk/v1/oauth_callback?state=nope&code=x"))
    assert bad.status == 400 and bad.json()["errors"][0]["code"] == "oauth_callback_invalid"
    page = seeded.handle(Request.make("GET", "/__clerk/oauth/google/authorize?state=nope"))
    assert page.status == 400 and b"unknown" in page.body
    assert seeded.handle(Request.make("GET", "/__clerk/oauth/myspace/authorize")).status == 404


def test_a_state_and_a_code_are_used_once(seeded: Engine, browser: Browser) -> None:
    si = browser.call("POST", "/v1/client/sign_ins", {"strategy": "oauth_google", "redirect_url": CALLBACK})
    url = si["first_factor_verification"]["external_verification_redirect_url"]
    consent = provider(seeded, url, {"action": "account", "provider_user_id": "1001"})
    assert provider(seeded, url, {"action": "deny"}).status == 400  # answered already
    assert callback(seeded, consent.headers["location"]).status == 303
    again = callback(seeded, consent.headers["location"])
    assert again.status == 400 and again.json()["errors"][0]["code"] == "oauth_callback_invalid"


def test_bad_consent_input_is_shown_on_the_page(seeded: Engine, browser: Browser) -> None:
    si = browser.call("POST", "/v1/client/sign_ins", {"strategy": "oauth_google", "redirect_url": CALLBACK})
    url = si["first_factor_verification"]["external_verification_redirect_url"]
    for form, said in (({"action": "new", "email_address": "not-an-email"}, b"valid email"),
                       ({"action": "new", "email_address": "x@example.com", "provider_user_id": "1001"},
                        b"already has an account"),
                       ({"action": "account", "provider_user_id": "404"}, b"not known"),
                       ({}, b"Pick an account")):
        page = provider(seeded, url, form)
        assert page.status == 400 and said in page.body and page.meta["route"] == "oauth_provider.consent"


def test_a_fault_rule_makes_the_provider_fail(seeded: Engine, browser: Browser) -> None:
    """The documented recipe: a rule on the provider's route answers instead of it (docs/browser.md)."""
    from clerkmock.faults.faultset import FaultSet

    faults = FaultSet("clerkmock", lambda: 0)
    faults.add({"match": "oauth_provider.authorize", "respond": {"status": 503, "error": "service_unavailable"}})
    si = browser.call("POST", "/v1/client/sign_ins", {"strategy": "oauth_google", "redirect_url": CALLBACK})
    url = urlsplit(si["first_factor_verification"]["external_verification_redirect_url"])
    request = Request.make("GET", f"{url.path}?{url.query}")
    names = seeded.route_names(request.method, request.path)
    assert names == ("oauth_provider.authorize",)
    decision = faults.decide(request, 0, lambda _: names)
    assert decision is not None and decision.rule is not None and decision.rule.id is not None


def test_the_proxy_modes_use_the_real_hosts(seeded: Engine) -> None:
    """Through the forward proxy the page, the provider and the callback are on the Frontend API host."""
    proxied = Browser(seeded)
    resp = seeded.handle(Request.make("POST", "/__clerk/v1/client/sign_ins?" + urlencode(
        {"__clerk_db_jwt": proxied.token}), headers={"host": "clerkmock.clerk.accounts.dev", "x-forwarded-proto":
                                                     "https", "content-type": "application/x-www-form-urlencoded"},
        body=urlencode({"strategy": "oauth_google", "redirect_url": "https://app.example.com/sso"})))
    url = json.loads(resp.body)["response"]["first_factor_verification"]["external_verification_redirect_url"]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "clerkmock.clerk.accounts.dev",
                                                        "/oauth/google/authorize")
    assert parse_qs(parts.query)["redirect_uri"] == ["https://clerkmock.clerk.accounts.dev/v1/oauth_callback"]


def test_frontend_social_is_validated() -> None:
    with pytest.raises(ScenarioError) as exc:
        parse_text("frontend:\n  social: [google, myspace]\n", "bad.yaml").apply(Engine())
    assert exc.value.line == 2 and "frontend.social" in str(exc.value)
