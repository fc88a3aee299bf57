"""``--state-file``: state survives restarts, writes are atomic and coalesced, bad files are never overwritten."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.server.persistence import StateFileError

AUTH = {"authorization": "Bearer sk_test_persist"}
ROOT = Path(__file__).resolve().parent.parent


def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_state_survives_a_restart_in_process(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = ClerkMock(config_dir=tmp_path, state_file=path)
    assert not first.state_loaded and path.exists()  # created at start
    client = httpx.Client(transport=first.transport(), base_url="http://clerkmock", headers=AUTH)
    user = client.post("/v1/users", json={"email_address": ["keep@example.com"], "password": "correct-horse-1"})
    assert user.status_code == 200
    first.stop()  # flushes
    second = ClerkMock(config_dir=tmp_path, state_file=path)
    assert second.state_loaded
    client2 = httpx.Client(transport=second.transport(), base_url="http://clerkmock", headers=AUTH)
    again = client2.get(f"/v1/users/{user.json()['id']}")
    assert again.status_code == 200 and again.json() == user.json()
    assert client2.post(f"/v1/users/{user.json()['id']}/verify_password",
                        json={"password": "correct-horse-1"}).json() == {"verified": True}
    # ids continue where they left off instead of repeating
    other = client2.post("/v1/users", json={"email_address": ["next@example.com"]}).json()
    assert other["id"] != user.json()["id"]
    second.stop()


def test_writes_are_coalesced_and_follow_changes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    mock = ClerkMock(config_dir=tmp_path, state_file=path)
    assert mock.state_file is not None
    client = httpx.Client(transport=mock.transport(), base_url="http://clerkmock", headers=AUTH)
    before = mock.state_file.writes
    for i in range(40):
        client.post("/v1/users", json={"username": f"burst_{i:03d}"})
    _wait_for(lambda: len(json.loads(path.read_text())["state"]["fields"]["users"]) == 40 and mock.state_file.idle)
    assert mock.state_file.writes - before < 40  # many changes, few writes
    client.get("/v1/users")  # reads do not write
    writes = mock.state_file.writes
    time.sleep(0.3)
    assert mock.state_file.writes == writes
    mock.stop()


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "something-else"}', b"\x00\xff binary"])
def test_corrupt_or_foreign_file_is_an_error_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError, match="left untouched"):
        ClerkMock(config_dir=tmp_path, state_file=path)
    assert path.read_bytes() == content
    proc = subprocess.run([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--config-dir",
                           str(tmp_path), "--state-file", str(path)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "left untouched" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == content


def test_kill_9_leaves_a_loadable_file(tmp_path: Path) -> None:
    """SIGKILL in the middle of a stream of writes: the file on disk always loads, and holds all but the
    last ~100 ms of changes."""
    path = tmp_path / "state.json"
    proc = subprocess.Popen([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--config-dir",
                             str(tmp_path), "--state-file", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        url = proc.stdout.readline().strip().split("=", 1)[1]  # CLERK_API_URL=...
        with httpx.Client(base_url=url, headers=AUTH) as client:
            created = 0
            for i in range(60):
                assert client.post("/v1/users", json={"username": f"kill_{i:03d}"}).status_code == 200
                created += 1
            time.sleep(0.35)  # let the coalesced write land
            for i in range(60, 80):  # some more, possibly not yet on disk when killed
                client.post("/v1/users", json={"username": f"kill_{i:03d}"})
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    mock = ClerkMock(config_dir=tmp_path, state_file=path)
    users = len(mock.engine.state.users)
    assert 60 <= users <= 80
    mock.stop()


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        ClerkMock(config_dir=tmp_path, state_file=tmp_path / "nope" / "state.json")
