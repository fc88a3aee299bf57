"""@clerk/testing's Playwright helpers (the Node package, pinned in tests/browser/node/package.json) against clerkmock:
`clerkSetup` gets its testing token from clerkmock's Backend API, and `clerk.signIn` signs in with a password and
with an email code (`+clerk_test`, 424242), `clerk.signOut` signs out — on the plain test page that reaches the
Frontend API through an http proxy URL (way 1), and on the unmodified page through the forward proxy (way 3),
where `clerk.signIn({emailAddress})` also runs: its Backend API calls go from Node to api.clerk.com through the
proxy (undici preload + NODE_EXTRA_CA_CERTS).
Node's @playwright/test drives the same /usr/bin/chromium (no browser download).

`setupClerkTestingToken` routes only ``^https://<CLERK_FAPI>/v1/``: over the http proxy URL it never fires, so no
``__clerk_testing_token`` reaches clerkmock; through the forward proxy it fires and clerkmock sees the token from
`clerkSetup` on every Frontend API request.  Both are asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from string import Template

from clerkmock import ClerkMock, keys

from .conftest import ARTIFACTS, PAGES, page_values

NODE_DIR = Path(__file__).parent / "node"
RUNNER = NODE_DIR / "node_modules" / "@playwright" / "test" / "cli.js"
# undici's EnvHttpProxyAgent as Node's global dispatcher (Node 20's fetch ignores HTTPS_PROXY); it resolves
# `undici` from tests/node/node_modules, where the Backend API tests install it
PRELOAD = Path(__file__).resolve().parent.parent / "node" / "proxy-preload.mjs"
TIMEOUT_S = 300
PASSWORD = "correct-horse-battery"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        reason = "`node` is not on PATH (Node >= 20.9 runs @clerk/testing)"
    elif not (NODE_DIR / "node_modules" / "@clerk" / "testing").is_dir() or not RUNNER.is_file():
        reason = "tests/browser/node/node_modules is missing: run `make test` (or npm ci in tests/browser/node)"
    elif not (PRELOAD.parent / "node_modules" / "undici").is_dir():
        reason = "tests/node/node_modules is missing (the undici proxy preload): run `npm ci --prefix tests/node`"
    else:
        return node
    if _in_ci():  # CI installs them: a skip there would hide a broken set-up
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def _user(mock: ClerkMock, email: str) -> dict[str, str]:
    resp = httpx.post(f"{mock.url}/v1/users", headers={"authorization": f"Bearer {mock.secret_key}"},
                      json={"email_address": [email], "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"id": resp.json()["id"], "email": email, "password": PASSWORD}


def test_clerk_testing_playwright_helpers(proxied: ClerkMock, page_server: Any, tmp_path: Path) -> None:
    node = _node_or_skip()
    report = tmp_path / "report.json"
    host = proxied.engine.state.instance.frontend_host
    # way 1: the usual test page, pointed at this server; way 3: a page that knows only the publishable key
    page = page_server.add("clerk_proxied.html",
                           Template((PAGES / "clerk.html").read_text()).safe_substitute(page_values(proxied)))
    unmodified = page_server.add("unmodified.html", f"""<!doctype html><body>
        <script src="https://{host}/npm/@clerk/ui@1/dist/ui.browser.js"></script>
        <script src="https://{host}/npm/@clerk/clerk-js@6/dist/clerk.browser.js"
                data-clerk-publishable-key="{keys.publishable_key(proxied)}"></script>
        <script>Clerk.load({{ ui: {{ ClerkUI: window.__internal_ClerkUICtor }}, telemetry: false }})</script>
        </body>""")
    env = {
        **os.environ,
        "CLERK_API_URL": proxied.url,
        "CLERK_SECRET_KEY": proxied.secret_key,
        "CLERK_PUBLISHABLE_KEY": keys.publishable_key(proxied),
        "CLERKMOCK_FAPI_HOST": host,
        "CLERKMOCK_PAGE_URL": page + "?load",
        "CLERKMOCK_UNMODIFIED_PAGE_URL": unmodified,
        "CLERKMOCK_PROXY_SERVER": proxied.proxy_url,
        "CLERKMOCK_PASSWORD_USER": json.dumps(_user(proxied, "alice@example.com")),
        "CLERKMOCK_CODE_USER": json.dumps(_user(proxied, "carol+clerk_test@example.com")),
        "CLERKMOCK_REPORT": str(report),
        "CLERKMOCK_ARTIFACTS": str(ARTIFACTS / "node"),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "NO_COLOR": "1",
        # clerk.signIn({emailAddress}) calls https://api.clerk.com from this Node process: through the forward
        # proxy, as `clerkmock env --proxy` says (NO_PROXY keeps clerkSetup's CLERK_API_URL on loopback direct),
        # with the undici preload Node 20 needs (docs/proxy.md)
        **{k: v for k, v in proxied.proxy_env().items() if k in ("HTTPS_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS")},
        "NODE_OPTIONS": f"--import {PRELOAD.as_uri()}",
    }
    env.pop("FORCE_COLOR", None)
    env.pop("CLERK_TESTING_TOKEN", None)  # clerkSetup must fetch its own from clerkmock
    done = subprocess.run([node, str(RUNNER), "test", "--config", "playwright.config.mjs"], cwd=NODE_DIR, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert report.is_file(), output
    stats = json.loads(report.read_text())["stats"]
    assert (stats["expected"], stats["unexpected"], stats["skipped"]) == (5, 0, 0), output
    assert done.returncode == 0, output

    journal = proxied.pipeline.journal
    assert [e.status for e in journal.entries("POST", "/v1/testing_tokens")] == [200]  # clerkSetup's token
    sign_ins = journal.entries("POST", "/__clerk/v1/client/sign_ins")
    # password and email code over the proxy URL; password, then the ticket, through the forward proxy
    assert len(sign_ins) == 4
    tokens = [e.query.get("__clerk_testing_token") for e in sign_ins]
    # https-only route: over the http proxy URL the helper never adds the token; through the forward proxy it does
    assert tokens[:2] == [None, None]
    assert all(t is not None and t[0].split("-")[0].isdigit() for t in tokens[2:])
    # clerk.signIn({emailAddress}): Node asked api.clerk.com (intercepted by the forward proxy) for the user and a
    # sign-in token, which the page redeemed
    assert [e.status for e in journal.entries("GET", "/v1/users")][-1:] == [200]
    assert [e.status for e in journal.entries("POST", "/v1/sign_in_tokens")] == [200]
