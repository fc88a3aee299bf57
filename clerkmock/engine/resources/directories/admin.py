"""Directories: ListDirectories, CreateDirectory, GetDirectory, UpdateDirectory, DeleteDirectory,
RotateDirectoryAPIKey, ListDirectoryGroupRoleMappings, CreateDirectoryGroupRoleMapping,
ReplaceDirectoryGroupRoleMappings, DeleteDirectoryGroupRoleMapping; and the same ten under ``/scim_directories``
(ListSCIMDirectories ... DeleteSCIMGroupRoleMapping), the spec's twin schemas: one store, two shapes
(``directory`` / ``scim_directory`` objects; the mapping carries both ``directory_*`` and ``scim_*`` names).

- A directory belongs to an enterprise connection that must exist (422 ``form_resource_not_found`` on
  ``enterprise_connection_id``), one directory per connection (422 ``form_identifier_exists``; inferred).  Its
  ``name`` defaults to the connection's.  New directories are enabled, with group-role mapping enabled when
  the create request brings mappings.
- ``endpoint_url`` is where the identity provider talks SCIM 2.0: ``<base URL>/scim/v2/<directory id>``, the
  base URL being the one the request came in on (``scim.py`` serves it).  ``api_key`` (its bearer token) is
  shown only by create and rotate; after a rotation the previous key keeps working for
  ``KEY_GRACE_MS`` (Clerk: "a short grace period"; 10 minutes here, inferred).
- ``attribute_mapping`` starts with the SCIM paths clerkmock reads (``DEFAULT_MAPPING``); an update merges
  into it, ``null`` removes a key.
- Group-role mappings map an identity-provider group to an organization role (``role_id`` must name a role:
  422 ``form_resource_not_found``); the organization is the enterprise connection's.  Creating, replacing or
  deleting one while group-role mapping is disabled is a 400 ``group_role_mapping_disabled`` (inferred code).
  ``precedence`` runs 1..n without gaps: a new mapping with a precedence takes that place and pushes the
  others down; without one it goes last; a delete closes the gap; replace sets array order.  A group appears
  once per directory (422 ``form_identifier_exists``).  ``directory_group_id`` and its legacy name
  ``scim_group_id`` may both be sent only with one value (422 ``form_param_value_invalid``).  Any change
  re-applies the roles of the directory's provisioned users (``provisioning.sync_memberships``).
- Deleting a directory deletes its mappings and forgets what it provisioned (the Clerk users stay).
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, paginated, sort_records
from clerkmock.engine.records.directories import Directory, GroupRoleMapping
from clerkmock.engine.resources.directories import provisioning
from clerkmock.engine.resources.directories.provisioning import mappings_of
from clerkmock.engine.resources.orgs.roles import role_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("directories")
SCIM_ROUTES = RouteSet("scim_directories")

KEY_GRACE_MS = 10 * 60 * 1000
SCIM_PATH = "/scim/v2"
# What provisioning reads by default (a SCIM userName is often an email, not a valid Clerk username: map
# ``username`` explicitly to use one)
DEFAULT_MAPPING = {
    "email_address": "emails[primary eq true].value",
    "first_name": "name.givenName",
    "last_name": "name.familyName",
}

# -- serializers --------------------------------------------------------------------------------------------------


def endpoint_url(ctx: Ctx, d: Directory) -> str:
    """The SCIM base of ``d`` on the base URL this request reached (a proxied request names Clerk's host)."""
    headers = ctx.request.headers
    host = headers.get("host") or "127.0.0.1"
    scheme = headers.get("x-forwarded-proto") or ("https" if host.split(":")[0].endswith("clerk.com") else "http")
    return f"{scheme}://{host}{SCIM_PATH}/{d.id}"


def directory_json(ctx: Ctx, d: Directory, legacy: bool, *, with_key: bool = False) -> dict[str, Any]:
    st = ctx.state
    return {
        "object": "scim_directory" if legacy else "directory",
        "id": d.id,
        "name": d.name,
        "enterprise_connection_id": d.enterprise_connection_id if d.enterprise_connection_id in st.sso.connections
        else None,
        "endpoint_url": endpoint_url(ctx, d),
        "provider": d.provider,
        "enabled": d.enabled,
        "group_role_mapping_enabled": d.group_role_mapping_enabled,
        "attribute_mapping": dict(d.attribute_mapping),
        "custom_attributes": [],
        "api_key": d.api_key if with_key else None,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def mapping_json(st: State, m: GroupRoleMapping, legacy: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "scim_group_role_mapping" if legacy else "directory_group_role_mapping",
        "id": m.id,
        "directory_id": m.directory_id,
        "scim_directory_id": m.directory_id,
        "directory_group_id": m.group_id,
        "scim_group_id": m.group_id,
        "directory_group_display_name": m.display_name,
        "scim_group_display_name": m.display_name,
        "precedence": m.precedence,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    }
    role = st.orgs.roles.get(m.role_id)
    if role is not None:
        out["role"] = role_json(st, role)
    return out


# -- operations ---------------------------------------------------------------------------------------------------


def require_directory(st: State, directory_id: str) -> Directory:
    d = st.directories.directories.get(directory_id)
    if d is None:
        raise errors.resource_not_found(f"No directory was found with id {directory_id}")
    return d


def new_api_key(st: State) -> str:
    return "scim_" + st.ids.token(30)


def _group_id(item: dict[str, Any], param: str) -> str:
    new, legacy = item.get("directory_group_id"), item.get("scim_group_id")
    if new is not None and legacy is not None and new != legacy:
        raise errors.form_param_value_invalid(
            param, "directory_group_id and scim_group_id must be the same when both are sent.")
    value = new if new is not None else legacy
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_missing(param)
    return value.strip()


def _display_name(item: dict[str, Any], param: str) -> str | None:
    new, legacy = item.get("directory_group_display_name"), item.get("scim_group_display_name")
    if new is not None and legacy is not None and new != legacy:
        raise errors.form_param_value_invalid(
            param, "directory_group_display_name and scim_group_display_name must be the same when both are sent.")
    return new if new is not None else legacy


def _check_role(st: State, role_id: Any) -> str:
    if not isinstance(role_id, str) or role_id not in st.orgs.roles:
        raise errors.form_resource_not_found("role_id")
    return role_id


def _require_mapping_enabled(d: Directory) -> None:
    if not d.group_role_mapping_enabled:
        raise errors.bad_request("group role mapping disabled",
                                 "Group role mapping must be enabled on the directory for this operation.",
                                 "group_role_mapping_disabled")


def _plan_mappings(st: State, d: Directory | None, items: list[dict[str, Any]], param: str,
                   existing: list[GroupRoleMapping]) -> list[tuple[str, str | None, str]]:
    """Validate mapping items: (group id, display name, role id) each, groups unique in the directory."""
    taken = {m.group_id for m in existing}
    out: list[tuple[str, str | None, str]] = []
    for item in items:
        group = _group_id(item, param)
        if group in taken:
            raise errors.form_identifier_exists(param, "group")
        taken.add(group)
        out.append((group, _display_name(item, param), _check_role(st, item.get("role_id"))))
    return out


def _group_display(st: State, directory_id: str, group_id: str, given: str | None) -> str:
    if given is not None:
        return given
    group = provisioning.find_group(st, directory_id, group_id)
    return group.display_name if group is not None else ""


def _add_mapping(st: State, d: Directory, group: str, name: str | None, role_id: str, precedence: int | None,
                 now: int) -> GroupRoleMapping:
    current = mappings_of(st, d.id)
    place = len(current) + 1 if precedence is None else min(precedence, len(current) + 1)
    for m in current:
        if m.precedence >= place:
            m.precedence += 1
            m.updated_at = now
    m = GroupRoleMapping(st.ids.new("dgrm"), d.id, group, _group_display(st, d.id, group, name), role_id, place,
                         now, now)
    st.directories.mappings[m.id] = m
    return m


def create_directory(ctx: Ctx) -> Directory:
    st, body, now = ctx.state, ctx.body, ctx.now
    conn_id = body.get("enterprise_connection_id")
    conn = st.sso.connections.get(conn_id) if isinstance(conn_id, str) else None
    if conn is None:
        raise errors.form_resource_not_found("enterprise_connection_id")
    if conn.id in st.directories.by_connection:
        raise errors.form_identifier_exists("enterprise_connection_id", "enterprise connection")
    provider = body.get("provider")
    if not isinstance(provider, str) or not provider.strip():
        raise errors.form_param_missing("provider")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise errors.form_param_format_invalid("name", "name must not be blank.")
    items = body.get("group_role_mappings") or []
    plan = _plan_mappings(st, None, items, "group_role_mappings", [])
    precedences = [item.get("precedence") for item in items]
    d = Directory(st.ids.new("dir"), (name or conn.name).strip(), provider.strip(), conn.id, new_api_key(st), now,
                  now, group_role_mapping_enabled=bool(plan), attribute_mapping=dict(DEFAULT_MAPPING))
    st.directories.directories[d.id] = d
    st.directories.by_connection[conn.id] = d.id
    # items with a precedence first, in that order; the others after them, in array order
    order = sorted(range(len(plan)), key=lambda i: (precedences[i] is None, precedences[i] or 0, i))
    for i in order:
        group, display, role_id = plan[i]
        _add_mapping(st, d, group, display, role_id, None, now)
    return d


def update_directory(ctx: Ctx, d: Directory) -> None:
    body, now = ctx.body, ctx.now
    for key in ("name", "provider"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise errors.form_param_format_invalid(key, f"{key} must not be blank.")
    if body.get("name") is not None:
        d.name = body["name"].strip()
    if body.get("provider") is not None:
        d.provider = body["provider"].strip()
    if body.get("enabled") is not None:
        d.enabled = bool(body["enabled"])
    if body.get("group_role_mapping_enabled") is not None:
        d.group_role_mapping_enabled = bool(body["group_role_mapping_enabled"])
    for key, path in (body.get("attribute_mapping") or {}).items():
        if path is None:
            d.attribute_mapping.pop(key, None)
        else:
            d.attribute_mapping[key] = path
    d.updated_at = now
    provisioning.sync_memberships(ctx.state, d, now)


def delete_directory(st: State, d: Directory) -> None:
    tables = st.directories
    del tables.directories[d.id]
    if tables.by_connection.get(d.enterprise_connection_id) == d.id:
        del tables.by_connection[d.enterprise_connection_id]
    for mid in [m.id for m in tables.mappings.values() if m.directory_id == d.id]:
        del tables.mappings[mid]
    for key in [k for k in tables.users if k[0] == d.id]:
        tables.user_directory.pop(key[1], None)
        del tables.users[key]
    for key in [k for k in tables.groups if k[0] == d.id]:
        del tables.groups[key]
    tables.managed_memberships = {m for m in tables.managed_memberships if m[0] != d.id}


def rotate_key(st: State, d: Directory, now: int) -> None:
    d.previous_api_key, d.previous_api_key_expires_at = d.api_key, now + KEY_GRACE_MS
    d.api_key = new_api_key(st)
    d.updated_at = now


def create_mapping(ctx: Ctx, d: Directory) -> GroupRoleMapping:
    st, body = ctx.state, ctx.body
    _require_mapping_enabled(d)
    ((group, display, role_id),) = _plan_mappings(st, d, [body], "directory_group_id", mappings_of(st, d.id))
    m = _add_mapping(st, d, group, display, role_id, body.get("precedence"), ctx.now)
    provisioning.sync_memberships(st, d, ctx.now)
    return m


def replace_mappings(ctx: Ctx, d: Directory) -> list[GroupRoleMapping]:
    st, now = ctx.state, ctx.now
    _require_mapping_enabled(d)
    plan = _plan_mappings(st, d, ctx.body["mappings"], "mappings", [])
    old = {m.group_id: m for m in mappings_of(st, d.id)}
    for m in old.values():
        del st.directories.mappings[m.id]
    out = []
    for i, (group, display, role_id) in enumerate(plan, 1):
        prior = old.get(group)
        if prior is not None:  # the same group keeps its mapping id
            prior.role_id, prior.precedence, prior.updated_at = role_id, i, now
            if display is not None:
                prior.display_name = display
            m = prior
        else:
            m = GroupRoleMapping(st.ids.new("dgrm"), d.id, group, _group_display(st, d.id, group, display), role_id,
                                 i, now, now)
        st.directories.mappings[m.id] = m
        out.append(m)
    provisioning.sync_memberships(st, d, now)
    return out


def delete_mapping(ctx: Ctx, d: Directory, mapping_id: str) -> GroupRoleMapping:
    st = ctx.state
    m = st.directories.mappings.get(mapping_id)
    if m is None or m.directory_id != d.id:
        raise errors.resource_not_found(f"No group role mapping was found with id {mapping_id}")
    _require_mapping_enabled(d)
    del st.directories.mappings[m.id]
    for other in mappings_of(st, d.id):
        if other.precedence > m.precedence:
            other.precedence -= 1
            other.updated_at = ctx.now
    provisioning.sync_memberships(st, d, ctx.now)
    return m


# -- handlers: one implementation, two route families -----------------------------------------------------------


def _register(routes: RouteSet, base: str, param: str, legacy: bool) -> None:
    one = f"{base}/{{{param}}}"

    def list_directories(ctx: Ctx) -> Json:
        limit, offset = limit_offset(ctx.query)
        items = sort_records(list(ctx.state.directories.directories.values()), lambda d: d.created_at, True,
                             tiebreak=lambda d: d.id)
        return paginated([directory_json(ctx, d, legacy) for d in items[offset: offset + limit]], len(items))

    def create(ctx: Ctx) -> Json:
        return directory_json(ctx, create_directory(ctx), legacy, with_key=True)

    def get(ctx: Ctx) -> Json:
        return directory_json(ctx, require_directory(ctx.state, ctx.path[param]), legacy)

    def update(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        update_directory(ctx, d)
        return directory_json(ctx, d, legacy)

    def delete(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        delete_directory(ctx.state, d)
        return {"object": "scim_directory" if legacy else "directory", "id": d.id, "deleted": True}

    def rotate_api_key(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        rotate_key(ctx.state, d, ctx.now)
        return directory_json(ctx, d, legacy, with_key=True)

    def list_mappings(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        items = mappings_of(ctx.state, d.id)
        return paginated([mapping_json(ctx.state, m, legacy) for m in items], len(items))

    def create_group_role_mapping(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        return mapping_json(ctx.state, create_mapping(ctx, d), legacy)

    def replace_group_role_mappings(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        items = replace_mappings(ctx, d)
        return paginated([mapping_json(ctx.state, m, legacy) for m in items], len(items))

    def delete_group_role_mapping(ctx: Ctx) -> Json:
        d = require_directory(ctx.state, ctx.path[param])
        m = delete_mapping(ctx, d, ctx.path["mapping_id"])
        return {"object": "scim_group_role_mapping" if legacy else "directory_group_role_mapping", "id": m.id,
                "deleted": True}

    routes.get(base, "list")(list_directories)
    routes.post(base, "create")(create)
    routes.get(one, "get")(get)
    routes.patch(one, "update")(update)
    routes.delete(one, "delete")(delete)
    routes.post(f"{one}/rotate_api_key", "rotate_api_key")(rotate_api_key)
    routes.get(f"{one}/group_role_mappings", "list_group_role_mappings")(list_mappings)
    routes.post(f"{one}/group_role_mappings", "create_group_role_mapping")(create_group_role_mapping)
    routes.put(f"{one}/group_role_mappings", "replace_group_role_mappings")(replace_group_role_mappings)
    routes.delete(f"{one}/group_role_mappings/{{mapping_id}}", "delete_group_role_mapping")(delete_group_role_mapping)


_register(ROUTES, "/directories", "directory_id", legacy=False)
_register(SCIM_ROUTES, "/scim_directories", "scim_directory_id", legacy=True)
