"""Organization roles and permissions: ListOrganizationRoles, CreateOrganizationRole, GetOrganizationRole,
UpdateOrganizationRole, DeleteOrganizationRole, AssignPermissionToOrganizationRole,
RemovePermissionFromOrganizationRole, ListOrganizationPermissions, CreateOrganizationPermission,
GetOrganizationPermission, UpdateOrganizationPermission, DeleteOrganizationPermission.

Every State starts with the default roles ``org:admin`` (all six system permissions) and ``org:member``
(``org:sys_memberships:read``).  Role keys are ``org:<[a-z0-9_]+>``; custom permission keys are
``org:<feature>:<action>`` and may not use the reserved ``org:sys_`` prefix.  System permissions cannot be
changed or deleted (403).  A role cannot be deleted while it is a role set's creator or default role, is held
by a member or is offered by a pending invitation (422, Clerk's codes); a creator role must keep the creator
permissions (422).  Members see permission changes at once: memberships reference roles by id.
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import parse_order_by, sort_records
from clerkmock.engine.records.organizations import Permission, Role
from clerkmock.engine.resources.orgs.common import contains, missing_creator_permissions, page
from clerkmock.engine.resources.orgs.serializers import invitation_status
from clerkmock.engine.resources.users import deleted_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROLE_ROUTES = RouteSet("organization_roles")
PERMISSION_ROUTES = RouteSet("organization_permissions")
ROLE_KEY_RE = re.compile(r"^org:[a-z0-9_]+$")
PERMISSION_KEY_RE = re.compile(r"^org:[a-z0-9_]+:[a-z0-9_]+$")
ORDER_FIELDS = ["created_at", "name", "key"]

# -- serializers ----------------------------------------------------------------------------------------------


def permission_json(perm: Permission) -> dict[str, Any]:
    return {"object": "permission", "id": perm.id, "name": perm.name, "key": perm.key,
            "description": perm.description, "type": perm.type, "created_at": perm.created_at,
            "updated_at": perm.updated_at}


def role_json(st: State, role: Role) -> dict[str, Any]:
    return {
        "object": "role",
        "id": role.id,
        "name": role.name,
        "key": role.key,
        "description": role.description,
        "is_creator_eligible": not missing_creator_permissions(st, role.permission_ids),
        "permissions": [permission_json(st.orgs.permissions[p]) for p in role.permission_ids],
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }


def role_updated(ctx: Ctx, role: Role) -> dict[str, Any]:
    """The role's JSON after a change, also recorded as a ``role.updated`` webhook event."""
    reply = role_json(ctx.state, role)
    ctx.emit("role.updated", reply)
    return reply


# -- operations ------------------------------------------------------------------------------------------------


def require_role(st: State, role_id: str) -> Role:
    role = st.orgs.roles.get(role_id)
    if role is None:
        raise errors.organization_role_not_found()
    return role


def require_permission(st: State, perm_id: str, param: str | None = None) -> Permission:
    perm = st.orgs.permissions.get(perm_id)
    if perm is None:
        raise errors.organization_permission_not_found(param)
    return perm


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_missing("name")
    return value.strip()


def check_role_key(st: State, key: str, role_id: str | None) -> str:
    if not ROLE_KEY_RE.match(key):
        raise errors.form_param_format_invalid(
            "key", "key must start with 'org:' followed by lowercase alphanumeric characters and underscores.")
    owner = st.orgs.role_keys.get(key)
    if owner is not None and owner != role_id:
        raise errors.form_identifier_exists("key", "role key")
    return key


def check_permission_key(st: State, key: str, perm_id: str | None) -> str:
    if key.startswith("org:sys_"):
        raise errors.form_param_value_invalid("key", "The org:sys_ prefix is reserved for system permissions.")
    if not PERMISSION_KEY_RE.match(key):
        raise errors.form_param_format_invalid(
            "key", "key must have the format org:<feature>:<action> (lowercase letters, digits, underscores).")
    owner = st.orgs.permission_keys.get(key)
    if owner is not None and owner != perm_id:
        raise errors.form_identifier_exists("key", "permission key")
    return key


def permission_ids(st: State, ids: list[str]) -> list[str]:
    return [require_permission(st, p, "permissions").id for p in dict.fromkeys(ids)]


def is_creator_role(st: State, role: Role) -> bool:
    return any(rs.creator_role_id == role.id for rs in st.orgs.role_sets.values())


def check_creator_keeps(st: State, role: Role, new_permission_ids: list[str]) -> None:
    if is_creator_role(st, role):
        missing = missing_creator_permissions(st, new_permission_ids)
        if missing:
            raise errors.organization_missing_creator_role_permissions(missing)


def check_deletable(st: State, role: Role, now: int) -> None:
    if is_creator_role(st, role):
        raise errors.organization_role_default_creator_role()
    if any(rs.default_role_id == role.id for rs in st.orgs.role_sets.values()):
        raise errors.organization_role_domain_default_role()
    if any(m.role_id == role.id for m in st.orgs.memberships.values()):
        raise errors.organization_role_assigned_members()
    if any(i.role_id == role.id and invitation_status(i, now) == "pending" for i in st.orgs.org_invitations.values()):
        raise errors.organization_role_exists_in_invitations()


def search(items: list[Any], q: dict[str, Any]) -> list[Any]:
    """``query``: exact on the id, partial on name and key; ``order_by`` created_at | name | key."""
    if q.get("query"):
        items = [i for i in items if i.id == q["query"] or contains(q["query"], i.name, i.key)]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    key: Any = (lambda i: getattr(i, field).lower()) if field != "created_at" else (lambda i: i.created_at)
    return sort_records(items, key, descending, tiebreak=lambda i: i.id)


# -- role handlers ----------------------------------------------------------------------------------------------


@ROLE_ROUTES.get("/organization_roles", "list")
def list_organization_roles(ctx: Ctx) -> Json:
    roles, total = page(search(list(ctx.state.orgs.roles.values()), ctx.query), ctx.query)
    return {"data": [role_json(ctx.state, r) for r in roles], "total_count": total}


@ROLE_ROUTES.post("/organization_roles", "create")
def create_organization_role(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    name = check_name(body["name"])
    key = check_role_key(st, body["key"], None)
    perms = permission_ids(st, body.get("permissions") or [])
    role = Role(id=st.ids.new("role"), key=key, name=name, description=body.get("description"),
                created_at=ctx.now, updated_at=ctx.now, permission_ids=perms)
    st.orgs.roles[role.id] = role
    st.orgs.role_keys[key] = role.id
    if body.get("include_in_initial_role_set"):
        initial = st.orgs.initial_role_set()
        initial.role_ids.append(role.id)
        initial.updated_at = ctx.now
    reply = role_json(st, role)
    ctx.emit("role.created", reply)
    return reply


@ROLE_ROUTES.get("/organization_roles/{organization_role_id}", "get")
def get_organization_role(ctx: Ctx) -> Json:
    return role_json(ctx.state, require_role(ctx.state, ctx.path["organization_role_id"]))


@ROLE_ROUTES.patch("/organization_roles/{organization_role_id}", "update")
def update_organization_role(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    role = require_role(st, ctx.path["organization_role_id"])
    name = check_name(body["name"]) if body.get("name") is not None else None
    key = check_role_key(st, body["key"], role.id) if body.get("key") is not None else None
    perms = permission_ids(st, body["permissions"]) if body.get("permissions") is not None else None
    if perms is not None:
        check_creator_keeps(st, role, perms)
    if name is not None:
        role.name = name
    if key is not None and key != role.key:
        del st.orgs.role_keys[role.key]
        role.key = key
        st.orgs.role_keys[key] = role.id
    if "description" in body:
        role.description = body["description"]
    if perms is not None:
        role.permission_ids = perms
    role.updated_at = ctx.now
    return role_updated(ctx, role)


@ROLE_ROUTES.delete("/organization_roles/{organization_role_id}", "delete")
def delete_organization_role(ctx: Ctx) -> Json:
    st = ctx.state
    role = require_role(st, ctx.path["organization_role_id"])
    check_deletable(st, role, ctx.now)
    for role_set in st.orgs.role_sets.values():
        if role.id in role_set.role_ids:
            role_set.role_ids.remove(role.id)
            role_set.updated_at = ctx.now
    del st.orgs.role_keys[role.key]
    del st.orgs.roles[role.id]
    reply = deleted_json("role", role.id)
    ctx.emit("role.deleted", reply)
    return reply


@ROLE_ROUTES.post("/organization_roles/{organization_role_id}/permissions/{permission_id}", "assign_permission")
def assign_permission_to_organization_role(ctx: Ctx) -> Json:
    st = ctx.state
    role = require_role(st, ctx.path["organization_role_id"])
    perm = require_permission(st, ctx.path["permission_id"])
    if perm.id in role.permission_ids:
        raise errors.organization_role_permission_association_exists()
    role.permission_ids.append(perm.id)
    role.updated_at = ctx.now
    return role_updated(ctx, role)


@ROLE_ROUTES.delete("/organization_roles/{organization_role_id}/permissions/{permission_id}", "remove_permission")
def remove_permission_from_organization_role(ctx: Ctx) -> Json:
    st = ctx.state
    role = require_role(st, ctx.path["organization_role_id"])
    perm = require_permission(st, ctx.path["permission_id"])
    if perm.id not in role.permission_ids:
        raise errors.resource_not_found(f"Permission {perm.key} is not assigned to role {role.key}.")
    remaining = [p for p in role.permission_ids if p != perm.id]
    check_creator_keeps(st, role, remaining)
    role.permission_ids = remaining
    role.updated_at = ctx.now
    return role_updated(ctx, role)


# -- permission handlers -----------------------------------------------------------------------------------------


@PERMISSION_ROUTES.get("/organization_permissions", "list")
def list_organization_permissions(ctx: Ctx) -> Json:
    perms, total = page(search(list(ctx.state.orgs.permissions.values()), ctx.query), ctx.query)
    return {"data": [permission_json(p) for p in perms], "total_count": total}


@PERMISSION_ROUTES.post("/organization_permissions", "create")
def create_organization_permission(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    name = check_name(body["name"])
    key = check_permission_key(st, body["key"], None)
    perm = Permission(id=st.ids.new("perm"), key=key, name=name, description=body.get("description") or "",
                      type="user", created_at=ctx.now, updated_at=ctx.now)
    st.orgs.permissions[perm.id] = perm
    st.orgs.permission_keys[key] = perm.id
    reply = permission_json(perm)
    ctx.emit("permission.created", reply)
    return reply


@PERMISSION_ROUTES.get("/organization_permissions/{permission_id}", "get")
def get_organization_permission(ctx: Ctx) -> Json:
    return permission_json(require_permission(ctx.state, ctx.path["permission_id"]))


@PERMISSION_ROUTES.patch("/organization_permissions/{permission_id}", "update")
def update_organization_permission(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    perm = require_permission(st, ctx.path["permission_id"])
    if perm.type == "system":
        raise errors.organization_system_permission_not_modifiable()
    name = check_name(body["name"]) if body.get("name") is not None else None
    key = check_permission_key(st, body["key"], perm.id) if body.get("key") is not None else None
    if name is not None:
        perm.name = name
    if key is not None and key != perm.key:
        del st.orgs.permission_keys[perm.key]
        perm.key = key
        st.orgs.permission_keys[key] = perm.id
    if body.get("description") is not None:
        perm.description = body["description"]
    perm.updated_at = ctx.now
    reply = permission_json(perm)
    ctx.emit("permission.updated", reply)
    return reply


@PERMISSION_ROUTES.delete("/organization_permissions/{permission_id}", "delete")
def delete_organization_permission(ctx: Ctx) -> Json:
    st = ctx.state
    perm = require_permission(st, ctx.path["permission_id"])
    if perm.type == "system":
        raise errors.organization_system_permission_not_modifiable()
    changed = []
    for role in st.orgs.roles.values():
        if perm.id in role.permission_ids:
            role.permission_ids.remove(perm.id)
            role.updated_at = ctx.now
            changed.append(role)
    del st.orgs.permission_keys[perm.key]
    del st.orgs.permissions[perm.id]
    reply = deleted_json("permission", perm.id)
    ctx.emit("permission.deleted", reply)
    for role in changed:  # the roles that granted it changed too
        role_updated(ctx, role)
    return reply
