"""The SSR handshake in a real Chromium: a tiny server-rendered app on `@clerk/backend`'s ``authenticateRequest``
(tests/node/ssr_app.mjs, on ``localhost``) and clerk-js from clerkmock.  Signed out, the first page load goes
through the handshake (``dev-browser-missing``) and leaves ``__clerk_db_jwt`` on the app's domain; clerk-js adopts
that dev browser and signs in in the page; the server then renders the user; with ``__session`` deleted the next
load goes through one handshake (``client-uat-but-no-session-token``) and renders the user again.  Real cookie
handling (SameSite, the redirect counter's Max-Age) and no redirect loop."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock, keys
from tests.test_node_sdk import NODE_DIR, _node_or_skip

PASSWORD = "correct-horse-battery"


@pytest.fixture
def ssr_app(mock_server: ClerkMock) -> Iterator[str]:
    node = _node_or_skip()
    env = {**os.environ, "CLERK_API_URL": mock_server.url, "CLERK_SECRET_KEY": mock_server.secret_key,
           "CLERK_PUBLISHABLE_KEY": keys.publishable_key(mock_server), "NO_COLOR": "1"}
    proc = subprocess.Popen([node, "ssr_app.mjs"], cwd=NODE_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the app listens (or exits)
        assert line.startswith("listening "), (line, proc.stderr.read() if proc.poll() is not None else "")
        yield f"http://localhost:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def handshakes(mock: ClerkMock) -> list[str]:
    return [(e.query.get("__clerk_hs_reason") or [""])[0]
            for e in mock.pipeline.journal.entries("GET", "/__clerk/v1/client/handshake")]


def test_the_handshake_in_a_real_browser(page: Any, context: Any, ssr_app: str, mock_server: ClerkMock,
                                         offsite: list[str]) -> None:
    alice = httpx.post(f"{mock_server.url}/v1/users", headers={"authorization": f"Bearer {mock_server.secret_key}"},
                       json={"email_address": ["alice@example.com"], "password": PASSWORD}).json()
    before = len(handshakes(mock_server))
    page.goto(f"{ssr_app}/dashboard")
    assert page.text_content("#who") == "signed out"
    assert handshakes(mock_server)[before:] == ["dev-browser-missing"]
    assert page.url == f"{ssr_app}/dashboard"  # the clean URL: no nonce, no dev-browser token
    jar = {c["name"]: c["value"] for c in context.cookies(ssr_app)}
    dev_browser = jar["__clerk_db_jwt"]
    assert dev_browser.startswith("dvb_") and jar["__client_uat"] == "0"
    # clerk-js adopts the handshake's dev browser (its cookie on the app's domain) and signs in
    page.wait_for_function("() => window.Clerk?.loaded === true || window.clerkLoadError !== undefined")
    assert page.evaluate("() => window.clerkLoadError ?? null") is None
    page.evaluate("""async ([email, password]) => {
        const si = await Clerk.client.signIn.create({ strategy: 'password', identifier: email, password });
        await Clerk.setActive({ session: si.createdSessionId }) }""", ["alice@example.com", PASSWORD])
    assert {c["name"]: c["value"] for c in context.cookies(ssr_app)}["__clerk_db_jwt"] == dev_browser
    page.goto(f"{ssr_app}/dashboard")
    assert page.text_content("#who") == f"signed in as {alice['id']}"
    assert handshakes(mock_server)[before:] == ["dev-browser-missing"]  # clerk-js's cookies sufficed
    # the session cookie is gone (expired, deleted): one handshake brings it back.  Leave the page first: its
    # clerk-js would otherwise set __session again (its token refresh) before the next navigation
    page.goto("about:blank")
    context.clear_cookies(name=re.compile(r"^__session"))  # plain and suffixed
    assert not any(c["name"].startswith("__session") for c in context.cookies(ssr_app))
    page.goto(f"{ssr_app}/dashboard")
    assert page.text_content("#who") == f"signed in as {alice['id']}"
    assert handshakes(mock_server)[before:] == ["dev-browser-missing", "client-uat-but-no-session-token"]
    assert page.url == f"{ssr_app}/dashboard"
    assert offsite == []
