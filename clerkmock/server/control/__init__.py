"""The control plane under ``/__clerkmock/*``: clerkmock's own admin API (JSON, no Clerk auth, never
forwarded, not journaled).  Documented with curl examples in docs/control-plane.md.

    GET    health                      liveness and version
    POST   reset                       back to the scenario's seeded state; journal cleared
    GET    state / PUT state           snapshot / restore the engine state as a JSON document (secrets sealed
                                       unless ?secrets=1 with the control token)
    POST   seed                        apply a scenario document (YAML or JSON) on top (?baseline=true: and
                                       make the result what reset returns to)
    GET    faults / POST / DELETE      list, add (returns the id), remove all fault rules
    GET    faults/{id} / PATCH / DELETE  one rule; PATCH {"paused": true|false} pauses or resumes it
    GET    scenario                    the state as a scenario document (YAML, ?format=json; ?secrets=1 with
                                       the control token)
    GET    requests / DELETE           the journal (?method=&path=&limit=), clear it
    GET    clock / POST clock          read, advance or set the emulated time (then what became due happens:
                                       billing renewals, trials ending ...)
    POST   billing/plans, billing/discounts, billing/subscriptions, billing/cards
                                       billing set-up the Backend API has no operation for (billing.py)
    GET    env                         the variables an app needs for this server (?mode=base|proxy)
    GET    messages / DELETE           the emails and SMS the Frontend API "sent" (codes), newest first
                                       (?to=&limit=); clear them (messages.py)
    …      webhooks, webhooks/{id}, webhooks/flush, webhooks/deliveries/{id}, webhooks/redeliver/{id}
                                       endpoints and the delivery log (webhooks.py)
    GET    ui, api/v1/..., requests/stream, requests/{seq}   the dashboard (dashboard.py, docs/dashboard.md)

Each module here declares its routes in a `ControlRoutes` (base.py); `ControlPlane` compiles them into the
engine's own `Router`.  `ControlPlane.handle` is the one way in: the pipeline calls it, under its lock, for
every path under `CONTROL_PREFIX`, after its guard (server/control_guard.py) let the request through.  Errors use Clerk's envelope so every client's error parser copes.
"""

from __future__ import annotations

from functools import partial

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.engine.router import Route, Router
from clerkmock.server.control import billing, core, dashboard, messages, webhooks
from clerkmock.server.control.base import ControlRoutes, ControlTarget
from clerkmock.server.directive import Directive

CONTROL_PREFIX = "/__clerkmock"
ROUTE_SETS: tuple[ControlRoutes, ...] = (core.ROUTES, billing.ROUTES, messages.ROUTES, webhooks.ROUTES,
                                       dashboard.ROUTES)


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


class ControlPlane:
    def __init__(self, target: ControlTarget) -> None:
        self.target = target
        self.router = Router()
        for route_set in ROUTE_SETS:
            for method, template, name, handler in route_set.routes:
                self.router.add(Route(method, template, partial(handler, target), name))

    def handle(self, request: Request) -> Directive:
        """Answer one control-plane request (its path starts with `CONTROL_PREFIX`)."""
        sub = request.path[len(CONTROL_PREFIX):].rstrip("/") or "/"
        try:
            if dashboard.is_api_path(sub):  # the dashboard reading the Backend API (dashboard.py)
                return Directive(dashboard.api(self.target, request))
            route, params, path_exists = self.router.match(request.method, sub)
            if route is None:
                if not path_exists:
                    raise errors.route_not_found(request.method, request.path)
                allowed = self.router.methods(sub)
                raise errors.method_not_allowed(request.method, request.path, list(allowed))
            answer: Response | Directive = route.handler(request, params)
        except ClerkError as exc:
            answer = self.target.engine.error(exc)
        return answer if isinstance(answer, Directive) else Directive(answer)


__all__ = ["CONTROL_PREFIX", "ControlPlane", "ControlTarget", "is_control_path"]
