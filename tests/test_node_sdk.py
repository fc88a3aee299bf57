"""Conformance: Clerk's official JS SDK (`@clerk/backend`, pinned in tests/node/package.json) runs the user
lifecycle in tests/node/*.test.mjs against a live clerkmock server.

Needs Node >= 20.9 and the node deps: `npm ci --prefix tests/node`.  Without them the test is skipped locally,
but fails under CI (env CI set), where the deps are installed and a skip would hide a broken setup.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clerkmock import ClerkMock
from clerkmock.engine import tokens
from clerkmock.engine.resources.auth.common import signing_key

NODE_DIR = Path(__file__).parent / "node"
SDK_DIR = NODE_DIR / "node_modules" / "@clerk" / "backend"
TIMEOUT_S = 120


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        reason = "`node` is not on PATH (Node >= 20.9 is needed for the @clerk/backend conformance test)"
    elif not SDK_DIR.is_dir():
        reason = f"{SDK_DIR.relative_to(NODE_DIR.parent.parent)} is missing: run `npm ci --prefix tests/node`"
    else:
        return node
    if _in_ci():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def _tap_count(output: str, name: str) -> int | None:
    m = re.search(rf"^# {name} (\d+)$", output, re.MULTILINE)
    return int(m.group(1)) if m else None


def test_clerk_backend_js_sdk_user_lifecycle(mock_server: ClerkMock) -> None:
    node = _node_or_skip()
    env = {
        **os.environ,
        "CLERK_API_URL": mock_server.url,  # the server root: the SDK appends /v1
        "CLERK_SECRET_KEY": mock_server.secret_key,
        # auth.test.mjs verifies session tokens networkless (jwtKey) and runs authenticateRequest
        "CLERK_JWT_KEY": tokens.public_key_pem(signing_key(mock_server.engine.state)),
        "CLERK_PUBLISHABLE_KEY": tokens.publishable_key(mock_server.engine.state.instance.frontend_host),
        "NO_COLOR": "1",
    }
    env.pop("FORCE_COLOR", None)  # NO_COLOR loses to FORCE_COLOR in node

    try:
        proc = subprocess.run(
            [node, "--test", "--test-reporter=tap", "tests/node/"],
            cwd=NODE_DIR.parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"`node --test tests/node/` timed out after {TIMEOUT_S}s\n{out}", pytrace=False)

    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    print(output)  # pytest shows captured stdout for a failing test
    assert proc.returncode == 0, f"`node --test tests/node/` exited {proc.returncode}\n{output}"
    # Exit 0 also means "found no test files": make sure the lifecycle actually ran.
    assert (_tap_count(proc.stdout, "tests") or 0) > 0, f"node ran no tests\n{output}"
    assert _tap_count(proc.stdout, "fail") == 0, output
