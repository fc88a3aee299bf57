"""Helpers for the auth engine tests: every response is validated against the vendored spec."""

from __future__ import annotations

from typing import Any

import jwt
from sdk import spec_check  # tests/ is on sys.path (pytest rootdir-relative packages)

from clerkmock.engine import Engine, Response, tokens

from .helpers import call, create

V2 = {"clerk-api-version": "2026-05-12"}
V1 = {"clerk-api-version": "2024-10-01"}


def checked(engine: Engine, method: str, url: str, json: Any = None, *, status: int = 200, **kw: Any) -> Response:
    """Call the engine, assert the status, validate the body against the spec."""
    response = call(engine, method, url, json, **kw)
    assert response.status == status, (response.status, response.body[:500])
    if "paginated=true" in url and status == 200:
        # The spec shows only the bare array; with paginated=true Clerk wraps it in {data, total_count}
        # (reference/clerk-bapi.md §2).  Validate the envelope here and the items against the spec's array.
        body = response.json()
        assert set(body) == {"data", "total_count"} and isinstance(body["total_count"], int), body
        op = spec_check.find_operation(method, url)
        spec_check.validate_schema(spec_check.response_pointer(op, 200), body["data"])
        return response
    spec_check.validate(method, url, response.status, None, raw=response.body)
    return response


def good(engine: Engine, method: str, url: str, json: Any = None, **kw: Any) -> Any:
    return checked(engine, method, url, json, **kw).json()


def fails(engine: Engine, method: str, url: str, json: Any = None, *, status: int, code: str, **kw: Any) -> dict:
    body = checked(engine, method, url, json, status=status, **kw).json()
    assert body["errors"][0]["code"] == code, body
    return body["errors"][0]


def user(engine: Engine, email: str = "ann@example.com", **kw: Any) -> dict[str, Any]:
    return create(engine, email_address=[email], **kw)


def session(engine: Engine, user_id: str, **kw: Any) -> dict[str, Any]:
    return good(engine, "POST", "/v1/sessions", {"user_id": user_id, **kw})


def verify(engine: Engine, token: str, **options: Any) -> dict[str, Any]:
    """Verify with the engine's public key the way Clerk's Python SDK does (RS256, iss unchecked)."""
    public = tokens.public_key_pem(engine.state.auth.signing_key or tokens.default_private_key_pem())
    options.setdefault("verify_exp", False)
    return jwt.decode(token, public, algorithms=["RS256"], options={"verify_iss": False, **options})


ACME_PERMISSIONS = ("org:reports:read", "org:reports:manage", "org:billing:read")


def acme(engine: Engine, user_id: str, *, grant: tuple[str, ...] = ACME_PERMISSIONS) -> str:
    """An organization ``acme`` the user administers; its admin role also grants the custom permissions
    ``grant``, in that order (what the org claims read).  Returns the organization's id."""
    org = good(engine, "POST", "/v1/organizations", {"name": "Acme", "slug": "acme", "created_by": user_id})
    admin = next(r for r in good(engine, "GET", "/v1/organization_roles?limit=100")["data"] if r["key"] == "org:admin")
    for key in grant:
        perm = good(engine, "POST", "/v1/organization_permissions", {"name": key, "key": key, "description": key})
        good(engine, "POST", f"/v1/organization_roles/{admin['id']}/permissions/{perm['id']}")
    return str(org["id"])
