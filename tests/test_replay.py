"""Replay from cassettes, in process: matching, order, strict misses, and the pytest fixture/marker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from clerkmock import ClerkMock
from clerkmock.cassette import (
    CassetteWriter,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    Replayer,
    Scrubber,
    load_cassette,
)
from clerkmock.engine.types import Request

KEY = "sk_test_" + "R" * 30


def record(tmp_path: Path, calls: list[Request], *, pii: bool = False, name: str = "c.yaml") -> Path:
    """Run ``calls`` through a fresh in-process emulator and write them as `clerkmock record` would."""
    mock = ClerkMock(config_dir=tmp_path / "cfg")
    path = tmp_path / name
    writer = CassetteWriter(path, {"scrubbed": {"secrets": True, "pii": pii}}, Scrubber(pii=pii))
    for req in calls:
        resp = mock.pipeline.handle(req).response
        writer.append(Interaction(RecordedRequest.from_request(req), RecordedResponse.from_parts(
            resp.status, resp.headers, resp.body)))  # fmt: skip
    writer.close()
    return path


def call(method: str, url: str, json_body: Any = None, key: str = KEY) -> Request:
    return Request.make(method, url, headers={"Authorization": f"Bearer {key}"}, json=json_body)


@pytest.fixture
def users_cassette(tmp_path: Path) -> Path:
    return record(tmp_path, [
        call("GET", "/v1/users?limit=5"),
        call("POST", "/v1/users", {"email_address": ["alice@example.com"], "password": "s3cret-Passw0rd!"}),
        call("GET", "/v1/users?limit=5"),
    ])  # fmt: skip


def test_repeated_requests_are_served_in_recorded_order(users_cassette: Path) -> None:
    r = Replayer([load_cassette(users_cassette)])
    first = r.handle(call("GET", "/v1/users?limit=5"))
    second = r.handle(call("GET", "/v1/users?limit=5"))
    assert json.loads(first.body) == [] and len(json.loads(second.body)) == 1
    assert first.headers["clerkmock-replay"] == "#1 in c.yaml"
    assert second.headers["clerkmock-replay"] == "#3 in c.yaml"
    third = r.handle(call("GET", "/v1/users?limit=5"))  # all served: lenient replays the last again
    assert third.body == second.body and "(repeat)" in third.headers["clerkmock-replay"]


def test_a_real_secret_matches_its_scrubbed_recording(users_cassette: Path) -> None:
    text = users_cassette.read_text()
    assert "s3cret-Passw0rd!" not in text and KEY not in text
    r = Replayer([load_cassette(users_cassette)], strict=True)
    # Any key, any password: both are normalised to their kind before matching.
    resp = r.handle(call("POST", "/v1/users", {"email_address": ["alice@example.com"], "password": "other-Pass1!"},
                         key="sk_live_" + "Z" * 40))  # fmt: skip
    assert resp.status == 200 and resp.json()["email_addresses"][0]["email_address"] == "alice@example.com"


def test_strict_miss_is_a_clerk_shaped_404_naming_the_closest_recording(users_cassette: Path) -> None:
    r = Replayer([load_cassette(users_cassette)], strict=True)
    resp = r.handle(call("POST", "/v1/users", {"email_address": ["bob@example.com"]}))
    assert resp.status == 404 and resp.headers["content-type"] == "application/json"
    body = resp.json()
    err = body["errors"][0]
    assert err["code"] == "resource_not_found" and body["clerk_trace_id"]
    assert err["meta"]["closest"] == "#2 in c.yaml" and err["meta"]["differs_in"] == "body"
    assert "POST /v1/users" in err["long_message"]
    assert "email_address[0]: recorded 'alice@example.com', requested 'bob@example.com'" in err["long_message"]
    # query differences are named too
    err = r.handle(call("GET", "/v1/users?limit=6")).json()["errors"][0]
    assert err["meta"]["differs_in"] == "query" and "limit: recorded ['5'], requested ['6']" in err["long_message"]
    # strict serves each recording once
    for _ in range(2):
        assert r.handle(call("GET", "/v1/users?limit=5")).status == 200
    exhausted = r.handle(call("GET", "/v1/users?limit=5")).json()["errors"][0]
    assert "already served" in exhausted["long_message"]
    assert len(r.misses) == 3


def test_lenient_replay_answers_the_same_route_approximately(users_cassette: Path) -> None:
    r = Replayer([load_cassette(users_cassette)])
    resp = r.handle(call("GET", "/v1/users?limit=99"))
    assert resp.status == 200 and "(approximate)" in resp.headers["clerkmock-replay"]
    assert r.handle(call("DELETE", "/v1/users/user_x")).status == 404  # no such route recorded: still a miss


def test_a_pii_scrubbed_cassette_matches_the_real_values(tmp_path: Path) -> None:
    path = record(tmp_path, [call("POST", "/v1/users", {"email_address": ["carol@example.net"], "first_name": "Carol"})],
                  pii=True)  # fmt: skip
    assert "carol" not in path.read_text().lower()
    r = Replayer([load_cassette(path)], strict=True)
    resp = r.handle(call("POST", "/v1/users", {"email_address": ["dave@example.org"], "first_name": "Dave"}))
    assert resp.status == 200
    assert resp.json()["email_addresses"][0]["email_address"] == "email1@example.com"


def test_several_cassettes_are_searched_together(tmp_path: Path, users_cassette: Path) -> None:
    other = record(tmp_path, [call("GET", "/v1/jwks")], name="jwks.yaml")
    r = Replayer([load_cassette(users_cassette), load_cassette(other)], strict=True)
    assert r.handle(call("GET", "/v1/jwks")).headers["clerkmock-replay"] == "#1 in jwks.yaml"
    with pytest.raises(AssertionError, match="3 recorded interaction"):
        r.assert_all_played()


def test_the_python_sdk_replays_through_the_in_process_transport(users_cassette: Path) -> None:
    r = Replayer([load_cassette(users_cassette)])
    with Clerk(bearer_auth="sk_test_whatever", client=httpx.Client(transport=r.transport())) as sdk:
        # The SDK sends its own headers (user agent, API version): headers never take part in matching.
        assert sdk.users.list(request={"limit": 5}) == []


# -- the pytest fixture and marker -----------------------------------------------------------------------------


@pytest.mark.clerkmock_replay("cassettes/test_replay/users.yaml", strict=True)
def test_marker_with_a_path(clerkmock_replay: Replayer) -> None:
    with Clerk(bearer_auth="sk_test_x", client=httpx.Client(transport=clerkmock_replay.transport())) as sdk:
        users = sdk.users.list(request={"limit": 10})
        assert [u.email_addresses[0].email_address for u in users] == ["replay.alice@example.com"]
        assert sdk.users.get(user_id=users[0].id).id == users[0].id
    clerkmock_replay.assert_all_played()


@pytest.mark.clerkmock_replay
def test_marker_default_path(clerkmock_replay: Replayer) -> None:
    # cassettes/test_replay/test_marker_default_path.yaml: the module/test-name convention
    assert clerkmock_replay.cassettes[0].path.name == "test_marker_default_path.yaml"
    resp = httpx.Client(transport=clerkmock_replay.transport()).get("https://api.clerk.com/v1/jwks")
    assert resp.status_code == 200 and resp.json()["keys"][0]["kty"] == "RSA"


def test_fixture_fails_clearly_without_the_cassette(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "test_missing.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.clerkmock_replay('nope.yaml')\n"
        "def test_x(clerkmock_replay):\n"
        "    pass\n"
    )
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "clerkmock.pytest_replay",
                           str(tmp_path / "test_missing.py")], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 1, proc.stdout
    assert "1 error" in proc.stdout
    assert "nope.yaml does not exist: record it with `clerkmock record" in proc.stdout


def test_several_set_cookie_lines_replay_as_several(tmp_path: Path) -> None:
    path = tmp_path / "cookies.yaml"
    writer = CassetteWriter(path, {"scrubbed": {"secrets": True, "pii": False}}, Scrubber())
    req = call("GET", "/v1/users?limit=1")
    writer.append(Interaction(RecordedRequest.from_request(req), RecordedResponse.from_parts(
        200, {"content-type": "application/json", "set-cookie": "a=1; Path=/\nb=2; Path=/"}, b"[]")))  # fmt: skip
    writer.close()
    resp = Replayer([load_cassette(path)]).handle(req)
    assert [c.split("=", 1)[0] for c in resp.set_cookies] == ["a", "b"] and "set-cookie" not in resp.headers
