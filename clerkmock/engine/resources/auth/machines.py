"""Machines: ListMachines, CreateMachine, GetMachine, UpdateMachine, DeleteMachine, GetMachineSecretKey,
RotateMachineSecretKey, CreateMachineScope, DeleteMachineScope.

A machine authenticates to the M2M endpoints with its secret key (``ak_...``).  A scope from A to B lets A's M2M
tokens be accepted by B; a token records the machines its creator could reach when it was minted.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, paginated, parse_order_by
from clerkmock.engine.records.sessions import Machine
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("machines")
DEFAULT_TOKEN_TTL_S = 3600
MAX_SCOPES = 150

# -- serializers --------------------------------------------------------------------------------------------------


def _machine_core(st: State, m: Machine) -> dict[str, Any]:
    return {
        "object": "machine",
        "id": m.id,
        "name": m.name,
        "instance_id": st.instance.id,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "default_token_ttl": m.default_token_ttl,
    }


def machine_json(st: State, m: Machine) -> dict[str, Any]:
    scoped = [st.auth.machines[mid] for mid in m.scopes if mid in st.auth.machines]
    return {**_machine_core(st, m), "scoped_machines": [_machine_core(st, s) for s in scoped]}


# -- operations ---------------------------------------------------------------------------------------------------


def require_machine(st: State, machine_id: str) -> Machine:
    m = st.auth.machines.get(machine_id)
    if m is None:
        raise errors.resource_not_found(f"No machine was found with id {machine_id}", "not found")
    return m


def new_secret(st: State) -> str:
    return "ak_" + st.ids.token(24)


def add_machine(st: State, name: str, now: int, *, default_token_ttl: int = DEFAULT_TOKEN_TTL_S,
                scoped_machines: list[str] | None = None) -> Machine:
    targets = list(dict.fromkeys(scoped_machines or []))
    for target in targets:
        if target not in st.auth.machines:
            raise errors.form_param_value_invalid("scoped_machines", f"No machine was found with id {target}.")
    m = Machine(id=st.ids.new("mch"), name=name, default_token_ttl=default_token_ttl, secret_key=new_secret(st),
                created_at=now, updated_at=now, scopes={t: now for t in targets})
    st.auth.machines[m.id] = m
    st.auth.machine_secrets[m.secret_key] = m.id
    return m


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("ListMachines", "list")
def list_machines(ctx: Ctx) -> Json:
    st, q = ctx.state, ctx.query
    limit, offset = limit_offset(q)
    field, descending = parse_order_by(q.get("order_by"), ("created_at", "name"))
    machines = list(st.auth.machines.values())
    query = (q.get("query") or "").strip()
    if query:
        machines = [m for m in machines if m.id == query or query.lower() in m.name.lower()]
    if field == "name":
        machines.sort(key=lambda m: (m.name.lower(), m.created_at, m.id), reverse=descending)
    else:
        machines.sort(key=lambda m: (m.created_at, m.id), reverse=descending)
    return paginated([machine_json(st, m) for m in machines[offset : offset + limit]], len(machines))


@ROUTES.op("CreateMachine", "create")
def create_machine(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    m = add_machine(st, body["name"], ctx.now, default_token_ttl=body.get("default_token_ttl") or DEFAULT_TOKEN_TTL_S,
                    scoped_machines=body.get("scoped_machines"))
    return {**machine_json(st, m), "secret_key": m.secret_key}


@ROUTES.op("GetMachine", "get")
def get_machine(ctx: Ctx) -> Json:
    return machine_json(ctx.state, require_machine(ctx.state, ctx.path["machine_id"]))


@ROUTES.op("UpdateMachine", "update")
def update_machine(ctx: Ctx) -> Json:
    m = require_machine(ctx.state, ctx.path["machine_id"])
    if ctx.body.get("name") is not None:
        m.name = ctx.body["name"]
    if ctx.body.get("default_token_ttl") is not None:
        m.default_token_ttl = ctx.body["default_token_ttl"]
    m.updated_at = ctx.now
    return machine_json(ctx.state, m)


@ROUTES.op("DeleteMachine", "delete")
def delete_machine(ctx: Ctx) -> Json:
    st = ctx.state
    m = require_machine(st, ctx.path["machine_id"])
    for other in st.auth.machines.values():
        other.scopes.pop(m.id, None)
    for key in (m.secret_key, m.previous_secret_key):
        if key:
            st.auth.machine_secrets.pop(key, None)
    del st.auth.machines[m.id]
    return {"object": "machine", "id": m.id, "deleted": True}


@ROUTES.op("GetMachineSecretKey", "get_secret_key")
def get_machine_secret_key(ctx: Ctx) -> Json:
    m = require_machine(ctx.state, ctx.path["machine_id"])
    return {"object": "machine_secret_key", "secret": m.secret_key}


@ROUTES.op("RotateMachineSecretKey", "rotate_secret_key")
def rotate_machine_secret_key(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    m = require_machine(st, ctx.path["machine_id"])
    if m.previous_secret_key:
        st.auth.machine_secrets.pop(m.previous_secret_key, None)
    m.previous_secret_key = m.secret_key
    m.previous_secret_valid_until = now + ctx.body["previous_token_ttl"] * 1000
    m.secret_key = new_secret(st)
    st.auth.machine_secrets[m.secret_key] = m.id
    m.updated_at = now
    return {"object": "machine_secret_key", "secret": m.secret_key}


@ROUTES.op("CreateMachineScope", "create_scope")
def create_machine_scope(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    m = require_machine(st, ctx.path["machine_id"])
    target = require_machine(st, ctx.body["to_machine_id"])
    if target.id in m.scopes:
        raise errors.conflict("duplicate_record", "machine scope already exists",
                              f"Machine {m.id} already has access to machine {target.id}.")
    if len(m.scopes) >= MAX_SCOPES:
        raise errors.form_param_value_invalid("to_machine_id", f"A machine can have at most {MAX_SCOPES} scopes.")
    m.scopes[target.id] = now
    m.updated_at = now
    return {"object": "machine_scope", "from_machine_id": m.id, "to_machine_id": target.id, "created_at": now}


@ROUTES.op("DeleteMachineScope", "delete_scope")
def delete_machine_scope(ctx: Ctx) -> Json:
    st = ctx.state
    m = require_machine(st, ctx.path["machine_id"])
    other = ctx.path["other_machine_id"]
    if other not in m.scopes:
        raise errors.resource_not_found(f"Machine {m.id} has no scope to machine {other}", "not found")
    del m.scopes[other]
    m.updated_at = ctx.now
    return {"object": "machine_scope", "from_machine_id": m.id, "to_machine_id": other, "deleted": True}
