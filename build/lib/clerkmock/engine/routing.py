"""How resource modules declare their routes: a `RouteSet` per API group and a `Ctx` per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine import events
from clerkmock.engine.clock import Clock
from clerkmock.engine.router import Route
from clerkmock.engine.state import State
from clerkmock.engine.types import Json, Request

type Handler = Callable[[Ctx], Json | Reply]


@dataclass(slots=True)
class Reply:
    """A handler result with a status other than 200 (Clerk answers 200 even for creates)."""

    status: int
    body: Json | bytes = None  # bytes are sent as they are (an HTML page; set its content-type in headers)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Ctx:
    state: State
    clock: Clock
    version: str  # the negotiated Clerk-API-Version
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    request: Request
    files: dict[str, Upload] = field(default_factory=dict)
    _now: int | None = None

    @property
    def now(self) -> int:
        """One instant per request, so every timestamp a request writes agrees."""
        if self._now is None:
            self._now = self.clock.now_ms()
        return self._now

    def version_before(self, version: str) -> bool:
        return self.version < version  # ISO dates compare as strings

    def emit(self, type_: str, data: Any) -> None:
        """Record a webhook event about a change this request just made (engine/events.py); ``data`` may be
        a zero-argument callable, called only when someone listens."""
        events.emit(self.state, type_, data, self.now)


class RouteSet:
    """``ROUTES = RouteSet("users")`` then ``@ROUTES.get("/users/{user_id}", "get")`` names the route
    ``users.get`` (what fault rules and the journal call it)."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.routes: list[Route] = []

    def add(self, method: str, template: str, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, handler, f"{self.group}.{name}"))
            return handler

        return register

    def get(self, template: str, name: str) -> Callable[[Handler], Handler]:
        return self.add("GET", template, name)

    def post(self, template: str, name: str) -> Callable[[Handler], Handler]:
        return self.add("POST", template, name)

    def patch(self, template: str, name: str) -> Callable[[Handler], Handler]:
        return self.add("PATCH", template, name)

    def put(self, template: str, name: str) -> Callable[[Handler], Handler]:
        return self.add("PUT", template, name)

    def delete(self, template: str, name: str) -> Callable[[Handler], Handler]:
        return self.add("DELETE", template, name)
