"""The forward proxy, in process: one engine behind every listener, Clerk hosts answered, other hosts refused or
passed through, the CA, and the runner's multi-mode / shared-loop support.  (Unmodified apps and the offline
proof: test_unmodified_apps.py.)"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.proxy.ca import ca_files, ensure_ca

AUTH = {"Authorization": "Bearer sk_test_proxy"}


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[ClerkMock]:
    # Per test: mitmproxy allows one master per process, and some tests here start their own (~0.1 s each).
    m = ClerkMock(port=0, proxy_port=0, intercept_hosts=["clerk.internal.example"], config_dir=tmp_path)
    m.start()
    yield m
    m.stop()


def _client(mock: ClerkMock) -> httpx.Client:
    return httpx.Client(proxy=mock.proxy_url, verify=ssl.create_default_context(cafile=mock.proxy_env()["SSL_CERT_FILE"]),
                        timeout=5)  # fmt: skip


def test_forward_proxy_and_base_url_share_one_engine(mock: ClerkMock) -> None:
    mock.reset()
    created = httpx.post(mock.url + "/v1/users", headers=AUTH, json={"email_address": ["both@example.com"]})
    assert created.status_code == 200
    with _client(mock) as c:
        got = c.get(f"https://api.clerk.com/v1/users/{created.json()['id']}", headers=AUTH)
        assert got.status_code == 200 and got.json()["id"] == created.json()["id"]
        assert got.headers.get_list("content-type") == ["application/json"]
        assert c.get("https://api.clerk.dev/v1/users", headers=AUTH).json()[0]["id"] == created.json()["id"]
        # --intercept-host additions are answered too
        assert c.get("https://clerk.internal.example/v1/users", headers=AUTH).status_code == 200


def test_other_hosts_are_refused_with_a_502_that_says_why(mock: ClerkMock) -> None:
    with _client(mock) as c, pytest.raises(httpx.ProxyError, match="502 clerkmock refuses example.com: not a Clerk"):
        c.get("https://example.com/")
    # plain HTTP through the proxy: the explanation is the body
    r = httpx.get("http://example.org/path", proxy=mock.proxy_url)
    assert r.status_code == 502
    assert ("only answers the Clerk API hosts (api.clerk.com, api.clerk.dev, clerk.internal.example, "
            "clerkmock.clerk.accounts.dev, clerkmock.accounts.dev)") in r.text
    assert "--passthrough" in r.text and "--intercept-host example.org" in r.text


def test_the_proxy_env_points_at_the_ca(mock: ClerkMock) -> None:
    env = mock.proxy_env()
    files = ca_files(mock.config_dir)
    assert env["HTTPS_PROXY"] == mock.proxy_url
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == env["CURL_CA_BUNDLE"] == str(files.bundle)
    assert env["NODE_EXTRA_CA_CERTS"] == str(files.cert)


def test_the_ca_verifies_every_intercepted_host_and_fapi_serves_its_jwks(mock: ClerkMock) -> None:
    """What a browser or an unmodified app reaches through the proxy, each certificate verified by the CA file
    `clerkmock env --proxy` prints: the Backend API, the publishable key's FAPI host (its JWKS under
    /.well-known, the one third-party libraries fetch), the Account Portal host and the bundles' paths."""
    mock.reset()
    env = mock.proxy_env()
    jwks = httpx.get(f"{mock.url}/v1/jwks", headers=AUTH).json()
    assert httpx.get(f"{mock.url}/__clerk/.well-known/jwks.json").json() == jwks  # on the base URL
    with httpx.Client(proxy=env["HTTPS_PROXY"], verify=ssl.create_default_context(cafile=env["SSL_CERT_FILE"]),
                      timeout=10) as c:
        assert c.get("https://api.clerk.com/v1/jwks", headers=AUTH).json() == jwks
        fapi = mock.engine.state.instance.frontend_host
        got = c.get(f"https://{fapi}/.well-known/jwks.json")
        assert got.status_code == 200 and got.json() == jwks
        assert "auth_config" in c.get(f"https://{fapi}/v1/environment").json()
        # the Account Portal host is intercepted (answered by clerkmock under /__clerk, not refused with a 502)
        portal = c.get("https://clerkmock.accounts.dev/sign-in")  # the hosted sign-in page
        assert portal.status_code == 200 and portal.headers["content-type"].startswith("text/html")
        # a bundle path: answered by clerkmock's asset cache (a 404 that names the cache when it is empty)
        bundle = c.get(f"https://{fapi}/npm/@clerk/clerk-js@6/dist/clerk.browser.js")
        assert bundle.status_code in (200, 404)  # not the proxy's 502 refusal
    journal = mock.pipeline.journal
    assert journal.entries("GET", "/__clerk/.well-known/jwks.json")


# -- passthrough -----------------------------------------------------------------------------------------------


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the real host"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_passthrough_forwards_other_hosts_and_does_not_intercept_their_tls(tmp_path: Path) -> None:
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    echo = socket.create_server(("127.0.0.1", 0))

    def echo_once() -> None:
        conn, _ = echo.accept()
        with conn:
            conn.sendall(conn.recv(100))

    threading.Thread(target=echo_once, daemon=True).start()
    m = ClerkMock(port=0, proxy_port=0, passthrough=True, config_dir=tmp_path)
    m.start()
    try:
        # plain HTTP to another host: forwarded
        r = httpx.get(f"http://127.0.0.1:{web.server_port}/", proxy=m.proxy_url)
        assert r.status_code == 200 and r.text == "hello from the real host"
        # CONNECT to another host: a raw tunnel (whatever bytes go in come back from the real host, no TLS)
        with socket.create_connection(("127.0.0.1", m.proxy_port), timeout=5) as s:
            port = echo.getsockname()[1]
            s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = s.recv(1000)
            assert head.startswith(b"HTTP/1.1 200"), head
            s.sendall(b"not TLS at all")
            assert s.recv(100) == b"not TLS at all"
        # Clerk hosts are still answered locally
        with _client(m) as c:
            assert c.get("https://api.clerk.com/v1/users", headers=AUTH).json() == []
    finally:
        m.stop()
        web.shutdown()
        echo.close()


# -- the CA ----------------------------------------------------------------------------------------------------


def test_the_ca_is_created_once_with_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    files = ensure_ca(tmp_path)
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mitmproxy-ca.p12").stat().st_mode) == 0o600
    cert = files.cert.read_bytes()
    assert b"PRIVATE KEY" not in cert and b"PRIVATE KEY" in files.key.read_bytes()
    files.key.chmod(0o644)  # e.g. copied in by hand
    again = ensure_ca(tmp_path)
    assert again.cert.read_bytes() == cert  # not regenerated
    assert stat.S_IMODE(again.key.stat().st_mode) == 0o600  # and tightened again
    bundle = files.bundle.read_bytes()
    assert bundle.endswith(cert) and bundle.count(b"BEGIN CERTIFICATE") > 10  # system roots + ours


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clerkmock", *args], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "CLERKMOCK_SECRET_KEYS"}, check=False)  # fmt: skip


def test_ca_and_env_proxy_commands(tmp_path: Path) -> None:
    out = _cli("ca", "--config-dir", str(tmp_path))
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "mitmproxy-ca-cert.pem")
    pem = _cli("ca", "--pem", "--config-dir", str(tmp_path)).stdout
    assert pem == (tmp_path / "mitmproxy-ca-cert.pem").read_text() and pem.startswith("-----BEGIN CERTIFICATE-----")
    nobody = socket.socket()  # a port nothing listens on: `env` prints the defaults
    nobody.bind(("127.0.0.1", 0))
    free = str(nobody.getsockname()[1])
    nobody.close()
    env = _cli("env", "--proxy", "--port", free, "--format", "dotenv", "--config-dir", str(tmp_path)).stdout
    lines = dict(line.split("=", 1) for line in env.splitlines())
    assert lines["HTTPS_PROXY"] == "http://127.0.0.1:4819"
    assert lines["SSL_CERT_FILE"] == lines["REQUESTS_CA_BUNDLE"] == str(tmp_path / "clerkmock-ca-bundle.pem")
    assert lines["NODE_EXTRA_CA_CERTS"] == str(tmp_path / "mitmproxy-ca-cert.pem")
    assert "CLERK_API_URL" not in lines and lines["CLERK_SECRET_KEY"]  # the app keeps https://api.clerk.com
    assert "--proxy-port 4821" not in env
    assert _cli("env", "--proxy", "--port", free, "--proxy-port", "4821", "--config-dir", str(tmp_path)).stdout.startswith(
        "export HTTPS_PROXY=http://127.0.0.1:4821\n")


def test_serve_prints_the_proxy_env(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--proxy-port", "0",
                             "--config-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: dict[str, str] = {}
        while "NODE_USE_ENV_PROXY" not in lines:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            name, _, value = line.strip().partition("=")
            lines[name] = value
        assert set(lines) >= {"CLERK_API_URL", "CLERK_SECRET_KEY", "HTTPS_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
                              "NODE_EXTRA_CA_CERTS"}  # fmt: skip
        with httpx.Client(proxy=lines["HTTPS_PROXY"], verify=ssl.create_default_context(cafile=lines["SSL_CERT_FILE"])) as c:
            assert c.get("https://api.clerk.com/v1/users", headers=AUTH).json() == []
    finally:
        proc.terminate()
        proc.wait(10)


# -- runner ----------------------------------------------------------------------------------------------------


def test_runner_carries_several_modes_in_a_shared_loop(tmp_path: Path) -> None:
    from clerkmock.proxy import EmulateAddon, ProxyRunner

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        m = ClerkMock(config_dir=tmp_path)
        ensure_ca(tmp_path)
        modes = ["reverse:https://api.clerk.com@0", "regular@0", "transparent@0"]
        runner = ProxyRunner([EmulateAddon(m.pipeline)], mode=modes, confdir=tmp_path, loop=loop)
        runner.start()
        assert set(runner.ports) == set(modes) and len(set(runner.ports.values())) == 3 and runner.running
        assert httpx.get(f"http://127.0.0.1:{runner.port}/__clerkmock/health").status_code == 200
        runner.stop()
        assert not runner.running and loop.is_running()  # the shared loop lives on
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{runner.ports.get(modes[0], 1)}/")
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def test_a_busy_proxy_port_is_a_clear_error(tmp_path: Path) -> None:
    from clerkmock.server.http import ListenError

    busy = socket.create_server(("127.0.0.1", 0))
    try:
        m = ClerkMock(port=0, proxy_port=busy.getsockname()[1], config_dir=tmp_path)
        with pytest.raises(ListenError, match=f"127.0.0.1:{busy.getsockname()[1]}: address already in use"):
            m.start()
        assert not m.running
    finally:
        busy.close()
