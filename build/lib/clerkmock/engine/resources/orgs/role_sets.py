"""Role sets: ListRoleSets, CreateRoleSet, GetRoleSet, UpdateRoleSet, ReplaceRoleSet, AddRolesToRoleSet,
ReplaceRoleInRoleSet.

A role set is the list of roles an organization may hand out, with a default role (new members) and a creator
role (``created_by``).  Every State starts with the initial set ``role_set:default`` = {org:admin, org:member}
(creator org:admin, default org:member); new organizations get the initial set.  Keys are
``role_set:<[a-z0-9_]+>`` (generated from the name when absent).  Exactly one set is ``initial``: making
another one initial turns the old one ``custom``.  Replacing a set moves its organizations (and, through
``reassignment_mappings``, the members whose roles the destination lacks) to the destination and deletes it;
replacing a role in a set reassigns the members and pending invitations that hold it.  Migrations complete
at once, so ``role_set_migration`` is always null.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.records.organizations import Organization, Role, RoleSet
from clerkmock.engine.resources.orgs.common import missing_creator_permissions, page
from clerkmock.engine.resources.orgs.serializers import invitation_status, membership_json
from clerkmock.engine.resources.orgs.roles import check_name, search
from clerkmock.engine.resources.users import deleted_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("role_sets")
KEY_RE = re.compile(r"^role_set:[a-z0-9_]+$")
MAX_ROLES = 10

# -- serializers ----------------------------------------------------------------------------------------------


def role_item_json(st: State, role: Role, role_set: RoleSet) -> dict[str, Any]:
    count = sum(1 for m in st.orgs.memberships.values()
                if m.role_id == role.id and st.orgs.orgs[m.org_id].role_set_id == role_set.id)
    return {"object": "role_set_item", "id": role.id, "name": role.name, "key": role.key,
            "description": role.description, "members_count": count, "has_members": count > 0,
            "created_at": role.created_at, "updated_at": role.updated_at}


def role_set_json(st: State, rs: RoleSet) -> dict[str, Any]:
    def item(role_id: str | None) -> dict[str, Any] | None:
        return role_item_json(st, st.orgs.roles[role_id], rs) if role_id else None

    return {
        "object": "role_set",
        "id": rs.id,
        "name": rs.name,
        "key": rs.key,
        "description": rs.description,
        "roles": [item(r) for r in rs.role_ids],
        "default_role": item(rs.default_role_id),
        "creator_role": item(rs.creator_role_id),
        "type": rs.type,
        "role_set_migration": None,
        "created_at": rs.created_at,
        "updated_at": rs.updated_at,
    }


# -- operations ------------------------------------------------------------------------------------------------


def require_role_set(st: State, key_or_id: str, param: str | None = None) -> RoleSet:
    rs = st.orgs.role_sets.get(key_or_id) or st.orgs.role_sets.get(st.orgs.role_set_keys.get(key_or_id, ""))
    if rs is None:
        raise errors.role_set_not_found(param)
    return rs


def role_of(st: State, key: Any, param: str) -> Role:
    role = st.orgs.role_by_key(key) if isinstance(key, str) else None
    if role is None:
        raise errors.organization_role_not_found(param)
    return role


def member_of_set(rs: RoleSet, role: Role, param: str) -> Role:
    if role.id not in rs.role_ids:
        raise errors.form_param_value_invalid(param, f"{role.key} is not one of the roles of role set {rs.key}.")
    return role


def creator_eligible(st: State, role: Role) -> Role:
    missing = missing_creator_permissions(st, role.permission_ids)
    if missing:
        raise errors.organization_missing_creator_role_permissions(missing)
    return role


def check_key(st: State, key: str, rs_id: str | None) -> str:
    if not KEY_RE.match(key):
        raise errors.form_param_format_invalid(
            "key", "key must start with 'role_set:' followed by lowercase alphanumeric characters and underscores.")
    owner = st.orgs.role_set_keys.get(key)
    if owner is not None and owner != rs_id:
        raise errors.form_identifier_exists("key", "role set key")
    return key


def key_from_name(st: State, name: str) -> str:
    base = "role_set:" + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "custom")
    key, n = base, 2
    while key in st.orgs.role_set_keys:
        key, n = f"{base}_{n}", n + 1
    return key


def role_keys_list(st: State, keys: Any, param: str) -> list[Role]:
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_ROLES:
        raise errors.form_param_value_invalid(param, f"{param} must contain between 1 and {MAX_ROLES} role keys.")
    return [role_of(st, k, param) for k in dict.fromkeys(keys)]


def make_initial(st: State, rs: RoleSet, now: int) -> None:
    for other in st.orgs.role_sets.values():
        if other.type == "initial" and other.id != rs.id:
            other.type = "custom"
            other.updated_at = now
    rs.type = "initial"


def orgs_using(st: State, rs: RoleSet) -> list[Organization]:
    return [o for o in st.orgs.orgs.values() if o.role_set_id == rs.id]


def reassign(st: State, rs_orgs: list[Organization], mapping: dict[str, str], now: int) -> None:
    """Move members and pending invitations of ``rs_orgs`` from role id to role id, per ``mapping``."""
    org_ids = {o.id for o in rs_orgs}
    for mem in st.orgs.memberships.values():
        if mem.org_id in org_ids and mem.role_id in mapping:
            mem.role_id = mapping[mem.role_id]
            mem.updated_at = now
            events.emit(st, "organizationMembership.updated", partial(membership_json, st, mem), now)
    for inv in st.orgs.org_invitations.values():
        if inv.org_id in org_ids and inv.role_id in mapping and invitation_status(inv, now) == "pending":
            role = st.orgs.roles[mapping[inv.role_id]]
            inv.role_id, inv.role_key, inv.role_name, inv.updated_at = role.id, role.key, role.name, now


# -- handlers ---------------------------------------------------------------------------------------------------


@ROUTES.get("/role_sets", "list")
def list_role_sets(ctx: Ctx) -> Json:
    sets, total = page(search(list(ctx.state.orgs.role_sets.values()), ctx.query), ctx.query)
    return {"data": [role_set_json(ctx.state, rs) for rs in sets], "total_count": total}


@ROUTES.post("/role_sets", "create")
def create_role_set(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    name = check_name(body["name"])
    key = check_key(st, body["key"], None) if body.get("key") else key_from_name(st, name)
    roles = role_keys_list(st, body["roles"], "roles")
    rs = RoleSet(id="", key=key, name=name, description=body.get("description"), type="custom",
                 created_at=ctx.now, updated_at=ctx.now, role_ids=[r.id for r in roles])
    default = member_of_set(rs, role_of(st, body["default_role_key"], "default_role_key"), "default_role_key")
    creator = member_of_set(rs, role_of(st, body["creator_role_key"], "creator_role_key"), "creator_role_key")
    creator_eligible(st, creator)
    rs.id = st.ids.new("rs")
    rs.default_role_id, rs.creator_role_id = default.id, creator.id
    if body.get("type") == "initial":
        make_initial(st, rs, ctx.now)
    st.orgs.role_sets[rs.id] = rs
    st.orgs.role_set_keys[key] = rs.id
    return role_set_json(st, rs)


@ROUTES.get("/role_sets/{role_set_key_or_id}", "get")
def get_role_set(ctx: Ctx) -> Json:
    return role_set_json(ctx.state, require_role_set(ctx.state, ctx.path["role_set_key_or_id"]))


@ROUTES.patch("/role_sets/{role_set_key_or_id}", "update")
def update_role_set(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    rs = require_role_set(st, ctx.path["role_set_key_or_id"])
    name = check_name(body["name"]) if body.get("name") is not None else None
    key = check_key(st, body["key"], rs.id) if body.get("key") is not None else None
    default = creator = None
    if body.get("default_role_key") is not None:
        default = member_of_set(rs, role_of(st, body["default_role_key"], "default_role_key"), "default_role_key")
    if body.get("creator_role_key") is not None:
        creator = member_of_set(rs, role_of(st, body["creator_role_key"], "creator_role_key"), "creator_role_key")
        creator_eligible(st, creator)
    if name is not None:
        rs.name = name
    if key is not None and key != rs.key:
        del st.orgs.role_set_keys[rs.key]
        rs.key = key
        st.orgs.role_set_keys[key] = rs.id
    if "description" in body:
        rs.description = body["description"]
    if default is not None:
        rs.default_role_id = default.id
    if creator is not None:
        rs.creator_role_id = creator.id
    if body.get("type") == "initial":
        make_initial(st, rs, ctx.now)
    rs.updated_at = ctx.now
    return role_set_json(st, rs)


@ROUTES.post("/role_sets/{role_set_key_or_id}/replace", "replace")
def replace_role_set(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    rs = require_role_set(st, ctx.path["role_set_key_or_id"])
    dest = require_role_set(st, body["dest_role_set_key"], "dest_role_set_key")
    if dest.id == rs.id:
        raise errors.form_param_value_invalid("dest_role_set_key", "A role set cannot be replaced by itself.")
    mapping: dict[str, str] = {}
    for src_key, dest_key in (body.get("reassignment_mappings") or {}).items():
        src = role_of(st, src_key, "reassignment_mappings")
        mapping[src.id] = member_of_set(dest, role_of(st, dest_key, "reassignment_mappings"),
                                        "reassignment_mappings").id
    rs_orgs = orgs_using(st, rs)
    org_ids = {o.id for o in rs_orgs}
    stranded = sorted({st.orgs.roles[m.role_id].key for m in st.orgs.memberships.values()
                       if m.org_id in org_ids and m.role_id not in dest.role_ids and m.role_id not in mapping})
    if stranded:
        raise errors.form_param_value_invalid(
            "reassignment_mappings",
            f"Members hold roles the destination role set lacks ({', '.join(stranded)}): map them to its roles.")
    reassign(st, rs_orgs, mapping, ctx.now)
    for org in rs_orgs:
        org.role_set_id = dest.id
        org.updated_at = ctx.now
    if rs.type == "initial":
        make_initial(st, dest, ctx.now)
        dest.updated_at = ctx.now
    del st.orgs.role_set_keys[rs.key]
    del st.orgs.role_sets[rs.id]
    return deleted_json("role_set", rs.id)


@ROUTES.post("/role_sets/{role_set_key_or_id}/roles", "add_roles")
def add_roles_to_role_set(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    rs = require_role_set(st, ctx.path["role_set_key_or_id"])
    roles = role_keys_list(st, body["role_keys"], "role_keys")
    role_ids = rs.role_ids + [r.id for r in roles if r.id not in rs.role_ids]
    if len(role_ids) > MAX_ROLES:
        raise errors.form_param_value_invalid("role_keys", f"A role set holds at most {MAX_ROLES} roles.")
    after = RoleSet(rs.id, rs.key, rs.name, rs.description, rs.type, rs.created_at, rs.updated_at, role_ids)
    default = creator = None
    if body.get("default_role_key"):
        default = member_of_set(after, role_of(st, body["default_role_key"], "default_role_key"), "default_role_key")
    if body.get("creator_role_key"):
        creator = member_of_set(after, role_of(st, body["creator_role_key"], "creator_role_key"), "creator_role_key")
        creator_eligible(st, creator)
    rs.role_ids = role_ids
    if default is not None:
        rs.default_role_id = default.id
    if creator is not None:
        rs.creator_role_id = creator.id
    rs.updated_at = ctx.now
    return role_set_json(st, rs)


@ROUTES.post("/role_sets/{role_set_key_or_id}/roles/replace", "replace_role")
def replace_role_in_role_set(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    rs = require_role_set(st, ctx.path["role_set_key_or_id"])
    old = member_of_set(rs, role_of(st, body["role_key"], "role_key"), "role_key")
    new = role_of(st, body["to_role_key"], "to_role_key")
    if new.id == old.id:
        raise errors.form_param_value_invalid("to_role_key", "to_role_key must differ from role_key.")
    if rs.creator_role_id == old.id:
        creator_eligible(st, new)
    reassign(st, orgs_using(st, rs), {old.id: new.id}, ctx.now)
    index = rs.role_ids.index(old.id)
    rs.role_ids = [r for r in rs.role_ids if r != old.id]
    if new.id not in rs.role_ids:
        rs.role_ids.insert(index, new.id)
    if rs.default_role_id == old.id:
        rs.default_role_id = new.id
    if rs.creator_role_id == old.id:
        rs.creator_role_id = new.id
    rs.updated_at = ctx.now
    return role_set_json(st, rs)
