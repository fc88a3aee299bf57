"""Every browser flow through the Frontend API surface of the engine, as clerk-js 6 sends it (form bodies,
``_method``, ``__clerk_db_jwt``), every body validated against the FAPI spec; the Backend API sees the result."""

from __future__ import annotations

import pyotp

from clerkmock.engine import Engine, tokens
from clerkmock.engine.resources.auth.common import signing_key
from tests.engine.helpers import ok
from tests.fapi.helpers import ORIGIN, Browser

PASSWORD = "correct-horse-battery"


def bapi_user(engine: Engine, email: str = "alice@example.com", **extra: object) -> dict:
    return ok(engine, "POST", "/v1/users", {"email_address": [email], "password": PASSWORD, **extra})


def claims(engine: Engine, jwt: str) -> dict:
    return tokens.decode(jwt, signing_key(engine.state), verify_exp=False)


def test_a_new_browser_is_signed_out(browser: Browser) -> None:
    env = browser.call("PATCH", "/v1/environment", bare=True)
    assert env["auth_config"]["single_session_mode"] is True
    assert env["display_config"]["instance_environment_type"] == "development"
    assert browser.call("GET", "/v1/environment", bare=True) == env
    assert browser.call("GET", "/v1/client", bare=True) == {"response": None, "client": None}


def test_unknown_dev_browser_is_401_dev_browser_unauthenticated(engine: Engine) -> None:
    b = Browser(engine)
    b.token = "dvb_unknown"
    assert b.error("GET", "/v1/client") == (401, "dev_browser_unauthenticated")


def test_password_sign_in_gives_a_session_token_the_backend_api_trusts(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine)
    resp = browser.request("POST", "/v1/client/sign_ins", {"strategy": "password", "identifier": "alice@example.com",
                                                            "password": PASSWORD, "locale": "en-US",
                                                            "timezone": "Europe/Paris"})
    body = resp.json()
    assert body["response"]["status"] == "complete"
    sid = body["response"]["created_session_id"]
    client = body["client"]
    assert client["last_active_session_id"] == sid
    [sess] = client["sessions"]
    assert sess["user"]["id"] == user["id"]
    jwt = sess["last_active_token"]["jwt"]
    c = claims(engine, jwt)
    assert (c["sub"], c["sid"], c["azp"], c["iss"], c["v"]) == (user["id"], sid, ORIGIN,
                                                                 "https://clerkmock.clerk.accounts.dev", 2)
    # setActive, then a refresh: the same claims, bare token body
    touched = browser.call("POST", f"/v1/client/sessions/{sid}/touch", {"active_organization_id": "",
                                                                        "intent": "select_session"})
    assert touched["id"] == sid
    token = browser.call("POST", f"/v1/client/sessions/{sid}/tokens", {"organization_id": ""}, bare=True)
    assert token["object"] == "token" and claims(engine, token["jwt"])["sub"] == user["id"]
    # the Backend API sees the session, on this browser's client
    listed = ok(engine, "GET", f"/v1/sessions?user_id={user['id']}")
    assert [s["id"] for s in listed] == [sid] and listed[0]["client_id"] == client["id"]
    # reload: the client still has the user
    assert browser.client()["sessions"][0]["id"] == sid


def test_wrong_password_and_unknown_identifier_are_clerk_form_errors(engine: Engine, browser: Browser) -> None:
    bapi_user(engine)
    assert browser.error("POST", "/v1/client/sign_ins", {"strategy": "password", "identifier": "alice@example.com",
                                                         "password": "nope-nope-nope"}) == (
        422, "form_password_incorrect")
    assert browser.error("POST", "/v1/client/sign_ins", {"identifier": "nobody@example.com"}) == (
        422, "form_identifier_not_found")


def test_sign_out_ends_the_session(engine: Engine, browser: Browser) -> None:
    bapi_user(engine)
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                      "strategy": "password"})
    sid = si["created_session_id"]
    out = browser.call("DELETE", "/v1/client/sessions")
    assert out["sessions"] == []
    assert ok(engine, "GET", f"/v1/sessions/{sid}")["status"] == "ended"
    assert browser.error("POST", f"/v1/client/sessions/{sid}/tokens") == (401, "signed_out")


def test_email_code_sign_in(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine, "bob@example.com")
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "bob@example.com"})
    assert si["status"] == "needs_first_factor"
    factor = next(f for f in si["supported_first_factors"] if f["strategy"] == "email_code")
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/prepare_first_factor",
                      {"strategy": "email_code", "email_address_id": factor["email_address_id"]})
    assert si["first_factor_verification"]["status"] == "unverified"
    [message] = engine.state.fapi.messages
    assert message.to == "bob@example.com" and message.code and message.code != "424242"
    assert browser.error("POST", f"/v1/client/sign_ins/{si['id']}/attempt_first_factor",
                         {"strategy": "email_code", "code": "000000" if message.code != "000000" else "111111"}) == (
        422, "form_code_incorrect")
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_first_factor",
                      {"strategy": "email_code", "code": message.code})
    assert si["status"] == "complete"
    assert browser.client()["sessions"][0]["user"]["id"] == user["id"]


def test_test_mode_addresses_take_424242(engine: Engine, browser: Browser) -> None:
    bapi_user(engine, "carol+clerk_test@example.com")
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "carol+clerk_test@example.com",
                                                      "strategy": "email_code"})
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_first_factor",
                      {"strategy": "email_code", "code": "424242"})
    assert si["status"] == "complete"


def test_sign_up_with_email_code_creates_the_user_in_the_backend_api(engine: Engine, browser: Browser) -> None:
    su = browser.call("POST", "/v1/client/sign_ups", {"email_address": "dave@example.com", "password": PASSWORD})
    assert su["status"] == "missing_requirements" and su["unverified_fields"] == ["email_address"]
    su = browser.call("POST", f"/v1/client/sign_ups/{su['id']}/prepare_verification", {"strategy": "email_code"})
    code = engine.state.fapi.messages[-1].code
    su = browser.call("POST", f"/v1/client/sign_ups/{su['id']}/attempt_verification",
                      {"strategy": "email_code", "code": code})
    assert su["status"] == "complete" and su["created_user_id"] and su["created_session_id"]
    user = ok(engine, "GET", f"/v1/users/{su['created_user_id']}")
    assert user["email_addresses"][0]["email_address"] == "dave@example.com"
    assert user["email_addresses"][0]["verification"]["status"] == "verified"
    assert ok(engine, "POST", f"/v1/users/{user['id']}/verify_password", {"password": PASSWORD})["verified"]
    assert browser.client()["sessions"][0]["id"] == su["created_session_id"]


def test_sign_up_refuses_a_taken_email(engine: Engine, browser: Browser) -> None:
    bapi_user(engine)
    assert browser.error("POST", "/v1/client/sign_ups", {"email_address": "alice@example.com",
                                                         "password": PASSWORD}) == (422, "form_identifier_exists")


def test_totp_second_factor(engine: Engine, browser: Browser) -> None:
    secret = pyotp.random_base32()
    bapi_user(engine, totp_secret=secret, backup_codes=["bk-one-1"])
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                      "strategy": "password"})
    assert si["status"] == "needs_second_factor"
    assert {f["strategy"] for f in si["supported_second_factors"]} == {"totp", "backup_code"}
    assert browser.error("POST", f"/v1/client/sign_ins/{si['id']}/attempt_second_factor",
                         {"strategy": "totp", "code": "000000"})[1] == "form_code_incorrect"
    code = pyotp.TOTP(secret).at(engine.clock.now_ms() // 1000)
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_second_factor",
                      {"strategy": "totp", "code": code})
    assert si["status"] == "complete"
    jwt = browser.client()["sessions"][0]["last_active_token"]["jwt"]
    assert claims(engine, jwt)["fva"][1] == 0  # the second factor was just verified


def test_org_switch_puts_the_org_in_the_next_token(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine)
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "created_by": user["id"]})
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                      "strategy": "password"})
    sid = si["created_session_id"]
    mems = browser.call("GET", "/v1/me/organization_memberships", paginated="true", limit=10, offset=0,
                        _clerk_session_id=sid)
    assert mems["total_count"] == 1 and mems["data"][0]["organization"]["id"] == org["id"]
    sess = browser.call("POST", f"/v1/client/sessions/{sid}/touch", {"active_organization_id": org["id"],
                                                                     "intent": "select_org"})
    assert sess["last_active_organization_id"] == org["id"]
    c = claims(engine, sess["last_active_token"]["jwt"])
    assert c["o"]["id"] == org["id"] and c["o"]["rol"] == "admin"
    token = browser.call("POST", f"/v1/client/sessions/{sid}/tokens", {"organization_id": org["id"]}, bare=True)
    assert claims(engine, token["jwt"])["o"]["slg"] == "acme"
    # an org created from the browser
    created = browser.call("POST", "/v1/organizations", {"name": "Beta"}, _clerk_session_id=sid)
    assert ok(engine, "GET", f"/v1/organizations/{created['id']}")["name"] == "Beta"


def test_two_browsers_are_isolated(engine: Engine) -> None:
    bapi_user(engine)
    one, two = Browser(engine), Browser(engine)
    one.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                             "strategy": "password"})
    assert one.client()["sessions"]
    assert two.client() is None


def test_revocation_through_the_backend_api_signs_the_browser_out(engine: Engine, browser: Browser) -> None:
    bapi_user(engine)
    sid = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                       "strategy": "password"})["created_session_id"]
    ok(engine, "POST", f"/v1/sessions/{sid}/revoke")
    assert browser.error("POST", f"/v1/client/sessions/{sid}/tokens") == (401, "signed_out")
    assert browser.client()["sessions"] == []


def test_single_session_mode_refuses_a_second_sign_in(engine: Engine, browser: Browser) -> None:
    bapi_user(engine)
    form = {"identifier": "alice@example.com", "password": PASSWORD, "strategy": "password"}
    browser.call("POST", "/v1/client/sign_ins", form)
    assert browser.error("POST", "/v1/client/sign_ins", form) == (400, "session_exists")


def test_sign_in_token_ticket(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine)
    ticket = ok(engine, "POST", "/v1/sign_in_tokens", {"user_id": user["id"]})["token"]
    si = browser.call("POST", "/v1/client/sign_ins", {"strategy": "ticket", "ticket": ticket})
    assert si["status"] == "complete"
    assert browser.error("POST", "/v1/client/sign_ins", {"strategy": "ticket", "ticket": ticket})[0] in (400, 422)


def test_reset_password_by_email_code(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine)
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com"})
    email_id = user["email_addresses"][0]["id"]
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/prepare_first_factor",
                      {"strategy": "reset_password_email_code", "email_address_id": email_id})
    code = engine.state.fapi.messages[-1].code
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_first_factor",
                      {"strategy": "reset_password_email_code", "code": code})
    assert si["status"] == "needs_new_password"
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/reset_password", {"password": "another-long-pass"})
    assert si["status"] == "complete"
    assert ok(engine, "POST", f"/v1/users/{user['id']}/verify_password", {"password": "another-long-pass"})


def test_me_reads_and_updates_the_user(engine: Engine, browser: Browser) -> None:
    user = bapi_user(engine)
    sid = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                       "strategy": "password"})["created_session_id"]
    me = browser.call("GET", "/v1/me", _clerk_session_id=sid)
    assert me["id"] == user["id"] and "private_metadata" not in me
    me = browser.call("PATCH", "/v1/me", {"first_name": "Alicia"}, _clerk_session_id=sid)
    assert ok(engine, "GET", f"/v1/users/{user['id']}")["first_name"] == "Alicia"


def test_unknown_form_fields_are_refused_but_clerk_js_extras_are_tolerated(engine: Engine, browser: Browser) -> None:
    assert browser.error("POST", "/v1/client/sign_ins", {"identifier": "x@example.com", "bogus": "1"}) == (
        422, "form_param_unknown")


def test_a_scenario_frontend_key_shapes_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clerkmock.scenario import ScenarioError, load_scenario

    path = tmp_path / "s.yaml"
    path.write_text("frontend:\n  application_name: Acme\n  username: required\n  first_name: on\n"
                    "  single_session_mode: false\n")
    engine = Engine()
    load_scenario(path, engine)
    b = Browser(engine)
    env = b.call("GET", "/v1/environment", bare=True)
    assert env["display_config"]["application_name"] == "Acme"
    assert env["auth_config"]["username"] == "required" and env["auth_config"]["single_session_mode"] is False
    su = b.call("POST", "/v1/client/sign_ups", {"email_address": "e@example.com", "password": PASSWORD})
    assert su["missing_fields"] == ["username"] and "first_name" in su["optional_fields"]
    path.write_text("frontend:\n  username: maybe\n")
    try:
        load_scenario(path, Engine())
    except ScenarioError as exc:
        assert "frontend.username must be one of on, off, required" in str(exc) and ":2:" in str(exc)
    else:
        raise AssertionError("a bad frontend value must be refused")


def signed_in(engine: Engine, browser: Browser) -> str:
    bapi_user(engine)
    return browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                        "strategy": "password"})["created_session_id"]


def test_add_and_verify_an_email_address_and_a_phone(engine: Engine, browser: Browser) -> None:
    sid = signed_in(engine, browser)
    email = browser.call("POST", "/v1/me/email_addresses", {"email_address": "second@example.com"},
                         _clerk_session_id=sid)
    assert email["verification"] is None
    browser.call("POST", f"/v1/me/email_addresses/{email['id']}/prepare_verification", {"strategy": "email_code"},
                 _clerk_session_id=sid)
    code = engine.state.fapi.messages[-1].code
    assert engine.state.fapi.messages[-1].to == "second@example.com"
    assert browser.error("POST", f"/v1/me/email_addresses/{email['id']}/attempt_verification",
                         {"code": "999999" if code != "999999" else "888888"}, _clerk_session_id=sid) == (
        422, "form_code_incorrect")
    done = browser.call("POST", f"/v1/me/email_addresses/{email['id']}/attempt_verification", {"code": code},
                        _clerk_session_id=sid)
    assert done["verification"]["status"] == "verified"
    listed = browser.call("GET", "/v1/me/email_addresses", bare=True, _clerk_session_id=sid)
    assert {e["email_address"] for e in listed} == {"alice@example.com", "second@example.com"}
    phone = browser.call("POST", "/v1/me/phone_numbers", {"phone_number": "+15555550123"}, _clerk_session_id=sid)
    browser.call("POST", f"/v1/me/phone_numbers/{phone['id']}/prepare_verification", {"strategy": "phone_code"},
                 _clerk_session_id=sid)
    assert engine.state.fapi.messages[-1].code == "424242"  # a +1 XXX 555 01YY test number
    done = browser.call("POST", f"/v1/me/phone_numbers/{phone['id']}/attempt_verification", {"code": "424242"},
                        _clerk_session_id=sid)
    assert done["verification"]["status"] == "verified"
    user = ok(engine, "GET", f"/v1/users/{engine.state.auth.sessions[sid].user_id}")
    assert user["primary_phone_number_id"] == phone["id"]
    browser.call("DELETE", f"/v1/me/email_addresses/{email['id']}", _clerk_session_id=sid)
    assert len(ok(engine, "GET", f"/v1/users/{user['id']}")["email_addresses"]) == 1


def test_change_password(engine: Engine, browser: Browser) -> None:
    sid = signed_in(engine, browser)
    assert browser.error("POST", "/v1/me/change_password", {"current_password": "wrong-one-here",
                                                            "new_password": "brand-new-secret"},
                         _clerk_session_id=sid) == (422, "form_password_incorrect")
    browser.call("POST", "/v1/me/change_password", {"current_password": PASSWORD,
                                                    "new_password": "brand-new-secret"}, _clerk_session_id=sid)
    uid = engine.state.auth.sessions[sid].user_id
    assert ok(engine, "POST", f"/v1/users/{uid}/verify_password", {"password": "brand-new-secret"})["verified"]


def test_signed_out_me_is_401(browser: Browser) -> None:
    assert browser.error("GET", "/v1/me") == (401, "signed_out")


def test_accept_an_organization_invitation(engine: Engine, browser: Browser) -> None:
    owner = ok(engine, "POST", "/v1/users", {"email_address": ["owner@example.com"]})
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "created_by": owner["id"]})
    inv = ok(engine, "POST", f"/v1/organizations/{org['id']}/invitations",
             {"email_address": "alice@example.com", "role": "org:member", "inviter_user_id": owner["id"]})
    sid = signed_in(engine, browser)
    listed = browser.call("GET", "/v1/me/organization_invitations", status="pending", _clerk_session_id=sid)
    assert [i["id"] for i in listed["data"]] == [inv["id"]]
    assert listed["data"][0]["public_organization_data"]["slug"] == "acme"
    accepted = browser.call("POST", f"/v1/me/organization_invitations/{inv['id']}/accept", _clerk_session_id=sid)
    assert accepted["status"] == "accepted"
    mems = browser.call("GET", "/v1/me/organization_memberships", paginated="true", _clerk_session_id=sid)
    assert [m["role"] for m in mems["data"]] == ["org:member"]


def test_sign_up_by_invitation_ticket(engine: Engine, browser: Browser) -> None:
    from urllib.parse import parse_qs, urlsplit

    inv = ok(engine, "POST", "/v1/invitations", {"email_address": "erin@example.com", "notify": False})
    ticket = parse_qs(urlsplit(inv["url"]).query)["ticket"][0]
    su = browser.call("POST", "/v1/client/sign_ups", {"strategy": "ticket", "ticket": ticket, "password": PASSWORD})
    assert su["status"] == "complete" and su["email_address"] == "erin@example.com"
    user = ok(engine, "GET", f"/v1/users/{su['created_user_id']}")
    assert user["email_addresses"][0]["verification"]["status"] == "verified"
    assert ok(engine, "GET", "/v1/invitations?status=accepted")[0]["id"] == inv["id"]
    other = Browser(engine)
    assert other.error("POST", "/v1/client/sign_ups", {"strategy": "ticket", "ticket": ticket,
                                                       "password": PASSWORD})[1] == "ticket_invalid"
