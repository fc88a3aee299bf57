"""What every control-plane module shares: the `ControlTarget` it acts on, how routes are declared, and the
JSON in/out helpers (one copy for every control route)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from clerkmock.engine import Request, Response, errors
from clerkmock.engine.jsonio import dumps, loads
from clerkmock.engine.types import JSON_CONTENT_TYPE
from clerkmock.server.directive import Directive

if TYPE_CHECKING:
    from clerkmock.engine import Engine
    from clerkmock.faults import FaultSet
    from clerkmock.scenario import Scenario
    from clerkmock.scenario.seeding import Summary
    from clerkmock.server.control_guard import ControlGuard
    from clerkmock.server.journal import Journal
    from clerkmock.server.redaction import Sealer
    from clerkmock.webhooks.dispatcher import WebhookDispatcher


class ControlTarget(Protocol):
    """What the control plane needs of the server it administers (`Pipeline` is one); handlers are called
    with the target's lock held."""

    engine: Engine
    faults: FaultSet
    journal: Journal
    webhooks: WebhookDispatcher
    scenario: Scenario | None
    control_guard: ControlGuard  # who may steer the server (the pipeline checks it before any control route)
    sealer: Sealer  # seals the secrets of GET state; its key lives only in this process
    app_env: Callable[[str], dict[str, str]] | None  # GET env: the app's variables (set by ClerkMock), by mode

    @property
    def lock(self) -> AbstractContextManager[Any]: ...  # held around every handler; a deferred one takes it

    def reset(self) -> None: ...

    def set_baseline(self) -> None: ...

    def apply_scenario(self, scenario: Scenario) -> Summary: ...


type ControlHandler = Callable[[ControlTarget, Request, dict[str, str]], Response | Directive]


class ControlRoutes:
    """``ROUTES = ControlRoutes("control")``, then ``@ROUTES.add("GET", "/health", "health")``: templates are
    relative to ``/__clerkmock`` and ``{id}`` matches one segment (compiled into the engine's `Router`)."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.routes: list[tuple[str, str, str, ControlHandler]] = []

    def add(self, method: str, template: str, name: str) -> Callable[[ControlHandler], ControlHandler]:
        def register(handler: ControlHandler) -> ControlHandler:
            self.routes.append((method, template, f"{self.group}.{name}", handler))
            return handler

        return register


def json_response(body: object, status: int = 200) -> Response:
    return Response(status, dumps(body), {"content-type": JSON_CONTENT_TYPE})


def read_body(request: Request, *, yaml_ok: bool = False) -> Any:
    """The request body as JSON (or YAML when ``yaml_ok``); an empty or unparsable body is Clerk's 400."""
    if not request.body.strip():
        raise errors.request_body_invalid("(the body is empty)")
    try:
        return loads(request.body)
    except ValueError:
        if not yaml_ok:
            raise errors.request_body_invalid("(the body is not valid JSON)") from None
    import yaml

    try:
        return yaml.safe_load(request.body.decode("utf-8", "replace"))
    except yaml.YAMLError:
        raise errors.request_body_invalid("(the body is neither JSON nor YAML)") from None


def deferred(answer: Callable[[], Response], wait: Callable[[], Any]) -> Directive:
    """Answer after ``wait``, which may block: the adapter runs it on a worker thread (the directive's
    ``response`` is the answer as of now)."""

    def run() -> Response:
        wait()
        return answer()

    return Directive(answer(), deferred=run)


def secrets_allowed(target: ControlTarget, request: Request, what: str) -> None:
    """``?secrets=1`` (GET state, GET scenario) needs the control token, whatever the guard's mode."""
    if not target.control_guard.authenticated(request):
        raise errors.control_token_required(
            f"{what}: send Authorization: Bearer <control token> (in <config dir>/control_token).")


def query_one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values and values[0] else None


def query_flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name, ["false"])[0] or "true").lower() in ("1", "true", "yes")


def query_number(query: dict[str, list[str]], name: str, *, integer: bool = False) -> float | None:
    raw = query_one(query, name)
    if raw is None:
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise errors.invalid_query_parameter_value(name, "must be a number") from None
    if value < 0:
        raise errors.invalid_query_parameter_value(name, "must not be negative")
    return value
