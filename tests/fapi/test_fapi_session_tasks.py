"""Session tasks (issue 14 item 5): with organization selection forced, a session without an active organization
is ``pending`` with the ``choose-organization`` task, fires ``session.pending``, gets ``sts: "pending"`` tokens,
and becomes ``active`` (``session.created``) when the browser picks or creates an organization; a password marked
compromised makes it wait on ``reset-password`` until the browser sets a new one.  Every Frontend
API answer is checked against the FAPI spec, every Backend API one against the Backend API spec, every event
against the webhook spec."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from clerkmock.engine import Engine
from clerkmock.scenario import ScenarioError, parse_text
from engine.helpers import fails, ok
from tests.fapi.helpers import Browser
from tests.webhooks.test_events import drain, listening_engine, types

PASSWORD = "correct-horse-battery"
SETTINGS = "/v1/instance/organization_settings"


def claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def force(engine: Engine, on: bool = True) -> dict[str, Any]:
    return dict(ok(engine, "PATCH", SETTINGS, {"force_organization_selection": on}))


def sign_in(b: Browser, email: str) -> dict[str, Any]:
    si = b.call("POST", "/v1/client/sign_ins", {"identifier": email, "password": PASSWORD, "strategy": "password"})
    assert si["status"] == "complete"
    session: dict[str, Any] = b.last.json()["client"]["sessions"][0]  # type: ignore[union-attr]
    assert session["id"] == si["created_session_id"]
    return session


def test_off_by_default_sessions_start_active_without_tasks(engine: Engine) -> None:
    b = Browser(engine)
    env = b.call("GET", "/v1/environment", bare=True)
    assert env["organization_settings"]["force_organization_selection"] is False
    ok(engine, "POST", "/v1/users", {"email_address": ["ann@example.com"], "password": PASSWORD})
    session = sign_in(b, "ann@example.com")
    assert (session["status"], session["tasks"]) == ("active", [])
    assert claims(session["last_active_token"]["jwt"])["sts"] == "active"


def test_the_backend_api_setting_reaches_the_environment_and_is_checked(engine: Engine) -> None:
    answer = force(engine)
    assert "force_organization_selection" not in answer  # the spec's OrganizationSettings has no such field
    b = Browser(engine)
    assert b.call("GET", "/v1/environment", bare=True)["organization_settings"]["force_organization_selection"]
    fails(engine, "PATCH", SETTINGS, {"force_organization_selection": "yes"}, status=422,
          code="form_param_type_invalid")
    fails(engine, "PATCH", SETTINGS, {"force_organization_selection": True, "nonsense": 1}, status=422,
          code="form_param_unknown")
    ok(engine, "PATCH", SETTINGS, {"force_organization_selection": None, "slug_disabled": True})  # null keeps it
    assert b.call("GET", "/v1/environment", bare=True)["organization_settings"]["force_organization_selection"]
    force(engine, False)
    assert not b.call("GET", "/v1/environment", bare=True)["organization_settings"]["force_organization_selection"]


def test_a_pending_session_chooses_an_organization_it_creates_and_becomes_active() -> None:
    engine = listening_engine()
    force(engine)
    user = ok(engine, "POST", "/v1/users", {"email_address": ["bea@example.com"], "password": PASSWORD})
    drain(engine)
    b = Browser(engine)
    session = sign_in(b, "bea@example.com")
    assert (session["status"], session["tasks"]) == ("pending", [{"key": "choose-organization"}])
    assert session["last_active_organization_id"] is None
    token = claims(session["last_active_token"]["jwt"])
    assert (token["sts"], token["sid"], token["sub"]) == ("pending", session["id"], user["id"])
    assert "o" not in token
    [pending] = drain(engine)
    assert pending["type"] == "session.pending"
    assert (pending["data"]["id"], pending["data"]["status"]) == (session["id"], "pending")
    # the Backend API sees it pending, with its task
    bapi = ok(engine, "GET", f"/v1/sessions/{session['id']}")
    assert (bapi["status"], bapi["tasks"]) == ("pending", [{"key": "choose-organization"}])
    # (the spec's `status` filter of GetSessionList has no `pending`: listed unfiltered)
    listed = ok(engine, "GET", f"/v1/sessions?user_id={user['id']}")
    assert [(s["id"], s["status"]) for s in listed] == [(session["id"], "pending")]
    # a refresh keeps it pending; choosing "no organization" does not complete the task
    refreshed = b.call("POST", f"/v1/client/sessions/{session['id']}/tokens", bare=True)
    assert claims(refreshed["jwt"])["sts"] == "pending"
    still = b.call("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": ""})
    assert (still["status"], still["tasks"]) == ("pending", [{"key": "choose-organization"}])
    assert drain(engine) == []
    # <TaskChooseOrganization/>'s "create": the organization, then setActive with it
    org = b.call("POST", "/v1/organizations", {"name": "Bea Co"})
    active = b.call("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": org["id"]})
    assert (active["status"], active["tasks"], active["last_active_organization_id"]) == ("active", [], org["id"])
    token = claims(active["last_active_token"]["jwt"])
    assert token["sts"] == "active" and token["o"]["id"] == org["id"]
    sent = drain(engine)
    assert types(sent) == ["organization.created", "organizationMembership.created", "session.created"]
    assert (sent[-1]["data"]["id"], sent[-1]["data"]["status"]) == (session["id"], "active")
    assert sent[-1]["data"]["last_active_organization_id"] == org["id"]
    assert ok(engine, "GET", f"/v1/sessions/{session['id']}")["tasks"] == []
    # another touch changes nothing more
    b.call("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": org["id"]})
    assert drain(engine) == []


def test_a_member_still_picks_one_of_their_organizations(engine: Engine) -> None:
    force(engine)
    user = ok(engine, "POST", "/v1/users", {"email_address": ["cyd@example.com"], "password": PASSWORD})
    org = ok(engine, "POST", "/v1/organizations", {"name": "Cyd Co", "created_by": user["id"]})
    other = ok(engine, "POST", "/v1/organizations", {"name": "Not Cyd's"})
    b = Browser(engine)
    session = sign_in(b, "cyd@example.com")
    assert session["status"] == "pending"
    status, code = b.error("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": other["id"]})
    assert (status, code) == (403, "not_a_member_in_organization")
    # the chooser also asks for suggestions: none kept here
    assert b.call("GET", "/v1/me/organization_suggestions", status=["pending", "accepted"]) == {
        "data": [], "total_count": 0}
    picked = b.call("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": org["slug"]})
    assert (picked["status"], picked["last_active_organization_id"]) == ("active", org["id"])


def test_organization_suggestions_need_a_signed_in_browser(engine: Engine) -> None:
    assert Browser(engine).error("GET", "/v1/me/organization_suggestions") == (401, "signed_out")


def test_backend_api_sessions_follow_the_setting_but_not_impersonations(engine: Engine) -> None:
    force(engine)
    user = ok(engine, "POST", "/v1/users", {"email_address": ["dee@example.com"]})
    plain = ok(engine, "POST", "/v1/sessions", {"user_id": user["id"]})
    assert (plain["status"], plain["tasks"]) == ("pending", [{"key": "choose-organization"}])
    token = ok(engine, "POST", f"/v1/sessions/{plain['id']}/tokens")
    assert claims(token["jwt"])["sts"] == "pending"
    # organizations switched off: nothing to choose
    ok(engine, "PATCH", SETTINGS, {"enabled": False})
    assert ok(engine, "POST", "/v1/sessions", {"user_id": user["id"]})["status"] == "active"


def test_the_scenario_key_turns_it_on_and_is_validated() -> None:
    scenario = parse_text("frontend: {force_organization_selection: true}\n"
                          "users: [{email_address: [eve@example.com], password: correct-horse-battery}]\n")
    engine = Engine()
    scenario.apply(engine)
    b = Browser(engine)
    assert b.call("GET", "/v1/environment", bare=True)["organization_settings"]["force_organization_selection"]
    assert sign_in(b, "eve@example.com")["status"] == "pending"
    with pytest.raises(ScenarioError, match="force_organization_selection must be true or false"):
        parse_text("frontend: {force_organization_selection: sometimes}\n")


def test_a_compromised_password_makes_the_session_reset_it() -> None:
    """SetUserPasswordCompromised: the next session waits on ``reset-password``; `<TaskResetPassword/>`'s
    changePassword (no current password) completes it, clears the mark and can sign the other sessions out."""
    engine = listening_engine()
    user = ok(engine, "POST", "/v1/users", {"email_address": ["flo@example.com"], "password": PASSWORD})
    other = ok(engine, "POST", "/v1/sessions", {"user_id": user["id"]})
    ok(engine, "POST", f"/v1/users/{user['id']}/password/set_compromised")
    drain(engine)
    b = Browser(engine)
    session = sign_in(b, "flo@example.com")
    assert (session["status"], session["tasks"]) == ("pending", [{"key": "reset-password"}])
    assert claims(session["last_active_token"]["jwt"])["sts"] == "pending"
    assert types(drain(engine)) == ["session.pending"]
    b.call("POST", "/v1/me/change_password", {"new_password": "a-brand-new-secret-9", "sign_out_of_other_sessions":
                                              "true"}, _clerk_session_id=session["id"])
    sent = drain(engine)
    assert types(sent) == ["user.updated", "session.created", "session.revoked"]
    assert (sent[1]["data"]["id"], sent[1]["data"]["status"]) == (session["id"], "active")
    assert sent[2]["data"]["id"] == other["id"]
    assert ok(engine, "GET", f"/v1/sessions/{session['id']}")["tasks"] == []
    assert ok(engine, "GET", f"/v1/users/{user['id']}")["password_enabled"]
    # the next sign-in has nothing to do; a plain change of password needs the current one again
    b2 = Browser(engine)
    si = b2.call("POST", "/v1/client/sign_ins", {"identifier": "flo@example.com", "password": "a-brand-new-secret-9",
                                                 "strategy": "password"})
    again = b2.last.json()["client"]["sessions"][0]  # type: ignore[union-attr]
    assert (again["id"], again["status"], again["tasks"]) == (si["created_session_id"], "active", [])
    assert b2.error("POST", "/v1/me/change_password", {"new_password": "yet-another-secret-7"}) == (
        422, "form_password_incorrect")


def test_both_tasks_wait_in_turn(engine: Engine) -> None:
    force(engine)
    user = ok(engine, "POST", "/v1/users", {"email_address": ["gil@example.com"], "password": PASSWORD})
    ok(engine, "POST", f"/v1/users/{user['id']}/password/set_compromised")
    b = Browser(engine)
    session = sign_in(b, "gil@example.com")
    assert session["tasks"] == [{"key": "choose-organization"}, {"key": "reset-password"}]
    org = b.call("POST", "/v1/organizations", {"name": "Gil Co"})
    picked = b.call("POST", f"/v1/client/sessions/{session['id']}/touch", {"active_organization_id": org["id"]})
    assert (picked["status"], picked["tasks"]) == ("pending", [{"key": "reset-password"}])
    b.call("POST", "/v1/me/change_password", {"new_password": "a-brand-new-secret-9"})
    [done] = b.client()["sessions"]  # type: ignore[index]
    assert (done["status"], done["tasks"]) == ("active", [])
