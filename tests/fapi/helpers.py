"""A browser for engine tests: one dev browser (its own client), form bodies as clerk-js sends them, and every
response checked against the FAPI spec."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from clerkmock.engine import Engine, Request, Response
from tests.fapi import spec_check

ORIGIN = "http://localhost:3000"
API_VERSION = "2026-08-20"  # what clerk-js 6 sends: newer than any spec


class Browser:
    def __init__(self, engine: Engine, *, origin: str = ORIGIN) -> None:
        self.engine = engine
        self.origin = origin
        created = self.call("POST", "/v1/dev_browser", bare=True)
        self.token: str = created["id"]
        self.last: Response | None = None

    def request(self, method: str, path: str, form: dict[str, Any] | None = None, **query: Any) -> Response:
        """clerk-js's way: GET or POST, ``_method`` for the others, query parameters on every call."""
        q: dict[str, Any] = {"__clerk_api_version": API_VERSION, "_clerk_js_version": "6.40.0", **query}
        if getattr(self, "token", None):
            q["__clerk_db_jwt"] = self.token
        wire = method
        if method in ("PATCH", "PUT", "DELETE"):
            q["_method"], wire = method, "POST"
        headers = {"origin": self.origin}
        body = b""
        if form is not None or wire == "POST":
            headers["content-type"] = "application/x-www-form-urlencoded"
            body = urlencode(form or {}, doseq=True).encode()
        resp = self.engine.handle(Request.make(wire, f"/__clerk{path}?{urlencode(q, doseq=True)}", headers=headers,
                                               body=body))
        spec_check.validate(method, path, resp.status, resp.json())
        self.last = resp
        return resp

    def call(self, method: str, path: str, form: dict[str, Any] | None = None, *, bare: bool = False,
             **query: Any) -> Any:
        """The ``response`` of a successful call (the whole body when ``bare``)."""
        resp = self.request(method, path, form, **query)
        assert resp.status == 200, (resp.status, resp.json())
        body = resp.json()
        return body if bare else body["response"]

    def error(self, method: str, path: str, form: dict[str, Any] | None = None, **query: Any) -> tuple[int, str]:
        resp = self.request(method, path, form, **query)
        assert resp.status >= 400, resp.json()
        return resp.status, resp.json()["errors"][0]["code"]

    def client(self) -> dict[str, Any] | None:
        return self.call("GET", "/v1/client", bare=True)["response"]
