"""The browser harness: Debian's Chromium driven by PyPI playwright, a page server on ``http://localhost:<port>``
and the session's clerkmock (``mock_server``) answering the page's Frontend API and bundle requests.

- ``chromium``: one headless Chromium for the browser tests, launched from ``/usr/bin/chromium`` with ``--no-sandbox``
  (never ``playwright install``: it downloads a browser from a CDN).
- ``page_server``: serves ``tests/browser/pages/*.html`` with ``$name`` placeholders filled from `PageServer.values`
  (the clerkmock URLs, the publishable key, the bundle URLs) and pages a test registers with `PageServer.add`.
  It is another origin than clerkmock (localhost vs 127.0.0.1): the page reaches clerkmock the way an app's
  ``proxyUrl`` makes it, cross-site, in dev-browser mode.
- ``context`` / ``page``: a fresh browser context per test; when the test fails, a screenshot of each of its pages
  and the console lines go to ``tests/browser/artifacts/`` (gitignored; CI keeps the directory).

Without Chromium, playwright or the cached bundles (``clerkmock assets fetch``) every browser test is skipped,
and the run ends with ONE line saying why — never silently.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any

import pytest

from clerkmock import ClerkMock
from clerkmock.assets import DEFAULT_VERSIONS, AssetCache

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
ARTIFACTS = HERE / "artifacts"
_SKIP = pytest.StashKey[tuple[str, int]]()
_OUTCOME = pytest.StashKey[Any]()


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    cache = AssetCache()
    missing = [f"{name}@{version}" for name, version in DEFAULT_VERSIONS.items() if cache.find(name, version) is None]
    if missing:
        return f"{', '.join(missing)} not in the bundle cache {cache.root} (run: clerkmock assets fetch)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    if not ours:
        return
    reason = unavailable()
    if reason is None:
        return
    config.stash[_SKIP] = (reason, len(ours))
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=f"browser: {reason}"))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIP, None)
    if skipped is not None:
        reason, count = skipped
        terminalreporter.write_line(f"clerkmock: {count} browser tests skipped: {reason}", yellow=True, bold=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":  # the context fixture looks at it on teardown to keep a screenshot
        item.stash[_OUTCOME] = report
    return report


# -- the page server ---------------------------------------------------------------------------------------------


class PageServer:
    """Test pages on ``http://localhost:<free port>``.  `values` fill ``$placeholders``; `add` registers a page
    (HTML with placeholders) for one test; `url` gives a page's address."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.extra: dict[str, str] = {}
        server = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                path = self.path.split("?", 1)[0]
                server.requests.append(path)
                body = server.render(path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="page-server", daemon=True)
        self._thread.start()

    def render(self, path: str) -> str | None:
        name = path.lstrip("/") or "index.html"
        if name in self.extra:
            source = self.extra[name]
        elif re.fullmatch(r"[a-z0-9_-]+\.html", name) and (PAGES / name).is_file():
            source = (PAGES / name).read_text()
        else:
            return None
        return Template(source).safe_substitute(self.values)

    def add(self, name: str, html: str) -> str:
        self.extra[name] = html
        return self.url(name)

    def url(self, name: str, query: str = "") -> str:
        return f"{self.origin}/{name}" + (f"?{query}" if query else "")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def page_values(mock: ClerkMock) -> dict[str, str]:
    """What a test page needs to reach ``mock``: its Frontend API proxy URL, key and bundle URLs."""
    from clerkmock import keys

    base = mock.url
    return {
        "clerkmock_url": base,
        "proxy_url": f"{base}/__clerk",
        "publishable_key": keys.publishable_key(mock),
        "clerk_js_url": f"{base}/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
        "clerk_ui_url": f"{base}/__clerk/npm/@clerk/ui@1/dist/ui.browser.js",
    }


@pytest.fixture(scope="package")
def page_server(mock_server: ClerkMock) -> Iterator[PageServer]:
    server = PageServer()
    server.values.update(page_values(mock_server))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _fresh_pages(request: pytest.FixtureRequest) -> None:
    if "page_server" in request.fixturenames:  # pages a test added are its own
        request.getfixturevalue("page_server").extra.clear()


# -- the browser -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    # Package scope, not session: playwright's sync API keeps an event loop running in the main thread while it
    # is started, and later tests that call asyncio.run() would fail; it stops once the browser tests are done.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            yield browser
        finally:
            browser.close()


LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})


@pytest.fixture
def allowed_hosts() -> set[str]:
    """Hosts the page may reach (loopback); a test going through the forward proxy adds the Clerk hosts."""
    return set(LOOPBACK)


@pytest.fixture
def offsite() -> list[str]:
    """Every request the page tried to send elsewhere (aborted): tests assert it stays empty."""
    return []


@pytest.fixture
def context(chromium: Any, request: pytest.FixtureRequest, allowed_hosts: set[str], offsite: list[str]) -> Iterator[Any]:
    """A fresh browser context (own cookies and storage) that can reach only ``allowed_hosts``.  On failure:
    screenshots and console lines kept."""
    from urllib.parse import urlsplit

    ctx = chromium.new_context()

    def gate(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in allowed_hosts or \
                f"[{urlsplit(url).hostname}]" in allowed_hosts:
            route.continue_()
        else:
            offsite.append(url)
            route.abort("blockedbyclient")

    ctx.route("**/*", gate)
    console: list[str] = []
    ctx.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    ctx.on("weberror", lambda err: console.append(f"[pageerror] {err.error}"))
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        report = request.node.stash.get(_OUTCOME, None)
        if report is not None and report.failed:
            _keep_artifacts(request.node.name, ctx, console)
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def _keep_artifacts(test_name: str, ctx: Any, console: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    for i, pg in enumerate(ctx.pages):
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{stem}-{i}.png"), full_page=True, timeout=5_000)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be shot must not hide the real failure
            console.append(f"[harness] no screenshot of page {i}: {exc}")
    (ARTIFACTS / f"{stem}.console.txt").write_text("\n".join(console) + "\n")
