"""The control plane's webhook routes (``/__clerkmock/webhooks``), declared like the others (base.py):

    GET    webhooks                   endpoints + the delivery log (?wait=SECONDS: first wait until every
                                      delivery is done; ?endpoint=, ?type=user.*, ?status=failed, ?limit=)
    POST   webhooks                   add an endpoint ({url, events, secret, id, retry_schedule, faults}; a
                                      list adds several); answers it with its secret
    DELETE webhooks                   remove every endpoint
    GET    webhooks/{id}              one endpoint and its deliveries
    PATCH  webhooks/{id}              change its events, secret, retry_schedule or faults
    DELETE webhooks/{id}              remove it (what it had queued is cancelled)
    GET    webhooks/deliveries/{id}   one delivery, with the Svix headers its last attempt was signed with and
                                      its payload
    POST   webhooks/redeliver/{id}    send a delivery's event again (a new delivery, the same svix-id)
    POST   webhooks/flush             wait until every delivery is done ({timeout: 10, retry_now: false});
                                      answers {done, pending} (done false when the timeout passed first)

Waiting never holds the pipeline lock nor blocks a listener's event loop: the handler answers with a
`Directive` whose ``deferred`` callable the adapter runs on a worker thread (the app's webhook handler
may well call clerkmock while we wait for it).
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.server.control.base import (
    ControlRoutes,
    ControlTarget,
    deferred,
    json_response,
    query_number,
    query_one,
    read_body,
)
from clerkmock.server.directive import Directive
from clerkmock.webhooks.config import WebhookConfigError

ROUTES = ControlRoutes("control")

MAX_WAIT_S = 300.0
DEFAULT_FLUSH_TIMEOUT_S = 10.0
FLUSH_KEYS = ("timeout", "retry_now")

type Params = dict[str, str]


@ROUTES.add("GET", "/webhooks", "webhooks")
def list_webhooks(target: ControlTarget, request: Request, params: Params) -> Response | Directive:
    webhooks = target.webhooks
    q = request.query
    filters: dict[str, Any] = {
        "endpoint_id": query_one(q, "endpoint"), "event_type": query_one(q, "type"), "status": query_one(q, "status")}
    limit = query_number(q, "limit", integer=True)
    wait = query_number(q, "wait")

    def answer() -> Response:
        body = webhooks.to_json(limit=int(limit) if limit is not None else None, **filters)
        body["idle"] = body["pending"] == 0
        return json_response(body)

    if not wait:
        return answer()
    return deferred(answer, lambda: webhooks.flush(min(wait, MAX_WAIT_S)))


@ROUTES.add("POST", "/webhooks", "webhooks")
def add_webhooks(target: ControlTarget, request: Request, params: Params) -> Response:
    webhooks = target.webhooks
    raw = read_body(request)
    items = raw if isinstance(raw, list) else [raw]
    added = []
    for i, item in enumerate(items):
        try:
            added.append(webhooks.add(item, source="control"))
        except WebhookConfigError as exc:
            for endpoint in added:  # all or nothing
                webhooks.remove(endpoint.id)
            where = ".".join(str(p) for p in exc.path)
            prefix = f"[{i}]" if isinstance(raw, list) else ""
            raise errors.control_value_invalid(
                "webhook endpoint", f"{prefix}{'.' if prefix and where else ''}{where}" or "url", exc.message) from None
    schedule = webhooks.retry_schedule
    out = [e.to_json(schedule) for e in added]
    return json_response(out if isinstance(raw, list) else out[0])


@ROUTES.add("DELETE", "/webhooks", "webhooks")
def clear_webhooks(target: ControlTarget, request: Request, params: Params) -> Response:
    return json_response({"deleted": target.webhooks.clear()})


@ROUTES.add("GET", "/webhooks/{id}", "webhooks")
def get_webhook(target: ControlTarget, request: Request, params: Params) -> Response:
    endpoint = _endpoint(target, params["id"])
    body = endpoint.to_json(target.webhooks.retry_schedule)
    body["deliveries"] = [d.to_json() for d in target.webhooks.deliveries(endpoint_id=endpoint.id)]
    return json_response(body)


@ROUTES.add("PATCH", "/webhooks/{id}", "webhooks")
def update_webhook(target: ControlTarget, request: Request, params: Params) -> Response:
    _endpoint(target, params["id"])
    changes = read_body(request)
    if not isinstance(changes, dict):
        raise errors.request_body_invalid("(expected a JSON object of endpoint keys)")
    try:
        endpoint = target.webhooks.update(params["id"], changes)
    except WebhookConfigError as exc:
        raise errors.control_value_invalid(
            "webhook endpoint", ".".join(str(p) for p in exc.path) or "url", exc.message) from None
    return json_response(endpoint.to_json(target.webhooks.retry_schedule))


@ROUTES.add("DELETE", "/webhooks/{id}", "webhooks")
def remove_webhook(target: ControlTarget, request: Request, params: Params) -> Response:
    if not target.webhooks.remove(params["id"]):
        raise _not_found(params["id"])
    return json_response({"id": params["id"], "deleted": True})


@ROUTES.add("POST", "/webhooks/flush", "webhooks")
def flush_webhooks(target: ControlTarget, request: Request, params: Params) -> Directive:
    webhooks = target.webhooks
    body = read_body(request) if request.body.strip() else {}
    if not isinstance(body, dict):
        raise errors.request_body_invalid('(expected a JSON object such as {"timeout": 5})')
    for key in body:
        if key not in FLUSH_KEYS:
            raise errors.form_param_unknown(key, FLUSH_KEYS)
    timeout = body.get("timeout", DEFAULT_FLUSH_TIMEOUT_S)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
        raise errors.form_param_type_invalid("timeout", "number")
    retry_now = body.get("retry_now", False)
    if not isinstance(retry_now, bool):
        raise errors.form_param_type_invalid("retry_now", "boolean")
    done: list[bool] = []

    def wait() -> None:
        done.append(webhooks.flush(min(float(timeout), MAX_WAIT_S), retry_now=retry_now))

    def answer() -> Response:
        return json_response({"done": done[0] if done else webhooks.idle(), "pending": webhooks.pending()})

    return deferred(answer, wait)


@ROUTES.add("GET", "/webhooks/deliveries/{id}", "webhooks")
def get_delivery(target: ControlTarget, request: Request, params: Params) -> Response:
    d = target.webhooks.delivery(params["id"])
    if d is None:
        raise errors.resource_not_found(f"No webhook delivery was found with id {params['id']}", "not found")
    return json_response({"delivery": d.to_json(), "headers": target.webhooks.signed_headers(d),
                          "payload": d.event.json()})


@ROUTES.add("POST", "/webhooks/redeliver/{id}", "webhooks")
def redeliver(target: ControlTarget, request: Request, params: Params) -> Response:
    d = target.webhooks.redeliver(params["id"])
    if d is None:
        raise errors.resource_not_found(f"No webhook delivery (with a live endpoint) was found with id "
                                        f"{params['id']}", "not found")
    return json_response(d.to_json())


def _endpoint(target: ControlTarget, endpoint_id: str) -> Any:
    endpoint = target.webhooks.get(endpoint_id)
    if endpoint is None:
        raise _not_found(endpoint_id)
    return endpoint


def _not_found(endpoint_id: str) -> ClerkError:
    return errors.resource_not_found(f"No webhook endpoint was found with id {endpoint_id}",
                                     "webhook endpoint not found")
