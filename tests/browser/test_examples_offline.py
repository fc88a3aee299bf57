"""The example apps' main flows again, with the network closed: a nested pytest inside a private network namespace
(``unshare -n``, only loopback) runs clerkmock, the Next.js and Express apps (from the warm build cache), Chromium and
the sign-in of tests/browser/test_examples_{nextjs,express}.py.  Nothing in the run can reach anything but loopback,
so the apps' servers (Clerk's server SDKs, Next itself) are proven offline too, not only the browser."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


from . import examples
from .test_offline import netns_problem

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [
    "tests/browser/test_examples_nextjs.py::"
    "test_signed_out_dashboard_goes_through_the_hosted_sign_in_and_comes_back_server_rendered",
    "tests/browser/test_examples_express.py::test_sign_in_then_the_server_renders_the_protected_page",
]


def test_the_example_apps_run_with_the_network_closed() -> None:
    problem = examples.node_problem() or netns_problem()
    if problem:
        examples.skip_or_fail(f"example apps offline: {problem}")
    try:  # npm ci needs the registry: done here, with the network open (the build needs none)
        for app in examples.APPS:
            examples.install(app)
    except RuntimeError as exc:
        examples.skip_or_fail(f"example apps: {exc}")
    inner = " ".join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FLOWS])
    done = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {inner}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    output = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, output
    assert "2 passed" in done.stdout and "skipped" not in done.stdout, output
