"""What `<UserProfile/>` does from the browser: TOTP enrollment and backup codes, the user's sessions on every
device, leaving an organization, deleting the account; health and JWKS on the Frontend API."""

from __future__ import annotations

import pyotp

from clerkmock.engine import Engine
from tests.engine.helpers import call, ok
from tests.fapi.helpers import Browser

PASSWORD = "correct-horse-battery"


def signed_in(engine: Engine, browser: Browser, email: str = "alice@example.com") -> str:
    ok(engine, "POST", "/v1/users", {"email_address": [email], "password": PASSWORD})
    return browser.call("POST", "/v1/client/sign_ins", {"identifier": email, "password": PASSWORD,
                                                        "strategy": "password"})["created_session_id"]


def test_totp_enrollment_then_sign_in_with_it(engine: Engine, browser: Browser) -> None:
    sid = signed_in(engine, browser)
    totp = browser.call("POST", "/v1/me/totp", _clerk_session_id=sid)
    assert totp["verified"] is False and totp["uri"].startswith("otpauth://totp/")
    now_s = engine.clock.now_ms() // 1000
    assert browser.error("POST", "/v1/me/totp/attempt_verification", {"code": "000000"},
                         _clerk_session_id=sid) == (422, "form_code_incorrect")
    done = browser.call("POST", "/v1/me/totp/attempt_verification",
                        {"code": pyotp.TOTP(totp["secret"]).at(now_s)}, _clerk_session_id=sid)
    assert done["verified"] is True and len(done["backup_codes"]) == 10
    uid = engine.state.auth.sessions[sid].user_id
    assert ok(engine, "GET", f"/v1/users/{uid}")["totp_enabled"] is True
    codes = browser.call("POST", "/v1/me/backup_codes", _clerk_session_id=sid)["codes"]
    browser.call("DELETE", "/v1/client/sessions")
    si = browser.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                      "strategy": "password"})
    assert si["status"] == "needs_second_factor"
    si = browser.call("POST", f"/v1/client/sign_ins/{si['id']}/attempt_second_factor",
                      {"strategy": "backup_code", "code": codes[0]})
    assert si["status"] == "complete"
    sid = si["created_session_id"]
    assert browser.call("DELETE", "/v1/me/totp", _clerk_session_id=sid)["deleted"] is True
    assert ok(engine, "GET", f"/v1/users/{uid}")["totp_enabled"] is False


def test_sessions_on_every_device_and_revoking_one(engine: Engine) -> None:
    laptop, phone = Browser(engine), Browser(engine)
    sid = signed_in(engine, laptop)
    other = phone.call("POST", "/v1/client/sign_ins", {"identifier": "alice@example.com", "password": PASSWORD,
                                                       "strategy": "password"})["created_session_id"]
    active = laptop.call("GET", "/v1/me/sessions/active", bare=True, _clerk_session_id=sid)
    assert {s["id"] for s in active} == {sid, other}
    revoked = laptop.call("POST", f"/v1/me/sessions/{other}/revoke", _clerk_session_id=sid)
    assert revoked["status"] == "revoked"
    assert phone.client()["sessions"] == []


def test_leave_an_organization_and_delete_the_account(engine: Engine, browser: Browser) -> None:
    owner = ok(engine, "POST", "/v1/users", {"email_address": ["owner@example.com"]})
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "created_by": owner["id"]})
    sid = signed_in(engine, browser)
    uid = engine.state.auth.sessions[sid].user_id
    ok(engine, "POST", f"/v1/organizations/{org['id']}/memberships", {"user_id": uid, "role": "org:member"})
    browser.call("POST", f"/v1/client/sessions/{sid}/touch", {"active_organization_id": org["id"]})
    left = browser.call("DELETE", f"/v1/me/organization_memberships/{org['id']}", _clerk_session_id=sid)
    assert left["deleted"] is True
    assert engine.state.auth.sessions[sid].last_active_organization_id is None
    assert browser.call("DELETE", "/v1/me", _clerk_session_id=sid)["deleted"] is True
    assert call(engine, "GET", f"/v1/users/{uid}").status == 404
    assert browser.client()["sessions"] == []


def test_health_and_jwks(engine: Engine, browser: Browser) -> None:
    assert browser.call("GET", "/v1/health", bare=True) == {"status": "healthy"}
    jwks = browser.call("GET", "/.well-known/jwks.json", bare=True)
    assert jwks == ok(engine, "GET", "/v1/jwks")


def test_routes_fapi_reports_coverage() -> None:
    import json
    import re

    from click.testing import CliRunner

    from clerkmock.cli import main

    out = CliRunner().invoke(main, ["routes", "--fapi"]).output
    done = int(re.search(r"implemented (\d+) / 202 FAPI operations\n$", out).group(1))  # type: ignore[union-attr]
    assert "[x] POST   /v1/client/sign_ins" in out and "createSignIn" in out
    data = json.loads(CliRunner().invoke(main, ["routes", "--fapi", "--json", "--implemented"]).output)
    assert data["total"] == 202 and data["implemented"] == done == len(data["operations"])
    assert all(op["route"] == f"fapi.{op['operation_id']}" for op in data["operations"])
