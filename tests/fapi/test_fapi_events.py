"""Webhook events the browser's actions fire, as Clerk fires them (validated against the webhook spec), and the
cookie mode of a browser without a dev browser."""

from __future__ import annotations

from clerkmock.engine import Engine, Request
from engine.helpers import ok
from tests.fapi.helpers import Browser
from tests.webhooks.test_events import drain, listening_engine, types

PASSWORD = "correct-horse-battery"


def test_sign_up_sign_in_sign_out_and_revoke_fire_their_events() -> None:
    engine = listening_engine()
    b = Browser(engine)
    su = b.call("POST", "/v1/client/sign_ups", {"email_address": "fay@example.com", "password": PASSWORD,
                                                "strategy": "email_code"})
    code = engine.state.fapi.messages[-1].code
    sent = drain(engine)
    assert types(sent) == ["email.created"] and sent[0]["data"]["data"]["otp_code"] == code
    su = b.call("POST", f"/v1/client/sign_ups/{su['id']}/attempt_verification", {"strategy": "email_code",
                                                                                 "code": code})
    assert types(drain(engine)) == ["user.created", "session.created"]
    b.call("DELETE", "/v1/client/sessions")
    assert types(drain(engine)) == ["session.ended"]
    sid = b.call("POST", "/v1/client/sign_ins", {"identifier": "fay@example.com", "password": PASSWORD,
                                                 "strategy": "password"})["created_session_id"]
    b.call("POST", f"/v1/client/sessions/{sid}/remove")
    assert types(drain(engine)) == ["session.created", "session.removed"]
    sid = b.call("POST", "/v1/client/sign_ins", {"identifier": "fay@example.com", "password": PASSWORD,
                                                 "strategy": "password"})["created_session_id"]
    ok(engine, "POST", f"/v1/sessions/{sid}/revoke")
    assert types(drain(engine)) == ["session.created", "session.revoked"]


def test_a_refused_attempt_fires_nothing() -> None:
    engine = listening_engine()
    ok(engine, "POST", "/v1/users", {"email_address": ["gus@example.com"], "password": PASSWORD})
    drain(engine)
    b = Browser(engine)
    b.error("POST", "/v1/client/sign_ins", {"identifier": "gus@example.com", "password": "wrong-password-1",
                                            "strategy": "password"})
    assert drain(engine) == []


def test_cookie_mode_sets_and_reads_the_client_cookie(engine: Engine) -> None:
    """No dev-browser token: the browser is known by the ``__client`` cookie FAPI sets (HttpOnly)."""
    ok(engine, "POST", "/v1/users", {"email_address": ["hal@example.com"], "password": PASSWORD})
    form = b"identifier=hal%40example.com&password=correct-horse-battery&strategy=password"
    resp = engine.handle(Request.make("POST", "/__clerk/v1/client/sign_ins", body=form,
                                      headers={"content-type": "application/x-www-form-urlencoded"}))
    assert resp.status == 200
    assert "set-cookie" not in resp.headers  # cookies travel in set_cookies, one header line each
    [cookie] = resp.set_cookies
    assert cookie.startswith("__client=") and "HttpOnly" in cookie
    value = cookie.split(";", 1)[0]
    again = engine.handle(Request.make("GET", "/__clerk/v1/client", headers={"cookie": value}))
    assert again.json()["response"]["sessions"][0]["user"]["email_addresses"][0]["email_address"] == "hal@example.com"
    assert again.set_cookies == []
    stranger = engine.handle(Request.make("GET", "/__clerk/v1/client"))
    assert stranger.json() == {"response": None, "client": None}


def test_sign_in_codes_fire_email_created_and_sms_created_as_the_webhook_spec_lists_them() -> None:
    """The one-time codes of a sign-in (email and phone) and of a phone sign-up are ``email.created`` /
    ``sms.created`` events (validated against the webhook spec by `drain`), addressed to the user."""
    engine = listening_engine()
    user = ok(engine, "POST", "/v1/users", {"email_address": ["ivy@example.com"], "phone_number": ["+15555550123"]})
    drain(engine)
    b = Browser(engine)
    si = b.call("POST", "/v1/client/sign_ins", {"identifier": "ivy@example.com"})
    email_id = next(f for f in si["supported_first_factors"] if f["strategy"] == "email_code")["email_address_id"]
    b.call("POST", f"/v1/client/sign_ins/{si['id']}/prepare_first_factor",
           {"strategy": "email_code", "email_address_id": email_id})
    [email] = drain(engine)
    code = engine.state.fapi.messages[-1].code
    assert email["type"] == "email.created"
    assert (email["data"]["to_email_address"], email["data"]["user_id"], email["data"]["data"]["otp_code"]) == (
        "ivy@example.com", user["id"], code)
    assert email["data"]["email_address_id"] == email_id and email["data"]["slug"] == "verification_code"
    phone_id = user["phone_numbers"][0]["id"]
    b.call("POST", f"/v1/client/sign_ins/{si['id']}/prepare_first_factor",
           {"strategy": "phone_code", "phone_number_id": phone_id})
    [sms] = drain(engine)
    assert sms["type"] == "sms.created"
    assert (sms["data"]["to_phone_number"], sms["data"]["user_id"], sms["data"]["phone_number_id"]) == (
        "+15555550123", user["id"], phone_id)
    b.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_first_factor",
           {"strategy": "phone_code", "code": engine.state.fapi.messages[-1].code})
    assert types(drain(engine)) == ["session.created"]
    # a sign-up by phone (phone numbers on, as a scenario's `frontend:` would say): its code is an sms.created
    # with no user yet
    engine.state.fapi.settings.update(phone_number="required", email_address="on")
    other = Browser(engine)
    su = other.call("POST", "/v1/client/sign_ups", {"phone_number": "+15555550188", "password": PASSWORD})
    other.call("POST", f"/v1/client/sign_ups/{su['id']}/prepare_verification", {"strategy": "phone_code"})
    [signup_sms] = drain(engine)
    assert signup_sms["type"] == "sms.created" and signup_sms["data"]["to_phone_number"] == "+15555550188"
    assert signup_sms["data"]["user_id"] is None
