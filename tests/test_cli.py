"""`clerkmock` CLI: `routes` in-process, `serve` as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from clerkmock.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_routes_prints_totals_grouped_by_tag() -> None:
    result = CliRunner().invoke(main, ["routes"])
    assert result.exit_code == 0, result.output
    totals = re.search(r"^implemented (\d+) / (\d+) operations$", result.output, re.M)
    assert totals, result.output
    implemented, total = map(int, totals.groups())
    assert total > 100 and 0 <= implemented <= total
    assert re.search(r"^Users \(\d+/\d+\)$", result.output, re.M)
    assert "GET    /v1/users/{user_id}" in result.output


def test_routes_filters_and_json() -> None:
    data = json.loads(CliRunner().invoke(main, ["routes", "--json"]).output)
    assert data["total"] == len(data["operations"])
    assert data["implemented"] == sum(op["implemented"] for op in data["operations"])
    missing = json.loads(CliRunner().invoke(main, ["routes", "--json", "--missing"]).output)["operations"]
    assert len(missing) == data["total"] - data["implemented"] and not any(op["implemented"] for op in missing)
    assert data["implemented"] == data["total"] == 249  # every operation of the spec (issue 15)
    text = CliRunner().invoke(main, ["routes", "--implemented"]).output
    assert "[ ]" not in text


def test_routes_lists_the_operations_missing_from_clerks_spec_apart() -> None:
    text = CliRunner().invoke(main, ["routes"]).output
    block = text.split("Not in Clerk's spec", 1)[1]
    assert re.search(r"^  \[x\] GET +/v1/clients/handshake_payload +GetHandshakePayload +\(not in Clerk's spec\)$",
                     block, re.M), text
    assert re.search(r"^implemented 249 / 249 operations$", text, re.M)  # the figure stays one about the spec
    data = json.loads(CliRunner().invoke(main, ["routes", "--json"]).output)
    assert [op["operation_id"] for op in data["not_in_spec"]] == ["GetHandshakePayload"]
    assert data["not_in_spec"][0]["implemented"] and data["not_in_spec"][0]["route"]
    assert "GetHandshakePayload" not in {op["operation_id"] for op in data["operations"]}
    missing = CliRunner().invoke(main, ["routes", "--missing"]).output
    assert "handshake_payload" not in missing
    assert "not_in_spec" not in json.loads(CliRunner().invoke(main, ["routes", "--fapi", "--json"]).output)


def _serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERKMOCK_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("CLERKMOCK_SECRET_KEYS", None)
    return subprocess.Popen(
        [sys.executable, "-m", "clerkmock", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def _read_env(proc: subprocess.Popen[str], timeout: float = 20.0) -> dict[str, str]:
    """Read stdout until both env lines arrived; bounded, so a broken server cannot hang the suite.  A reader
    thread, because select() on a buffered text pipe misses lines already sitting in Python's buffer."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    out: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(out) < 2:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        name, _, value = line.strip().partition("=")
        out[name] = value
    return out


def test_serve_prints_env_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--port", "0", "--secret-key", "sk_test_cli")
    try:
        env = _read_env(proc)
        assert env.keys() == {"CLERK_API_URL", "CLERK_SECRET_KEY"}, env
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", env["CLERK_API_URL"])
        assert env["CLERK_SECRET_KEY"] == "sk_test_cli"
        r = httpx.get(env["CLERK_API_URL"] + "/__clerkmock/health", timeout=5)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in proc.stderr.read()


def test_serve_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _serve(tmp_path, "--port", str(port))
        try:
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "address already in use" in lines[0] and str(port) in lines[0]


def test_a_busy_port_names_the_option_in_conflict(tmp_path: Path) -> None:
    """Issue 12.9: a busy --proxy-port (or one equal to --port) said "try another --port"."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        for args, option in ((["--port", "0", "--proxy-port", str(port)], "--proxy-port"),
                             (["--port", "0", "--transparent", "--transparent-port", str(port)], "--transparent-port"),
                             (["--port", str(port)], "--port")):
            proc = _serve(tmp_path, *args)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 1 and "Traceback" not in err
            assert f"try another {option};" in err, err
    proc = _serve(tmp_path, "--port", "5999", "--proxy-port", "5999")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.strip() == "clerkmock: --port and --proxy-port are both 5999: each listener needs its own port"


def test_serve_finds_a_bundled_scenario_by_its_docs_path_from_anywhere(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--port", "0", "--scenario", "scenarios/b2b.yaml")  # cwd: tmp_path, outside the repo
    try:
        env = _read_env(proc)
        assert "CLERK_API_URL" in env, proc.stderr.read() if proc.poll() is not None else env
        r = httpx.get(env["CLERK_API_URL"] + "/v1/organizations", headers={"Authorization": "Bearer sk_test_x"})
        assert r.status_code == 200 and r.json()["total_count"] > 0
    finally:
        proc.terminate()
        proc.wait(10)


def test_make_serve_says_how_to_pick_another_port(tmp_path: Path) -> None:
    """Issue 12.4: `make serve PORT=… SCENARIO=… ARGS=…`; a busy port is answered in make's terms."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        # VENV/STAMP: this interpreter's environment, never a venv build from inside the suite
        venv = Path(sys.executable).parent.parent
        out = subprocess.run(["make", "-C", str(ROOT), "serve", f"VENV={venv}", "STAMP=", f"PORT={port}",
                              "SCENARIO=scenarios/b2b.yaml", f"ARGS=--config-dir {tmp_path}"],
                             capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode != 0
    assert f"--port {port} --scenario scenarios/b2b.yaml --config-dir {tmp_path}" in out.stdout + out.stderr
    assert "pick another: make serve PORT=…" in out.stderr


@pytest.mark.parametrize("value", ["sk_test_a,sk_test_b", " sk_test_a \n sk_test_b sk_test_cli"])
def test_secret_keys_from_flag_and_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    import clerkmock.mock

    seen: list[str] = []

    def fake_mock(port: int, host: str, keys: object, *args: object, **kwargs: object) -> None:
        seen.extend(keys)  # type: ignore[call-overload]
        raise ValueError("stop before serving")

    monkeypatch.setattr(clerkmock.mock, "ClerkMock", fake_mock)
    env = {"CLERKMOCK_SECRET_KEYS": value}
    result = CliRunner().invoke(main, ["serve", "--secret-key", "sk_test_cli"], env=env)
    assert result.exit_code == 1
    assert seen == ["sk_test_cli", "sk_test_a", "sk_test_b"]  # flag first, then env; duplicates dropped
