"""The docs' copy-paste Playwright example (docs/browser.md, "A Playwright example") runs as written, against
`clerkmock serve`, with the network closed: both run inside a private network namespace (``unshare -n``) where only
loopback exists, so "offline" is a fact, not a promise.  The example signs up with <SignUp/>, signs in with
<SignIn/>, switches organization and signs out, in Debian's Chromium with the real clerk-js and @clerk/ui."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "browser.md"
RUNNER = Path(__file__).parent / "offline_run.py"


def example() -> str:
    """The ```python block of docs/browser.md that starts with ``# sign_in_offline.py``."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    found = [b for b in blocks if b.startswith("# sign_in_offline.py")]
    assert len(found) == 1, "docs/browser.md must hold exactly one sign_in_offline.py example"
    return found[0]


def netns_problem() -> str | None:
    if os.geteuid() != 0:
        return "not root: a private network namespace needs root"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "`unshare` or `ip` is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"`unshare -n` fails here: {probe.stderr.strip()}"


def test_the_docs_example_runs_offline(tmp_path: Path) -> None:
    script = tmp_path / "sign_in_offline.py"
    script.write_text(example())
    problem = netns_problem()
    args = [sys.executable, str(RUNNER), str(script)]
    if problem is None:
        args = ["unshare", "-n", *args, "--netns"]
    elif os.environ.get("CI"):
        pytest.fail(f"CI is set but the offline run cannot close the network: {problem}", pytrace=False)
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["returncode"] == 0, f"{result['stderr']}\n--- serve:\n{result['serve_stderr']}"
    assert re.fullmatch(r"signed up user_\w+, signed in user_\w+, switched to org_\w+, signed out\n", result["stdout"])
    if problem is not None:
        pytest.skip(f"the example ran, but with the network open: {problem}")
