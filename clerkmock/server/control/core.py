"""The control plane's own routes: health, reset, state, seed, faults, the request journal and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.version import __version__
from clerkmock.server.control.base import (
    ControlRoutes,
    ControlTarget,
    json_response,
    query_flag,
    read_body,
    secrets_allowed,
)

ROUTES = ControlRoutes("control")
CLOCK_KEYS = ("advance_ms", "seconds", "set", "frozen")

type Params = dict[str, str]


# -- health / reset / state -------------------------------------------------------------------------------------

@ROUTES.add("GET", "/health", "health")
def health(target: ControlTarget, request: Request, params: Params) -> Response:
    users = len(target.engine.state.users)
    return json_response({"status": "ok", "version": __version__, "users": users})


@ROUTES.add("POST", "/reset", "reset")
def reset(target: ControlTarget, request: Request, params: Params) -> Response:
    target.reset()
    scenario = target.scenario
    return json_response({"reset": True, "scenario": scenario.source if scenario else None,
                          "users": len(target.engine.state.users)})


@ROUTES.add("GET", "/state", "state")
def get_state(target: ControlTarget, request: Request, params: Params) -> Response:
    """Secrets are sealed (server/redaction.py) unless ``?secrets=1`` comes with the control token."""
    from clerkmock.server.state_json import dump_state

    seal: Callable[[Any], dict[str, str]] | None = target.sealer.seal
    if query_flag(request.query, "secrets"):
        secrets_allowed(target, request, "GET state?secrets=1 returns the signing key, password hashes and "
                                          "other secrets")
        seal = None
    return json_response(dump_state(target.engine.state, target.engine.clock.state(), seal=seal))


@ROUTES.add("PUT", "/state", "state")
def put_state(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.server.state_json import StateDocumentError, load_state

    doc = read_body(request)
    try:
        state, clock = load_state(doc, unseal=target.sealer.unseal)
    except StateDocumentError as exc:
        raise errors.state_document_invalid(str(exc)) from None
    target.engine.state = state
    if clock is not None:
        target.engine.clock.restore_state(clock)
    return json_response({"restored": True, "users": len(state.users)})


@ROUTES.add("GET", "/scenario", "scenario")
def get_scenario(target: ControlTarget, request: Request, params: Params) -> Response:
    """The state as a scenario document (clerkmock/scenario/export.py): YAML unless ?format=json."""
    from clerkmock.scenario.export import export_scenario, to_yaml

    secrets = query_flag(request.query, "secrets")
    if secrets:  # the same rule as GET state?secrets=1
        secrets_allowed(target, request, "GET scenario?secrets=1 returns password hashes, TOTP secrets and "
                                         "signing keys")
    doc = export_scenario(target.engine, faults=target.faults, secrets=secrets)
    fmt = request.query.get("format", ["yaml"])[0]
    if fmt == "json":
        return json_response(doc)
    if fmt != "yaml":
        raise errors.invalid_query_parameter_value("format", "must be yaml or json")
    return Response(200, to_yaml(doc).encode(), {"content-type": "application/yaml"})


@ROUTES.add("GET", "/env", "env")
def get_env(target: ControlTarget, request: Request, params: Params) -> Response:
    """The variables an app needs for this server (clerkmock/appenv.py): what `clerkmock env` prints."""
    mode = (request.query.get("mode") or ["base"])[0]
    if mode not in ("base", "proxy"):
        raise errors.invalid_query_parameter_value("mode", f"'{mode}' is not one of base, proxy")
    app_env = target.app_env
    if app_env is None:
        raise errors.env_unknown()
    try:
        return json_response(app_env(mode))
    except ValueError as exc:  # --proxy without a forward proxy
        raise errors.no_forward_proxy(str(exc)) from None


# -- seed -------------------------------------------------------------------------------------------------------

@ROUTES.add("POST", "/seed", "seed")
def seed(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.scenario import ScenarioError, parse_text

    text = request.body.decode("utf-8", "replace")
    try:
        summary = target.apply_scenario(parse_text(text, "POST /__clerkmock/seed"))
    except ScenarioError as exc:
        raise errors.scenario_invalid(str(exc), exc.line, [str(e) for e in exc.problems]) from None
    if query_flag(request.query, "baseline"):
        target.set_baseline()
    return json_response({"seeded": summary})


# -- faults -----------------------------------------------------------------------------------------------------

@ROUTES.add("GET", "/faults", "faults")
def list_faults(target: ControlTarget, request: Request, params: Params) -> Response:
    faults = target.faults
    data = [faults.describe(r) for r in faults.rules]
    return json_response({"data": data, "total_count": len(data)})


@ROUTES.add("POST", "/faults", "faults")
def add_faults(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.faults import FaultSpecError

    raw = read_body(request, yaml_ok=True)
    items = raw if isinstance(raw, list) else [raw]
    faults = target.faults
    before = faults.baseline()
    now = target.engine.clock.now_ms()
    added = []
    try:
        for i, item in enumerate(items):
            try:
                added.append(faults.add(item, now))
            except FaultSpecError as exc:
                where = ".".join(str(p) for p in exc.path)
                prefix = f"[{i}]" if isinstance(raw, list) else ""
                param = f"{prefix}{'.' if prefix and where else ''}{where}" or "rule"
                raise errors.control_value_invalid("fault rule", param, exc.message) from None
    except ClerkError:
        faults.rules = list(before.rules)  # all or nothing
        raise
    described = [faults.describe(r) for r in added]
    return json_response(described if isinstance(raw, list) else described[0])


@ROUTES.add("DELETE", "/faults", "faults")
def clear_faults(target: ControlTarget, request: Request, params: Params) -> Response:
    count = len(target.faults.rules)
    target.faults.clear()
    return json_response({"deleted": count})


@ROUTES.add("GET", "/faults/{id}", "faults")
def get_fault(target: ControlTarget, request: Request, params: Params) -> Response:
    rule = target.faults.get(params["id"])
    if rule is None:
        raise _fault_not_found(params["id"])
    return json_response(target.faults.describe(rule))


@ROUTES.add("PATCH", "/faults/{id}", "faults")
def patch_fault(target: ControlTarget, request: Request, params: Params) -> Response:
    """``{"paused": true}`` pauses a rule (it stays listed, and counts nothing), ``false`` resumes it."""
    body = read_body(request)
    if not isinstance(body, dict) or set(body) != {"paused"} or not isinstance(body["paused"], bool):
        raise errors.form_param_type_invalid("paused", "boolean")
    rule = target.faults.get(params["id"]) if target.faults.pause(params["id"], body["paused"]) else None
    if rule is None:
        raise _fault_not_found(params["id"])
    return json_response(target.faults.describe(rule))


@ROUTES.add("DELETE", "/faults/{id}", "faults")
def delete_fault(target: ControlTarget, request: Request, params: Params) -> Response:
    if not target.faults.remove(params["id"]):
        raise _fault_not_found(params["id"])
    return json_response({"id": params["id"], "deleted": True})


def _fault_not_found(rule_id: str) -> ClerkError:
    return errors.resource_not_found(f"No fault rule was found with id {rule_id}", "fault rule not found")


# -- journal ----------------------------------------------------------------------------------------------------

@ROUTES.add("GET", "/requests", "requests")
def list_requests(target: ControlTarget, request: Request, params: Params) -> Response:
    q = request.query
    method = q.get("method", [None])[0]
    path = q.get("path", [None])[0]
    entries = target.journal.entries(method=method or None, path=path or None)
    total = len(entries)
    limit_raw = q.get("limit", [None])[0]
    if limit_raw:
        try:
            limit = int(limit_raw)
        except ValueError:
            raise errors.invalid_query_parameter_value("limit", "must be an integer") from None
        entries = entries[-limit:] if limit > 0 else []
    return json_response({"data": [e.to_json() for e in entries], "total_count": total})


@ROUTES.add("DELETE", "/requests", "requests")
def clear_requests(target: ControlTarget, request: Request, params: Params) -> Response:
    count = len(target.journal)
    target.journal.clear()
    return json_response({"deleted": count})


# -- clock ------------------------------------------------------------------------------------------------------

@ROUTES.add("GET", "/clock", "clock")
def get_clock(target: ControlTarget, request: Request, params: Params) -> Response:
    return json_response(_clock_json(target.engine.clock))


@ROUTES.add("POST", "/clock", "clock")
def set_clock(target: ControlTarget, request: Request, params: Params) -> Response:
    from clerkmock.faults.rules import parse_instant

    body = read_body(request)
    if not isinstance(body, dict):
        raise errors.request_body_invalid("(expected a JSON object such as {\"seconds\": 60})")
    for key in body:
        if key not in CLOCK_KEYS:
            raise errors.form_param_unknown(key, CLOCK_KEYS)
    clock = target.engine.clock
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
    target.engine.settle()  # what the new time made due happens now, with its webhook events
    return json_response(_clock_json(clock))


def _clock_json(clock: Any) -> dict[str, Any]:
    now = clock.now_ms()
    iso = datetime.fromtimestamp(now / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"now_ms": now, "now": iso, "frozen": clock.frozen}
