"""Unmodified Python apps: httpx, requests, urllib and Clerk's official SDK, each with its defaults
(https://api.clerk.com).  Only the environment points them at clerkmock: `clerkmock env --proxy` (forward
proxy), or just the CA trust variables (transparent mode, where iptables does the redirecting).

Run by run_all.py; prints one JSON object: {client: {"ok", "detail"}, "attempts": [...], "lookups": [...]}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import guard

guard.install()

KEY = os.environ["CLERK_SECRET_KEY"]
AUTH = {"Authorization": f"Bearer {KEY}"}
URL = "https://api.clerk.com/v1/users?limit=1"


def check_httpx() -> str:
    import httpx

    r = httpx.get(URL, headers=AUTH)  # trust_env: HTTPS_PROXY + SSL_CERT_FILE
    assert r.status_code == 200 and r.headers["content-type"] == "application/json", (r.status_code, r.text)
    return f"{r.status_code} {r.http_version}"


def check_requests() -> str:
    import requests

    r = requests.get(URL, headers=AUTH, timeout=10)  # HTTPS_PROXY + REQUESTS_CA_BUNDLE
    assert r.status_code == 200 and isinstance(r.json(), list), (r.status_code, r.text)
    return str(r.status_code)


def check_urllib() -> str:
    req = urllib.request.Request(URL, headers=AUTH)  # HTTPS_PROXY; SSL_CERT_FILE via OpenSSL's defaults
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        json.loads(resp.read())
        return str(resp.status)


def check_sdk() -> str:
    from clerk_backend_api import Clerk

    with Clerk(bearer_auth=KEY) as sdk:  # default server_url: https://api.clerk.com/v1
        user = sdk.users.create(email_address=[f"py.app.{os.getpid()}@example.com"])
        assert user.id and any(u.id == user.id for u in sdk.users.list(request={"limit": 100}))
        return f"created {user.id}"


def check_authenticate_request() -> str:
    if os.environ.get("HTTPS_PROXY"):
        # The SDK fetches the JWKS with its own `httpx.Client(transport=HTTPTransport(retries=10))`, and httpx
        # ignores HTTPS_PROXY for a client given an explicit transport: it would go straight to api.clerk.com.
        # Through the forward proxy only jwt_key (networkless) works; transparent mode needs no proxy setting.
        return "skipped: the SDK's JWKS fetch ignores HTTPS_PROXY (checked in transparent mode)"
    import httpx
    from clerk_backend_api import Clerk
    from clerk_backend_api.security.types import AuthenticateRequestOptions

    with Clerk(bearer_auth=KEY) as sdk:
        user = sdk.users.create(email_address=[f"py.auth.{os.getpid()}@example.com"])
        session = sdk.sessions.create(request={"user_id": user.id})
        token = sdk.sessions.create_token(session_id=session.id)
        assert token is not None and token.jwt
        # No jwt_key: the SDK fetches the JWKS from https://api.clerk.com/v1/jwks - through the proxy.
        request = httpx.Request("GET", "http://localhost:8000/me", headers={"Authorization": f"Bearer {token.jwt}"})
        state = sdk.authenticate_request(request, AuthenticateRequestOptions(secret_key=KEY))
        assert state.is_signed_in, (state.reason, state.message)
        assert state.payload and state.payload["sub"] == user.id
        return f"signed in as {user.id} (JWKS fetched from https://api.clerk.com/v1/jwks)"


CHECKS: dict[str, Callable[[], str]] = {
    "httpx": check_httpx,
    "requests": check_requests,
    "urllib": check_urllib,
    "python-sdk": check_sdk,
    "python-sdk authenticate_request": check_authenticate_request,
}


def main() -> None:
    out: dict[str, object] = {}
    for name, check in CHECKS.items():
        try:
            out[name] = {"ok": True, "detail": check()}
        except Exception:  # noqa: BLE001 - reported
            out[name] = {"ok": False, "detail": traceback.format_exc(limit=6)}
    out["attempts"] = guard.attempts
    out["lookups"] = sorted(set(guard.lookups))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
