"""The SCIM 2.0 service provider of each directory (RFC 7643 / RFC 7644), at ``/scim/v2/<directory id>`` on the
base URL (the directory's ``endpoint_url``): what an identity provider (Okta, Entra ID ...) drives.

- Authentication: ``Authorization: Bearer <the directory's api_key>`` (or the previous key during the grace
  period after a rotation); else 401.  A disabled directory answers 403; a deleted or unknown one 404.
- ``GET /ServiceProviderConfig``, ``/ResourceTypes[/{id}]``, ``/Schemas[/{id}]``; ``/Users`` and ``/Groups``:
  ``GET`` (``filter``, ``startIndex``, ``count`` up to 100), ``POST``; ``/{id}``: ``GET``, ``PUT``, ``PATCH``
  (``add`` / ``replace`` / ``remove``, with or without ``path``, value filters such as
  ``members[value eq "…"]``), ``DELETE`` (204).  Bulk, sort, ETags and ``/.search`` are not offered (the
  ServiceProviderConfig says so; ``/.search`` answers 501).
- Errors use the SCIM error schema (``status`` as a string, ``scimType`` where RFC 7644 §3.12 names one):
  400 ``invalidFilter`` / ``invalidPath`` / ``invalidValue`` / ``invalidSyntax`` / ``noTarget``,
  409 ``uniqueness`` for a ``userName`` (or a group ``displayName``) already in the directory.
- Responses are ``application/scim+json``; requests may be ``application/scim+json`` or ``application/json``.
- What it does to Clerk (users, bans, memberships, events): ``provisioning.py``.  Requests are journaled and
  faultable like any other; route names are ``scim.<resource>.<action>`` (``scim.users.create`` ...).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

from clerkmock.engine import events
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.records.directories import Directory, ScimGroup, ScimUser
from clerkmock.engine.resources import users
from clerkmock.engine.resources.directories import provisioning
from clerkmock.engine.resources.directories.scim_filter import FilterError, Path, get_ci, matches, parse, \
    parse_patch_path
from clerkmock.engine.resources.directories.scim_schemas import (
    ERROR,
    GROUP_SCHEMA,
    LIST_RESPONSE,
    MAX_RESULTS,
    PATCH_OP,
    USER_SCHEMA,
    resource_type_docs,
    schema_docs,
    service_provider_config,
)
from clerkmock.engine.state import State
from clerkmock.engine.types import Request, Response

PREFIX = "/scim/v2/"
CONTENT_TYPE = "application/scim+json"
READ_ONLY = {"id", "meta", "schemas"}


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            out["scimType"] = self.scim_type
        return out


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def base_url(request: Request, directory_id: str) -> str:
    host = request.headers.get("host") or "127.0.0.1"
    scheme = request.headers.get("x-forwarded-proto") or (
        "https" if host.split(":")[0].endswith("clerk.com") else "http")
    return f"{scheme}://{host}{PREFIX}{directory_id}"


def route_name(method: str, path: str) -> str | None:
    """``scim.<resource>.<action>`` for fault rules and the journal, or None outside the SCIM prefix."""
    if not path.startswith(PREFIX):
        return None
    parts = [p for p in path[len(PREFIX):].split("/") if p][1:]
    if not parts:
        return "scim.unknown"
    resource = parts[0].lower()
    if resource in ("users", "groups"):
        action = {("GET", 1): "list", ("POST", 1): "create", ("GET", 2): "get", ("PUT", 2): "replace",
                  ("PATCH", 2): "update", ("DELETE", 2): "delete"}.get((method, len(parts)), "unknown")
        return f"scim.{resource}.{action}"
    return f"scim.{resource}"


# -- the entry point -----------------------------------------------------------------------------------------------


def handle(st: State, now: int, request: Request) -> Response:
    route = route_name(request.method, request.path)
    try:
        status, body = _dispatch(st, now, request)
    except ScimError as exc:
        status, body = exc.status, exc.body()
    raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    headers = {"content-type": CONTENT_TYPE} if body is not None else {}
    if status == 201 and isinstance(body, dict):
        headers["location"] = body["meta"]["location"]
    meta: dict[str, Any] = {"route": route}
    if status >= 400:
        meta["error_code"] = (body or {}).get("scimType") or f"scim_{status}"
    return Response(status, raw, headers, meta)


def _directory(st: State, request: Request, directory_id: str, now: int) -> Directory:
    d = st.directories.directories.get(directory_id)
    if d is None:
        raise ScimError(404, f"No directory {directory_id}.")
    scheme, _, key = (request.headers.get("authorization") or "").partition(" ")
    key = key.strip()
    valid = key and (key == d.api_key or (key == d.previous_api_key and now < d.previous_api_key_expires_at))
    if scheme.lower() != "bearer" or not valid:
        raise ScimError(401, "Authorization must be the directory's API key as a Bearer token.")
    if not d.enabled:
        raise ScimError(403, "The directory is disabled.")
    return d


def _dispatch(st: State, now: int, request: Request) -> tuple[int, Any]:
    parts = [p for p in request.path[len(PREFIX):].split("/") if p]
    if not parts:
        raise ScimError(404, "A SCIM URL names a directory: /scim/v2/<directory id>/…")
    d = _directory(st, request, parts[0], now)
    base = base_url(request, d.id)
    rest, method = parts[1:], request.method
    if not rest:
        raise ScimError(404, "Not a SCIM endpoint.")
    name = rest[0]
    if name == ".search" or (len(rest) == 2 and rest[1] == ".search"):
        raise ScimError(501, "POST /.search is not supported; use GET with a filter.")
    if name == "ServiceProviderConfig" and len(rest) == 1:
        _only(method, "GET")
        return 200, service_provider_config(base)
    if name in ("ResourceTypes", "Schemas") and len(rest) <= 2:
        _only(method, "GET")
        docs = resource_type_docs(base) if name == "ResourceTypes" else schema_docs(base)
        if len(rest) == 2:
            doc = next((x for x in docs if x["id"] == rest[1]), None)
            if doc is None:
                raise ScimError(404, f"No {name[:-1]} {rest[1]}.")
            return 200, doc
        return 200, _list_response(docs, len(docs), 1)
    kind = {"Users": "User", "Groups": "Group"}.get(name)
    if kind is None or len(rest) > 2:
        raise ScimError(404, f"Not a SCIM endpoint: /{'/'.join(rest)}.")
    if len(rest) == 1:
        if method == "GET":
            return 200, _list(st, d, kind, request.query, base)
        _only(method, "POST")
        return 201, _create(st, d, kind, _body(request), base, now)
    rid = rest[1]
    if method == "GET":
        return 200, _project(_render(st, d, kind, _require(st, d, kind, rid), base), request.query)
    if method == "PUT":
        return 200, _replace(st, d, kind, _require(st, d, kind, rid), _body(request), base, now)
    if method == "PATCH":
        return 200, _patch(st, d, kind, _require(st, d, kind, rid), _body(request), base, now)
    _only(method, "DELETE")
    _delete(st, d, kind, _require(st, d, kind, rid), now)
    return 204, None


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise ScimError(405, f"{method} is not allowed here.")


def _body(request: Request) -> dict[str, Any]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype and ctype not in ("application/scim+json", "application/json"):
        raise ScimError(415, f"Content type {ctype} is not supported; send application/scim+json.")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The request body is not JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return body


# -- rendering and listing -----------------------------------------------------------------------------------------


def _list_response(items: list[Any], total: int, start: int) -> dict[str, Any]:
    return {"schemas": [LIST_RESPONSE], "totalResults": total, "startIndex": start, "itemsPerPage": len(items),
            "Resources": items}


def _render(st: State, d: Directory, kind: str, res: ScimUser | ScimGroup, base: str) -> dict[str, Any]:
    meta = {"resourceType": kind, "created": _iso(res.created_at), "lastModified": _iso(res.updated_at),
            "location": f"{base}/{kind}s/{res.id}", "version": f'W/"{res.version}"'}
    if isinstance(res, ScimUser):
        doc = {**copy.deepcopy(res.attributes), "userName": res.user_name}
        if res.active is not None:
            doc["active"] = res.active
        schemas = [USER_SCHEMA]
    else:
        doc = {**copy.deepcopy(res.attributes), "displayName": res.display_name,
               "members": [_member(uid, base) for uid in res.member_ids]}
        schemas = [GROUP_SCHEMA]
    if res.external_id is not None:
        doc["externalId"] = res.external_id
    return {"schemas": schemas, "id": res.id, **doc, "meta": meta}


def _member(user_id: str, base: str) -> dict[str, Any]:
    return {"value": user_id, "$ref": f"{base}/Users/{user_id}", "type": "User"}


def _resources(st: State, d: Directory, kind: str) -> list[ScimUser | ScimGroup]:
    table: dict[Any, Any] = st.directories.users if kind == "User" else st.directories.groups
    items = [r for (did, _), r in table.items() if did == d.id]
    return sorted(items, key=lambda r: (r.created_at, r.id))


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError:
        raise ScimError(400, f"{name} must be an integer.", "invalidValue") from None


def _list(st: State, d: Directory, kind: str, query: dict[str, list[str]], base: str) -> dict[str, Any]:
    start = max(1, _int_param(query, "startIndex", 1))
    count = min(MAX_RESULTS, max(0, _int_param(query, "count", MAX_RESULTS)))
    docs = [_render(st, d, kind, r, base) for r in _resources(st, d, kind)]
    text = (query.get("filter") or [""])[0]
    if text.strip():
        try:
            node = parse(text)
        except FilterError as exc:
            raise ScimError(400, str(exc), "invalidFilter") from None
        docs = [doc for doc in docs if matches(node, doc)]
    return _list_response([_project(doc, query) for doc in docs[start - 1: start - 1 + count]], len(docs), start)


def _names(query: dict[str, list[str]], key: str) -> list[tuple[str, str | None]]:
    out = []
    for value in query.get(key) or []:
        for item in value.split(","):
            item = item.strip()
            for urn in (USER_SCHEMA, GROUP_SCHEMA):
                if item.lower().startswith(urn.lower() + ":"):
                    item = item[len(urn) + 1:]
            if item:
                attr, _, sub = item.lower().partition(".")
                out.append((attr, sub or None))
    return out


def _project(doc: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
    """``attributes`` / ``excludedAttributes`` (RFC 7644 §3.9); ``id``, ``schemas`` and ``meta`` always stay."""
    only, excluded = _names(query, "attributes"), _names(query, "excludedattributes") or _names(
        query, "excludedAttributes")
    if not only and not excluded:
        return doc
    out: dict[str, Any] = {}
    for key, value in doc.items():
        low = key.lower()
        if low in READ_ONLY:
            out[key] = value
            continue
        if only:
            subs = [sub for attr, sub in only if attr == low]
            if not subs:
                continue
            if None not in subs and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k.lower() in subs}
            elif None not in subs and isinstance(value, list):
                value = [{k: v for k, v in i.items() if k.lower() in subs} if isinstance(i, dict) else i
                         for i in value]
        drop = [sub for attr, sub in excluded if attr == low]
        if None in drop:
            continue
        if drop and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k.lower() not in drop}
        elif drop and isinstance(value, list):
            value = [{k: v for k, v in i.items() if k.lower() not in drop} if isinstance(i, dict) else i
                     for i in value]
        out[key] = value
    return out


def _require(st: State, d: Directory, kind: str, rid: str) -> ScimUser | ScimGroup:
    table: dict[Any, Any] = st.directories.users if kind == "User" else st.directories.groups
    res = table.get((d.id, rid))
    if res is None:
        raise ScimError(404, f"No {kind} {rid} in this directory.")
    return res


# -- writes --------------------------------------------------------------------------------------------------------


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k.lower() not in READ_ONLY and not k.lower().startswith("urn:")}


def _pop_ci(doc: dict[str, Any], name: str) -> Any:
    for key in list(doc):
        if key.lower() == name:
            return doc.pop(key)
    return None


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # Entra ID sends "False"
        return value.lower() == "true"
    raise ScimError(400, f"{name} must be a boolean.", "invalidValue")


def _user_fields(st: State, d: Directory, doc: dict[str, Any], own_id: str | None) -> tuple[str, str | None,
                                                                                         bool | None]:
    user_name = _pop_ci(doc, "username")
    if not isinstance(user_name, str) or not user_name.strip():
        raise ScimError(400, "userName is required.", "invalidValue")
    external_id = _pop_ci(doc, "externalid")
    if external_id is not None and not isinstance(external_id, str):
        raise ScimError(400, "externalId must be a string.", "invalidValue")
    active = _pop_ci(doc, "active")  # absent (or removed): not deactivated
    active = None if active is None else _as_bool(active, "active")
    emails = get_ci(doc, "emails")
    if emails is not None and not (isinstance(emails, list) and all(isinstance(e, dict) for e in emails)):
        raise ScimError(400, "emails must be a list of objects.", "invalidValue")
    name = get_ci(doc, "name")
    if name is not None and not isinstance(name, dict):
        raise ScimError(400, "name must be an object.", "invalidValue")
    for (did, uid), other in st.directories.users.items():
        if did == d.id and uid != own_id and other.user_name.lower() == user_name.lower():
            raise ScimError(409, f"userName {user_name} is already in this directory.", "uniqueness")
    return user_name, external_id, active


def _clerk_error(exc: ClerkError) -> ScimError:
    status = 409 if exc.code == "form_identifier_exists" else 400
    return ScimError(status, exc.long_message, "uniqueness" if status == 409 else "invalidValue")


def _emit_user(st: State, event: str, user_id: str, now: int) -> None:
    user = st.users.get(user_id)
    if user is not None:
        events.emit(st, event, lambda: users.user_json(st, user, now), now)


def _save_user(st: State, d: Directory, su: ScimUser, doc: dict[str, Any], now: int, *, created: bool) -> None:
    """Write a validated User document through to Clerk: profile, ban state, then memberships and events."""
    user = st.users[su.id]
    try:
        if not created:
            provisioning.apply_profile(st, d, user, {**doc, "userName": su.user_name}, now)
    except ClerkError as exc:
        raise _clerk_error(exc) from None
    provisioning.set_active(user, su.active is not False, now)
    su.attributes = doc
    su.updated_at = now
    if not created:
        su.version += 1
    _emit_user(st, "user.created" if created else "user.updated", su.id, now)
    provisioning.sync_memberships(st, d, now)


def _create(st: State, d: Directory, kind: str, body: dict[str, Any], base: str, now: int) -> dict[str, Any]:
    doc = _clean(body)
    if kind == "Group":
        group = ScimGroup(st.ids.new("dirgrp"), d.id, "", now, now)
        _apply_group(st, d, group, doc, now)
        st.directories.groups[(d.id, group.id)] = group
        provisioning.sync_memberships(st, d, now)
        return _render(st, d, kind, group, base)
    user_name, external_id, active = _user_fields(st, d, doc, None)
    try:
        user = provisioning.provision_user(st, d, {**doc, "userName": user_name}, now)
    except ClerkError as exc:
        raise _clerk_error(exc) from None
    su = ScimUser(user.id, d.id, user_name.strip(), now, now, external_id, active)
    provisioning.link_user(st, d, su)
    _save_user(st, d, su, doc, now, created=True)
    return _render(st, d, kind, su, base)


def _replace(st: State, d: Directory, kind: str, res: ScimUser | ScimGroup, body: dict[str, Any], base: str,
             now: int) -> dict[str, Any]:
    return _write(st, d, kind, res, _clean(body), base, now)


def _write(st: State, d: Directory, kind: str, res: ScimUser | ScimGroup, doc: dict[str, Any], base: str,
           now: int) -> dict[str, Any]:
    if isinstance(res, ScimGroup):
        _apply_group(st, d, res, doc, now)
        res.version += 1
        provisioning.sync_memberships(st, d, now)
        return _render(st, d, kind, res, base)
    user_name, external_id, active = _user_fields(st, d, doc, res.id)
    old = (res.user_name, res.external_id, res.active)
    res.user_name, res.external_id, res.active = user_name.strip(), external_id, active
    try:
        _save_user(st, d, res, doc, now, created=False)
    except ScimError:
        res.user_name, res.external_id, res.active = old
        raise
    return _render(st, d, kind, res, base)


def _apply_group(st: State, d: Directory, group: ScimGroup, doc: dict[str, Any], now: int) -> None:
    name = _pop_ci(doc, "displayname")
    if not isinstance(name, str) or not name.strip():
        raise ScimError(400, "displayName is required.", "invalidValue")
    for (did, gid), other in st.directories.groups.items():
        if did == d.id and gid != group.id and other.display_name.lower() == name.strip().lower():
            raise ScimError(409, f"A group named {name} is already in this directory.", "uniqueness")
    external_id = _pop_ci(doc, "externalid")
    if external_id is not None and not isinstance(external_id, str):
        raise ScimError(400, "externalId must be a string.", "invalidValue")
    members = _pop_ci(doc, "members") or []
    if not isinstance(members, list):
        raise ScimError(400, "members must be a list.", "invalidValue")
    ids: list[str] = []
    for m in members:
        value = m.get("value") if isinstance(m, dict) else None
        if not isinstance(value, str) or (d.id, value) not in st.directories.users:
            raise ScimError(400, f"members: {value!r} is not a User of this directory.", "invalidValue")
        if value not in ids:
            ids.append(value)
    group.display_name, group.external_id, group.member_ids = name.strip(), external_id, ids
    group.attributes = doc
    group.updated_at = now


def _delete(st: State, d: Directory, kind: str, res: ScimUser | ScimGroup, now: int) -> None:
    if isinstance(res, ScimUser):
        provisioning.deprovision_user(st, d, res, now)
    else:
        del st.directories.groups[(d.id, res.id)]
    provisioning.sync_memberships(st, d, now)


# -- PATCH (RFC 7644 §3.5.2) ---------------------------------------------------------------------------------------


def _patch(st: State, d: Directory, kind: str, res: ScimUser | ScimGroup, body: dict[str, Any], base: str,
           now: int) -> dict[str, Any]:
    if PATCH_OP not in (body.get("schemas") or []):
        raise ScimError(400, f"A PATCH body names the {PATCH_OP} schema.", "invalidSyntax")
    ops = get_ci(body, "operations")
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    doc = _clean(_render(st, d, kind, res, base))
    if kind == "Group":
        doc["members"] = [{"value": m["value"]} for m in doc.get("members", [])]
    for op in ops:
        if not isinstance(op, dict):
            raise ScimError(400, "Each operation is an object.", "invalidSyntax")
        name = str(get_ci(op, "op") or "").lower()
        if name not in ("add", "replace", "remove"):
            raise ScimError(400, f"op must be add, replace or remove, not {name!r}.", "invalidSyntax")
        path_text = get_ci(op, "path")
        value = get_ci(op, "value")
        if path_text is None:
            if name == "remove":
                raise ScimError(400, "remove needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, "Without a path, value is an object of attributes.", "invalidValue")
            for key, item in value.items():
                if key.lower() in READ_ONLY:
                    continue
                _apply(doc, name, _path(key), item)
            continue
        if not isinstance(path_text, str):
            raise ScimError(400, "path must be a string.", "invalidPath")
        path = _path(path_text)
        if path.attr in READ_ONLY:
            raise ScimError(400, f"{path.attr} cannot be changed.", "mutability")
        _apply(doc, name, path, value)
    return _write(st, d, kind, res, doc, base, now)


def _path(text: str) -> Path:
    for urn in (USER_SCHEMA, GROUP_SCHEMA):
        if text.lower().startswith(urn.lower() + ":"):
            text = text[len(urn) + 1:]
    try:
        return parse_patch_path(text)
    except FilterError as exc:
        raise ScimError(400, str(exc), "invalidPath") from None


def _key(doc: dict[str, Any], name: str) -> str:
    return next((k for k in doc if k.lower() == name), name)


def _merge_list(current: list[Any], new: list[Any]) -> list[Any]:
    out = list(current)
    for item in new:
        same = (lambda x: isinstance(x, dict) and isinstance(item, dict) and "value" in item
                and x.get("value") == item["value"])
        if item in out or any(same(x) for x in out):
            continue
        out.append(item)
    return out


def _apply(doc: dict[str, Any], op: str, path: Path, value: Any) -> None:
    key = _key(doc, path.attr)
    current = doc.get(key)
    if path.value_filter is not None:  # attr[filter] or attr[filter].sub: the matching elements
        items = current if isinstance(current, list) else []
        hits = [i for i in items if isinstance(i, dict) and matches(path.value_filter, i)]
        if not hits and op != "add":
            if op == "remove":
                return  # removing what is not there: nothing to do (Entra ID removes members twice)
            raise ScimError(400, "The filter matches nothing.", "noTarget")
        if op == "remove" and path.sub is None:
            doc[key] = [i for i in items if not any(i is h for h in hits)]
            return
        for hit in hits:
            if path.sub is None:
                if isinstance(value, dict):
                    hit.update(value)
            else:
                sub_key = _key(hit, path.sub)
                if op == "remove":
                    hit.pop(sub_key, None)
                else:
                    hit[sub_key] = value
        return
    if path.sub is not None:
        parent = current if isinstance(current, dict) else {}
        sub_key = _key(parent, path.sub)
        if op == "remove":
            parent.pop(sub_key, None)
        else:
            parent[sub_key] = value
        doc[key] = parent
        return
    if op == "remove":
        if isinstance(current, list) and isinstance(value, list):  # remove listed members (Azure style)
            drop = {v.get("value") for v in value if isinstance(v, dict)}
            doc[key] = [i for i in current if not (isinstance(i, dict) and i.get("value") in drop)]
        else:
            doc.pop(key, None)
        return
    if op == "add" and isinstance(current, list):
        doc[key] = _merge_list(current, value if isinstance(value, list) else [value])
    elif op == "add" and isinstance(current, dict) and isinstance(value, dict):
        doc[key] = {**current, **value}
    else:
        doc[key] = value
