"""The variables an app needs (clerkmock/appenv.py): one source for `clerkmock env`, `serve`'s output,
`ClerkMock.env()`, the pytest fixture's ``env`` and clerkmock.keys; the output formats; the documented
``eval "$(clerkmock env)"`` recipe in a real shell."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from clerkmock import ClerkMock, appenv, keys
from clerkmock.cli import format_env, main

BROWSER_VARIABLES = {"CLERK_PROXY_URL", "CLERK_JS_URL", "CLERK_UI_URL"}  # base URL only: the Frontend API, bundles
APP_VARIABLES = {"CLERK_API_URL", "CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_JWT_KEY",
                 "CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_TELEMETRY_DISABLED", *BROWSER_VARIABLES}  # fmt: skip
PROXY_VARIABLES = {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                   "NODE_EXTRA_CA_CERTS", "NODE_USE_ENV_PROXY"}  # fmt: skip
PRINT_ENV = "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k in %s}))"


def names(variables: Any) -> str:
    """A Python list literal in double quotes, to sit inside a single-quoted shell word."""
    return json.dumps(sorted(variables))


def free_port() -> int:
    """A port nothing listens on (bound and released: `env` finds no server there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(*args: str, config_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CLERKMOCK_SECRET_KEYS"}
    return subprocess.run([sys.executable, "-m", "clerkmock", "env", "--config-dir", str(config_dir), *args],
                          capture_output=True, text=True, timeout=60, env=env, check=False)  # fmt: skip


def in_bash(script: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Run ``script`` in a fresh bash; it ends by starting a child Python that prints what it sees."""
    venv_bin = str(Path(sys.executable).parent)
    base = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES | PROXY_VARIABLES}
    base["PATH"] = venv_bin + os.pathsep + base.get("PATH", "")  # `clerkmock` on PATH, as after `source activate`
    base.pop("CLERKMOCK_SECRET_KEYS", None)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                         env={**base, **(env or {})}, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- one source --------------------------------------------------------------------------------------------------


def test_a_production_instance_gets_the_live_key_on_every_path(tmp_path: Path) -> None:
    """keys.publishable_key ignored the production environment while the fixture's env used pk_live_."""
    scenario = tmp_path / "prod.yaml"
    scenario.write_text("instance: {environment: production}\n")
    with ClerkMock(port=0, scenario=scenario, config_dir=tmp_path) as mock:
        pk = mock.env()["CLERK_PUBLISHABLE_KEY"]
        assert pk.startswith("pk_live_")
        assert keys.publishable_key(mock) == keys.publishable_key(mock.engine) == pk
        served = CliRunner().invoke(main, ["env", "--url", mock.url, "--format", "json"])
        assert served.exit_code == 0, served.output
        assert json.loads(served.stdout)["CLERK_PUBLISHABLE_KEY"] == pk


def test_the_fixture_env_is_the_mock_env(clerkmock: Any) -> None:
    env = clerkmock.env
    assert env == clerkmock.mock.env() and set(env) == APP_VARIABLES
    assert env["CLERK_API_URL"] == clerkmock.url and env["CLERK_SECRET_KEY"] == clerkmock.secret_key
    assert env["CLERK_PUBLISHABLE_KEY"] == keys.publishable_key(clerkmock.mock)
    assert env["CLERK_JWT_KEY"] == "".join(keys.jwt_key(clerkmock.mock).splitlines())


def test_a_row_per_variable_and_modes() -> None:
    target = appenv.Target(secret_key="sk_test_x", frontend_host="a.clerk.accounts.dev", signing_key=None,
                           webhook_secret="whsec_x", api_url="http://127.0.0.1:1")  # fmt: skip
    assert list(appenv.variables(target)) == ["CLERK_API_URL", "CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY",
                                              "CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_TELEMETRY_DISABLED",
                                              "CLERK_PROXY_URL", "CLERK_JS_URL",
                                              "CLERK_UI_URL"]  # fmt: skip
    with pytest.raises(ValueError, match="--proxy-port"):
        appenv.variables(target, "proxy")
    assert appenv.all_variables(target) == appenv.variables(target)
    with_proxy = appenv.Target(**{**_fields(target), "proxy_url": "http://127.0.0.1:2", "ca_bundle": "/b",
                                  "ca_cert": "/c"})  # fmt: skip
    proxy = appenv.variables(with_proxy, "proxy")
    assert "CLERK_API_URL" not in proxy and proxy["HTTPS_PROXY"] == "http://127.0.0.1:2"
    assert proxy["SSL_CERT_FILE"] == proxy["REQUESTS_CA_BUNDLE"] == proxy["CURL_CA_BUNDLE"] == "/b"
    assert list(appenv.all_variables(with_proxy))[: len(appenv.variables(target))] == list(appenv.variables(target))


def _fields(target: appenv.Target) -> dict[str, Any]:
    return {name: getattr(target, name) for name in appenv.Target.__dataclass_fields__}


# -- formats -----------------------------------------------------------------------------------------------------

AWKWARD = {"A": "plain", "B": "it's $HOME `x` \"q\" \\ ;", "C": "-----BEGIN PUBLIC KEY-----abc-----END PUBLIC KEY-----"}


def test_export_lines_survive_any_value_in_bash() -> None:
    script = format_env(AWKWARD, "export") + f"python -c '{PRINT_ENV % names(AWKWARD)}'"
    assert in_bash(script) == AWKWARD


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_lines_survive_any_value_in_fish() -> None:
    script = format_env(AWKWARD, "fish") + f"{sys.executable} -c '{PRINT_ENV % names(AWKWARD)}'"
    out = subprocess.run(["fish", "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == AWKWARD


def test_fish_quoting() -> None:
    assert format_env({"B": "it's \\ x"}, "fish") == "set -gx B 'it\\'s \\\\ x';\n"


def test_dotenv_and_json_formats(tmp_path: Path) -> None:
    port = free_port()
    dotenv = cli_env("--port", str(port), "--format", "dotenv", config_dir=tmp_path)
    assert dotenv.returncode == 0, dotenv.stderr
    lines = dict(line.split("=", 1) for line in dotenv.stdout.splitlines())
    assert set(lines) == APP_VARIABLES and lines["CLERK_API_URL"] == f"http://127.0.0.1:{port}"
    as_json = json.loads(cli_env("--port", str(port), "--format", "json", config_dir=tmp_path).stdout)
    assert as_json == lines
    assert format_env({"A": "x"}, "dotenv") == "A=x\n"


# -- the documented recipe ---------------------------------------------------------------------------------------


def test_eval_clerkmock_env_exports_to_a_child_process(tmp_path: Path) -> None:
    """README / docs: ``eval "$(clerkmock env)"``, then start the app: the app sees every variable."""
    port = free_port()
    seen = in_bash(f'eval "$(clerkmock env --port {port} --config-dir {tmp_path})"; '
                   f"python -c '{PRINT_ENV % names(APP_VARIABLES)}'")  # fmt: skip
    assert set(seen) == APP_VARIABLES and seen["CLERK_API_URL"] == f"http://127.0.0.1:{port}"
    assert seen["CLERK_JWT_KEY"].startswith("-----BEGIN PUBLIC KEY-----")


def test_eval_clerkmock_env_proxy_exports_to_a_child_process(tmp_path: Path) -> None:
    seen = in_bash(f'eval "$(clerkmock env --proxy --port {free_port()} --proxy-port 4821 --config-dir {tmp_path})"; '
                   f"python -c '{PRINT_ENV % names(APP_VARIABLES | PROXY_VARIABLES)}'")  # fmt: skip
    assert set(seen) == (APP_VARIABLES | PROXY_VARIABLES) - {"CLERK_API_URL", *BROWSER_VARIABLES}
    assert seen["HTTPS_PROXY"] == "http://127.0.0.1:4821"
    assert Path(seen["SSL_CERT_FILE"]).is_file() and Path(seen["NODE_EXTRA_CA_CERTS"]).is_file()


# -- asking the running server (issue 12.2) ---------------------------------------------------------------------


def serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`clerkmock serve` on free ports; the variables it printed (through the last one it prints)."""
    proc = subprocess.Popen([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--config-dir", str(tmp_path),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    last = "NODE_USE_ENV_PROXY" if "--proxy-port" in args else "CLERK_UI_URL"
    printed: dict[str, str] = {}
    while last not in printed:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        name, _, value = line.rstrip("\n").partition("=")
        printed[name] = value
    return proc, printed


def test_serve_prints_what_env_prints(tmp_path: Path) -> None:
    proc, printed = serve(tmp_path, "--seed", "other", "--secret-key", "sk_test_served")
    try:
        # the same config dir: its control token lets `env` ask a strict-mode server (docs/security.md)
        asked = cli_env("--url", printed["CLERK_API_URL"], "--format", "json", config_dir=tmp_path)
        assert asked.returncode == 0, asked.stderr
        assert json.loads(asked.stdout) == printed  # the server's keys, secret and port, not env's defaults
        assert "no server" not in asked.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def test_env_proxy_knows_the_ports_serve_was_started_with(tmp_path: Path) -> None:
    """`clerkmock env --proxy` assumed 4819 whatever `serve --proxy-port` said."""
    proc, printed = serve(tmp_path, "--proxy-port", "0")
    try:
        url = printed["CLERK_API_URL"]
        port = url.rsplit(":", 1)[1]
        seen = in_bash(f'eval "$(clerkmock env --proxy --port {port})"; '
                       f"python -c '{PRINT_ENV % names(APP_VARIABLES | PROXY_VARIABLES)}'")  # fmt: skip
        assert seen["HTTPS_PROXY"] == printed["HTTPS_PROXY"] != "http://127.0.0.1:4819"
        assert "CLERK_API_URL" not in seen and seen["CLERK_SECRET_KEY"] == printed["CLERK_SECRET_KEY"]
        body = httpx.get(url + "/__clerkmock/env", params={"mode": "proxy"}, trust_env=False).json()
        assert body == {k: v for k, v in printed.items() if k not in {"CLERK_API_URL", *BROWSER_VARIABLES}}
    finally:
        proc.terminate()
        proc.wait(10)


def test_env_proxy_against_a_server_without_a_proxy_says_so(tmp_path: Path) -> None:
    with ClerkMock(port=0, config_dir=tmp_path) as mock:
        out = cli_env("--url", mock.url, "--proxy", config_dir=tmp_path)
        assert out.returncode == 1 and out.stdout == ""
        assert "no forward proxy" in out.stderr and "--proxy-port" in out.stderr
        r = httpx.get(mock.url + "/__clerkmock/env", params={"mode": "sideways"}, trust_env=False)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_query_parameter_value"
        assert httpx.get(mock.url + "/__clerkmock/env", trust_env=False).json() == mock.env()


def test_env_without_a_server_prints_the_defaults_and_says_so(tmp_path: Path) -> None:
    out = cli_env("--port", str(free_port()), config_dir=tmp_path)
    assert out.returncode == 0 and "export CLERK_API_URL=" in out.stdout
    assert "no server answers at" in out.stderr and "printing the defaults" in out.stderr


def test_env_refuses_something_that_is_not_clerkmock(tmp_path: Path) -> None:
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = cli_env("--url", f"http://127.0.0.1:{server.server_port}", config_dir=tmp_path)
        assert out.returncode == 1 and "is it clerkmock" in out.stderr and "Traceback" not in out.stderr
    finally:
        server.shutdown()


# -- the browser side: Frontend API and bundles (docs/browser.md) ---------------------------------------------------


def test_browser_variables_point_at_the_frontend_api_and_the_bundles(tmp_path: Path) -> None:
    port = free_port()
    env = json.loads(cli_env("--port", str(port), "--format", "json", config_dir=tmp_path).stdout)
    base = f"http://127.0.0.1:{port}"
    assert env["CLERK_PROXY_URL"] == f"{base}/__clerk"
    assert env["CLERK_JS_URL"] == f"{base}/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js"
    assert env["CLERK_UI_URL"] == f"{base}/__clerk/npm/@clerk/ui@1/dist/ui.browser.js"
    # the key's host is the instance's Frontend API host, a development name: clerk-js runs in dev-browser mode
    from base64 import b64decode

    host = b64decode(env["CLERK_PUBLISHABLE_KEY"].removeprefix("pk_test_")).decode()
    assert host.endswith(".clerk.accounts.dev$")


def test_next_and_vite_add_the_names_their_sdks_read(tmp_path: Path) -> None:
    nobody = str(free_port())  # no server there: the defaults
    plain = json.loads(cli_env("--port", nobody, "--format", "json", config_dir=tmp_path).stdout)
    nxt = json.loads(cli_env("--port", nobody, "--next", "--format", "json", config_dir=tmp_path).stdout)
    assert {k: v for k, v in nxt.items() if k in plain} == plain  # the server side keeps its names
    assert {k: v for k, v in nxt.items() if k not in plain} == {
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY": plain["CLERK_PUBLISHABLE_KEY"],
        "NEXT_PUBLIC_CLERK_PROXY_URL": plain["CLERK_PROXY_URL"],
        "NEXT_PUBLIC_CLERK_JS_URL": plain["CLERK_JS_URL"],
        "NEXT_PUBLIC_CLERK_UI_URL": plain["CLERK_UI_URL"],
        # the Account Portal pages beside the Frontend API (auth.protect() sends signed-out users there)
        "NEXT_PUBLIC_CLERK_SIGN_IN_URL": plain["CLERK_PROXY_URL"] + "/sign-in",
        "NEXT_PUBLIC_CLERK_SIGN_UP_URL": plain["CLERK_PROXY_URL"] + "/sign-up",
        "NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED": "1",
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    vite = json.loads(cli_env("--port", nobody, "--vite", "--format", "json", config_dir=tmp_path).stdout)
    assert {k: v for k, v in vite.items() if k not in plain} == {
        "VITE_" + name: plain[name] for name in ("CLERK_PUBLISHABLE_KEY", *sorted(BROWSER_VARIABLES))}

