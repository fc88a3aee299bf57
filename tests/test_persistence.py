"""``--state-file``: state survives restarts, writes are atomic and coalesced, bad files are never overwritten."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.engine import Request
from clerkmock.server.persistence import StateFileError

AUTH = {"authorization": "Bearer sk_test_persist"}
ROOT = Path(__file__).resolve().parent.parent


def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _users_on_disk(path: Path) -> int:
    try:
        return len(json.loads(path.read_text())["state"]["fields"]["users"])
    except (OSError, ValueError, KeyError):
        return -1


def _create_user(mock: ClerkMock, name: str) -> None:
    directive = mock.pipeline.handle(Request.make("POST", "/v1/users", headers=AUTH, json={"username": name}))
    assert directive.response.status == 200


def test_a_burst_of_changes_is_one_write(tmp_path: Path) -> None:
    """Regression: the writer's coalescing wait ended at the next change, so a burst of changes was a write
    per change or two.  The deadline holds however many changes arrive before it."""
    mock = ClerkMock(config_dir=tmp_path, state_file=tmp_path / "state.json")
    assert mock.state_file is not None
    mock.state_file.delay_s = 60.0  # longer than the burst: the writer must not write before it ends
    before = mock.state_file.writes
    for i in range(20):
        _create_user(mock, f"burst_{i:03d}")
        time.sleep(0.01)  # room for the writer thread to wake between changes, as requests spread out would
    assert mock.state_file.writes == before
    mock.stop()  # the final write
    assert mock.state_file.writes == before + 1 and _users_on_disk(tmp_path / "state.json") == 20


def test_stop_ends_the_writer_and_start_resumes_it(tmp_path: Path) -> None:
    mock = ClerkMock(config_dir=tmp_path, state_file=tmp_path / "state.json")
    assert mock.state_file is not None and mock.state_file.running
    mock.stop()
    assert not mock.state_file.running  # regression: the writer thread outlived stop()
    with mock:
        assert mock.state_file.running
        _create_user(mock, "after_restart")
    assert not mock.state_file.running and _users_on_disk(tmp_path / "state.json") == 1


def test_the_last_write_is_the_newest_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a flush racing the writer could land first, then the writer's older snapshot over it."""
    path = tmp_path / "state.json"
    mock = ClerkMock(config_dir=tmp_path, state_file=path)
    sf = mock.state_file
    assert sf is not None
    sf.delay_s = 0.0
    taken, release = threading.Event(), threading.Event()
    original = sf._snapshot

    def snapshot() -> Any:
        snap = original()
        if threading.current_thread() is sf._thread and not taken.is_set():
            taken.set()  # the writer holds an old snapshot ...
            release.wait(2)  # ... and is slow to write it
        return snap

    monkeypatch.setattr(sf, "_snapshot", snapshot)
    before = sf.writes
    _create_user(mock, "first")
    _wait_for(taken.is_set)
    _create_user(mock, "second")  # newer than what the writer holds
    sf.flush()
    release.set()
    _wait_for(lambda: sf.writes >= before + 2)
    assert _users_on_disk(path) == 2
    mock.stop()


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
    _wait_for(lambda: not mock.state_file.pending)  # a change that raced the last write is written too
    client.get("/v1/users")
    assert not mock.state_file.pending  # reads do not mark the state dirty, so they never cause a write
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
            for i in range(60):
                assert client.post("/v1/users", json={"username": f"kill_{i:03d}"}).status_code == 200
            # the coalesced write of those 60 lands (a deadline, not a guess of how long it takes)
            _wait_for(lambda: _users_on_disk(path) >= 60, timeout=30)
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
