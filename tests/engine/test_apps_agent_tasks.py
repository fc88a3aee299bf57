"""Agent tasks at engine level: the user named by id or verified identifier, the stable agent id per name, the
ticket URL, redirect URL rules, revocation.  Every response is checked against the vendored spec."""

from __future__ import annotations

from .orgs_helpers import Api


def _body(on_behalf_of: dict, **over: object) -> dict:
    return {"on_behalf_of": on_behalf_of, "permissions": "*", "agent_name": "Support bot",
            "task_description": "Check the order", "redirect_url": "https://app.example.com/done", **over}


def test_create_and_stable_agent_id() -> None:
    api = Api()
    ann = api.user("ann@example.com")
    t1 = api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}))
    assert t1["object"] == "agent_task" and t1["agent_id"].startswith("agent_")
    assert t1["agent_task_id"].startswith("agtask_") and t1["task_id"] == t1["agent_task_id"]
    assert t1["url"].startswith("https://clerkmock.clerk.accounts.dev/v1/tickets/accept?ticket=")
    t2 = api("POST", "/v1/agents/tasks", _body({"identifier": "ANN@example.com"}))
    assert t2["agent_id"] == t1["agent_id"] and t2["agent_task_id"] != t1["agent_task_id"]
    assert t2["url"] != t1["url"]
    t3 = api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}, agent_name="Other bot",
                                                session_max_duration_in_seconds=60))
    assert t3["agent_id"] != t1["agent_id"]
    assert api.state.apps.agent_tasks[t3["agent_task_id"]].session_max_duration_s == 60
    assert api.state.apps.agent_tasks[t1["agent_task_id"]].session_max_duration_s == 1800


def test_user_resolution_and_validation() -> None:
    api = Api()
    ann = api.user("ann@example.com")
    api("POST", "/v1/agents/tasks", _body({}), status=422, code="form_param_value_invalid")
    api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"], "identifier": "ann@example.com"}), status=422,
        code="form_param_value_invalid")
    api("POST", "/v1/agents/tasks", _body({"user_id": "user_missing"}), status=404, code="resource_not_found")
    api("POST", "/v1/agents/tasks", _body({"identifier": "nobody@example.com"}), status=404,
        code="resource_not_found")
    api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}, redirect_url="ftp://x.com"), status=422,
        code="form_param_format_invalid")
    api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}, permissions="read"), status=422,
        code="form_param_value_invalid")
    api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}, session_max_duration_in_seconds=0), status=422,
        code="form_param_value_invalid")
    api("POST", "/v1/agents/tasks", {"permissions": "*"}, status=422, code="form_param_missing")
    assert not api.state.apps.agent_tasks and not api.state.apps.agents  # refused requests wrote nothing
    # production instances accept https only
    api.state.instance.environment = "production"
    api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}, redirect_url="http://app.example.com"),
        status=422, code="form_param_format_invalid")


def test_revoke() -> None:
    api = Api()
    ann = api.user("ann@example.com")
    t = api("POST", "/v1/agents/tasks", _body({"user_id": ann["id"]}))
    r = api("POST", f"/v1/agents/tasks/{t['agent_task_id']}/revoke")
    assert r == {k: v for k, v in t.items() if k != "url"}
    api("POST", f"/v1/agents/tasks/{t['agent_task_id']}/revoke", status=400, code="agent_task_cannot_be_revoked_code")
    api("POST", "/v1/agents/tasks/agtask_missing/revoke", status=404, code="resource_not_found")
