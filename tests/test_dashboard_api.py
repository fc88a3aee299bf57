"""The control-plane routes the dashboard reads: the Backend API as it answers (not journaled), the journal
as Server-Sent Events and one entry with masked bodies, pausing a fault rule, webhook deliveries."""

from __future__ import annotations

import httpx

from clerkmock import ClerkMock

AUTH = {"Authorization": "Bearer sk_test_dashboard_api"}


def _events(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append(fields)
    return out


def test_api_reads_as_the_backend_api_answers_without_a_journal_entry(mock_server: ClerkMock) -> None:
    url = mock_server.url
    created = httpx.post(url + "/v1/users", headers=AUTH, json={"email_address": ["api@example.com"]}).json()
    seen = httpx.get(url + f"/__clerkmock/api/v1/users/{created['id']}")  # no Authorization needed
    assert seen.status_code == 200 and seen.json() == httpx.get(url + f"/v1/users/{created['id']}", headers=AUTH).json()
    journal = httpx.get(url + "/__clerkmock/requests").json()
    assert [e["path"] for e in journal["data"]] == ["/v1/users", f"/v1/users/{created['id']}"]
    refused = httpx.post(url + "/__clerkmock/api/v1/users", json={"email_address": ["x@example.com"]})
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"
    assert httpx.get(url + "/__clerkmock/api/v1/nope").status_code == 404


def test_stream_sends_entries_after_last_event_id_and_a_clear(mock_server: ClerkMock) -> None:
    url = mock_server.url
    for i in range(3):
        httpx.post(url + "/v1/users", headers=AUTH, json={"email_address": [f"s{i}@example.com"]})
    first = httpx.get(url + "/__clerkmock/requests/stream", params={"wait": 0})
    assert first.headers["content-type"] == "text/event-stream"
    assert [e["id"] for e in _events(first.text)] == ["1", "2", "3"]
    assert first.text.startswith("retry: ")
    after = httpx.get(url + "/__clerkmock/requests/stream", headers={"Last-Event-ID": "2"}, params={"wait": 0})
    assert [e["id"] for e in _events(after.text)] == ["3"]
    idle = httpx.get(url + "/__clerkmock/requests/stream", headers={"Last-Event-ID": "3"}, params={"wait": 0})
    assert _events(idle.text) == [] and ": idle" in idle.text
    httpx.delete(url + "/__clerkmock/requests")
    cleared = httpx.get(url + "/__clerkmock/requests/stream", headers={"Last-Event-ID": "3"}, params={"wait": 0})
    assert [e["event"] for e in _events(cleared.text)] == ["clear"]
    bad = httpx.get(url + "/__clerkmock/requests/stream", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 400


def test_one_entry_has_its_bodies_with_secrets_masked(mock_server: ClerkMock) -> None:
    url = mock_server.url
    body = {"name": "ci", "claims": {"k": "sk_test_abcdefghijklmnopqrstuvwxyz0123456789"}}
    httpx.post(url + "/v1/jwt_templates", headers=AUTH, json=body)
    entry = httpx.get(url + "/__clerkmock/requests/1").json()
    assert entry["request_body"]["name"] == "ci"
    assert "sk_test_abcdefghijklmnopqrstuvwxyz0123456789" not in str(entry)
    assert entry["response_body"]["object"] == "jwt_template"
    listed = httpx.get(url + "/__clerkmock/requests").json()["data"][0]
    assert "request_body" not in listed and listed["client"].startswith("python-httpx")
    assert httpx.get(url + "/__clerkmock/requests/99").status_code == 404


def test_pause_and_resume_a_fault_rule(mock_server: ClerkMock) -> None:
    url = mock_server.url
    httpx.post(url + "/__clerkmock/faults", json={"id": "nope", "match": "GET /v1/users", "respond": 503})
    assert httpx.get(url + "/v1/users", headers=AUTH).status_code == 503
    paused = httpx.patch(url + "/__clerkmock/faults/nope", json={"paused": True}).json()
    assert paused["paused"] is True
    assert httpx.get(url + "/v1/users", headers=AUTH).status_code == 200
    httpx.patch(url + "/__clerkmock/faults/nope", json={"paused": False})
    assert httpx.get(url + "/v1/users", headers=AUTH).status_code == 503
    assert httpx.get(url + "/__clerkmock/faults/nope").json()["fired"] == 2
    assert httpx.patch(url + "/__clerkmock/faults/nope", json={"paused": "yes"}).status_code == 422
    assert httpx.patch(url + "/__clerkmock/faults/other", json={"paused": True}).status_code == 404
    httpx.post(url + "/__clerkmock/faults", json={"id": "rate_limit", "rate_limit": {"requests": 1, "window_s": 60}})
    assert httpx.get(url + "/__clerkmock/faults").json()["data"][0]["id"] == "rate_limit"  # evaluated first


def test_unknown_webhook_deliveries_are_404(mock_server: ClerkMock) -> None:
    url = mock_server.url
    assert httpx.get(url + "/__clerkmock/webhooks/deliveries/dlv_x").status_code == 404
    assert httpx.post(url + "/__clerkmock/webhooks/redeliver/dlv_x").status_code == 404
