"""Helpers for the organization-family engine tests: one call that checks the status, the error code and the
response's shape against the vendored spec (tests/sdk/spec_check.py), so no test forgets the shape."""

from __future__ import annotations

from typing import Any

from sdk import spec_check  # tests/ is on sys.path: one module copy, whose findings the session reports

from .helpers import call, make_engine


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
        response = call(self.engine, method, url, json, headers=hdrs, body=body)
        data = response.json()
        assert response.status == status, (method, url, response.status, data)
        assert response.status < 500
        if response.status == 200 and "paginated=true" in url:
            # {data, total_count} for the bare-array lists is the SDKs' convention, not in the spec: each item is
            # checked against the items of the array the operation declares (it was always Invitation)
            assert set(data) == {"data", "total_count"}, data
            op = spec_check.find_operation(method, url.split("?")[0])
            pointer = spec_check.response_pointer(op, 200)
            assert pointer is not None and spec_check.schema_at(pointer).get("type") == "array", (op, pointer)
            for item in data["data"]:
                spec_check.validate_schema(pointer + "/items", item, where=f"{op.operation_id} item")
        else:
            spec_check.validate(method, url, response.status, data)
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
