"""A FastAPI app whose routes are protected by Clerk's own Python middleware (clerk-backend-api).

Nothing here knows about clerkmock: the app reads CLERK_SECRET_KEY, CLERK_JWT_KEY and CLERK_API_URL as it
would in production.  See docs/auth-in-tests.md for the test that runs it against clerkmock.
"""

from __future__ import annotations

import os
from typing import Any

from clerk_backend_api import Clerk
from clerk_backend_api.security import authenticate_request
from clerk_backend_api.security.types import AuthenticateRequestOptions
from fastapi import Depends, FastAPI, HTTPException, Request

app = FastAPI()


def clerk_claims(request: Request) -> dict[str, Any]:
    """FastAPI dependency: the verified session-token claims, or 401."""
    state = authenticate_request(
        request,  # a Bearer token, or the __session cookie
        AuthenticateRequestOptions(
            secret_key=os.environ["CLERK_SECRET_KEY"],
            # Networkless verification.  Without jwt_key the Python SDK fetches the JWKS from https://api.clerk.com
            # itself (ignoring CLERK_API_URL and HTTPS_PROXY): docs/auth-in-tests.md, "Python: verify with jwt_key".
            jwt_key=os.environ["CLERK_JWT_KEY"],
            authorized_parties=[p for p in os.environ.get("APP_ORIGINS", "").split(",") if p] or None,
        ),
    )
    if not state.is_signed_in or state.payload is None:
        raise HTTPException(status_code=401, detail=state.message)
    return state.payload


def clerk() -> Clerk:
    # CLERK_API_URL is the server root (the SDKs append /v1); the Python SDK wants the /v1 URL itself.
    server_url = os.environ.get("CLERK_API_URL", "https://api.clerk.com").rstrip("/") + "/v1"
    return Clerk(bearer_auth=os.environ["CLERK_SECRET_KEY"], server_url=server_url)


@app.get("/api/me")
def me(claims: dict[str, Any] = Depends(clerk_claims)) -> dict[str, Any]:
    user = clerk().users.get(user_id=claims["sub"])
    return {"user_id": user.id, "email": user.email_addresses[0].email_address, "org_id": claims.get("org_id")}


@app.get("/api/reports")
def reports(claims: dict[str, Any] = Depends(clerk_claims)) -> dict[str, Any]:
    if "org:reports:read" not in (claims.get("org_permissions") or []):
        raise HTTPException(status_code=403, detail="needs org:reports:read")
    return {"org_id": claims["org_id"], "reports": []}
