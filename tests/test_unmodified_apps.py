"""Unmodified apps reach clerkmock with no code change - curl, httpx, requests, urllib, Clerk's Python SDK with
its default server_url, @clerk/backend, and both SDKs' authenticate_request fetching the JWKS from
https://api.clerk.com/v1/jwks - through the forward proxy and through the transparent listener, offline.

The work is done by tests/unmodified/run_all.py, run once per mode.  When this machine allows it (root,
`unshare -n`) it runs inside a private network namespace where only loopback exists, so "no packet left the
machine" is a fact; a guard (audit hooks in the clerkmock process and the Python apps) also fails on any
attempt to connect to a non-loopback address.  Transparent mode also needs iptables and a private mount
namespace (for a private /etc/hosts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).parent / "unmodified" / "run_all.py"
NODE_MODULES = Path(__file__).parent / "node" / "node_modules"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@cache
def _netns_problem(mount_ns: bool = False) -> str | None:
    """Why `unshare -n` (and -m) cannot be used here, or None."""
    if os.geteuid() != 0:
        return "not root: a private network namespace needs root"
    if shutil.which("unshare") is None:
        return "`unshare` (util-linux) is not installed"
    args = ["unshare", "-n", *(["-m"] if mount_ns else []), "true"]
    probe = subprocess.run(args, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"`{' '.join(args)}` fails here: {probe.stderr.strip()}"
    return None


def _run(transparent: bool) -> dict[str, Any]:
    args = [sys.executable, str(HARNESS)]
    if transparent:
        args.append("--transparent")
    problem = _netns_problem(mount_ns=transparent)
    if problem is None:
        args = ["unshare", "-n", *(["-m"] if transparent else []), *args, "--netns"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{HARNESS.name} failed:\n{proc.stdout}\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["netns"] = problem is None
    result["netns_problem"] = problem
    return result


@pytest.fixture(scope="module")
def proxy_run() -> dict[str, Any]:
    return _run(transparent=False)


@pytest.fixture(scope="module")
def transparent_run() -> dict[str, Any]:
    problem = _netns_problem(mount_ns=True)
    if problem is not None:
        pytest.skip(f"transparent mode is tested in a private network + mount namespace, and {problem}")
    if shutil.which("iptables") is None:
        reason = "iptables is not installed (apt-get install iptables) - transparent mode needs a REDIRECT rule"
        pytest.skip(reason)
    return _run(transparent=True)


def _assert_check(result: dict[str, Any], name: str) -> None:
    check = result["checks"].get(name)
    assert check is not None, f"{name!r} did not run: {sorted(result['checks'])}"
    detail = str(check["detail"])
    if check["ok"] and detail.startswith("skipped:"):
        if name.startswith("node") and _in_ci():
            pytest.fail(f"CI is set but {detail}", pytrace=False)
        pytest.skip(detail.removeprefix("skipped: "))
    assert check["ok"], detail


PROXY_CHECKS = [
    "curl",
    "curl to another host is refused",
    "httpx",
    "requests",
    "urllib",
    "python-sdk",
    "python-sdk authenticate_request",  # skipped by design: see python_app.py (covered in transparent mode)
    "python apps: no non-loopback connection",
    "python apps: DNS lookups",
    "node @clerk/backend (undici preload)",
]
TRANSPARENT_CHECKS = [
    "curl",
    "httpx",
    "requests",
    "urllib",
    "python-sdk",
    "python-sdk authenticate_request",
    "python apps: no non-loopback connection",
    "python apps: DNS lookups",
    "node @clerk/backend",
]


@pytest.mark.parametrize("name", PROXY_CHECKS)
def test_forward_proxy(proxy_run: dict[str, Any], name: str) -> None:
    _assert_check(proxy_run, name)


def test_forward_proxy_interception_makes_no_outside_connection(proxy_run: dict[str, Any]) -> None:
    # The clerkmock process (mitmproxy included) neither resolved a name nor connected anywhere but loopback.
    assert proxy_run["attempts"] == [] and proxy_run["lookups"] == []
    if not proxy_run["netns"]:
        pytest.skip(f"guarded only (no private network namespace: {proxy_run['netns_problem']})")


@pytest.mark.parametrize("name", TRANSPARENT_CHECKS)
def test_transparent(transparent_run: dict[str, Any], name: str) -> None:
    _assert_check(transparent_run, name)


def test_transparent_interception_makes_no_outside_connection(transparent_run: dict[str, Any]) -> None:
    assert transparent_run["attempts"] == [] and transparent_run["lookups"] == []
