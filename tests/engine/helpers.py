"""The one helper dialect for engine-level tests: call the engine directly (no HTTP) and check every answer's
body against the vendored spec (tests/sdk/spec_check.py), so no test forgets the shape.

``call`` -> the raw `Response` (no check: for bodies a test takes apart itself); ``checked`` -> the `Response`
after checking its status and shape; ``ok`` -> the decoded body of a 200; ``fails`` -> the first error item of
a refused call, its status and code checked.  `orgs_helpers.Api` wraps the same checks around one engine.
"""

from __future__ import annotations

from typing import Any

from sdk import spec_check  # tests/ is on sys.path: one module copy, whose findings the session reports

from clerkmock.engine import Clock, Engine, Request, Response
from clerkmock.engine.types import JSON_CONTENT_TYPE

AUTH = {"authorization": "Bearer sk_test_unit"}
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def make_engine(**kwargs: Any) -> Engine:
    kwargs.setdefault("clock", Clock(frozen_at_ms=T0))
    return Engine(**kwargs)


def call(engine: Engine, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> Response:
    return engine.handle(Request.make(method, url, headers={**AUTH, **(headers or {})}, json=json, body=body))


def check_shape(method: str, url: str, response: Response) -> None:
    """The body against the operation's response schema.  ``paginated=true`` wraps a bare-array list in
    ``{data, total_count}`` (the SDKs' convention, reference/clerk-bapi.md §2, not in the spec): the envelope is
    checked here and each item against the items of the array the operation declares."""
    if response.status == 200 and "paginated=true" in url:
        body = response.json()
        assert set(body) == {"data", "total_count"} and isinstance(body["total_count"], int), body
        op = spec_check.find_operation(method, url.split("?")[0])
        pointer = spec_check.response_pointer(op, 200)
        assert pointer is not None and spec_check.schema_at(pointer).get("type") == "array", (op, pointer)
        for item in body["data"]:
            spec_check.validate_schema(pointer + "/items", item, where=f"{op.operation_id} item")
        return
    if response.headers.get("content-type") == JSON_CONTENT_TYPE:
        # decoded: a 202 whose spec declares no body answers `null` (what the Backend API handlers return)
        spec_check.validate(method, url, response.status, response.json())
    else:
        spec_check.validate(method, url, response.status, None, raw=response.body)


def checked(engine: Engine, method: str, url: str, json: Any = None, *, status: int = 200, **kw: Any) -> Response:
    """Call the engine, assert the status, check the body against the spec."""
    response = call(engine, method, url, json, **kw)
    assert response.status == status, (method, url, response.status, response.body[:500])
    check_shape(method, url, response)
    return response


def ok(engine: Engine, method: str, url: str, json: Any = None, **kw: Any) -> Any:
    return checked(engine, method, url, json, **kw).json()


def fails(engine: Engine, method: str, url: str, json: Any = None, *, status: int, code: str, **kw: Any) -> dict:
    body = checked(engine, method, url, json, status=status, **kw).json()
    assert body["errors"][0]["code"] == code, body
    return dict(body["errors"][0])


def error_code(response: Response) -> str:
    return str(response.json()["errors"][0]["code"])


def create(engine: Engine, **body: Any) -> dict[str, Any]:
    return dict(ok(engine, "POST", "/v1/users", body))
