"""The example apps of docs/examples/ (a Next.js app on @clerk/nextjs, an Express app on @clerk/express) as the
tests run them: installed with ``npm ci`` and built with ``next build`` in a cache outside the repository, then
started as subprocesses on a free port, configured only by the variables `clerkmock env` prints.

Cache: ``$CLERKMOCK_EXAMPLES_CACHE`` or ``~/.cache/clerkmock/examples/<app>-<lock hash>/`` holds a copy of the app
and its ``node_modules`` (``npm ci`` once per lock file); the ``next build`` in it is redone only when the app's
sources, the inlined ``NEXT_PUBLIC_*`` values or Node's version change (``.next/clerkmock-build-key``).  Next inlines
``NEXT_PUBLIC_*`` at build time, so the clerkmock URL the app is built for must not move between runs: the tests
reach the session's server through `Relay`, a loopback TCP relay on a stable port (``$CLERKMOCK_EXAMPLES_PORT``,
default 4838; a busy port falls back to a free one, which costs a build).

``python -m tests.browser.examples install`` runs the ``npm ci`` steps alone (``.ci/run`` does, with the registry
reachable), so the test run itself needs no network.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
APPS = ("nextjs", "express")
DEFAULT_PORT = 4838
# Not copied into the cache: what npm ci and next build make there.
_NOT_SOURCES = frozenset({"node_modules", ".next", "next-env.d.ts"})
NPM_TIMEOUT_S = 600
BUILD_TIMEOUT_S = 600


def cache_root() -> Path:
    configured = os.environ.get("CLERKMOCK_EXAMPLES_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "clerkmock" / "examples"


def sources(app: str) -> list[Path]:
    """The app's files, relative to its directory, in a stable order."""
    base = EXAMPLES / app
    found = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not _NOT_SOURCES.intersection(rel.parts):
            found.append(rel)
    return found


def lock_hash(app: str) -> str:
    return hashlib.sha256((EXAMPLES / app / "package-lock.json").read_bytes()).hexdigest()[:16]


def app_dir(app: str) -> Path:
    return cache_root() / f"{app}-{lock_hash(app)}"


def node_problem() -> str | None:
    """Why Node and npm cannot run the examples here, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "`node`/`npm` not on PATH (Node >= 20.9 runs the example apps)"
    return None


@contextlib.contextmanager
def _locked(app: str) -> Iterator[None]:
    """One installer or builder at a time per app (worktrees share the cache)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{app}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sync_sources(app: str, target: Path) -> None:
    for rel in sources(app):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = (EXAMPLES / app / rel).read_bytes()
        if not dest.is_file() or dest.read_bytes() != data:
            dest.write_bytes(data)


def install(app: str) -> Path:
    """The app's cache directory with its sources and ``node_modules`` (``npm ci`` unless done for this lock).
    Raises `RuntimeError` with npm's output when npm fails (no registry, no network)."""
    target = app_dir(app)
    stamp = target / "node_modules" / ".clerkmock-installed"
    with _locked(app):
        _sync_sources(app, target)
        if stamp.is_file():
            return target
        for old in cache_root().glob(f"{app}-*"):  # another lock file's install: not needed any more
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "npm_config_update_notifier": "false"}
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=target, env=env, capture_output=True,
                              text=True, timeout=NPM_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"npm ci in {target} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        stamp.touch()
    return target


@dataclass
class Build:
    directory: Path
    seconds: float | None  # None: the cached build was used


def build_key(app: str, env: dict[str, str]) -> str:
    """What a ``next build`` depends on: the sources, the inlined values and Node's version."""
    digest = hashlib.sha256()
    for rel in sources(app):
        digest.update(str(rel).encode() + b"\0" + (EXAMPLES / app / rel).read_bytes() + b"\0")
    for name in sorted(env):
        if name.startswith("NEXT_PUBLIC_"):
            digest.update(f"{name}={env[name]}\0".encode())
    digest.update(subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.encode())
    return digest.hexdigest()


def build_next(env: dict[str, str]) -> Build:
    """``next build`` of the Next.js example for ``env`` (from `clerkmock env --next`), unless already built."""
    target = install("nextjs")
    key = build_key("nextjs", env)
    marker = target / ".next" / "clerkmock-build-key"
    with _locked("nextjs"):
        if marker.is_file() and marker.read_text() == key:
            return Build(target, None)
        shutil.rmtree(target / ".next", ignore_errors=True)
        started = time.monotonic()
        done = subprocess.run([*_next(target), "build"], cwd=target, env=_node_env(env), capture_output=True,
                              text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise AssertionError(f"next build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        marker.write_text(key)
        return Build(target, time.monotonic() - started)


def _next(target: Path) -> list[str]:
    return ["node", str(target / "node_modules" / "next" / "dist" / "bin" / "next")]


def _node_env(env: dict[str, str]) -> dict[str, str]:
    """The process environment for an example: the caller's, minus any Clerk or proxy settings of its own, plus
    ``env``."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("CLERK_", "NEXT_PUBLIC_CLERK_", "VITE_CLERK_"))
            and k.lower() not in ("https_proxy", "http_proxy", "all_proxy")}
    return {**base, "NEXT_TELEMETRY_DISABLED": "1", "NO_COLOR": "1", **env}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class App:
    """An example app running as a subprocess (its own process group) on ``http://localhost:<port>``."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        self.log = cwd / f"server-{port}.log"
        self._log = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=cwd, env={**_node_env(env), "PORT": str(port)}, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError), socket.create_connection(("localhost", self.port), timeout=1):
                return
            time.sleep(0.1)
        self._stop()
        raise AssertionError(f"the app did not listen on {self.url} within {timeout_s} s:\n{self.output()}")

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        self._stop()
        self.log.unlink(missing_ok=True)

    def _stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def start_next(env: dict[str, str]) -> App:
    """The built Next.js example (``next start`` on ``localhost``: with 127.0.0.1 Clerk's middleware rewrite loops)."""
    target = build_next(env).directory
    port = free_port()
    return App([*_next(target), "start", "--hostname", "localhost", "--port", str(port)], target, env, port)


def start_express(env: dict[str, str]) -> App:
    target = install("express")
    return App(["node", "server.mjs"], target, env, free_port())


class Relay:
    """A loopback TCP relay from a stable port to the session's clerkmock, so the clerkmock URL that ``next build``
    inlines does not change from one test session to the next (the session server listens on a free port)."""

    def __init__(self, upstream_port: int, port: int | None = None) -> None:
        wanted = int(os.environ.get("CLERKMOCK_EXAMPLES_PORT", DEFAULT_PORT)) if port is None else port
        self.upstream = upstream_port
        self.listener = socket.socket()
        try:
            self.listener.bind(("127.0.0.1", wanted))
        except OSError:  # taken (another worktree's run, a `clerkmock serve`): a free port, and another build
            self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, name="examples-relay", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                src.shutdown(socket.SHUT_RD)

    def close(self) -> None:
        self._closed = True
        self.listener.close()


NODE_DIR = Path(__file__).resolve().parent / "node"  # @clerk/testing + @playwright/test (make test installs them)
RUNNER = NODE_DIR / "node_modules" / "@playwright" / "test" / "cli.js"


def clerk_testing_problem() -> str | None:
    if not (NODE_DIR / "node_modules" / "@clerk" / "testing").is_dir() or not RUNNER.is_file():
        return "tests/browser/node/node_modules is missing: run `make test` (or npm ci in tests/browser/node)"
    return None


def run_clerk_testing(env: dict[str, str], app: App, protected: str, signed_out_url: str, user: dict[str, str],
                      report: Path) -> tuple[dict[str, int], str]:
    """tests/browser/node/example-apps.pw.mjs (@clerk/testing's clerk.signIn / signOut) against ``app``: the
    Playwright stats and the output."""
    import json

    run_env = {**_node_env(env), "CLERKMOCK_APP_URL": app.url, "CLERKMOCK_PROTECTED": protected,
               "CLERKMOCK_SIGNED_OUT_URL": signed_out_url, "CLERKMOCK_USER": json.dumps(user),
               "CLERKMOCK_REPORT": str(report), "CLERKMOCK_ARTIFACTS": str(report.parent / "artifacts"),
               "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    run_env.pop("FORCE_COLOR", None)
    run_env.pop("CLERK_TESTING_TOKEN", None)  # clerkSetup fetches its own from clerkmock
    done = subprocess.run(["node", str(RUNNER), "test", "--config", "example-apps.config.mjs"], cwd=NODE_DIR,
                          env=run_env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          check=False)
    output = done.stdout + done.stderr
    stats = json.loads(report.read_text())["stats"] if report.is_file() else {}
    return stats, output


def app_env(mock: object, api_url: str, framework: str | None = None) -> dict[str, str]:
    """`clerkmock env` (``--next`` with ``framework="next"``) for ``mock`` as reached at ``api_url``."""
    from clerkmock import appenv

    target = replace(appenv.target_of(mock), api_url=api_url)  # type: ignore[arg-type]
    return appenv.variables(target, "base", framework)


# -- what the example tests share ---------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery"


def skip_or_fail(reason: str) -> None:
    """Skip (one line in the run's summary), or fail under CI, which installs Node and the packages."""
    import pytest

    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def bapi(mock: object, method: str, path: str, body: object = None) -> Any:
    import httpx

    resp = httpx.request(method, f"{mock.url}/v1{path}", json=body,  # type: ignore[attr-defined]
                         headers={"authorization": f"Bearer {mock.secret_key}"})  # type: ignore[attr-defined]
    assert resp.status_code == 200, resp.text
    return resp.json()


def make_user(mock: object, email: str = "alice@example.com") -> Any:
    return bapi(mock, "POST", "/users", {"email_address": [email], "password": PASSWORD})


def handshakes(mock: object) -> list[str]:
    """The reasons of the handshakes the Frontend API answered, in order."""
    journal = mock.pipeline.journal  # type: ignore[attr-defined]
    return [e.query.get("__clerk_hs_reason", ["?"])[0] for e in journal.entries("GET", "/__clerk/v1/client/handshake")]


def server_auth(page: object, app: App) -> dict[str, object]:
    """What the app's /api/me returns: its server's auth(), from this browser's cookies."""
    import json

    resp = page.request.get(f"{app.url}/api/me")  # type: ignore[attr-defined]
    assert resp.status == 200, resp.text()
    return json.loads(resp.text())  # type: ignore[no-any-return]


AVATARS = "https://img.clerk.com/"


def offsite_besides_avatars(offsite: list[str]) -> list[str]:
    """What the page tried to reach off the loopback (aborted by the test's gate), less the avatar images Clerk's
    UI shows for ``image_url`` (Clerk serves them from img.clerk.com; clerkmock does not: the UI shows initials)."""
    return [url for url in offsite if not url.startswith(AVATARS)]


def main(argv: list[str]) -> int:
    if argv[:1] != ["install"]:
        print("usage: python -m tests.browser.examples install   (npm ci of docs/examples/* into the cache)")
        return 2
    problem = node_problem()
    if problem:
        print(f"examples: not installed: {problem}", file=sys.stderr)
        return 1
    for app in APPS:
        started = time.monotonic()
        print(f"examples: {app} in {install(app)} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
