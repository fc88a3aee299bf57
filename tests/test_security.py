"""Issue 18 over real HTTP: the control plane refuses cross-site writes and rebinding Hosts, asks for the control
token where others can reach it (a non-loopback --host, strict mode), and state dumps hold no secret unless asked
for with the token.  docs/security.md names these tests."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.control_client import ControlError, Unreachable, get_json, request_json
from clerkmock.control_token import ENV_CONTROL_TOKEN
from clerkmock.server.redaction import SECRET_FIELDS

CM = "/__clerkmock"
KEY = {"Authorization": "Bearer sk_test_security"}
EVIL = "https://evil.example"
ROOT = Path(__file__).resolve().parents[1]


def _client(mock: ClerkMock, base: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=base or mock.url, timeout=5, trust_env=False)


@pytest.fixture
def http(mock_server: ClerkMock) -> Iterator[httpx.Client]:
    with _client(mock_server) as client:
        yield client


def _code(r: httpx.Response) -> str:
    assert r.headers["content-type"] == "application/json", r.text
    return str(r.json()["errors"][0]["code"])


def _every_control_request(mock: ClerkMock) -> list[tuple[str, str]]:
    """(method, path) for every control route and method, plus the dashboard's future path."""
    out = []
    for route in mock.pipeline.control.router.routes:
        out.append((route.method, CM + route.template.replace("{id}", "x")))
    return [*out, ("GET", CM + "/ui"), ("GET", CM)]


# -- 2. no cross-site writes ----------------------------------------------------------------------------------

def test_text_plain_cross_origin_fault_injection_is_refused(http: httpx.Client, mock_server: ClerkMock) -> None:
    rule = '{"match": "GET /v1/users", "respond": 503}'
    r = http.post(f"{CM}/faults", content=rule, headers={"Content-Type": "text/plain", "Origin": EVIL})
    assert r.status_code == 403 and _code(r) == "control_cross_site_refused"
    assert "access-control-allow-origin" not in r.headers
    assert mock_server.pipeline.faults.rules == []
    assert http.get("/v1/users", headers=KEY).status_code == 200


def test_text_plain_cross_origin_reset_is_refused(http: httpx.Client, mock_server: ClerkMock) -> None:
    assert http.post("/v1/users", headers=KEY, json={"email_address": ["kept@example.com"]}).status_code == 200
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Origin": "http://localhost:3000"},
                    {"Referer": f"{EVIL}/page"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        r = http.post(f"{CM}/reset", content=b"", headers={"Content-Type": "text/plain", **headers})
        assert r.status_code == 403 and _code(r) == "control_cross_site_refused", headers
    assert len(mock_server.engine.state.users) == 1


def test_preflight_is_not_granted_to_a_foreign_origin(http: httpx.Client) -> None:
    r = http.options(f"{CM}/faults", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 403
    assert not any(h.startswith("access-control-") for h in r.headers)


def test_foreign_origin_cannot_read_either(http: httpx.Client) -> None:
    r = http.get(f"{CM}/state", headers={"Origin": EVIL})
    assert r.status_code == 403 and "BEGIN PRIVATE KEY" not in r.text


def test_the_servers_own_pages_may_write_json(http: httpx.Client, mock_server: ClerkMock) -> None:
    own = mock_server.url  # what the dashboard served by clerkmock itself sends as Origin
    browser = {"Origin": own, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
    r = http.post(f"{CM}/clock", json={"seconds": 60}, headers=browser)
    assert r.status_code == 200, r.text
    r = http.post(f"{CM}/reset", content=b"", headers={**browser, "Content-Type": "text/plain"})
    assert r.status_code == 403 and _code(r) == "control_request_not_json"
    token = {"Authorization": f"Bearer {mock_server.control_token}"}
    assert http.post(f"{CM}/reset", content=b"", headers={**browser, **token}).status_code == 200


def test_clients_that_are_not_browsers_keep_working(http: httpx.Client) -> None:
    """curl, the SDK helpers and the CLI send no Origin/Sec-Fetch headers: no token, no JSON needed."""
    assert http.post(f"{CM}/reset").status_code == 200
    r = http.post(f"{CM}/faults", content="{id: y, match: GET /v1/users, respond: 503}",
                  headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    assert http.post(f"{CM}/clock", content='{"seconds": 5}').status_code == 200  # curl -d: form content type


# -- 1. host check --------------------------------------------------------------------------------------------

def test_rebinding_host_gets_403_on_every_control_route(http: httpx.Client, mock_server: ClerkMock) -> None:
    requests = _every_control_request(mock_server)
    assert len(requests) > 20
    for method, path in requests:
        r = http.request(method, path, headers={"Host": f"evil.example:{mock_server.port}"},
                         content=b"{}" if method in ("POST", "PUT", "PATCH") else None)
        assert r.status_code == 403, (method, path, r.status_code)
        err = r.json()["errors"][0]
        assert err["code"] == "control_host_not_allowed" and "--allowed-host evil.example" in err["long_message"]


def test_backend_api_answers_any_host(http: httpx.Client, mock_server: ClerkMock) -> None:
    r = http.get("/v1/users", headers={**KEY, "Host": "my-app.internal"})
    assert r.status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST.", "app.localhost"])
def test_loopback_hosts_are_accepted(http: httpx.Client, mock_server: ClerkMock, host: str) -> None:
    r = http.get(f"{CM}/state", headers={"Host": f"{host}:{mock_server.port}"})
    assert r.status_code == 200


def test_allowed_host_adds_names(tmp_path: Path) -> None:
    with ClerkMock(port=0, config_dir=tmp_path, allowed_hosts=["clerkmock.test"]) as mock, _client(mock) as http:
        assert http.get(f"{CM}/health", headers={"Host": "clerkmock.test:80"}).status_code == 200
        assert http.get(f"{CM}/health", headers={"Host": "other.test"}).status_code == 403


def test_mitmproxy_listener_checks_the_host_the_client_sent(tmp_path: Path) -> None:
    with ClerkMock(port=0, config_dir=tmp_path, listener="mitmproxy") as mock, _client(mock) as http:
        assert http.get(f"{CM}/health").status_code == 200
        r = http.post(f"{CM}/reset", headers={"Host": "evil.example"})
        assert r.status_code == 403 and _code(r) == "control_host_not_allowed"
        r = http.post(f"{CM}/reset", headers={"Origin": EVIL})
        assert r.status_code == 403 and _code(r) == "control_cross_site_refused"
        assert http.get("/v1/users", headers={**KEY, "Host": "my-app.internal"}).status_code == 200


def test_the_forward_proxy_way_in_is_guarded_too(tmp_path: Path) -> None:
    """Through HTTPS_PROXY the control plane is reached on the intercepted Clerk host: same checks."""
    import ssl

    with ClerkMock(port=0, proxy_port=0, secret_keys=["sk_test_proxy"], config_dir=tmp_path) as mock:
        ca = ssl.create_default_context(cafile=mock.env("proxy")["SSL_CERT_FILE"])
        with httpx.Client(proxy=mock.proxy_url, verify=ca, timeout=5) as c:
            assert c.get(f"https://api.clerk.com{CM}/health").status_code == 200
            r = c.post(f"https://api.clerk.com{CM}/reset", headers={"Origin": EVIL, "Content-Type": "text/plain"})
            assert r.status_code == 403 and _code(r) == "control_cross_site_refused"
            assert c.post(f"https://api.clerk.com{CM}/reset").status_code == 401  # strict mode: token needed
            r = c.post(f"https://api.clerk.com{CM}/reset", headers={"Authorization": "Bearer sk_test_proxy"})
            assert r.status_code == 200
        # a name that is not a Clerk host never reaches the control plane through the proxy
        r = httpx.get(f"http://evil.example{CM}/state", proxy=mock.proxy_url, timeout=5)
        assert r.status_code == 502 and "BEGIN PRIVATE KEY" not in r.text


# -- 3. the token where others can reach the port ------------------------------------------------------------

@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    """--host 0.0.0.0, reached through a second loopback address as another machine would reach it."""
    mock = ClerkMock(port=0, host="0.0.0.0", config_dir=tmp_path_factory.mktemp("exposed"))
    with mock:
        yield mock


def test_exposed_server_refuses_control_requests_without_the_token(exposed: ClerkMock) -> None:
    with _client(exposed, f"http://127.0.0.2:{exposed.port}") as http:
        for method, path in _every_control_request(exposed):
            if path == f"{CM}/health" or (method == "GET" and (path == f"{CM}/ui" or path.startswith(f"{CM}/ui/"))):
                continue  # liveness; the dashboard's static files (no data), so the page can ask for the token
            r = http.request(method, path)
            assert r.status_code == 401, (method, path, r.status_code)
            assert _code(r) == "control_token_required"
            assert r.headers["www-authenticate"].startswith("Bearer")
        r = http.get(f"{CM}/state", headers={"Authorization": "Bearer cmt_wrong"})
        assert r.status_code == 401
        assert http.get(f"{CM}/health").status_code == 200  # liveness probes need no token
        assert http.get(f"{CM}/ui").status_code == 200  # nor the dashboard's page, which then asks for it
        assert http.get(f"{CM}/api/v1/users").status_code == 401  # what it reads is guarded
        assert http.get("/v1/users", headers=KEY).status_code == 200  # the Backend API is not concerned


def test_exposed_server_accepts_the_token(exposed: ClerkMock) -> None:
    token = {"Authorization": f"Bearer {exposed.control_token}"}
    with _client(exposed, f"http://127.0.0.2:{exposed.port}") as http:
        assert http.post(f"{CM}/reset", headers=token).status_code == 200
        assert http.post(f"{CM}/faults", headers=token, json={"id": "t", "match": "GET /v1/users",
                                                                "respond": 503}).status_code == 200
        assert http.delete(f"{CM}/faults", headers=token).json() == {"deleted": 1}
        # the rebinding check still applies with the token
        assert http.get(f"{CM}/state", headers={**token, "Host": "evil.example"}).status_code == 403


def test_exposed_server_token_file_is_private(exposed: ClerkMock) -> None:
    path = Path(exposed.config_dir) / "control_token"
    assert path.read_text().strip() == exposed.control_token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(r"cmt_[A-Za-z0-9_-]{40,}", exposed.control_token)


def test_strict_mode_protects_the_control_plane_with_the_secret_key(tmp_path: Path) -> None:
    with ClerkMock(port=0, secret_keys=["sk_test_strict"], config_dir=tmp_path) as mock, _client(mock) as http:
        r = http.post(f"{CM}/reset")
        assert r.status_code == 401 and "strict mode" in r.json()["errors"][0]["long_message"]
        assert http.get(f"{CM}/state").status_code == 401
        assert http.post(f"{CM}/reset", headers={"Authorization": "Bearer sk_test_strict"}).status_code == 200
        assert http.post(f"{CM}/reset", headers={"Authorization": f"Bearer {mock.control_token}"}).status_code == 200
        assert http.post(f"{CM}/reset", headers={"Authorization": "Bearer sk_test_other"}).status_code == 401
        assert http.get(f"{CM}/health").status_code == 200


def test_control_open_keeps_the_old_behaviour(tmp_path: Path) -> None:
    with ClerkMock(port=0, host="0.0.0.0", secret_keys=["sk_test_open"], config_dir=tmp_path,
                   control_open=True) as mock, _client(mock, f"http://127.0.0.2:{mock.port}") as http:
        r = http.post(f"{CM}/reset", headers={"Origin": EVIL, "Host": "evil.example"})
        assert r.status_code == 200
        assert "PRIVATE KEY" in http.get(f"{CM}/state?secrets=1").text  # no token asked
        assert "PRIVATE KEY" not in http.get(f"{CM}/state").text  # but dumps stay redacted by default


def test_in_process_transport_needs_nothing(tmp_path: Path) -> None:
    mock = ClerkMock(secret_keys=["sk_test_inproc"], host="0.0.0.0", config_dir=tmp_path)
    with httpx.Client(transport=mock.transport(), base_url="http://anything.example") as http:
        assert http.post(f"{CM}/reset", headers={"Origin": EVIL}).status_code == 200
        assert "BEGIN PRIVATE KEY" in http.get(f"{CM}/state?secrets=1").text


# -- 4. secrets out of dumps ----------------------------------------------------------------------------------

TOTP = "JBSWY3DPEHPK3PXP"


def _populate(http: httpx.Client) -> dict[str, Any]:
    user = http.post("/v1/users", headers=KEY, json={"email_address": ["sec@example.com"],
                                                      "password": "correct-horse-battery", "totp_secret": TOTP,
                                                      "backup_codes": ["backup-1234"]}).json()
    machine = http.post("/v1/machines", headers=KEY, json={"name": "worker"}).json()
    api_key = http.post("/v1/api_keys", headers=KEY, json={"type": "api_key", "subject": user["id"],
                                                           "name": "ci-key"}).json()
    assert "secret" in api_key, api_key
    return {"user": user, "machine": machine, "api_key": api_key}


def _secret_strings(mock: ClerkMock, made: dict[str, Any]) -> list[str]:
    from clerkmock.engine.resources.auth.common import signing_key

    st = mock.engine.state
    user = st.users[made["user"]["id"]]
    pem_body = signing_key(st).splitlines()[1]  # a line of the private key's base64
    return ["PRIVATE KEY", pem_body, user.password_hash, TOTP, user.backup_code_hashes[0],
            st.auth.machines[made["machine"]["id"]].secret_key, made["api_key"]["secret"]]


def test_state_dump_has_no_secret_unless_asked_for_with_the_token(http: httpx.Client,
                                                                   mock_server: ClerkMock) -> None:
    made = _populate(http)
    secrets = _secret_strings(mock_server, made)
    dump = http.get(f"{CM}/state")
    assert dump.status_code == 200
    for secret in secrets:
        assert secret not in dump.text, secret
    assert '"$redacted"' in dump.text
    assert http.get(f"{CM}/state").text == dump.text  # stable for the same state

    r = http.get(f"{CM}/state?secrets=1")
    assert r.status_code == 401 and _code(r) == "control_token_required"
    full = http.get(f"{CM}/state?secrets=1", headers={"Authorization": f"Bearer {mock_server.control_token}"})
    assert full.status_code == 200
    for secret in secrets:
        assert secret in full.text, secret


def test_a_redacted_dump_restores_on_the_same_server(http: httpx.Client, mock_server: ClerkMock) -> None:
    made = _populate(http)
    snapshot = http.get(f"{CM}/state").content
    jwks = http.get("/v1/jwks", headers=KEY).json()
    assert http.post(f"{CM}/reset").status_code == 200
    r = http.put(f"{CM}/state", content=snapshot, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    r = http.post(f"/v1/users/{made['user']['id']}/verify_password", headers=KEY,
                  json={"password": "correct-horse-battery"})
    assert r.status_code == 200 and r.json()["verified"] is True
    assert http.get("/v1/jwks", headers=KEY).json() == jwks
    r = http.post("/v1/api_keys/verify", headers=KEY, json={"secret": made["api_key"]["secret"]})
    assert r.status_code == 200, r.text


def test_a_redacted_dump_from_another_server_is_refused(http: httpx.Client, tmp_path: Path) -> None:
    _populate(http)
    snapshot = http.get(f"{CM}/state").content
    with ClerkMock(port=0, config_dir=tmp_path) as other, _client(other) as http2:
        r = http2.put(f"{CM}/state", content=snapshot, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and _code(r) == "state_document_invalid"
        assert "secrets=1" in r.json()["errors"][0]["long_message"]


def test_every_secret_looking_field_is_classified() -> None:
    """A new record field whose name suggests a secret must be listed in SECRET_FIELDS or here as harmless."""
    import clerkmock.engine.records as records_pkg
    import importlib
    import pkgutil

    harmless = {"default_token_ttl", "token_format", "custom_signing_key", "password_enabled",
                "password_compromised", "password_last_updated_at", "token_url", "role_key", "key",
                "signing_algorithm", "previous_secret_valid_until", "secret_key_rotated_at",
                "access_token_expires_at", "code_length", "key_type",
                "private_metadata",  # app data Clerk's own API returns to the backend, not a credential
                "passkeys", "blocked_country_codes", "domains_default_role_key",
                "idempotency_key"}  # billing: a client-chosen request id, not a credential
    looks_secret = re.compile(r"secret|token|password|hash|code|key|ticket|otp|private", re.I)
    unclassified = []
    for info in pkgutil.iter_modules(records_pkg.__path__):
        module = importlib.import_module(f"{records_pkg.__name__}.{info.name}")
        for cls in vars(module).values():
            if not (isinstance(cls, type) and cls.__module__ == module.__name__):
                continue
            if dataclasses.is_dataclass(cls):
                names = [f.name for f in dataclasses.fields(cls)]
            elif cls.__name__.endswith("Tables"):  # tables of records (checked as records) and indexes
                names = [n for n in vars(cls()) if re.search(r"secret|signing|private", n)]
            else:
                continue
            for name in names:
                if (looks_secret.search(name) and name not in harmless and name not in SECRET_FIELDS.get(cls, ())
                        and not name.endswith(("_id", "_ids", "_index", "_at"))):
                    unclassified.append(f"{cls.__name__}.{name}")
    assert unclassified == [], f"classify in server/redaction.py SECRET_FIELDS (or as harmless): {unclassified}"


# -- clients: the CLI's control client, serve's options --------------------------------------------------------

def test_control_client_sends_the_token_it_finds(exposed: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.2:{exposed.port}"
    monkeypatch.delenv(ENV_CONTROL_TOKEN, raising=False)
    with pytest.raises(ControlError, match=ENV_CONTROL_TOKEN) as refused:
        get_json(url, "/state", config_dir=Path(exposed.config_dir) / "elsewhere")
    assert refused.value.status == 401
    assert get_json(url, "/clock", config_dir=exposed.config_dir)["frozen"] is False  # the token file
    monkeypatch.setenv(ENV_CONTROL_TOKEN, exposed.control_token)
    assert request_json("POST", url, "/reset", config_dir="/nonexistent")["reset"] is True
    assert request_json("POST", url, "/clock", body={"seconds": 1}, config_dir="/nonexistent")["frozen"] is False
    with pytest.raises(Unreachable):
        get_json("http://127.0.0.1:9", "/health")


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "CLERKMOCK_CONFIG_DIR": str(tmp_path / "config"), **(env or {})}
    full.pop("CLERKMOCK_SECRET_KEYS", None)
    if env is None or ENV_CONTROL_TOKEN not in env:
        full.pop(ENV_CONTROL_TOKEN, None)
    return subprocess.Popen([sys.executable, "-m", "clerkmock", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full, cwd=tmp_path)


def _lines_until(proc: subprocess.Popen[str], name: str) -> dict[str, str]:
    """stdout NAME=value lines until ``name`` arrives (the server is then listening)."""
    assert proc.stdout is not None
    out: dict[str, str] = {}
    for line in proc.stdout:  # bounded by the server's own start-up; the test's timeout guards a hang
        key, _, value = line.strip().partition("=")
        out[key] = value
        if key == name:
            break
    return out


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    return proc.stderr.read()


def test_serve_on_a_non_loopback_host_prints_and_writes_the_token(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        env = _lines_until(proc, ENV_CONTROL_TOKEN)
        token = env[ENV_CONTROL_TOKEN]
        assert (tmp_path / "config" / "control_token").read_text().strip() == token
        port = env["CLERK_API_URL"].rsplit(":", 1)[1]
        base = f"http://127.0.0.2:{port}"
        assert httpx.post(f"{base}{CM}/reset", trust_env=False).status_code == 401
        r = httpx.post(f"{base}{CM}/reset", headers={"Authorization": f"Bearer {token}"}, trust_env=False)
        assert r.status_code == 200
    finally:
        err = _stop(proc)
    assert "Traceback" not in err


def test_serve_control_token_from_the_environment(tmp_path: Path) -> None:
    proc = _serve(tmp_path, env={ENV_CONTROL_TOKEN: "cmt_given"})
    try:
        env = _lines_until(proc, ENV_CONTROL_TOKEN)
        assert env[ENV_CONTROL_TOKEN] == "cmt_given"
        base = env["CLERK_API_URL"]
        assert httpx.post(f"{base}{CM}/reset", trust_env=False).status_code == 401
        assert httpx.post(f"{base}{CM}/reset", headers={"Authorization": "Bearer cmt_given"},
                          trust_env=False).status_code == 200
        assert not (tmp_path / "config" / "control_token").exists()
    finally:
        _stop(proc)


def test_serve_control_open_warns(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--control-open")
    try:
        env = _lines_until(proc, "CLERK_SECRET_KEY")
        port = env["CLERK_API_URL"].rsplit(":", 1)[1]
        r = httpx.post(f"http://127.0.0.2:{port}{CM}/reset", headers={"Host": "evil.example"}, trust_env=False)
        assert r.status_code == 200
    finally:
        err = _stop(proc)
    assert "--control-open" in err and "anyone" in err


# -- the docs' curl examples ------------------------------------------------------------------------------------

def _sh_blocks(doc: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", (ROOT / "docs" / doc).read_text(), re.S)


def _run_blocks(blocks: list[str], env: dict[str, str], cwd: Path) -> None:
    # curl -f: a 4xx/5xx answer fails the block, so a refused example cannot pass unnoticed
    prelude = 'curl() { command curl -f --noproxy "*" "$@"; }\n'
    for block in blocks:
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", prelude + block], env={**os.environ, **env},
                           cwd=cwd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"{block}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"


def test_control_plane_docs_curl_examples_still_work(mock_server: ClerkMock, tmp_path: Path) -> None:
    blocks = [b for b in _sh_blocks("control-plane.md") if "clerkmock serve" not in b]
    assert len(blocks) >= 8
    _run_blocks(blocks, {"CM": mock_server.url + CM, "CLERK_API_URL": mock_server.url}, tmp_path)


def test_security_docs_curl_examples_work(exposed: ClerkMock, tmp_path: Path) -> None:
    blocks = [b for b in _sh_blocks("security.md") if "clerkmock serve" not in b]
    assert blocks
    url = f"http://127.0.0.2:{exposed.port}"
    _run_blocks(blocks, {"CLERK_API_URL": url, "CM": url + CM, ENV_CONTROL_TOKEN: exposed.control_token}, tmp_path)
