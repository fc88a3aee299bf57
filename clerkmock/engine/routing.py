"""How resource modules declare their routes: a `RouteSet` per API group and a `Ctx` per request."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine import events
from clerkmock.engine.clock import Clock
from clerkmock.engine.router import Route
from clerkmock.engine.spec import BACKEND_API, OperationIndex
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


@dataclass(frozen=True, slots=True)
class RouteDecl:
    """A route as a resource module declares it; `compile_routes` turns it into a `Route` per engine."""

    operation_id: str
    name: str  # group.action
    handler: Handler
    unversioned: bool = False
    machine_auth: bool = False
    prepare: Callable[[Request], Request] | None = None
    pure: bool = False


class RouteSet:
    """``ROUTES = RouteSet("users")`` then ``@ROUTES.op("GetUser", "get")``: the spec the set is bound to (the
    Backend API's by default) supplies the method, the path template and each API version's operation; the
    route is named ``users.get`` (what fault rules and the journal call it; the operationId is an alias).

    Per-route attributes: ``unversioned`` (also served without ``/v1``), ``machine_auth`` (a machine's secret
    key authenticates it), ``prepare`` (rewrites the request before validation), ``pure`` (a read that writes
    nothing: its 200 answer may be reused until the state changes, server/read_cache.py -- a promise checked by
    tests/test_read_cache.py, so give it only to handlers that never write state or ids).  ``public`` comes from
    the spec (``security: []``)."""

    def __init__(self, group: str, spec: OperationIndex = BACKEND_API) -> None:
        self.group = group
        self.spec = spec
        self.routes: list[RouteDecl] = []

    def op(self, operation_id: str, name: str, *, unversioned: bool = False, machine_auth: bool = False,
           prepare: Callable[[Request], Request] | None = None, pure: bool = False) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(RouteDecl(operation_id, f"{self.group}.{name}", handler, unversioned, machine_auth,
                                         prepare, pure))
            return handler

        return register


def compile_routes(route_sets: Iterable[RouteSet]) -> list[Route]:
    """Fresh `Route` objects (an engine owns its routes; declarations stay untouched), each carrying its
    operation per API version, looked up once here instead of on every request."""
    out = []
    for route_set in route_sets:
        for decl in route_set.routes:
            ops = route_set.spec.versions_of(decl.operation_id)
            newest = ops[next(v for v in reversed(route_set.spec.versions) if v in ops)]
            out.append(Route(newest.method, newest.path, decl.handler, decl.name, decl.operation_id, dict(ops),
                             newest.public, decl.unversioned, decl.machine_auth, decl.prepare,
                             decl.pure and newest.method == "GET"))
    return out
