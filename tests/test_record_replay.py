"""Record through clerkmock against a local upstream (a second clerkmock standing in for Clerk), then replay with
the upstream stopped: the same bodies, byte for byte, and no secret in the cassette.

Every server is a subprocess (`clerkmock serve/record/replay`): mitmproxy allows one master per process, and
this is how a user runs them.  They start once per module.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from clerkmock.cassette import Scrubber, load_cassette
from clerkmock.cassette.scrub import SECRET_NAMES, SECRET_PATTERNS

KEY = "sk_test_" + "RealLookingSecretKey0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Server:
    proc: subprocess.Popen[str]
    env: dict[str, str]

    def stop(self, sig: int = signal.SIGINT) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def start(args: list[str], config_dir: Path, wait_for: str) -> Server:
    """Run `clerkmock ARGS` and read the NAME=value lines it prints until ``wait_for``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "clerkmock", *args, "--config-dir", str(config_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    env: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        name, _, value = line.strip().partition("=")
        env[name] = value
        if name == wait_for:
            return Server(proc, env)
    proc.kill()
    raise AssertionError(f"clerkmock {' '.join(args)} did not start: {proc.communicate()[1]}")


@dataclass
class Call:
    via: str  # base | proxy
    method: str
    path: str
    json: Any = None
    auth: dict[str, str] = field(default_factory=lambda: dict(AUTH))


@dataclass
class Recording:
    cassette: Path
    calls: list[Call]
    bodies: list[bytes]
    statuses: list[int]
    secrets: dict[str, str]  # what each secret-bearing response handed the client
    counts_after_each_call: list[int]
    recorder_stderr: str
    config_dir: Path


def _trust(bundle: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=bundle)


def _send(client: dict[str, httpx.Client], call: Call) -> httpx.Response:
    base = "https://api.clerk.com" if call.via == "proxy" else ""
    return client[call.via].request(call.method, base + call.path, json=call.json, headers=call.auth)


def _collect_secrets(value: Any, found: dict[str, str], where: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SECRET_NAMES and isinstance(v, str) and v:
                found[f"{where}.{k}"] = v
            _collect_secrets(v, found, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _collect_secrets(v, found, f"{where}[{i}]")
    elif isinstance(value, str):
        for kind, pattern in SECRET_PATTERNS:
            for m in pattern.finditer(value):
                if Scrubber().text(m.group(0)) != m.group(0):  # not an id that merely looks like one (ak_<hex>)
                    found.setdefault(f"{where}:{kind}", m.group(0))


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    tmp = tmp_path_factory.mktemp("record")
    config = tmp / "config"
    upstream = start(["serve", "--port", "0"], tmp / "upstream-config", "CLERK_SECRET_KEY")
    cassette = tmp / "cassettes" / "lifecycle.yaml"
    recorder = start(["record", "--upstream", upstream.env["CLERK_API_URL"], "--port", "0", "--proxy-port", "0",
                      "-o", str(cassette)], config, "NODE_USE_ENV_PROXY")  # fmt: skip
    clients = {
        "base": httpx.Client(base_url=recorder.env["CLERK_API_URL"], timeout=10),
        "proxy": httpx.Client(proxy=recorder.env["HTTPS_PROXY"], verify=_trust(recorder.env["SSL_CERT_FILE"]), timeout=10),
    }
    calls: list[Call] = []
    bodies: list[bytes] = []
    statuses: list[int] = []
    secrets: dict[str, str] = {"the secret key": KEY}
    counts: list[int] = []

    def do(call: Call) -> Any:
        r = _send(clients, call)
        calls.append(call)
        bodies.append(r.content)
        statuses.append(r.status_code)
        _collect_secrets(r.json() if r.content else None, secrets, f"#{len(calls)} {call.method} {call.path}")
        counts.append(cassette.read_text().count("\n- id: "))
        return r.json() if r.content else None

    try:
        user = do(Call("base", "POST", "/v1/users",
                       {"email_address": ["rec.alice@example.com"], "password": "Corr3ct-Horse-Battery!"}))  # fmt: skip
        do(Call("base", "GET", f"/v1/users/{user['id']}"))
        do(Call("proxy", "GET", "/v1/users?limit=5&order_by=-created_at"))
        do(Call("proxy", "GET", f"/v1/users/{user['id']}"))
        do(Call("base", "GET", "/v1/users/user_doesnotexist"))  # a Clerk error is recorded like any response
        session = do(Call("base", "POST", "/v1/sessions", {"user_id": user["id"]}))
        do(Call("proxy", "POST", f"/v1/sessions/{session['id']}/tokens"))
        do(Call("base", "POST", "/v1/sign_in_tokens", {"user_id": user["id"]}))
        do(Call("base", "POST", "/v1/actor_tokens", {"user_id": user["id"], "actor": {"sub": "user_support"}}))
        do(Call("base", "POST", "/v1/testing_tokens"))
        machine = do(Call("base", "POST", "/v1/machines", {"name": "worker"}))
        m2m = do(Call("base", "POST", "/v1/m2m_tokens", {}, {"Authorization": f"Bearer {machine['secret_key']}"}))
        do(Call("base", "POST", "/v1/m2m_tokens/verify", {"token": m2m["token"]}))
        key = do(Call("base", "POST", "/v1/api_keys", {"type": "api_key", "subject": user["id"], "name": "ci key"}))
        do(Call("base", "POST", "/v1/api_keys/verify", {"secret": key["secret"]}))
        do(Call("proxy", "GET", "/v1/jwks"))
        do(Call("base", "GET", "/v1/users?limit=5&order_by=-created_at"))
    finally:
        for c in clients.values():
            c.close()
        # A crash, not a clean stop: SIGKILL leaves no chance to flush anything at exit.
        recorder_err = recorder.stop(signal.SIGKILL)
        upstream.stop()
    assert upstream.proc.returncode is not None
    yield Recording(cassette, calls, bodies, statuses, secrets, counts, recorder_err, config)


def test_each_interaction_is_written_as_it_completes(recording: Recording) -> None:
    # After the n-th call returned, the file already held n interactions (no buffering until exit) ...
    assert recording.counts_after_each_call == list(range(1, len(recording.calls) + 1))
    # ... so a recorder killed with SIGKILL lost nothing that had completed.
    cassette = load_cassette(recording.cassette)
    assert len(cassette.interactions) == len(recording.calls) and not cassette.incomplete_tail


def test_the_cassette_records_what_was_asked_for(recording: Recording) -> None:
    cassette = load_cassette(recording.cassette)
    assert cassette.meta["version"] == 1 and cassette.meta["scrubbed"] == {"secrets": True, "pii": False}
    first = cassette.interactions[0]
    assert first.request.method == "POST" and first.request.path == "/v1/users"
    assert first.request.body == {"email_address": ["rec.alice@example.com"], "password": "<password:1>"}
    assert first.response.status == 200 and first.response.headers["content-type"] == "application/json"
    assert first.response.body["object"] == "user" and first.recorded_at and first.duration_ms is not None
    third = cassette.interactions[2]  # through the forward proxy
    assert third.request.query == {"limit": ["5"], "order_by": ["-created_at"]}
    assert [i.response.status for i in cassette.interactions] == recording.statuses


def test_no_secret_reaches_the_cassette(recording: Recording) -> None:
    text = recording.cassette.read_text()
    kinds = {k.rsplit(":", 1)[-1] if ":" in k else k.rsplit(".", 1)[-1] for k in recording.secrets}
    # every kind the upstream handed out was seen by the client (else this test proves less than it says)
    assert {"jwt", "testing_token", "m2m_token", "api_key_secret", "the secret key"} <= kinds | {"the secret key"}
    assert len(recording.secrets) >= 8
    leaked = {where: v for where, v in recording.secrets.items() if v in text}
    assert leaked == {}, leaked
    assert "Corr3ct-Horse-Battery!" not in text
    # The app got the real values all along: the recorder scrubbed a copy, never the live response.
    assert all("<" not in v for v in recording.secrets.values())


@pytest.fixture(scope="module")
def replayer(recording: Recording, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start(["replay", str(recording.cassette), "--port", "0", "--proxy-port", "0"], recording.config_dir,
                   "NODE_USE_ENV_PROXY")  # fmt: skip
    yield server
    server.stop()


def test_replay_with_the_upstream_stopped_gives_byte_identical_bodies(recording: Recording, replayer: Server) -> None:
    clients = {
        "base": httpx.Client(base_url=replayer.env["CLERK_API_URL"], timeout=10),
        "proxy": httpx.Client(proxy=replayer.env["HTTPS_PROXY"], verify=_trust(replayer.env["SSL_CERT_FILE"]), timeout=10),
    }
    identical, scrubbed = 0, 0
    for i, (call, body, status) in enumerate(zip(recording.calls, recording.bodies, recording.statuses, strict=True)):
        # The same requests with other credentials: a real key matches its scrubbed recording.
        call = Call(call.via, call.method, call.path, call.json,
                    {"Authorization": call.auth["Authorization"].replace(KEY, "sk_live_" + "Other" * 8)})  # fmt: skip
        r = _send(clients, call)
        assert r.status_code == status, (i, call, r.text)
        assert r.headers["clerkmock-replay"] == f"#{i + 1} in lifecycle.yaml"
        had_secret = any(v in body.decode() for v in recording.secrets.values())
        if had_secret:  # those bodies now carry placeholders where the secrets were: same shape, same size class
            scrubbed += 1
            assert json.loads(r.content).keys() == json.loads(body).keys()
        else:
            identical += 1
            assert r.content == body, (i, call)
    assert identical >= 9 and scrubbed >= 6


def test_strict_replay_names_the_closest_recording(recording: Recording, tmp_path: Path) -> None:
    server = start(["replay", str(recording.cassette), "--port", "0", "--strict"], recording.config_dir,
                   "CLERK_API_URL")  # fmt: skip
    try:
        r = httpx.get(server.env["CLERK_API_URL"] + "/v1/users?limit=6&order_by=-created_at", headers=AUTH)
        assert r.status_code == 404
        err = r.json()["errors"][0]
        assert err["code"] == "resource_not_found" and err["meta"]["differs_in"] == "query"
        assert "limit: recorded ['5'], requested ['6']" in err["long_message"]
    finally:
        err_text = server.stop()
    assert "no recorded interaction matches GET /v1/users?limit=6" in err_text


def test_record_scrub_pii(tmp_path: Path) -> None:
    upstream = start(["serve", "--port", "0"], tmp_path / "up", "CLERK_SECRET_KEY")
    cassette = tmp_path / "pii.yaml"
    recorder = start(["record", "--upstream", upstream.env["CLERK_API_URL"], "--port", "0", "-o", str(cassette),
                      "--scrub-pii"], tmp_path / "rec", "CLERK_API_URL")  # fmt: skip
    try:
        body = {"email_address": ["grace.hopper@example.org"], "phone_number": ["+14155550199"],
                "first_name": "Grace", "last_name": "Hopper", "username": "ghopper"}  # fmt: skip
        created = httpx.post(recorder.env["CLERK_API_URL"] + "/v1/users", json=body, headers=AUTH)
        assert created.status_code == 200 and created.json()["first_name"] == "Grace"  # the live response is real
        httpx.get(recorder.env["CLERK_API_URL"] + "/v1/users?email_address=grace.hopper@example.org", headers=AUTH)
    finally:
        recorder.stop()
        upstream.stop()
    text = cassette.read_text()
    for value in ("grace.hopper", "4155550199", "Grace", "Hopper", "ghopper"):
        assert value not in text, value
    first, second = load_cassette(cassette).interactions
    assert first.request.body["email_address"] == ["email1@example.com"]
    assert first.response.body["email_addresses"][0]["email_address"] == "email1@example.com"  # consistent
    assert second.request.query["email_address"] == ["email1@example.com"]
    assert first.response.body["first_name"] == "First1" and first.request.body["phone_number"] == ["+15550100001"]


def test_record_refuses_a_bad_upstream(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "clerkmock", "record", "--upstream", "ftp://x", "-o",
                          str(tmp_path / "x.yaml")], capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert out.returncode == 1 and "--upstream must be an http(s) URL" in out.stderr


def test_replay_refuses_an_unknown_cassette_version(tmp_path: Path) -> None:
    bad = tmp_path / "future.yaml"
    bad.write_text("version: 7\ninteractions: []\n")
    out = subprocess.run([sys.executable, "-m", "clerkmock", "replay", str(bad), "--port", "0"],
                         capture_output=True, text=True, timeout=30, env={**os.environ}, check=False)  # fmt: skip
    assert out.returncode == 1 and "unsupported cassette version 7" in out.stderr and "upgrade clerkmock" in out.stderr
