"""The control plane's billing set-up (``/__clerkmock/billing/…``): what the Backend API has no operation for
(engine/resources/billing/setup.py, docs/billing.md).

    POST   billing/plans, billing/discounts, billing/subscriptions, billing/cards
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.server.control.base import ControlRoutes, ControlTarget, json_response, read_body

ROUTES = ControlRoutes("control.billing")

type Params = dict[str, str]


def _define(target: ControlTarget, request: Request, define: Callable[..., Any],
            render: Callable[..., Any]) -> Response:
    body = read_body(request)
    if not isinstance(body, dict):
        raise errors.request_body_invalid("(expected a JSON object)")
    engine = target.engine
    engine.settle()
    mark = len(engine.outbox.pending)
    snapshot = engine.state.snapshot()
    try:
        created = define(engine.state, body, engine.clock.now_ms())
    except ClerkError:
        engine.state = type(engine.state).restore(snapshot)  # all or nothing, like an API request
        del engine.outbox.pending[mark:]
        raise
    return json_response(render(engine.state, created))


@ROUTES.add("POST", "/billing/plans", "plans")
def billing_plan(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.engine.resources.billing import serializers, setup

    return _define(target, request, setup.define_plan, serializers.plan_json)


@ROUTES.add("POST", "/billing/discounts", "discounts")
def billing_discount(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.engine.resources.billing import setup

    def render(st: Any, d: Any) -> dict[str, Any]:
        return {"object": "discount", "id": d.id, "name": d.name, "percent_off": d.percent_off,
                "amount_off": d.amount_off, "cycles": d.cycles}

    return _define(target, request, setup.define_discount, render)


@ROUTES.add("POST", "/billing/subscriptions", "subscriptions")
def billing_subscription(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.engine.resources.billing import serializers, setup

    def render(st: Any, item: Any) -> dict[str, Any]:
        return serializers.subscription_json(st, st.billing.subscriptions[item.subscription_id])

    return _define(target, request, setup.subscribe, render)


@ROUTES.add("POST", "/billing/cards", "cards")
def billing_card(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.engine.resources.billing import setup

    return _define(target, request, setup.set_card, lambda st, out: out)
