"""The example apps of docs/examples/ (a Next.js app on @clerk/nextjs, an Express app on @clerk/express) as the
tests run them: installed with ``npm ci`` and built with ``next build`` in a cache outside the repository, then
started as subprocesses on a free port, configured only by the variables `clerkmock env` prints.

Cache (``$CLERKMOCK_EXAMPLES_CACHE`` or ``~/.cache/clerkmock/examples/``, shared by every worktree and test session):
``<app>-<lock hash>/node_modules`` is installed by ``npm ci`` once per lock file; ``<app>-<lock hash>/builds/<key>/``
is one build per build key (the app's sources, the inlined ``NEXT_PUBLIC_*`` values, Node's version: `build_key`),
made in a private directory and renamed into place when complete, leased by every app that runs from it and
pruned (`prune`) only when no app holds its lease.  So a session that needs another build (another relay port)
never touches the build a running ``next start`` of another session serves.  Next inlines ``NEXT_PUBLIC_*`` at
build time, so the clerkmock URL the app is built for must not move between runs: the tests reach the session's
server through `Relay`, a loopback TCP relay on a stable port (``$CLERKMOCK_EXAMPLES_PORT``, default 4838; a busy
port falls back to the next ones, stable too, and a random one only when all eight are taken: each costs a build).

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
RELAY_PORTS = 8  # DEFAULT_PORT and the next ones, tried in turn
# Not copied into the cache: what npm ci and next build make there.
_NOT_SOURCES = frozenset({"node_modules", ".next", "next-env.d.ts"})
NPM_TIMEOUT_S = 600
# The commands the tests run, as docs/browser.md and the README show them (tests/test_examples_docs.py checks that):
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund")
NEXT_BUILD = ("build",)  # after `next` (the tests run node_modules/next/dist/bin/next, what `npx next` runs)
NEXT_START = ("start", "--hostname", "localhost", "--port")  # localhost: with 127.0.0.1 the middleware's rewrite loops
EXPRESS_START = ("node", "server.mjs")  # on $PORT
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
    """One installer, builder or pruner at a time per app (worktrees share the cache)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{app}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install(app: str) -> Path:
    """The app's install directory: its ``package.json``, lock file and ``node_modules`` (``npm ci`` unless done
    for this lock file).  Raises `RuntimeError` with npm's output when npm fails (no registry, no network)."""
    target = app_dir(app)
    stamp = target / "node_modules" / ".clerkmock-installed"
    with _locked(app):
        if stamp.is_file():
            return target
        for old in cache_root().glob(f"{app}-*"):  # another lock file's install, unless an app still runs from it
            if old != target and old.is_dir():
                _remove_unless_in_use(old, [*_builds_of(old), old])
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            (target / name).write_bytes((EXAMPLES / app / name).read_bytes())
        env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "npm_config_update_notifier": "false"}
        done = subprocess.run([*NPM_CI], cwd=target, env=env, capture_output=True,
                              text=True, timeout=NPM_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"npm ci in {target} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        stamp.touch()
    return target


# -- builds: one directory per build key, published by rename, never changed or removed while an app runs from it --
#
# <install>/builds/<key>/ holds a copy of the app's sources (and, for Next, its ``.next``); Node finds the packages
# in <install>/node_modules by walking up.  A build is made in a private directory and renamed into place when it is
# complete, so nobody sees half of one.  Every running app holds a shared flock on its build's IN_USE file (the
# node process inherits it, so the lock lasts as long as the server does); pruning takes that flock exclusively,
# non-blocking, and skips what it cannot take.  Taking a lease and pruning both happen under `_locked`, so a build
# cannot be removed between being chosen and being leased.

BUILT = ".clerkmock-built"  # written last: the build's key
IN_USE = ".clerkmock-in-use"
KEEP_BUILDS = 3  # finished builds kept besides those in use (e.g. two worktrees whose relays got different ports)


@dataclass
class Build:
    directory: Path
    seconds: float | None  # None: the cached build was used
    lease: Any = None  # the open IN_USE file holding a shared flock, when leased


def build_key(app: str, env: dict[str, str]) -> str:
    """What a build depends on: the sources, the inlined ``NEXT_PUBLIC_*`` values and Node's version."""
    digest = hashlib.sha256()
    for rel in sources(app):
        digest.update(str(rel).encode() + b"\0" + (EXAMPLES / app / rel).read_bytes() + b"\0")
    for name in sorted(env):
        if name.startswith("NEXT_PUBLIC_"):
            digest.update(f"{name}={env[name]}\0".encode())
    digest.update(subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.encode())
    return digest.hexdigest()


def _builds_of(install_dir: Path) -> list[Path]:
    builds = install_dir / "builds"
    return sorted(builds.iterdir()) if builds.is_dir() else []


def _lease(directory: Path) -> Any:
    handle = open(directory / IN_USE, "a")  # noqa: SIM115 - the lease lives as long as the app; closed by its owner
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def _remove_unless_in_use(target: Path, holders: list[Path]) -> bool:
    """Remove ``target`` unless an app holds the lease of one of ``holders`` (directories inside it, or itself)."""
    taken = []
    try:
        for holder in holders:
            if not (holder / IN_USE).is_file():
                continue
            handle = open(holder / IN_USE, "a")  # noqa: SIM115 - closed below
            taken.append(handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        shutil.rmtree(target, ignore_errors=True)
        return True
    finally:
        for handle in taken:
            handle.close()


def prune(app: str, keep: int = KEEP_BUILDS) -> list[Path]:
    """Remove the app's unfinished builds and its finished ones beyond the ``keep`` most recently used, except those
    an app runs from; the removed directories."""
    with _locked(app):
        return _prune(app_dir(app), keep)


def _prune(install_dir: Path, keep: int) -> list[Path]:
    finished = [b for b in _builds_of(install_dir) if (b / BUILT).is_file()]
    finished.sort(key=lambda b: (b / BUILT).stat().st_mtime, reverse=True)
    unfinished = [b for b in _builds_of(install_dir) if not (b / BUILT).is_file()]  # a build that crashed
    removed = []
    spare = keep
    for build in finished:
        if spare > 0 and not _in_use(build):
            spare -= 1
            continue
        if _remove_unless_in_use(build, [build]):
            removed.append(build)
    for build in unfinished:
        shutil.rmtree(build, ignore_errors=True)
        removed.append(build)
    return removed


def _in_use(build: Path) -> bool:
    if not (build / IN_USE).is_file():
        return False
    with open(build / IN_USE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def prepare(app: str, env: dict[str, str], *, lease: bool = False) -> Build:
    """The app's build for ``env`` (``next build`` for the Next.js example; a copy of the sources for Express),
    made unless cached; with ``lease``, held for an app to run from (`App` releases it)."""
    install_dir = install(app)
    key = build_key(app, env)
    target = install_dir / "builds" / key[:32]
    with _locked(app):
        seconds = None
        if not (target / BUILT).is_file():
            seconds = _build(app, env, install_dir, target, key)
            _prune(install_dir, KEEP_BUILDS)
        (target / BUILT).touch()  # most recently used: the last one pruned
        return Build(target, seconds, _lease(target) if lease else None)


def _build(app: str, env: dict[str, str], install_dir: Path, target: Path, key: str) -> float:
    started = time.monotonic()
    work = install_dir / "builds" / f".{target.name}-{os.getpid()}"  # unfinished: `_prune` removes a crashed one
    shutil.rmtree(work, ignore_errors=True)
    for rel in sources(app):
        if rel.name == "package-lock.json":  # the install's: Next takes the directory with the lock file as its root
            continue
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes((EXAMPLES / app / rel).read_bytes())
    if app == "nextjs":
        done = subprocess.run([*_next(install_dir), *NEXT_BUILD], cwd=work, env=_node_env(env), capture_output=True,
                              text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise AssertionError(f"next build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    (work / BUILT).write_text(key)
    shutil.rmtree(target, ignore_errors=True)  # an unfinished one (no BUILT): nobody runs from it
    os.rename(work, target)
    return time.monotonic() - started


def build_next(env: dict[str, str]) -> Build:
    """``next build`` of the Next.js example for ``env`` (from `clerkmock env --next`), unless already built."""
    return prepare("nextjs", env)


def _next(install_dir: Path) -> list[str]:
    return ["node", str(install_dir / "node_modules" / "next" / "dist" / "bin" / "next")]


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

    def __init__(self, args: list[str], build: Build, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        self.directory = build.directory
        self._lease = build.lease
        self.log = build.directory / f"server-{port}.log"
        self._log = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        # The server inherits the lease: its build is not pruned while it runs, even past this process.
        held = (build.lease.fileno(),) if build.lease is not None else ()
        self.proc = subprocess.Popen(args, cwd=build.directory, env={**_node_env(env), "PORT": str(port)},
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, pass_fds=held)
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
        if self._lease is not None:
            self._lease.close()
            self._lease = None


def start_next(env: dict[str, str]) -> App:
    """The built Next.js example (``next start`` on ``localhost``: with 127.0.0.1 Clerk's middleware rewrite loops)."""
    build = prepare("nextjs", env, lease=True)
    port = free_port()
    return App([*_next(app_dir("nextjs")), *NEXT_START, str(port)], build, env, port)


def start_express(env: dict[str, str]) -> App:
    return App([*EXPRESS_START], prepare("express", env, lease=True), env, free_port())


class Relay:
    """A loopback TCP relay from a stable port to the session's clerkmock, so the clerkmock URL that ``next build``
    inlines does not change from one test session to the next (the session server listens on a free port)."""

    def __init__(self, upstream_port: int, port: int | None = None) -> None:
        wanted = int(os.environ.get("CLERKMOCK_EXAMPLES_PORT", DEFAULT_PORT)) if port is None else port
        self.upstream = upstream_port
        self.listener = socket.socket()
        # Taken (another worktree's run, a `clerkmock serve`): the next ports, which cost a build the first time
        # but, being stable too, hit the cache in later sessions; a free port only when all are taken.
        for candidate in [*range(wanted, wanted + RELAY_PORTS), 0]:
            try:
                self.listener.bind(("127.0.0.1", candidate))
                break
            except OSError:
                continue
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


def cookies_settled(context: Any, url: str) -> bool:
    """Whether the app's ``__session`` is at least as new as its ``__client_uat`` (or nobody is signed in).  Right
    after a page load clerk-js may have written a newer ``__client_uat`` and not yet the token that goes with it; a
    request in between is signed out (``session-token-iat-before-client-uat``, no handshake for a fetch), in Clerk
    as here."""
    import base64
    import json

    jar = {c["name"]: c["value"] for c in context.cookies(url)}
    uat = int(jar.get("__client_uat") or 0)
    token = jar.get("__session")
    if uat == 0:
        return True
    if not token or token.count(".") != 2:
        return False
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims.get("iat", 0)) >= uat


def server_auth(page: Any, app: App, timeout_s: float = 15) -> dict[str, object]:
    """What the app's /api/me returns: its server's auth(), from this browser's cookies once clerk-js has written a
    consistent pair (`cookies_settled`)."""
    import json

    deadline = time.monotonic() + timeout_s
    while not cookies_settled(page.context, app.url) and time.monotonic() < deadline:
        time.sleep(0.1)
    resp = page.request.get(f"{app.url}/api/me")
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
