"""Harness for tests/test_auth_docs.py: the documented Python recipes (docs/auth-in-tests.md, "Python: verify
with jwt_key") verify a session token with no network but loopback -- run inside `unshare -n`, where a fetch
from https://api.clerk.com cannot succeed.  Prints one JSON line with what each recipe answered."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from clerkmock import ClerkMock

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as config, ClerkMock(port=0, config_dir=config) as mock:
        os.environ.update(mock.env())  # what `eval "$(clerkmock env)"` gives the app
        api = httpx.Client(base_url=mock.api_url, headers={"Authorization": f"Bearer {mock.secret_key}"},
                           trust_env=False)
        user = api.post("/users", json={"email_address": ["offline@example.com"]}).json()
        session = api.post("/sessions", json={"user_id": user["id"]}).json()
        token = api.post(f"/sessions/{session['id']}/tokens").json()["jwt"]

        spec = importlib.util.spec_from_file_location("fastapi_example_app", ROOT / "docs/examples/fastapi_app.py")
        assert spec and spec.loader
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        me = TestClient(app.app).get("/api/me", headers={"Authorization": f"Bearer {token}"})

        from clerk_backend_api.security import verify_token
        from clerk_backend_api.security.types import VerifyTokenOptions

        claims = verify_token(token, VerifyTokenOptions(secret_key=os.environ["CLERK_SECRET_KEY"],
                                                        api_url=os.environ["CLERK_API_URL"]))
        print(json.dumps({"jwt_key": {"status": me.status_code, "body": me.json()},
                          "verify_token_api_url": claims.get("sub"), "user_id": user["id"]}))


if __name__ == "__main__":
    sys.exit(main())
