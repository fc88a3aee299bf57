"""The dashboard at /__clerkmock/ui, in headless Chromium (the harness in conftest.py: Debian's
/usr/bin/chromium through PyPI playwright, never `playwright install`).  Changes are made through the official
Python SDK over HTTP, and the page must show them without a reload.  A screenshot of each view is kept in
tests/browser/artifacts/dashboard/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from clerkmock import ClerkMock

expect = pytest.importorskip("playwright.sync_api").expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "dashboard"
ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_test_dashboard"
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    with ClerkMock(scenario=ROOT / "scenarios" / "basic.yaml", config_dir=tmp_path_factory.mktemp("cfg")) as mock:
        yield mock


@pytest.fixture
def page(context: Any, offsite: list[str], server: ClerkMock, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The harness's context (loopback only; screenshots on failure) at the dashboard's size; a screenshot of
    every test's last view is kept in tests/browser/artifacts/dashboard/."""
    server.reset()
    pg = context.new_page()
    pg.set_viewport_size({"width": 1400, "height": 860})
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    assert not errors, errors
    assert not offsite, offsite  # the page loads nothing from anywhere but its server


def sdk(server: ClerkMock) -> Clerk:
    return Clerk(bearer_auth=KEY, server_url=server.api_url)


def open_view(page: Any, server: ClerkMock, name: str) -> None:
    page.goto(f"{server.url}/__clerkmock/ui#{name}")
    page.wait_for_selector("#live.on", timeout=WAIT_MS)  # the journal stream is connected


def test_page_is_plain_files_from_the_package(server: ClerkMock) -> None:
    page = httpx.get(server.url + "/__clerkmock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "ui/app.js" in page.text and "http" not in page.text.split("<body>")[0].replace("http-equiv", "")
    js = httpx.get(server.url + "/__clerkmock/ui/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "default-src 'self'" in js.headers["content-security-policy"]
    for bad in ("../pyproject.toml", ".hidden.js", "nope.js", "app.py"):
        assert httpx.get(server.url + "/__clerkmock/ui/" + bad).status_code == 404


def test_state_shows_a_user_created_through_the_sdk_without_a_reload(page: Any, server: ClerkMock) -> None:
    open_view(page, server, "state")
    page.wait_for_selector("#state-table tr.row", timeout=WAIT_MS)
    with sdk(server) as clerk:
        user = clerk.users.create(email_address=["dashboard.zed@example.com"], first_name="Zed")
    row = page.wait_for_selector(f'#state-table tr[data-id="{user.id}"]', timeout=WAIT_MS)
    assert "dashboard.zed@example.com" in row.inner_text()
    row.click()  # its full JSON, as the API answers it
    page.wait_for_selector("#detail:not([hidden]) pre.json", timeout=WAIT_MS)
    assert f'"id": "{user.id}"' in page.inner_text("#detail-body")
    # server-side search
    page.fill("#state-search", "dashboard.zed")
    expect(page.locator("#state-range")).to_have_text("1–1 of 1", timeout=WAIT_MS)
    # organizations with members and roles
    page.click('button[data-kind="organizations"]')
    page.click('#state-table tr.row >> text=Acme')
    page.wait_for_selector("#detail-body >> text=org:admin", timeout=WAIT_MS)


def test_a_scripted_429_shows_in_the_journal_with_its_rule(page: Any, server: ClerkMock) -> None:
    open_view(page, server, "journal")
    rule = httpx.post(server.url + "/__clerkmock/faults", json={
        "id": "signup-throttled", "match": "POST /v1/users", "respond": {"error": "too_many_requests"}, "times": 1,
    }).json()
    with httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        assert http.post("/users", json={"email_address": ["throttled@example.com"]}).status_code == 429
    row = page.wait_for_selector("#journal-table tr.row >> text=signup-throttled", timeout=WAIT_MS)
    text = page.inner_text("#journal-table tbody tr:first-child")
    assert "429" in text and "users.create" in text and f"{rule['id']} · respond" in text
    row.click()  # bodies on click
    page.wait_for_selector("#detail-body >> text=too_many_requests", timeout=WAIT_MS)
    assert "throttled@example.com" in page.inner_text("#detail-body")
    page.select_option("#filter-status", "2xx")
    expect(page.locator("#journal-table tr.row")).to_have_count(0, timeout=WAIT_MS)


def test_a_fault_added_from_the_form_fails_the_next_sdk_call(page: Any, server: ClerkMock) -> None:
    from clerk_backend_api import models

    open_view(page, server, "faults")
    page.select_option('#fault-form select[name="method"]', "POST")
    page.fill('#fault-form input[name="path"]', "users.create")
    page.fill('#fault-form input[name="status"]', "422")
    page.select_option('#fault-form select[name="error"]', "form_param_value_invalid")
    page.click('#fault-form button[type="submit"]')
    row = page.wait_for_selector("#faults-table tr.row >> text=fault_1", timeout=WAIT_MS)
    assert row is not None
    with sdk(server) as clerk, pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=["refused@example.com"])
    assert exc.value.data.errors[0].code == "form_param_value_invalid"
    expect(page.locator("#faults-table tbody tr .fired").first).to_have_text("1", timeout=WAIT_MS)
    # pause and remove
    httpx.post(server.url + "/__clerkmock/faults", json={"id": "always-503", "match": "GET /v1/users", "respond": 503})
    page.reload()
    page.wait_for_selector("#live.on", timeout=WAIT_MS)
    page.click('#faults-table tr[data-id="always-503"] >> text=Pause')
    page.wait_for_selector('#faults-table tr[data-id="always-503"] >> text=Resume', timeout=WAIT_MS)
    with sdk(server) as clerk:
        clerk.users.list(request={})  # paused: answered by the engine
    page.click('#faults-table tr[data-id="always-503"] >> text=Remove')
    page.wait_for_selector('#faults-table tr[data-id="always-503"]', state="detached", timeout=WAIT_MS)
    assert [r["id"] for r in httpx.get(server.url + "/__clerkmock/faults").json()["data"]] == ["fault_1"]
    page.check("#rate-limit")
    page.wait_for_selector('#faults-table tr[data-id="rate_limit"]', timeout=WAIT_MS)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        _Receiver.received.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


def test_redeliver_a_webhook(page: Any, server: ClerkMock, receiver: str) -> None:
    httpx.post(server.url + "/__clerkmock/webhooks", json={"url": receiver, "events": ["user.created"]})
    with sdk(server) as clerk:
        clerk.users.create(email_address=["hooked@example.com"])
    assert httpx.post(server.url + "/__clerkmock/webhooks/flush").json()["done"]
    open_view(page, server, "webhooks")
    page.wait_for_selector("#webhooks-box >> text=succeeded", timeout=WAIT_MS)
    page.click("#webhooks-box button.redeliver")
    page.wait_for_selector("#notice >> text=redelivering user.created", timeout=WAIT_MS)
    assert httpx.post(server.url + "/__clerkmock/webhooks/flush").json()["done"]
    assert len(_Receiver.received) == 2
    assert _Receiver.received[0]["svix-id"] == _Receiver.received[1]["svix-id"]  # the same message, again
    page.click("text=Refresh")
    page.click("#webhooks-box table >> nth=1 >> tr.row >> nth=0")
    page.wait_for_selector("#detail-body >> text=svix-signature", timeout=WAIT_MS)
    assert "hooked@example.com" in page.inner_text("#detail-body")  # the signed payload


def test_clock_reset_and_snapshots(page: Any, server: ClerkMock) -> None:
    open_view(page, server, "clock")
    big = page.locator("#clock-big")
    expect(big).to_have_text(re.compile(r"Z$"), timeout=WAIT_MS)
    before = httpx.get(server.url + "/__clerkmock/clock").json()["now_ms"]
    page.click("text=+1 day")
    expect(big).to_have_text(re.compile("^" + _iso(before + 86_400_000)[:10]), timeout=WAIT_MS)  # tomorrow
    assert httpx.get(server.url + "/__clerkmock/clock").json()["now_ms"] >= before + 86_400_000
    page.click("#snapshot")
    page.wait_for_selector("#snapshots >> text=Restore", timeout=WAIT_MS)
    with sdk(server) as clerk:
        clerk.users.create(email_address=["after-snapshot@example.com"])
    assert httpx.get(server.url + "/__clerkmock/health").json()["users"] == 5
    page.click("#snapshots >> text=Restore")
    page.wait_for_selector("#notice >> text=restored snapshot #1 (4 users)", timeout=WAIT_MS)
    page.click("#reset")
    page.wait_for_selector("#notice >> text=basic.yaml (4 users)", timeout=WAIT_MS)
    now = httpx.get(server.url + "/__clerkmock/clock").json()["now_ms"]
    assert now < before + 86_400_000  # the clock is back too


def test_messages_view_says_when_the_server_records_none(page: Any, server: ClerkMock) -> None:
    open_view(page, server, "messages")
    page.wait_for_selector("#messages-box :is(table, .empty:not(:text('Loading')))", timeout=WAIT_MS)


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_strict_mode_page_asks_for_the_key(context: Any, tmp_path: Path) -> None:
    with ClerkMock(secret_keys=[KEY], config_dir=tmp_path) as strict:
        assert httpx.get(strict.url + "/__clerkmock/ui").status_code == 200  # the page itself carries no data
        assert httpx.get(strict.url + "/__clerkmock/api/v1/users").status_code == 401
        page = context.new_page()
        page.goto(f"{strict.url}/__clerkmock/ui#state")
        page.wait_for_selector("#token-form:not([hidden])", timeout=WAIT_MS)
        page.fill("#token-input", KEY)
        page.click("#token-form button")
        page.wait_for_selector("#state-table >> text=Nothing here.", timeout=WAIT_MS)
        with sdk(strict) as clerk:
            user = clerk.users.create(email_address=["strict@example.com"])
        page.wait_for_selector(f'#state-table tr[data-id="{user.id}"]', timeout=WAIT_MS)
