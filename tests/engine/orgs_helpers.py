"""`Api`: one engine with helpers.py's checks (status, error code, the response's shape against the vendored
spec) as a callable, plus fixtures for the organization-family tests (users, organizations, members ...)."""

from __future__ import annotations

from typing import Any

from sdk import spec_check  # tests/ is on sys.path: one module copy, whose findings the session reports

from .helpers import call, checked, make_engine


class Api:
    """``api("POST", "/v1/organizations", {...})`` -> the decoded body, after checking status and shape."""

    def __init__(self, **engine_kwargs: Any) -> None:
        self.engine = make_engine(**engine_kwargs)
        self.counter = 0

    @property
    def state(self) -> Any:
        return self.engine.state

    def __call__(self, method: str, url: str, json: Any = None, *, status: int = 200, code: str | None = None,
                 version: str | None = None, headers: dict[str, str] | None = None, body: bytes | None = None) -> Any:
        hdrs = {**({"clerk-api-version": version} if version else {}), **(headers or {})}
        data = checked(self.engine, method, url, json, status=status, headers=hdrs, body=body).json()
        assert status < 500
        if code is not None:
            assert data["errors"][0]["code"] == code, data
        return data

    def any(self, method: str, url: str, json: Any = None) -> tuple[int, Any]:
        """Any outcome but a 5xx; the body is still checked against the spec.  For random operation sequences."""
        response = call(self.engine, method, url, json)
        data = response.json()
        assert response.status < 500, (method, url, response.status, data)
        spec_check.validate(method, url, response.status, data)
        if response.status >= 400:
            assert set(data["errors"][0]) >= {"message", "long_message", "code"}, data
        return response.status, data

    def error(self, method: str, url: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        """The first error item of a refused call (``status``/``code`` checked as in ``__call__``)."""
        return self(method, url, json, **kw)["errors"][0]

    # -- fixtures -------------------------------------------------------------------------------------------

    def user(self, email: str | None = None, **body: Any) -> dict[str, Any]:
        self.counter += 1
        body.setdefault("email_address", [email or f"user{self.counter}@example.com"])
        return self("POST", "/v1/users", body)

    def org(self, name: str = "Acme Inc", **body: Any) -> dict[str, Any]:
        return self("POST", "/v1/organizations", {"name": name, **body})

    def member(self, org_id: str, user_id: str, role: str = "org:member", **body: Any) -> dict[str, Any]:
        return self("POST", f"/v1/organizations/{org_id}/memberships", {"user_id": user_id, "role": role, **body})

    def invite(self, org_id: str, email: str, role: str = "org:member", **body: Any) -> dict[str, Any]:
        return self("POST", f"/v1/organizations/{org_id}/invitations",
                    {"email_address": email, "role": role, **body})

    def tick(self, ms: int = 1000) -> None:
        self.engine.clock.advance(ms=ms)


def ids(page: Any) -> list[str]:
    items = page["data"] if isinstance(page, dict) else page
    return [item["id"] for item in items]
