"""The control plane under ``/__clerkmock/*``: clerkmock's own admin API (JSON, no Clerk auth, never
forwarded, not journaled).  Documented with curl examples in docs/control-plane.md.

    GET    health                      liveness and version
    POST   reset                       back to the scenario's seeded state; journal cleared
    GET    state / PUT state           snapshot / restore the engine state as a JSON document (secrets sealed
                                       unless ?secrets=1 with the control token)
    POST   seed                        apply a scenario document (YAML or JSON) on top (?baseline=true: and
                                       make the result what reset returns to)
    GET    faults / POST / DELETE      list, add (returns the id), remove all fault rules
    GET    faults/{id} / DELETE        one rule
    GET    requests / DELETE           the journal (?method=&path=&limit=), clear it
    GET    clock / POST clock          read, advance or set the emulated time (then what became due happens:
                                       billing renewals, trials ending ...)
    POST   billing/plans, billing/discounts, billing/subscriptions, billing/cards
                                       billing set-up the Backend API has no operation for (docs/billing.md)
    GET    messages / DELETE           the emails and SMS the Frontend API "sent" (codes), newest first
                                       (?to=&limit=); clear them
    …      webhooks, webhooks/{id}, webhooks/flush   endpoints and the delivery log (clerkmock/webhooks/control.py)

Handlers run under the pipeline lock.  Errors use Clerk's envelope so every client's error parser copes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import clerkmock
from clerkmock.engine import ClerkError, Request, Response
from clerkmock.engine import errors
from clerkmock.engine.jsonio import dumps, loads
from clerkmock.engine.types import JSON_CONTENT_TYPE

if TYPE_CHECKING:
    from clerkmock.server.pipeline import Pipeline

type ControlHandler = Callable[[Request, dict[str, str]], Response]

CLOCK_KEYS = ("advance_ms", "seconds", "set", "frozen")


class ControlPlane:
    def __init__(self, pipeline: Pipeline) -> None:
        from clerkmock.server.redaction import Sealer

        self.pipeline = pipeline
        self.sealer = Sealer()  # seals the secrets of GET state; its key lives only in this process
        # sub-path template (after the prefix) -> method -> handler; "{id}" matches one segment
        self.routes: dict[str, dict[str, ControlHandler]] = {
            "/health": {"GET": self.health},
            "/reset": {"POST": self.reset},
            "/state": {"GET": self.get_state, "PUT": self.put_state},
            "/scenario": {"GET": self.get_scenario},
            "/seed": {"POST": self.seed},
            "/faults": {"GET": self.list_faults, "POST": self.add_faults, "DELETE": self.clear_faults},
            "/faults/{id}": {"GET": self.get_fault, "PATCH": self.patch_fault, "DELETE": self.delete_fault},
            "/requests": {"GET": self.list_requests, "DELETE": self.clear_requests},
            "/clock": {"GET": self.get_clock, "POST": self.set_clock},
            "/messages": {"GET": self.list_messages, "DELETE": self.clear_messages},
            "/billing/plans": {"POST": self.billing_plan},
            "/billing/discounts": {"POST": self.billing_discount},
            "/billing/subscriptions": {"POST": self.billing_subscription},
            "/billing/cards": {"POST": self.billing_card},
        }
        from clerkmock.webhooks.control import routes as webhook_routes

        self.routes.update(webhook_routes(pipeline))
        from clerkmock.server.dashboard import API_PREFIX, Dashboard

        self.dashboard = Dashboard(pipeline)
        self.routes.update(self.dashboard.routes())
        self._api_prefix = API_PREFIX + "/"

    @property
    def engine(self) -> Any:
        return self.pipeline.engine

    def handle(self, request: Request) -> Response:
        from clerkmock.server.pipeline import CONTROL_PREFIX

        sub = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        if sub.startswith(self._api_prefix):  # the dashboard reading the Backend API (server/dashboard.py)
            try:
                return self.dashboard.api(request)
            except ClerkError as exc:
                return self.engine.error(exc)
        methods, params = self._match(sub)
        if methods is None:
            return self.engine.error(errors.route_not_found(request.method, request.path))
        handler = methods.get(request.method)
        if handler is None:
            return self.engine.error(
                ClerkError(
                    405,
                    "method_not_allowed",
                    "method not allowed",
                    f"{request.method} is not allowed on {request.path}.",
                    headers={"Allow": ", ".join(sorted(methods))},
                )
            )
        try:
            return handler(request, params)
        except ClerkError as exc:
            return self.engine.error(exc)

    def _match(self, sub: str) -> tuple[dict[str, ControlHandler] | None, dict[str, str]]:
        if sub in self.routes:
            return self.routes[sub], {}
        head, _, tail = sub.rpartition("/")
        if tail and (head + "/{id}") in self.routes:
            from urllib.parse import unquote

            return self.routes[head + "/{id}"], {"id": unquote(tail)}
        return None, {}

    # -- health / reset / state -----------------------------------------------------------------------------

    def health(self, request: Request, params: dict[str, str]) -> Response:
        users = len(self.engine.state.users)
        return _json({"status": "ok", "version": clerkmock.__version__, "users": users}, "control.health")

    def reset(self, request: Request, params: dict[str, str]) -> Response:
        self.pipeline.reset()
        scenario = self.pipeline.scenario
        return _json({"reset": True, "scenario": scenario.source if scenario else None,
                      "users": len(self.engine.state.users)}, "control.reset")

    def get_state(self, request: Request, params: dict[str, str]) -> Response:
        """Secrets are sealed (server/redaction.py) unless ``?secrets=1`` comes with the control token."""
        from clerkmock.server.state_json import dump_state

        seal: Callable[[Any], dict[str, str]] | None = self.sealer.seal
        if _flag(request, "secrets"):
            self._secrets_allowed(request, "GET state?secrets=1 returns the signing key, password hashes and "
                                           "other secrets")
            seal = None
        return _json(dump_state(self.engine.state, self.engine.clock.state(), seal=seal), "control.state")

    def _secrets_allowed(self, request: Request, what: str) -> None:
        if not self.pipeline.control_guard.authenticated(request):
            raise ClerkError(401, "control_token_required", "control token required",
                             f"{what}: send Authorization: Bearer <control token> (in <config dir>/control_token).",
                             headers={"WWW-Authenticate": 'Bearer realm="clerkmock control plane"'})

    def put_state(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.server.state_json import StateDocumentError, load_state

        doc = _body(request)
        try:
            state, clock = load_state(doc, unseal=self.sealer.unseal)
        except StateDocumentError as exc:
            raise ClerkError(400, "state_document_invalid", "invalid state document", str(exc)) from None
        self.engine.state = state
        if clock is not None:
            self.engine.clock.restore_state(clock)
        return _json({"restored": True, "users": len(state.users)}, "control.state")

    def get_scenario(self, request: Request, params: dict[str, str]) -> Response:
        """The state as a scenario document (clerkmock/scenario/export.py): YAML unless ?format=json."""
        from clerkmock.scenario.export import export_scenario, to_yaml

        secrets = _flag(request, "secrets")
        if secrets:  # the same rule as GET state?secrets=1
            self._secrets_allowed(request, "GET scenario?secrets=1 returns password hashes, TOTP secrets and "
                                           "signing keys")
        doc = export_scenario(self.engine, faults=self.pipeline.faults, secrets=secrets)
        fmt = request.query.get("format", ["yaml"])[0]
        if fmt == "json":
            return _json(doc, "control.scenario")
        if fmt != "yaml":
            raise errors.invalid_query_parameter_value("format", "must be yaml or json")
        return Response(200, to_yaml(doc).encode(), {"content-type": "application/yaml"},
                        {"route": "control.scenario"})

    # -- seed -----------------------------------------------------------------------------------------------

    def seed(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.scenario import ScenarioError, parse_text

        text = request.body.decode("utf-8", "replace")
        source = "POST /__clerkmock/seed"
        try:
            scenario = parse_text(text, source)
            summary = scenario.apply_to(self.pipeline)
        except ScenarioError as exc:
            raise ClerkError(422, "scenario_invalid", "invalid scenario", str(exc),
                             {"line": exc.line, "errors": [str(e) for e in exc.problems]}) from None
        if _flag(request, "baseline"):
            self.pipeline.set_baseline()
        return _json({"seeded": summary}, "control.seed")

    # -- faults ---------------------------------------------------------------------------------------------

    def list_faults(self, request: Request, params: dict[str, str]) -> Response:
        faults = self.pipeline.faults
        data = [faults.describe(r) for r in faults.rules]
        return _json({"data": data, "total_count": len(data)}, "control.faults")

    def add_faults(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.faults import FaultSpecError

        raw = _body(request, yaml_ok=True)
        items = raw if isinstance(raw, list) else [raw]
        faults = self.pipeline.faults
        before = faults.baseline()
        now = self.engine.clock.now_ms()
        added = []
        try:
            for i, item in enumerate(items):
                try:
                    added.append(faults.add(item, now))
                except FaultSpecError as exc:
                    where = ".".join(str(p) for p in exc.path)
                    prefix = f"[{i}]" if isinstance(raw, list) else ""
                    param = f"{prefix}{'.' if prefix and where else ''}{where}" or "rule"
                    raise ClerkError(422, "form_param_value_invalid", "invalid fault rule", exc.message,
                                     {"param_name": param}) from None
        except ClerkError:
            faults.rules = list(before.rules)  # all or nothing
            raise
        described = [faults.describe(r) for r in added]
        return _json(described if isinstance(raw, list) else described[0], "control.faults")

    def clear_faults(self, request: Request, params: dict[str, str]) -> Response:
        count = len(self.pipeline.faults.rules)
        self.pipeline.faults.clear()
        return _json({"deleted": count}, "control.faults")

    def get_fault(self, request: Request, params: dict[str, str]) -> Response:
        rule = self.pipeline.faults.get(params["id"])
        if rule is None:
            raise _fault_not_found(params["id"])
        return _json(self.pipeline.faults.describe(rule), "control.faults")

    def patch_fault(self, request: Request, params: dict[str, str]) -> Response:
        body = _body(request)
        if not isinstance(body, dict) or set(body) != {"paused"} or not isinstance(body["paused"], bool):
            raise errors.form_param_type_invalid("paused", "boolean")
        if not self.pipeline.faults.pause(params["id"], body["paused"]):
            raise _fault_not_found(params["id"])
        rule = self.pipeline.faults.get(params["id"])
        return _json(self.pipeline.faults.describe(rule), "control.faults")

    def delete_fault(self, request: Request, params: dict[str, str]) -> Response:
        if not self.pipeline.faults.remove(params["id"]):
            raise _fault_not_found(params["id"])
        return _json({"id": params["id"], "deleted": True}, "control.faults")

    # -- journal --------------------------------------------------------------------------------------------

    def list_requests(self, request: Request, params: dict[str, str]) -> Response:
        q = request.query
        method = q.get("method", [None])[0]
        path = q.get("path", [None])[0]
        entries = self.pipeline.journal.entries(method=method or None, path=path or None)
        total = len(entries)
        limit_raw = q.get("limit", [None])[0]
        if limit_raw:
            try:
                limit = int(limit_raw)
            except ValueError:
                raise errors.invalid_query_parameter_value("limit", "must be an integer") from None
            entries = entries[-limit:] if limit > 0 else []
        return _json({"data": [e.to_json() for e in entries], "total_count": total}, "control.requests")

    def clear_requests(self, request: Request, params: dict[str, str]) -> Response:
        count = len(self.pipeline.journal)
        self.pipeline.journal.clear()
        return _json({"deleted": count}, "control.requests")

    # -- messages (the Frontend API's one-time codes) ----------------------------------------------------------

    def list_messages(self, request: Request, params: dict[str, str]) -> Response:
        to = (request.query.get("to") or [""])[0].strip().lower()
        raw_limit = (request.query.get("limit") or ["100"])[0]
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
            raise errors.invalid_query_parameter_value("limit", "limit must be between 1 and 500")
        found = [m for m in reversed(self.engine.state.fapi.messages) if not to or m.to.lower() == to]
        data = [message_json(m) for m in found[: int(raw_limit)]]
        return _json({"data": data, "total_count": len(found)}, "control.messages")

    def clear_messages(self, request: Request, params: dict[str, str]) -> Response:
        count = len(self.engine.state.fapi.messages)
        self.engine.state.fapi.messages.clear()
        return _json({"deleted": count}, "control.messages")

    # -- clock ----------------------------------------------------------------------------------------------

    def get_clock(self, request: Request, params: dict[str, str]) -> Response:
        return _json(_clock_json(self.engine.clock), "control.clock")

    def set_clock(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.faults.rules import parse_instant

        body = _body(request)
        if not isinstance(body, dict):
            raise errors.request_body_invalid("(expected a JSON object such as {\"seconds\": 60})")
        for key in body:
            if key not in CLOCK_KEYS:
                raise ClerkError(422, "form_param_unknown", "is unknown",
                                 f"{key} is not a valid parameter (valid: {', '.join(CLOCK_KEYS)}).",
                                 {"param_name": key})
        clock = self.engine.clock
        frozen = body.get("frozen")
        if frozen is not None and not isinstance(frozen, bool):
            raise errors.form_param_type_invalid("frozen", "boolean")
        if "set" in body:
            value = body["set"]
            at = value if isinstance(value, int) and not isinstance(value, bool) else parse_instant(value)
            if at is None:
                raise errors.form_param_format_invalid("set", "set must be Unix milliseconds or an RFC 3339 time.")
            clock.set(at, frozen=frozen)
        elif frozen is True and not clock.frozen:
            clock.freeze()
        elif frozen is False and clock.frozen:
            clock.set(clock.now_ms(), frozen=False)
        advance = 0
        for key, scale in (("advance_ms", 1), ("seconds", 1000)):
            if key in body:
                value = body[key]
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise errors.form_param_type_invalid(key, "number")
                advance += int(value * scale)
        if advance:
            clock.advance(ms=advance)
        self.engine.settle()  # what the new time made due happens now, with its webhook events
        return _json(_clock_json(clock), "control.clock")

    # -- billing set-up (engine/resources/billing/setup.py) -------------------------------------------------------

    def _billing(self, request: Request, define: Callable[..., Any], render: Callable[..., Any], route: str) -> Response:
        body = _body(request)
        if not isinstance(body, dict):
            raise errors.request_body_invalid("(expected a JSON object)")
        engine = self.engine
        engine.settle()
        mark = len(engine.outbox.pending)
        snapshot = engine.state.snapshot()
        try:
            created = define(engine.state, body, engine.clock.now_ms())
        except ClerkError:
            engine.state = type(engine.state).restore(snapshot)  # all or nothing, like an API request
            del engine.outbox.pending[mark:]
            raise
        return _json(render(engine.state, created), route)

    def billing_plan(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.engine.resources.billing import serializers, setup

        return self._billing(request, setup.define_plan, serializers.plan_json, "control.billing.plans")

    def billing_discount(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.engine.resources.billing import setup

        def render(st: Any, d: Any) -> dict[str, Any]:
            return {"object": "discount", "id": d.id, "name": d.name, "percent_off": d.percent_off,
                    "amount_off": d.amount_off, "cycles": d.cycles}

        return self._billing(request, setup.define_discount, render, "control.billing.discounts")

    def billing_subscription(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.engine.resources.billing import serializers, setup

        def render(st: Any, item: Any) -> dict[str, Any]:
            return serializers.subscription_json(st, st.billing.subscriptions[item.subscription_id])

        return self._billing(request, setup.subscribe, render, "control.billing.subscriptions")

    def billing_card(self, request: Request, params: dict[str, str]) -> Response:
        from clerkmock.engine.resources.billing import setup

        return self._billing(request, setup.set_card, lambda st, out: out, "control.billing.cards")


# -- helpers --------------------------------------------------------------------------------------------------

def _json(body: object, route: str, status: int = 200) -> Response:
    return Response(status, dumps(body), {"content-type": JSON_CONTENT_TYPE}, {"route": route})


def _body(request: Request, *, yaml_ok: bool = False) -> Any:
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


def _flag(request: Request, name: str) -> bool:
    return (request.query.get(name, ["false"])[0] or "true").lower() in ("1", "true", "yes")


def _fault_not_found(rule_id: str) -> ClerkError:
    return errors.resource_not_found(f"No fault rule was found with id {rule_id}", "fault rule not found")


def _clock_json(clock: Any) -> dict[str, Any]:
    now = clock.now_ms()
    iso = datetime.fromtimestamp(now / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"now_ms": now, "now": iso, "frozen": clock.frozen}


def message_json(m: Any) -> dict[str, Any]:
    return {"object": "message", "id": m.id, "kind": m.kind, "to": m.to, "code": m.code, "subject": m.subject,
            "body": m.body, "links": list(m.links), "slug": m.slug, "user_id": m.user_id, "created_at": m.created_at}
