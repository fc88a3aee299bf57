"""``clerkmock serve --state-file PATH``: state that survives restarts.

- At start, an existing file is loaded (the JSON document of ``GET /__clerkmock/state``, see
  ``state_json.py``).  A corrupt or foreign file is a clear error, and is never overwritten.
- After any request that may have changed state, a write is scheduled `DELAY_S` later (a deadline: later
  changes do not move it nor cut it short); changes in between coalesce into that one write.  A clean
  shutdown (`close`, called by `ClerkMock.stop`) ends the writer and writes once more.
- Writes happen one at a time, each snapshotting as it starts, so the last write is always the newest state
  (a `flush` racing the writer can never be overwritten by an older snapshot).
- Every write is atomic: a temp file in the same directory, fsync, ``os.replace``.  So ``kill -9`` at any
  moment leaves either the previous complete file or the new one, lacking at most the last interval.

The snapshot is taken under the pipeline lock as a pickle (fast); turning it into JSON and writing happen
on the writer thread, outside the lock, so requests are not held up by the disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from clerkmock.engine.state import State
from clerkmock.server.pipeline import Pipeline
from clerkmock.server.state_json import StateDocumentError, dump_state, load_state

log = logging.getLogger("clerkmock")

DELAY_S = 0.1


class StateFileError(ValueError):
    """The state file exists but cannot be used (corrupt, foreign, unreadable)."""


def read_state_file(path: Path) -> tuple[State, dict[str, Any] | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateFileError(f"{path}: cannot read state file: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateFileError(
            f"{path}: not a clerkmock state file (invalid JSON: {exc}); it was left untouched — "
            "move it away or pass another --state-file"
        ) from None
    try:
        return load_state(doc)
    except StateDocumentError as exc:
        raise StateFileError(f"{path}: not a usable clerkmock state file ({exc}); it was left untouched") from None


def write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class StateFile:
    def __init__(self, path: str | os.PathLike[str], pipeline: Pipeline) -> None:
        self.path = Path(path).expanduser().resolve()
        self.pipeline = pipeline
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()  # one write at a time, snapshot included: newest last
        self._dirty = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.delay_s = DELAY_S
        self.writes = 0
        self._writing = False

    def load_or_create(self) -> bool:
        """Load the file into the engine if it exists (True), else write the current state to it (False)."""
        if not self.path.parent.is_dir():
            raise StateFileError(f"{self.path}: directory {self.path.parent} does not exist")
        if self.path.exists():
            state, clock = read_state_file(self.path)
            with self.pipeline.lock:
                self.pipeline.engine.state = state
                if clock:
                    self.pipeline.engine.clock.restore_state(clock)
            return True
        self._write_newest()
        return False

    @property
    def pending(self) -> bool:
        """A change is waiting for its write."""
        with self._cond:
            return self._dirty

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Follow changes (again, after `close`) with the writer thread."""
        if self.running:
            return
        with self._cond:
            self._closed = False
        if self.mark_dirty not in self.pipeline.change_listeners:
            self.pipeline.change_listeners.append(self.mark_dirty)
        self._thread = threading.Thread(target=self._run, name="clerkmock-state-file", daemon=True)
        self._thread.start()

    @property
    def idle(self) -> bool:
        """Nothing changed since the last write, and no write is under way."""
        with self._cond:
            return not self._dirty and not self._writing

    def mark_dirty(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify()

    def flush(self) -> None:
        """Write now (a clean shutdown of the listeners; the writer keeps running)."""
        with self._cond:
            self._dirty = False
        self._write_newest()

    def close(self) -> None:
        """Stop the writer, then write the final state."""
        with contextlib.suppress(ValueError):
            self.pipeline.change_listeners.remove(self.mark_dirty)
        with self._cond:
            self._closed = True
            self._dirty = False
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._write_newest()

    # -- writer thread -----------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                # coalesce: whatever else changes before the deadline goes into this same write (each change
                # notifies, so a single wait would end at the next change)
                deadline = time.monotonic() + self.delay_s
                while not self._closed and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                if self._closed:
                    return
                self._dirty = False
                self._writing = True
            try:
                self._write_newest()
            except Exception:  # a full disk must not kill the server; the next change retries
                log.exception("clerkmock: could not write state file %s", self.path)
            finally:
                with self._cond:
                    self._writing = False

    def _write_newest(self) -> None:
        with self._write_lock:
            self._write(self._snapshot())

    def _snapshot(self) -> tuple[bytes, dict[str, Any]]:
        with self.pipeline.lock:
            return self.pipeline.engine.state.snapshot(), self.pipeline.engine.clock.state()

    def _write(self, snap: tuple[bytes, dict[str, Any]]) -> None:
        blob, clock = snap
        doc = dump_state(State.restore(blob), clock)
        write_atomically(self.path, json.dumps(doc, separators=(",", ":")).encode())
        self.writes += 1
