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
