"""The SSR handshake end to end through Clerk's own `@clerk/backend` ``authenticateRequest`` (tests/node/
handshake_flow.mjs): each handshake reason ends signed in (or correctly signed out), cookies plain and suffixed,
``organization_id``, ``format=token``, single-use nonces, and no redirect loop.

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


def test_handshake_through_clerk_backend_authenticate_request(mock_server: ClerkMock) -> None:
    node = _node_or_skip()
    env = {
        **os.environ,
        "CLERK_API_URL": mock_server.url,
        "CLERK_SECRET_KEY": mock_server.secret_key,
        "CLERK_PUBLISHABLE_KEY": tokens.publishable_key(mock_server.engine.state.instance.frontend_host),
        "NO_COLOR": "1",
    }
    env.pop("FORCE_COLOR", None)
    try:
        proc = subprocess.run([node, "--test", "--test-reporter=tap", "handshake_flow.mjs"], cwd=NODE_DIR, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"handshake_flow.mjs timed out after {TIMEOUT_S}s\n{exc.stdout!r}", pytrace=False)
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    print(output)
    assert proc.returncode == 0, output
    assert (_tap_count(proc.stdout, "tests") or 0) >= 8, output
    assert _tap_count(proc.stdout, "fail") == 0, output
