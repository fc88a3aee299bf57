"""docs/auth-in-tests.md: the FastAPI example app, protected by Clerk's own middleware, tested against a live
clerkmock on loopback (no network).  The app file is shown verbatim in the doc; this test keeps them in step."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.keys import jwt_key

ROOT = Path(__file__).resolve().parent.parent
APP_FILE = ROOT / "docs" / "examples" / "fastapi_app.py"
DOC = ROOT / "docs" / "auth-in-tests.md"
EXPRESS_APP = ROOT / "tests" / "node" / "express_app.mjs"
ORIGIN = "http://localhost:3000"
# Starlette's TestClient warns that it wants "httpx2"; httpx is what this project (and the Clerk SDK) use.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _fastapi_or_skip() -> None:
    try:
        import fastapi  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail("CI is set but fastapi is missing: pip install -e '.[test]'", pytrace=False)
        pytest.skip("fastapi is not installed (pip install -e '.[test]')")


def _load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_example_app", APP_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api(mock_server: ClerkMock, monkeypatch: pytest.MonkeyPatch) -> httpx.Client:
    """The app's environment points at clerkmock; returns a client for seeding clerkmock itself."""
    monkeypatch.setenv("CLERK_API_URL", mock_server.url)
    monkeypatch.setenv("CLERK_SECRET_KEY", mock_server.secret_key)
    monkeypatch.setenv("CLERK_JWT_KEY", jwt_key(mock_server))
    monkeypatch.setenv("APP_ORIGINS", ORIGIN)
    with httpx.Client(base_url=mock_server.api_url, trust_env=False,
                      headers={"Authorization": f"Bearer {mock_server.secret_key}"}) as client:
        yield client


def _sign_in(api: httpx.Client, email: str, org_id: str | None = None) -> str:
    """A session token as the browser would hold it (azp = the app's origin)."""
    user = api.post("/users", json={"email_address": [email]}).json()
    body = {"user_id": user["id"], **({"active_organization_id": org_id} if org_id else {})}
    session = api.post("/sessions", json=body).json()
    return api.post(f"/sessions/{session['id']}/tokens", headers={"Origin": ORIGIN}).json()["jwt"]


def test_the_doc_shows_the_tested_apps() -> None:
    doc = DOC.read_text()
    assert APP_FILE.read_text().strip() in doc
    assert EXPRESS_APP.read_text().strip() in doc  # run by tests/node/express.test.mjs


def test_fastapi_route_with_clerk_middleware(api: httpx.Client, mock_server: ClerkMock) -> None:
    _fastapi_or_skip()
    from fastapi.testclient import TestClient

    app = _load_app().app
    client = TestClient(app)
    token = _sign_in(api, "ann@example.com")

    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ann@example.com"
    client.cookies.set("__session", token)
    assert client.get("/api/me").status_code == 200  # the browser's way: the __session cookie
    client.cookies.clear()

    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    mock_server.engine.clock.advance(seconds=-120)  # mint a token that expired a minute ago
    stale = _sign_in(api, "bob@example.com")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {stale}"}).status_code == 401


def test_fastapi_route_needs_an_org_permission(api: httpx.Client) -> None:
    _fastapi_or_skip()
    from fastapi.testclient import TestClient

    client = TestClient(_load_app().app)
    owner = api.post("/users", json={"email_address": ["owner@acme.example"]}).json()
    org = api.post("/organizations", json={"name": "Acme", "created_by": owner["id"]}).json()
    permission = api.post("/organization_permissions", json={"name": "Read reports", "key": "org:reports:read"}).json()
    role = api.post("/organization_roles", json={"name": "Analyst", "key": "org:analyst",
                                                 "include_in_initial_role_set": True}).json()
    api.post(f"/organization_roles/{role['id']}/permissions/{permission['id']}")
    analyst = api.post("/users", json={"email_address": ["analyst@acme.example"]}).json()
    api.post(f"/organizations/{org['id']}/memberships", json={"user_id": analyst["id"], "role": "org:analyst"})
    session = api.post("/sessions", json={"user_id": analyst["id"], "active_organization_id": org["id"]}).json()
    token = api.post(f"/sessions/{session['id']}/tokens", headers={"Origin": ORIGIN}).json()["jwt"]
    reports = client.get("/api/reports", headers={"Authorization": f"Bearer {token}"})
    assert reports.status_code == 200 and reports.json()["org_id"] == org["id"]
    plain = _sign_in(api, "plain@example.com")
    assert client.get("/api/reports", headers={"Authorization": f"Bearer {plain}"}).status_code == 403


def test_the_documented_python_recipes_verify_with_the_network_closed() -> None:
    """Issue 12.5: without jwt_key, the Python SDK fetches the JWKS from https://api.clerk.com whatever
    CLERK_API_URL or HTTPS_PROXY say (it hung ~255 s).  The documented recipes -- the FastAPI example with
    jwt_key=CLERK_JWT_KEY, and verify_token with api_url -- verify a token in a private network namespace,
    where nothing but loopback is reachable."""
    import json
    import shutil
    import subprocess
    import sys

    _fastapi_or_skip()
    problem = None if os.geteuid() == 0 else "not root: a private network namespace needs root"
    if problem is None and (shutil.which("unshare") is None or shutil.which("ip") is None):
        problem = "unshare (util-linux) or ip (iproute2) is not installed"
    if problem is None:
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
        problem = f"`unshare -n` fails here: {probe.stderr.strip()}" if probe.returncode else None
    if problem is not None:
        pytest.skip(f"the network-closed check needs a private network namespace: {problem}")
    script = f"ip link set lo up && exec {sys.executable} {ROOT / 'tests' / 'auth_recipe_offline.py'}"
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY") and not k.startswith("CLERK")}
    proc = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(ROOT)}, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["jwt_key"]["status"] == 200 and result["jwt_key"]["body"]["user_id"] == result["user_id"]
    assert result["verify_token_api_url"] == result["user_id"]
