"""The SSR handshake end to end through Clerk's own `@clerk/backend` ``authenticateRequest`` (tests/node/
handshake_flow.mjs): each handshake reason ends signed in (or correctly signed out), cookies plain and suffixed,
``organization_id``, ``format=token``, single-use nonces, and no redirect loop; and cookie mode
(tests/node/handshake_cookie_mode.mjs).

Its own Node run, not part of test_node_sdk.py's ``node --test tests/node/``: it moves the shared server's clock
(an expired session token), which concurrent test files must not see.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from clerkmock import ClerkMock
from clerkmock.engine import tokens
from tests.test_node_sdk import NODE_DIR, TIMEOUT_S, _node_or_skip, _tap_count


def _run(mock: ClerkMock, script: str, *, live: bool = False) -> str:
    node = _node_or_skip()
    env = {
        **os.environ,
        "CLERK_API_URL": mock.url,
        "CLERK_SECRET_KEY": mock.secret_key,
        "CLERK_PUBLISHABLE_KEY": tokens.publishable_key(mock.engine.state.instance.frontend_host, live=live),
        "NO_COLOR": "1",
    }
    env.pop("FORCE_COLOR", None)
    try:
        proc = subprocess.run([node, "--test", "--test-reporter=tap", script], cwd=NODE_DIR, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} timed out after {TIMEOUT_S}s\n{exc.stdout!r}", pytrace=False)
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    print(output)
    assert proc.returncode == 0, output
    assert _tap_count(proc.stdout, "fail") == 0, output
    return proc.stdout


def test_handshake_through_clerk_backend_authenticate_request(mock_server: ClerkMock) -> None:
    assert (_tap_count(_run(mock_server, "handshake_flow.mjs"), "tests") or 0) >= 8


def test_handshake_in_cookie_mode(mock_server: ClerkMock) -> None:
    """A production instance (``pk_live``): the browser is its ``__client`` cookie, FAPI sets ``__client_uat``
    and the nonce as cookies for the app's site (the reset after the test restores the development instance)."""
    mock_server.engine.state.instance.environment = "production"
    assert (_tap_count(_run(mock_server, "handshake_cookie_mode.mjs", live=True), "tests") or 0) >= 1
