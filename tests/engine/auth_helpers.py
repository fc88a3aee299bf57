"""Fixtures for the auth engine tests (users, sessions, token verification); calls go through helpers.py's
one dialect (`ok`, `checked`, `fails`), which checks every response against the vendored spec."""

from __future__ import annotations

from typing import Any

import jwt

from clerkmock.engine import Engine, tokens

from .helpers import create, ok

V2 = {"clerk-api-version": "2026-05-12"}
V1 = {"clerk-api-version": "2024-10-01"}


def user(engine: Engine, email: str = "ann@example.com", **kw: Any) -> dict[str, Any]:
    return create(engine, email_address=[email], **kw)


def session(engine: Engine, user_id: str, **kw: Any) -> dict[str, Any]:
    return ok(engine, "POST", "/v1/sessions", {"user_id": user_id, **kw})


def verify(engine: Engine, token: str, **options: Any) -> dict[str, Any]:
    """Verify with the engine's public key the way Clerk's Python SDK does (RS256, iss unchecked)."""
    public = tokens.public_key_pem(engine.state.auth.signing_key or tokens.default_private_key_pem())
    options.setdefault("verify_exp", False)
    return jwt.decode(token, public, algorithms=["RS256"], options={"verify_iss": False, **options})


ACME_PERMISSIONS = ("org:reports:read", "org:reports:manage", "org:billing:read")


def acme(engine: Engine, user_id: str, *, grant: tuple[str, ...] = ACME_PERMISSIONS) -> str:
    """An organization ``acme`` the user administers; its admin role also grants the custom permissions
    ``grant``, in that order (what the org claims read).  Returns the organization's id."""
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "slug": "acme", "created_by": user_id})
    admin = next(r for r in ok(engine, "GET", "/v1/organization_roles?limit=100")["data"] if r["key"] == "org:admin")
    for key in grant:
        perm = ok(engine, "POST", "/v1/organization_permissions", {"name": key, "key": key, "description": key})
        ok(engine, "POST", f"/v1/organization_roles/{admin['id']}/permissions/{perm['id']}")
    return str(org["id"])
