"""Organizations: ListOrganizations, CreateOrganization, GetOrganization, UpdateOrganization,
DeleteOrganization, MergeOrganizationMetadata, ReplaceOrganizationMetadata, UploadOrganizationLogo,
DeleteOrganizationLogo.  (The three billing operations are not emulated.)

Rules (reference/clerk-bapi.md §4-5, the spec's descriptions, Clerk's error index):
- An organization is addressed by id or slug.  A slug is ``[a-z0-9-]+`` and unique (422
  ``form_identifier_exists``); without one, it is derived from the name (``-2``, ``-3`` … on collision).
- ``created_by`` must be an existing user (400 ``organization_creator_not_found``) and becomes a member with
  the role set's creator role (``org:admin`` by default).
- Names are 1..256 characters without URLs or HTML (422 ``form_param_value_invalid``).
- Deleting an organization deletes its memberships, invitations and domains; the answer carries the slug.
- Metadata: PATCH …/metadata deep-merges, PUT …/metadata replaces each supplied field; ``PATCH
  /organizations/{id}`` takes metadata (replacing it) only before 2026-05-12, which the versioned spec enforces.
"""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from functools import partial
from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.metadata import deep_merge
from clerkmock.engine.pagination import parse_order_by, sort_records, split_signed
from clerkmock.engine.records.organizations import Organization
from clerkmock.engine.resources.orgs.common import (
    add_membership,
    contains,
    emit_membership_added,
    page,
    remove_membership,
    require_org,
)
from clerkmock.engine.resources.orgs.serializers import org_json
from clerkmock.engine.resources.users import deleted_json, parse_rfc3339, require_user
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("organizations")
NAME_MAX = 256
SLUG_RE = re.compile(r"^[a-z0-9-]+$")
URL_OR_HTML_RE = re.compile(r"https?://|www\.|<[^>]*>|[<>]", re.IGNORECASE)
ORDER_FIELDS = ["name", "created_at", "members_count"]
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/x-icon", "image/vnd.microsoft.icon"}
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x00\x00\x01\x00")


def org_event_json(st: State, org: Organization, now: int) -> dict[str, Any]:
    """The ``organization.*`` webhook payload: the organization with its counts, as the spec's examples."""
    return org_json(st, org, now=now, members_count=True, missing_admin=True)


def emit_updated(ctx: Ctx, org: Organization) -> None:
    """The request changed ``org``: ``updated_at`` moves to the request's instant, ``organization.updated``."""
    org.updated_at = ctx.now
    ctx.emit("organization.updated", lambda: org_event_json(ctx.state, org, ctx.now))


def with_logo_json(st: State, org: Organization) -> dict[str, Any]:
    """OrganizationWithLogo: the organization plus the deprecated ``logo_url``."""
    out = org_json(st, org)
    out["logo_url"] = out["image_url"]
    return out


# -- operations ------------------------------------------------------------------------------------------------


def check_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise errors.form_param_missing("name")
    if len(name) > NAME_MAX:
        raise errors.form_param_max_length_exceeded("name", NAME_MAX)
    if URL_OR_HTML_RE.search(name):
        raise errors.organization_name_invalid(name, "it may not contain URLs or HTML.")
    return name


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "organization"


def unique_slug(st: State, base: str) -> str:
    slug, n = base, 2
    while slug in st.orgs.slug_index:
        slug, n = f"{base}-{n}", n + 1
    return slug


def check_slug(st: State, slug: str, org_id: str | None) -> str:
    if not SLUG_RE.match(slug):
        raise errors.form_param_format_invalid(
            "slug", "slug can contain only lowercase alphanumeric characters and the dash \"-\".")
    owner = st.orgs.slug_index.get(slug)
    if owner is not None and owner != org_id:
        raise errors.form_identifier_exists("slug", "slug")
    return slug


def role_set_for(st: State, key: str | None) -> str:
    if key is None:
        return st.orgs.initial_role_set().id
    rs_id = st.orgs.role_set_keys.get(key)
    if rs_id is None:
        raise errors.form_resource_not_found("role_set_key")
    return rs_id


def add_org(st: State, body: dict[str, Any], now: int) -> Organization:
    """Validate everything first, then write: a refused request leaves no trace."""
    name = check_name(body["name"])
    slug = check_slug(st, body["slug"], None) if body.get("slug") else unique_slug(st, slugify(name))
    creator = None
    if body.get("created_by"):
        creator = st.users.get(body["created_by"])
        if creator is None:
            raise errors.organization_creator_not_found(body["created_by"])
    role_set_id = role_set_for(st, body.get("role_set_key"))
    created_at = parse_rfc3339(body["created_at"], "created_at") if body.get("created_at") else now
    limit = body.get("max_allowed_memberships")
    org = Organization(
        id=st.ids.new("org"), name=name, slug=slug, created_at=created_at, updated_at=created_at,
        role_set_id=role_set_id, created_by=creator.id if creator else None,
        max_allowed_memberships=st.orgs.default_max_allowed_memberships if limit is None else limit,
        public_metadata=copy.deepcopy(body.get("public_metadata") or {}),
        private_metadata=copy.deepcopy(body.get("private_metadata") or {}),
    )
    st.orgs.orgs[org.id] = org
    st.orgs.slug_index[slug] = org.id
    mem = None
    if creator is not None:
        creator_role_id = st.orgs.role_sets[role_set_id].creator_role_id
        assert creator_role_id is not None  # role sets always name a creator role (role_sets.py)
        mem = add_membership(st, org, creator, st.orgs.roles[creator_role_id], now, emit=False)
    # organization.created (counting its creator), then the creator's organizationMembership.created
    events.emit(st, "organization.created", lambda: org_event_json(st, org, now), now)
    if mem is not None:
        emit_membership_added(st, mem, (), now)
    return org


def delete_org(st: State, org: Organization) -> None:
    for user_id in list(st.orgs.members_by_org.get(org.id, ())):
        mem = st.orgs.membership(org.id, user_id)
        if mem is not None:
            remove_membership(st, mem)
    for inv_id in [i.id for i in st.orgs.org_invitations.values() if i.org_id == org.id]:
        del st.orgs.org_invitations[inv_id]
    for dom_id in [d.id for d in st.orgs.domains.values() if d.org_id == org.id]:
        del st.orgs.domains[dom_id]
        events.emit(st, "organizationDomain.deleted", partial(deleted_json, "organization_domain", dom_id))
    st.orgs.slug_index.pop(org.slug, None)
    del st.orgs.orgs[org.id]


def filter_orgs(st: State, q: dict[str, Any]) -> list[Organization]:
    orgs: list[Organization] = list(st.orgs.orgs.values())
    if q.get("query"):
        needle = q["query"]
        orgs = [o for o in orgs if o.id == needle or contains(needle, o.name, o.slug)]
    if q.get("user_id"):
        include, exclude = split_signed(q["user_id"])
        if include:
            wanted = set().union(*(st.orgs.orgs_by_user.get(u, set()) for u in include))
            orgs = [o for o in orgs if o.id in wanted]
        if exclude:
            unwanted = set().union(*(st.orgs.orgs_by_user.get(u, set()) for u in exclude))
            orgs = [o for o in orgs if o.id not in unwanted]
    if q.get("organization_id"):
        include, exclude = split_signed(q["organization_id"])
        orgs = [o for o in orgs if (not include or o.id in include) and o.id not in exclude]
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    if field == "members_count":
        key: Any = lambda o: len(st.orgs.members_by_org.get(o.id, ()))
    elif field == "name":
        key = lambda o: o.name.lower()
    else:
        key = lambda o: o.created_at
    return sort_records(orgs, key, descending, tiebreak=lambda o: o.id)


# -- handlers ---------------------------------------------------------------------------------------------------


def _org_reply(ctx: Ctx, org: Organization) -> Json:
    return org_json(ctx.state, org, now=ctx.now, members_count=bool(ctx.query.get("include_members_count")),
                    missing_admin=bool(ctx.query.get("include_missing_member_with_elevated_permissions")))


@ROUTES.op("ListOrganizations", "list")
def list_organizations(ctx: Ctx) -> Json:
    orgs, total = page(filter_orgs(ctx.state, ctx.query), ctx.query)
    return {"data": [_org_reply(ctx, o) for o in orgs], "total_count": total}


@ROUTES.op("CreateOrganization", "create")
def create_organization(ctx: Ctx) -> Json:
    return org_json(ctx.state, add_org(ctx.state, ctx.body, ctx.now))


@ROUTES.op("GetOrganization", "get")
def get_organization(ctx: Ctx) -> Json:
    return _org_reply(ctx, require_org(ctx.state, ctx.path["organization_id"]))


@ROUTES.op("UpdateOrganization", "update")
def update_organization(ctx: Ctx) -> Json:
    st, body = ctx.state, ctx.body
    org = require_org(st, ctx.path["organization_id"])
    name = check_name(body["name"]) if body.get("name") is not None else None
    slug = check_slug(st, body["slug"], org.id) if body.get("slug") else None
    role_set_id = role_set_for(st, body["role_set_key"]) if body.get("role_set_key") else None
    if role_set_id is not None and role_set_id != org.role_set_id:
        allowed = set(st.orgs.role_sets[role_set_id].role_ids)
        for user_id in st.orgs.members_by_org.get(org.id, ()):
            mem = st.orgs.membership(org.id, user_id)
            if mem is not None and mem.role_id not in allowed:
                raise errors.form_param_value_invalid(
                    "role_set_key", "Members of this organization have roles that the role set does not contain.")
    created_at = parse_rfc3339(body["created_at"], "created_at") if body.get("created_at") else None

    if name is not None:
        org.name = name
    if slug is not None and slug != org.slug:
        st.orgs.slug_index.pop(org.slug, None)
        org.slug = slug
        st.orgs.slug_index[slug] = org.id
    if role_set_id is not None:
        org.role_set_id = role_set_id
    if body.get("max_allowed_memberships") is not None:
        org.max_allowed_memberships = body["max_allowed_memberships"]
    if body.get("admin_delete_enabled") is not None:
        org.admin_delete_enabled = body["admin_delete_enabled"]
    if created_at is not None:
        org.created_at = created_at
    # Only up to 2025-11-10; the 2026-05-12 spec has no such fields, so validation refuses them there.
    for field in ("public_metadata", "private_metadata"):
        if field in body:
            setattr(org, field, copy.deepcopy(body[field] or {}))
    emit_updated(ctx, org)
    return org_json(st, org)


@ROUTES.op("DeleteOrganization", "delete")
def delete_organization(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    delete_org(ctx.state, org)  # emits organizationMembership.deleted / organizationDomain.deleted first
    reply = deleted_json("organization", org.id, slug=org.slug)
    ctx.emit("organization.deleted", reply)
    return reply


@ROUTES.op("MergeOrganizationMetadata", "merge_metadata")
def merge_organization_metadata(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    for field in ("public_metadata", "private_metadata"):
        if ctx.body.get(field) is not None:
            setattr(org, field, deep_merge(getattr(org, field), ctx.body[field]))
    emit_updated(ctx, org)
    return org_json(ctx.state, org)


@ROUTES.op("ReplaceOrganizationMetadata", "replace_metadata")
def replace_organization_metadata(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    for field in ("public_metadata", "private_metadata"):
        if field in ctx.body:
            setattr(org, field, copy.deepcopy(ctx.body[field] or {}))
    emit_updated(ctx, org)
    return org_json(ctx.state, org)


@ROUTES.op("UploadOrganizationLogo", "upload_logo")
def upload_organization_logo(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    upload = ctx.files.get("file")
    if upload is None or not upload.data:
        raise errors.form_file_missing()
    if upload.content_type not in IMAGE_TYPES and not upload.data.startswith(IMAGE_MAGIC):
        raise errors.request_body_invalid("(file must be an image: image/jpeg, image/png, image/gif or image/webp)")
    if ctx.body.get("uploader_user_id"):
        require_user(ctx.state, ctx.body["uploader_user_id"])
    digest = hashlib.sha256(upload.data).hexdigest()[:24]
    org.image_url = f"https://img.clerk.com/clerkmock/{org.id}/{digest}"
    emit_updated(ctx, org)
    return with_logo_json(ctx.state, org)


@ROUTES.op("DeleteOrganizationLogo", "delete_logo")
def delete_organization_logo(ctx: Ctx) -> Json:
    org = require_org(ctx.state, ctx.path["organization_id"])
    org.image_url = None
    emit_updated(ctx, org)
    return org_json(ctx.state, org)
