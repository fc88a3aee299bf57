"""Unmodified apps against clerkmock's forward or transparent proxy, for tests/test_unmodified_apps.py.

Starts one ClerkMock in this process (with the network guard on), then runs, each as its own process with only
environment variables added: curl, the Python apps (python_app.py: httpx, requests, urllib, the official SDK,
authenticate_request) and @clerk/backend (tests/node/unmodified_app.mjs).  Prints one JSON object:
{"checks": {name: {ok, detail}}, "attempts": [...]}.

    unshare -n python tests/unmodified/run_all.py --netns                   # forward proxy (HTTPS_PROXY ...)
    unshare -n -m python tests/unmodified/run_all.py --netns --transparent  # iptables REDIRECT, no proxy vars

Inside ``unshare -n`` only loopback exists, so "offline" is a fact, not a hope.  Transparent mode (root,
iptables) maps api.clerk.com to 127.0.0.3 in a private /etc/hosts (``-m``: a private mount namespace) and
redirects 127.0.0.3:443 to the transparent listener - what docs/proxy.md tells users to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import guard

guard.install()

from clerkmock import ClerkMock
from clerkmock.engine import tokens

ROOT = HERE.parent.parent
NODE_DIR = ROOT / "tests" / "node"
TRANSPARENT_IP = "127.0.0.3"  # a loopback address standing in for api.clerk.com's


def loopback_up() -> None:
    """A fresh network namespace has lo down; bring it up (root inside the namespace)."""
    if shutil.which("ip"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)


def run(cmd: list[str], env: dict[str, str], timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False)


def redirect_api_clerk_com(port: int | None) -> None:
    """/etc/hosts: api.clerk.com -> 127.0.0.3 (private mount namespace); iptables: 127.0.0.3:443 -> port."""
    hosts = Path(tempfile.mkdtemp()) / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n{TRANSPARENT_IP} api.clerk.com\n")
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True, capture_output=True)
    subprocess.run(["iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", TRANSPARENT_IP, "--dport", "443",
                    "-j", "REDIRECT", "--to-ports", str(port)], check=True, capture_output=True)  # fmt: skip


def _node_major() -> int:
    node = shutil.which("node")
    if node is None:
        return 0
    out = subprocess.run([node, "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True, check=False)
    return int(out.stdout.strip() or 0)


def main() -> None:
    transparent = "--transparent" in sys.argv
    if "--netns" in sys.argv:
        loopback_up()
    config = tempfile.mkdtemp(prefix="clerkmock-unmodified-")
    mock = ClerkMock(port=0, proxy_port=None if transparent else 0, transparent_port=0 if transparent else None,
                     config_dir=config)  # fmt: skip
    mock.start()
    if transparent:
        from clerkmock.proxy.ca import ca_files

        files = ca_files(config)
        via = {"SSL_CERT_FILE": str(files.bundle), "REQUESTS_CA_BUNDLE": str(files.bundle),
               "CURL_CA_BUNDLE": str(files.bundle), "NODE_EXTRA_CA_CERTS": str(files.cert)}  # fmt: skip
        redirect_api_clerk_com(mock.transparent_port)
    else:
        via = mock.proxy_env()
    env = {
        **{k: v for k, v in os.environ.items() if k.upper() not in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")},
        **via,
        "CLERK_SECRET_KEY": mock.secret_key,
        "CLERK_PUBLISHABLE_KEY": tokens.publishable_key(mock.engine.state.instance.frontend_host),
    }
    for name in ("CLERK_API_URL", "CLERK_JWT_KEY"):
        env.pop(name, None)  # nothing may point the apps anywhere but their defaults
    checks: dict[str, dict[str, object]] = {}

    def check(name: str, fn: Callable[[], str]) -> None:
        try:
            checks[name] = {"ok": True, "detail": fn()}
        except Exception:  # noqa: BLE001 - reported
            checks[name] = {"ok": False, "detail": traceback.format_exc(limit=4)}

    def curl() -> str:
        p = run(["curl", "-sS", "--fail-with-body", "-H", f"Authorization: Bearer {mock.secret_key}",
                 "https://api.clerk.com/v1/users?limit=1"], env)  # fmt: skip
        assert p.returncode == 0 and json.loads(p.stdout) is not None, (p.returncode, p.stdout, p.stderr)
        return p.stdout[:60]

    def curl_refused() -> str:
        p = run(["curl", "-sS", "-v", "https://example.com/"], env)
        assert p.returncode != 0 and "502 clerkmock refuses example.com" in p.stderr, p.stderr[-600:]
        return "CONNECT example.com:443 -> 502 with the reason"

    def python_apps() -> None:
        p = run([sys.executable, str(HERE / "python_app.py")], env, timeout=120)
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError(f"python_app.py printed no result: {p.stdout}\n{p.stderr}") from None
        attempts, lookups = out.pop("attempts"), out.pop("lookups")
        checks.update(out)
        checks["python apps: no non-loopback connection"] = {"ok": attempts == [], "detail": str(attempts)}
        # Through the proxy the apps never even resolve api.clerk.com; in transparent mode they resolve it (to
        # 127.0.0.3, our private /etc/hosts) and nothing else.
        expected = ["getaddrinfo 'api.clerk.com'"] if transparent else []
        checks["python apps: DNS lookups"] = {"ok": lookups == expected, "detail": str(lookups)}

    def node(preload: bool) -> Callable[[], str]:
        def go() -> str:
            node_bin = shutil.which("node")
            if node_bin is None or not (NODE_DIR / "node_modules" / "undici").is_dir():
                return "skipped: node or tests/node/node_modules missing (npm ci --prefix tests/node)"
            node_env = dict(env)
            if preload:  # Node 20 ignores NODE_USE_ENV_PROXY; undici's agent via --import does the same
                node_env["NODE_OPTIONS"] = "--import ./proxy-preload.mjs"
            p = run([node_bin, "unmodified_app.mjs"], node_env, timeout=90, cwd=NODE_DIR)
            out = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {"ok": False}
            assert out.get("ok") and out["listed"] and out["signed_in"], (out, p.stderr[-800:])
            assert out["auth_user_id"] == out["user_id"], out
            return f"created, listed, authenticateRequest signed in {out['user_id']} (JWKS from https://api.clerk.com/v1/jwks)"

        return go

    try:
        check("curl", curl)
        if not transparent:
            check("curl to another host is refused", curl_refused)
        python_apps()
        if transparent:  # no proxy at all: Node's fetch connects "directly", iptables does the rest
            check("node @clerk/backend", node(preload=False))
        else:
            check("node @clerk/backend (undici preload)", node(preload=True))
            if _node_major() >= 24:  # NODE_USE_ENV_PROXY=1 (from proxy_env) alone: Node 24+, 22.21+
                check("node @clerk/backend (NODE_USE_ENV_PROXY)", node(preload=False))
    finally:
        mock.stop()
    print(json.dumps({"checks": checks, "attempts": guard.attempts, "lookups": sorted(set(guard.lookups))}))


if __name__ == "__main__":
    main()
