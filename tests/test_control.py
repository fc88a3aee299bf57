"""The control plane over real HTTP (the session's listener): every endpoint issue 5 lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock

AUTH = {"Authorization": "Bearer sk_test_control"}
BASE = "/__clerkmock"


@pytest.fixture
def http(mock_server: ClerkMock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_server.url, timeout=5, trust_env=False) as client:
        yield client


def api(http: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    return http.request(method, url, headers=AUTH, **kw)


def clerk_error(r: httpx.Response) -> dict[str, Any]:
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"errors", "clerk_trace_id"}
    err: dict[str, Any] = body["errors"][0]
    assert {"message", "long_message", "code"} <= set(err)
    return err


def test_health(http: httpx.Client) -> None:
    assert http.get(f"{BASE}/health").json()["status"] == "ok"


def test_seed_yaml_then_reset_goes_back_to_the_baseline(http: httpx.Client) -> None:
    doc = "users:\n  - email_address: [seeded@example.com]\n    first_name: Seeded\n"
    r = http.post(f"{BASE}/seed", content=doc, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200 and len(r.json()["seeded"]["users"]) == 1
    assert [u["first_name"] for u in api(http, "GET", "/v1/users").json()] == ["Seeded"]
    assert http.post(f"{BASE}/reset").json()["users"] == 0
    assert api(http, "GET", "/v1/users").json() == []


def test_seed_json_with_baseline_flag(http: httpx.Client, mock_server: ClerkMock) -> None:
    doc = {"users": [{"email_address": ["base@example.com"]}]}
    assert http.post(f"{BASE}/seed?baseline=true", json=doc).status_code == 200
    api(http, "POST", "/v1/users", json={"email_address": ["later@example.com"]})
    http.post(f"{BASE}/reset")
    assert [u["email_addresses"][0]["email_address"] for u in api(http, "GET", "/v1/users").json()] == [
        "base@example.com"]


def test_seed_errors_name_the_line_and_leave_no_trace(http: httpx.Client) -> None:
    doc = "users:\n  - email_address: [ok@example.com]\n  - email_address: [not-an-email]\n"
    r = http.post(f"{BASE}/seed", content=doc)
    assert r.status_code == 422
    err = clerk_error(r)
    assert err["code"] == "scenario_invalid" and err["meta"]["line"] == 3
    assert "users[1]: form_param_format_invalid" in err["long_message"]
    assert api(http, "GET", "/v1/users").json() == []


def test_faults_crud(http: httpx.Client) -> None:
    rule = {"match": {"method": "GET", "path": "/v1/users"}, "respond": {"status": 503}, "times": 2}
    created = http.post(f"{BASE}/faults", json=rule)
    assert created.status_code == 200
    fid = created.json()["id"]
    assert created.json()["action"] == "respond" and created.json()["fired"] == 0
    assert api(http, "GET", "/v1/users").status_code == 503
    listed = http.get(f"{BASE}/faults").json()
    assert listed["total_count"] == 1 and listed["data"][0]["fired"] == 1
    assert listed["data"][0]["match"] == {"method": "GET", "path": "/v1/users"}
    assert http.get(f"{BASE}/faults/{fid}").json()["id"] == fid
    assert http.delete(f"{BASE}/faults/{fid}").json() == {"id": fid, "deleted": True}
    assert api(http, "GET", "/v1/users").status_code == 200
    missing = http.delete(f"{BASE}/faults/{fid}")
    assert missing.status_code == 404 and clerk_error(missing)["code"] == "resource_not_found"


def test_faults_post_yaml_list_and_delete_all(http: httpx.Client) -> None:
    yaml_rules = "- {id: a, match: GET /v1/users, delay: 1}\n- {id: b, match: /v1/jwks, drop: true}\n"
    r = http.post(f"{BASE}/faults", content=yaml_rules, headers={"Content-Type": "application/yaml"})
    assert [x["id"] for x in r.json()] == ["a", "b"]
    assert http.delete(f"{BASE}/faults").json() == {"deleted": 2}
    assert http.get(f"{BASE}/faults").json() == {"data": [], "total_count": 0}


def test_a_bad_fault_is_a_422_naming_the_key_and_nothing_is_added(http: httpx.Client) -> None:
    r = http.post(f"{BASE}/faults", json=[{"drop": True}, {"match": {"pth": "/v1/users"}, "drop": True}])
    assert r.status_code == 422
    err = clerk_error(r)
    assert err["meta"]["param_name"] == "[1].match.pth"
    assert "valid: method, path, query, headers, body" in err["long_message"]
    assert http.get(f"{BASE}/faults").json()["total_count"] == 0


def test_requests_journal_filter_and_clear(http: httpx.Client) -> None:
    http.post(f"{BASE}/faults", json={"id": "boom", "match": "POST /v1/users", "respond": {"status": 422,
              "error": "form_param_missing"}, "times": 1})
    api(http, "POST", "/v1/users", json={"email_address": ["j@example.com"]})
    api(http, "POST", "/v1/users", json={"email_address": ["j@example.com"]})
    api(http, "GET", "/v1/users", params={"limit": "5"})
    http.get(f"{BASE}/health")  # control-plane calls are not journaled
    entries = http.get(f"{BASE}/requests").json()
    assert entries["total_count"] == 3
    first, second, third = entries["data"]
    assert (first["status"], first["fault"], first["route"], first["action"]) == (422, "boom", "users.create",
                                                                                 "respond")
    assert (second["status"], second["fault"]) == (200, None)
    assert third["query"] == {"limit": ["5"]} and third["duration_ms"] >= 0
    assert http.get(f"{BASE}/requests", params={"method": "post"}).json()["total_count"] == 2
    assert http.get(f"{BASE}/requests", params={"path": "users.list"}).json()["total_count"] == 1
    assert http.get(f"{BASE}/requests", params={"path": "/v1/users/*"}).json()["total_count"] == 0
    assert len(http.get(f"{BASE}/requests", params={"limit": 1}).json()["data"]) == 1
    assert http.delete(f"{BASE}/requests").json() == {"deleted": 3}
    assert http.get(f"{BASE}/requests").json()["total_count"] == 0


def test_journal_is_bounded(mock_server: ClerkMock) -> None:
    from clerkmock.server.journal import Journal

    journal = Journal(max_entries=3)
    for i in range(5):
        journal.record(at_ms=i, method="GET", path="/v1/users", query={}, status=200, duration_ms=0, route=None)
    assert [e.seq for e in journal] == [3, 4, 5]
    assert mock_server.pipeline.journal.max_entries == 10_000


def test_clock_advance_set_freeze(http: httpx.Client) -> None:
    frozen = http.post(f"{BASE}/clock", json={"set": "2030-01-01T00:00:00Z", "frozen": True}).json()
    assert frozen == {"now_ms": 1893456000000, "now": "2030-01-01T00:00:00.000Z", "frozen": True}
    assert http.post(f"{BASE}/clock", json={"seconds": 90}).json()["now_ms"] == 1893456090000
    assert http.post(f"{BASE}/clock", json={"advance_ms": 10}).json()["now_ms"] == 1893456090010
    assert http.get(f"{BASE}/clock").json()["now_ms"] == 1893456090010
    created = api(http, "POST", "/v1/users", json={"email_address": ["t@example.com"]}).json()
    assert created["created_at"] == 1893456090010
    assert http.post(f"{BASE}/clock", json={"frozen": False}).json()["frozen"] is False
    bad = http.post(f"{BASE}/clock", json={"sec": 1})
    assert bad.status_code == 422 and clerk_error(bad)["meta"]["param_name"] == "sec"
    http.post(f"{BASE}/reset")
    assert http.get(f"{BASE}/clock").json()["now_ms"] < 1893456000000  # reset restores the clock


def test_state_round_trip_as_json(http: httpx.Client) -> None:
    api(http, "POST", "/v1/users", json={"email_address": ["keep@example.com"], "username": "keeper",
                                          "password": "correct-horse-battery"})
    org = api(http, "POST", "/v1/organizations", json={"name": "Keep", "created_by":
              api(http, "GET", "/v1/users").json()[0]["id"]}).json()
    snapshot = http.get(f"{BASE}/state")
    doc = snapshot.json()
    assert doc["format"] == "clerkmock-state" and doc["version"] == 1
    json.dumps(doc)  # plain JSON all the way down
    http.post(f"{BASE}/reset")
    assert api(http, "GET", "/v1/users").json() == []
    restored = http.put(f"{BASE}/state", json=doc)
    assert restored.json() == {"restored": True, "users": 1}
    (user,) = api(http, "GET", "/v1/users").json()
    assert user["username"] == "keeper"
    assert api(http, "GET", f"/v1/organizations/{org['id']}").json()["name"] == "Keep"
    verify = api(http, "POST", f"/v1/users/{user['id']}/verify_password", json={"password": "correct-horse-battery"})
    assert verify.json() == {"verified": True}
    assert http.get(f"{BASE}/state").json()["state"] == doc["state"]


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"hello": "world"}, "not a clerkmock state document"),
        ({"format": "clerkmock-state", "version": 99, "state": {}}, "unsupported state document version 99"),
        ({"format": "clerkmock-state", "version": 1, "state": {"$type": "os:system", "fields": {}}},
         "is not an engine class"),
        ({"format": "clerkmock-state", "version": 1, "state": {"$type": "clerkmock.engine.state:State",
                                                               "fields": {"nope": 1}}}, "has no attribute 'nope'"),
        ({"format": "clerkmock-state", "version": 1, "state": [1, 2]}, "state is not a State"),
    ],
)
def test_put_state_rejects_foreign_or_corrupt_documents(http: httpx.Client, doc: Any, needle: str) -> None:
    r = http.put(f"{BASE}/state", json=doc)
    assert r.status_code == 400
    err = clerk_error(r)
    assert err["code"] == "state_document_invalid" and needle in err["long_message"]


def test_put_state_rejects_non_json(http: httpx.Client) -> None:
    r = http.put(f"{BASE}/state", content=b"\x80\x05pickle")
    assert r.status_code == 400 and clerk_error(r)["code"] == "request_body_invalid"


def test_unknown_control_paths_and_methods_are_clerk_errors(http: httpx.Client) -> None:
    assert clerk_error(http.get(f"{BASE}/nope"))["code"] == "resource_not_found"
    r = http.delete(f"{BASE}/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_reset_restores_scenario_faults(http: httpx.Client) -> None:
    http.post(f"{BASE}/seed?baseline=true", content="faults:\n  - {id: once, match: GET /v1/users, "
                                                  "respond: 503, times: 1}\n")
    assert api(http, "GET", "/v1/users").status_code == 503
    assert api(http, "GET", "/v1/users").status_code == 200
    http.delete(f"{BASE}/faults")
    http.post(f"{BASE}/reset")
    assert [f["id"] for f in http.get(f"{BASE}/faults").json()["data"]] == ["once"]
    assert api(http, "GET", "/v1/users").status_code == 503
