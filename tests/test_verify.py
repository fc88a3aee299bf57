"""`clerkmock verify`: the emulator against a recording, field by field, with ids and timestamps by shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from clerkmock import ClerkMock
from clerkmock.cassette import (
    CassetteWriter,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    Scrubber,
    load_cassette,
)
from clerkmock.cassette.compare import compare_json, verify
from clerkmock.engine.types import Request

AUTH = {"Authorization": "Bearer sk_test_" + "V" * 24}


def test_compare_reports_missing_extra_type_and_value_differences() -> None:
    recorded = {"id": "user_" + "a" * 27, "object": "user", "created_at": 1700000000000, "name": "x",
                "gone": 1, "list": [1, 2], "kind": "a"}  # fmt: skip
    actual = {"id": "user_" + "b" * 27, "object": "user", "created_at": 1800000000000, "name": None,
              "new": True, "list": [1], "kind": "b"}  # fmt: skip
    c = compare_json(recorded, actual)
    found = {(d.kind, d.path) for d in c.differences}
    assert found == {("missing", ".gone"), ("extra", ".new"), ("type", ".name"), ("length", ".list"),
                     ("value", ".kind")}  # fmt: skip
    assert 0 < c.score < 1
    # ids compare by prefix, not value
    assert compare_json({"id": "user_" + "a" * 27}, {"id": "org_" + "a" * 27}).differences[0].kind == "value"


def _record(tmp_path: Path, seed: str, calls: list[Request]) -> Path:
    mock = ClerkMock(config_dir=tmp_path / "cfg", seed=seed)
    path = tmp_path / f"{seed}.yaml"
    w = CassetteWriter(path, {}, Scrubber())
    for req in calls:
        resp = mock.pipeline.handle(req).response
        w.append(Interaction(RecordedRequest.from_request(req), RecordedResponse.from_parts(resp.status, resp.headers,
                                                                                            resp.body)))  # fmt: skip
    w.close()
    return path


def _lifecycle() -> list[Request]:
    return [
        Request.make("POST", "/v1/users", headers=AUTH,
                     json={"email_address": ["v@example.com"], "password": "Sup3r-secret-pass!"}),
        Request.make("GET", "/v1/users?limit=10", headers=AUTH),
    ]  # fmt: skip


def test_a_recording_of_the_emulator_scores_100_even_with_other_ids(tmp_path: Path) -> None:
    path = _record(tmp_path, "another-seed", _lifecycle())
    user_id = load_cassette(path).interactions[0].response.body["id"]
    # A follow-up that names the recorded id: verify must send the fresh emulator's id instead.
    extra = Request.make("GET", f"/v1/users/{user_id}", headers=AUTH)
    mock = ClerkMock(config_dir=tmp_path / "cfg", seed="another-seed")
    mock.pipeline.handle(_lifecycle()[0]), mock.pipeline.handle(_lifecycle()[1])
    w_path = tmp_path / "full.yaml"
    w = CassetteWriter(w_path, {}, Scrubber())
    for inter in load_cassette(path).interactions:
        w.append(inter)
    resp = mock.pipeline.handle(extra).response
    w.append(Interaction(RecordedRequest.from_request(extra), RecordedResponse.from_parts(resp.status, resp.headers,
                                                                                          resp.body)))  # fmt: skip
    w.close()

    fresh = ClerkMock(config_dir=tmp_path / "cfg")  # default seed: every id differs from the recording's
    report = verify(load_cassette(w_path), lambda r: fresh.pipeline.handle(r).response, fresh.secret_key)
    assert [r.status for r in report.results] == [200, 200, 200]
    assert report.results[2].sent.startswith("GET /v1/users/user_") and user_id not in report.results[2].sent
    assert all(not r.comparison.differences for r in report.results), report.lines()
    assert report.score == 100.0


def test_verify_cli_prints_each_difference_and_a_score(tmp_path: Path) -> None:
    path = _record(tmp_path, "clerkmock", _lifecycle())
    data = yaml.safe_load(path.read_text())
    body = data["interactions"][0]["response"]["json"]
    body["renamed_field"] = body.pop("first_name")  # a field the emulator lacks, and one it adds
    body["banned"] = "no"  # a type difference
    data["interactions"][1]["response"]["status"] = 201
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    cmd = [sys.executable, "-m", "clerkmock", "verify", str(path), "--config-dir", str(tmp_path / "cfg")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("#1 POST /v1/users: 200 recorded, 200 from the emulator - 3 difference(s)")
    assert "    missing .renamed_field (recorded null)" in lines
    assert "    extra   .first_name (emulator sent null)" in lines
    assert "    type    .banned: string recorded, boolean from the emulator" in lines
    assert any(line.startswith("#2 GET /v1/users?limit=10: 201 recorded, 200 from the emulator") for line in lines)
    assert lines[-1].startswith("score: ") and "(0/2 interactions match the recording in shape)" in lines[-1]

    failing = subprocess.run([*cmd, "--min-score", "99"], capture_output=True, text=True, timeout=60, check=False)
    assert failing.returncode == 1 and "below --min-score 99" in failing.stderr


def test_a_status_difference_names_the_emulators_error_instead_of_every_field(tmp_path: Path) -> None:
    path = _record(tmp_path, "clerkmock", _lifecycle()[:1])
    data = yaml.safe_load(path.read_text())
    data["interactions"][0]["request"]["json"]["email_address"] = ["not-an-email"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    fresh = ClerkMock(config_dir=tmp_path / "cfg")
    report = verify(load_cassette(path), lambda r: fresh.pipeline.handle(r).response, fresh.secret_key)
    lines = report.lines()
    assert lines[1] == "    status  200 recorded, 422 from the emulator"
    assert lines[2].startswith("    error   the emulator answered 'form_param_format_invalid: ")
    assert len(report.results[0].comparison.differences) == 2 and report.score == 0.0
