"""Small helpers for engine-level tests: call the engine directly, no HTTP."""

from __future__ import annotations

from typing import Any

from clerkmock.engine import Clock, Engine, Request, Response

AUTH = {"authorization": "Bearer sk_test_unit"}
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def make_engine(**kwargs: Any) -> Engine:
    kwargs.setdefault("clock", Clock(frozen_at_ms=T0))
    return Engine(**kwargs)


def call(engine: Engine, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> Response:
    return engine.handle(Request.make(method, url, headers={**AUTH, **(headers or {})}, json=json, body=body))


def ok(engine: Engine, method: str, url: str, json: Any = None, **kw: Any) -> Any:
    response = call(engine, method, url, json, **kw)
    assert response.status == 200, (response.status, response.body)
    return response.json()


def error_code(response: Response) -> str:
    return response.json()["errors"][0]["code"]


def create(engine: Engine, **body: Any) -> dict[str, Any]:
    return ok(engine, "POST", "/v1/users", body)
