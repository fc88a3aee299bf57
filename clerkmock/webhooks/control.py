"""The control plane's webhook routes (``/__clerkmock/webhooks``), registered by `ControlPlane`:

    GET    webhooks                   endpoints + the delivery log (?wait=SECONDS: first wait until every
                                      delivery is done; ?endpoint=, ?type=user.*, ?status=failed, ?limit=)
    POST   webhooks                   add an endpoint ({url, events, secret, id, retry_schedule, faults}; a
                                      list adds several); answers it with its secret
    DELETE webhooks                   remove every endpoint
    GET    webhooks/{id}              one endpoint and its deliveries
    PATCH  webhooks/{id}              change its events, secret, retry_schedule or faults
    DELETE webhooks/{id}              remove it (what it had queued is cancelled)
    POST   webhooks/flush             wait until every delivery is done ({timeout: 10, retry_now: false});
                                      answers {done, pending} (done false when the timeout passed first)

Waiting never holds the pipeline lock nor blocks a listener's event loop: the handler answers with a
``Response.meta["deferred"]`` callable that the adapter runs on a worker thread (the app's webhook handler
may well call clerkmock while we wait for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.engine.jsonio import dumps, loads
from clerkmock.engine.types import JSON_CONTENT_TYPE
from clerkmock.webhooks.config import WebhookConfigError
from clerkmock.webhooks.dispatcher import WebhookDispatcher

if TYPE_CHECKING:
    from clerkmock.server.pipeline import Pipeline

type Handler = Callable[[Request, dict[str, str]], Response]

MAX_WAIT_S = 300.0
DEFAULT_FLUSH_TIMEOUT_S = 10.0
FLUSH_KEYS = ("timeout", "retry_now")


def routes(pipeline: Pipeline) -> dict[str, dict[str, Handler]]:
    h = _Handlers(pipeline)
    return {
        "/webhooks": {"GET": h.list, "POST": h.add, "DELETE": h.clear},
        "/webhooks/flush": {"POST": h.flush},
        "/webhooks/{id}": {"GET": h.get, "PATCH": h.update, "DELETE": h.remove},
        "/webhooks/deliveries/{id}": {"GET": h.delivery},
        "/webhooks/redeliver/{id}": {"POST": h.redeliver},
    }


class _Handlers:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    @property
    def webhooks(self) -> WebhookDispatcher:
        return self.pipeline.webhooks

    def list(self, request: Request, params: dict[str, str]) -> Response:
        q = request.query
        filters: dict[str, Any] = {
            "endpoint_id": _one(q, "endpoint"), "event_type": _one(q, "type"), "status": _one(q, "status")}
        limit = _number(q, "limit", integer=True)
        wait = _number(q, "wait")

        def answer() -> Response:
            body = self.webhooks.to_json(limit=int(limit) if limit is not None else None, **filters)
            body["idle"] = body["pending"] == 0
            return _json(body, "control.webhooks")

        if not wait:
            return answer()
        return _deferred(answer, lambda: self.webhooks.flush(min(wait, MAX_WAIT_S)))

    def delivery(self, request: Request, params: dict[str, str]) -> Response:
        d = self.webhooks.delivery(params["id"])
        if d is None:
            raise errors.resource_not_found(f"No webhook delivery was found with id {params['id']}", "not found")
        return _json({"delivery": d.to_json(), "headers": self.webhooks.signed_headers(d),
                      "payload": d.event.json()}, "control.webhooks")

    def redeliver(self, request: Request, params: dict[str, str]) -> Response:
        d = self.webhooks.redeliver(params["id"])
        if d is None:
            raise errors.resource_not_found(f"No webhook delivery (with a live endpoint) was found with id "
                                            f"{params['id']}", "not found")
        return _json(d.to_json(), "control.webhooks")

    def add(self, request: Request, params: dict[str, str]) -> Response:
        raw = _body(request)
        items = raw if isinstance(raw, list) else [raw]
        added = []
        for i, item in enumerate(items):
            try:
                added.append(self.webhooks.add(item, source="control"))
            except WebhookConfigError as exc:
                for endpoint in added:  # all or nothing
                    self.webhooks.remove(endpoint.id)
                where = ".".join(str(p) for p in exc.path)
                prefix = f"[{i}]" if isinstance(raw, list) else ""
                raise ClerkError(422, "form_param_value_invalid", "invalid webhook endpoint", exc.message,
                                 {"param_name": f"{prefix}{'.' if prefix and where else ''}{where}" or "url"}) from None
        schedule = self.webhooks.retry_schedule
        out = [e.to_json(schedule) for e in added]
        return _json(out if isinstance(raw, list) else out[0], "control.webhooks")

    def clear(self, request: Request, params: dict[str, str]) -> Response:
        return _json({"deleted": self.webhooks.clear()}, "control.webhooks")

    def get(self, request: Request, params: dict[str, str]) -> Response:
        endpoint = self._endpoint(params["id"])
        body = endpoint.to_json(self.webhooks.retry_schedule)
        body["deliveries"] = [d.to_json() for d in self.webhooks.deliveries(endpoint_id=endpoint.id)]
        return _json(body, "control.webhooks")

    def update(self, request: Request, params: dict[str, str]) -> Response:
        self._endpoint(params["id"])
        changes = _body(request)
        if not isinstance(changes, dict):
            raise errors.request_body_invalid("(expected a JSON object of endpoint keys)")
        try:
            endpoint = self.webhooks.update(params["id"], changes)
        except WebhookConfigError as exc:
            raise ClerkError(422, "form_param_value_invalid", "invalid webhook endpoint", exc.message,
                             {"param_name": ".".join(str(p) for p in exc.path) or "url"}) from None
        return _json(endpoint.to_json(self.webhooks.retry_schedule), "control.webhooks")

    def remove(self, request: Request, params: dict[str, str]) -> Response:
        if not self.webhooks.remove(params["id"]):
            raise _not_found(params["id"])
        return _json({"id": params["id"], "deleted": True}, "control.webhooks")

    def flush(self, request: Request, params: dict[str, str]) -> Response:
        body = _body(request) if request.body.strip() else {}
        if not isinstance(body, dict):
            raise errors.request_body_invalid('(expected a JSON object such as {"timeout": 5})')
        for key in body:
            if key not in FLUSH_KEYS:
                raise ClerkError(422, "form_param_unknown", "is unknown",
                                 f"{key} is not a valid parameter (valid: {', '.join(FLUSH_KEYS)}).",
                                 {"param_name": key})
        timeout = body.get("timeout", DEFAULT_FLUSH_TIMEOUT_S)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
            raise errors.form_param_type_invalid("timeout", "number")
        retry_now = body.get("retry_now", False)
        if not isinstance(retry_now, bool):
            raise errors.form_param_type_invalid("retry_now", "boolean")
        done: list[bool] = []

        def wait() -> None:
            done.append(self.webhooks.flush(min(float(timeout), MAX_WAIT_S), retry_now=retry_now))

        def answer() -> Response:
            return _json({"done": done[0] if done else self.webhooks.idle(), "pending": self.webhooks.pending()},
                         "control.webhooks")

        return _deferred(answer, wait)

    def _endpoint(self, endpoint_id: str) -> Any:
        endpoint = self.webhooks.get(endpoint_id)
        if endpoint is None:
            raise _not_found(endpoint_id)
        return endpoint


# -- helpers ----------------------------------------------------------------------------------------------------


def _deferred(answer: Callable[[], Response], wait: Callable[[], Any]) -> Response:
    """A response now (for an adapter that cannot defer), and the real one after ``wait`` in ``meta``."""
    def run() -> Response:
        wait()
        return answer()

    response = answer()
    response.meta["deferred"] = run
    return response


def _json(body: object, route: str, status: int = 200) -> Response:
    return Response(status, dumps(body), {"content-type": JSON_CONTENT_TYPE}, {"route": route})


def _body(request: Request) -> Any:
    if not request.body.strip():
        raise errors.request_body_invalid("(the body is empty)")
    try:
        return loads(request.body)
    except ValueError:
        raise errors.request_body_invalid("(the body is not valid JSON)") from None


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values and values[0] else None


def _number(query: dict[str, list[str]], name: str, *, integer: bool = False) -> float | None:
    raw = _one(query, name)
    if raw is None:
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise errors.invalid_query_parameter_value(name, "must be a number") from None
    if value < 0:
        raise errors.invalid_query_parameter_value(name, "must not be negative")
    return value


def _not_found(endpoint_id: str) -> ClerkError:
    return errors.resource_not_found(f"No webhook endpoint was found with id {endpoint_id}",
                                     "webhook endpoint not found")
