"""What the organization groups share: look-ups that raise Clerk's errors, role checks, the serializers of
shapes embedded across groups (Organization, OrganizationMembership, public user/organization data), and the
membership operations every path that adds or removes a member goes through.

Invariants kept here (tests/engine/test_orgs_invariants.py checks them over random operation sequences):
a membership's org and user exist; ``membership_index``, ``members_by_org`` and ``orgs_by_user`` agree with
``memberships``; a membership's role exists.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import quote

from clerkmock.engine import errors, events
from clerkmock.engine.metadata import deep_merge
from clerkmock.engine.pagination import limit_offset
from clerkmock.engine.records import User
from clerkmock.engine.records.organizations import (
    CREATOR_PERMISSIONS,
    MANAGE_MEMBERS,
    Membership,
    Organization,
    OrgInvitation,
    Role,
)
from clerkmock.engine.resources.users import default_image_url, require_user
from clerkmock.engine.state import State

# -- look-ups -------------------------------------------------------------------------------------------------


def require_org(st: State, id_or_slug: str) -> Organization:
    """Organizations are addressed by id or slug (GetOrganization; clerkmock accepts both everywhere)."""
    org = st.orgs.find_org(id_or_slug)
    if org is None:
        raise errors.organization_not_found()
    return org


def require_membership(st: State, org: Organization, user_id: str) -> Membership:
    mem = st.orgs.membership(org.id, user_id)
    if mem is None:
        raise errors.resource_not_found(
            f"No organization membership was found for user {user_id} in organization {org.id}")
    return mem


def assignable_role(st: State, org: Organization, key: Any, param: str = "role") -> Role:
    """The role a member or invitee of ``org`` may get: it must exist (404, as Clerk answers unknown and
    legacy keys) and belong to the organization's role set (422, inferred)."""
    role = st.orgs.role_by_key(key) if isinstance(key, str) else None
    if role is None:
        raise errors.organization_role_not_found(param)
    role_set = st.orgs.role_sets[org.role_set_id]
    if role.id not in role_set.role_ids:
        raise errors.form_param_value_invalid(
            param, f"{key} is not one of the roles of the organization's role set {role_set.key}.")
    return role


def role_grants(st: State, role: Role, permission_key: str) -> bool:
    perm_id = st.orgs.permission_keys.get(permission_key)
    return perm_id is not None and perm_id in role.permission_ids


def missing_creator_permissions(st: State, permission_ids: Sequence[str]) -> list[str]:
    held = {st.orgs.permissions[p].key for p in permission_ids}
    return [k for k in CREATOR_PERMISSIONS if k not in held]


def is_manager(st: State, mem: Membership) -> bool:
    return role_grants(st, st.orgs.roles[mem.role_id], MANAGE_MEMBERS)


def managers(st: State, org_id: str) -> list[Membership]:
    out = []
    for user_id in st.orgs.members_by_org.get(org_id, ()):
        mem = st.orgs.membership(org_id, user_id)
        if mem is not None and is_manager(st, mem):
            out.append(mem)
    return out


def require_admin(st: State, org: Organization, user_id: str) -> User:
    """``inviter_user_id`` / ``requesting_user_id``: an existing user who manages the org's members."""
    user = require_user(st, user_id)
    mem = st.orgs.membership(org.id, user.id)
    if mem is None or not is_manager(st, mem):
        raise errors.not_an_admin_in_organization()
    return user


def invitation_status(inv: Any, now: int) -> str:
    """pending | accepted | revoked, or expired once a pending invitation passes ``expires_at``."""
    if inv.status == "pending" and inv.expires_at <= now:
        return "expired"
    return str(inv.status)


def pending_invitations(st: State, org_id: str, now: int) -> list[OrgInvitation]:
    return [i for i in st.orgs.org_invitations.values()
            if i.org_id == org_id and invitation_status(i, now) == "pending"]


def page[T](items: list[T], query: dict[str, Any]) -> tuple[list[T], int]:
    limit, offset = limit_offset(query)
    return items[offset: offset + limit], len(items)


def ticket_url(st: State, redirect_url: str | None) -> str:
    """The link an invitation email carries: Clerk's ticket-accepting URL on the Frontend API host."""
    url = f"https://{st.instance.frontend_host}/v1/tickets/accept?ticket={st.ids.token(32)}"
    return url + (f"&redirect_url={quote(redirect_url, safe='')}" if redirect_url else "")


def contains(needle: str, *haystack: str | None) -> bool:
    n = needle.lower()
    return any(n in (h or "").lower() for h in haystack)


# -- serializers ----------------------------------------------------------------------------------------------


def org_image_url(st: State, org: Organization) -> str:
    if org.image_url:
        return org.image_url
    # Clerk's default image: base64 JSON {type, iid, rid, initials} under img.clerk.com (as for users)
    raw = f'{{"type":"default","iid":"{st.instance.id}","rid":"{org.id}","initials":"{org.name[:1].upper()}"}}'
    return "https://img.clerk.com/" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def org_json(st: State, org: Organization, *, now: int = 0, members_count: bool = False,
             missing_admin: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "organization",
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "image_url": org_image_url(st, org),
        "has_image": org.image_url is not None,
        "max_allowed_memberships": org.max_allowed_memberships,
        "admin_delete_enabled": org.admin_delete_enabled,
        "public_metadata": org.public_metadata,
        "private_metadata": org.private_metadata,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
        "role_set_key": st.orgs.role_sets[org.role_set_id].key,
    }
    if org.created_by is not None:
        out["created_by"] = org.created_by
    if members_count:
        out["members_count"] = len(st.orgs.members_by_org.get(org.id, ()))
        out["pending_invitations_count"] = len(pending_invitations(st, org.id, now))
    if missing_admin:
        out["missing_member_with_elevated_permissions"] = not managers(st, org.id)
    return out


def public_org_data(st: State, org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "slug": org.slug, "image_url": org_image_url(st, org),
            "has_image": org.image_url is not None}


def user_identifier(st: State, user: User) -> str:
    for idn_id in (user.primary_email_address_id, user.primary_phone_number_id, user.primary_web3_wallet_id):
        if idn_id:
            return st.identifications[idn_id].value
    return user.username or ""


def public_user_data(st: State, user: User) -> dict[str, Any]:
    """Computed from the user at serialization time, so it follows later changes to the user."""
    image = user.image_url or default_image_url(st, user)
    return {
        "user_id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "profile_image_url": image,
        "image_url": image,
        "has_image": user.image_url is not None,
        "identifier": user_identifier(st, user),
        "username": user.username,
        "banned": user.banned,
    }


def membership_json(st: State, mem: Membership) -> dict[str, Any]:
    role = st.orgs.roles[mem.role_id]
    out: dict[str, Any] = {
        "id": mem.id,
        "object": "organization_membership",
        "role": role.key,
        "role_name": role.name,
        "permissions": st.orgs.permission_keys_of(role),  # follows the role live
        "public_metadata": mem.public_metadata,
        "private_metadata": mem.private_metadata,
        "organization": org_json(st, st.orgs.orgs[mem.org_id]),
        "created_at": mem.created_at,
        "updated_at": mem.updated_at,
    }
    user = st.users.get(mem.user_id)
    if user is not None:
        out["public_user_data"] = public_user_data(st, user)
    return out


# -- membership operations -----------------------------------------------------------------------------------


def user_emails(st: State, user: User) -> set[str]:
    return {st.identifications[i].value.lower() for i in user.email_ids}


def add_membership(
    st: State,
    org: Organization,
    user: User,
    role: Role,
    now: int,
    *,
    public_metadata: dict[str, Any] | None = None,
    private_metadata: dict[str, Any] | None = None,
    emit: bool = True,
) -> Membership:
    """Add ``user`` to ``org``.  Refuses a second membership (400) and a full organization (403; pending
    invitations count against the limit, except the ones this membership accepts).  Pending invitations of
    the user's email addresses to ``org`` are marked accepted and their metadata is carried over (the request's
    metadata wins, key by key)."""
    if st.orgs.membership(org.id, user.id) is not None:
        raise errors.already_a_member_in_organization(f"User {user.id}")
    emails = user_emails(st, user)
    pending = pending_invitations(st, org.id, now)
    accepted = [i for i in pending if i.email_address.lower() in emails]
    limit = org.max_allowed_memberships
    if limit and len(st.orgs.members_by_org.get(org.id, ())) + len(pending) - len(accepted) >= limit:
        raise errors.organization_membership_quota_exceeded(limit)
    public: dict[str, Any] = {}
    private: dict[str, Any] = {}
    for inv in accepted:
        public = deep_merge(public, inv.public_metadata)
        private = deep_merge(private, inv.private_metadata)
        inv.status = "accepted"
        inv.updated_at = now
    mem = Membership(
        id=st.ids.new("orgmem"), org_id=org.id, user_id=user.id, role_id=role.id, created_at=now, updated_at=now,
        public_metadata=deep_merge(public, copy.deepcopy(public_metadata or {})),
        private_metadata=deep_merge(private, copy.deepcopy(private_metadata or {})),
    )
    st.orgs.memberships[mem.id] = mem
    st.orgs.membership_index[(org.id, user.id)] = mem.id
    st.orgs.members_by_org.setdefault(org.id, set()).add(user.id)
    st.orgs.orgs_by_user.setdefault(user.id, set()).add(org.id)
    if emit:
        emit_membership_added(st, mem, accepted, now)
    return mem


def emit_membership_added(st: State, mem: Membership, accepted: Sequence[OrgInvitation], now: int) -> None:
    """``organizationMembership.created``, then ``organizationInvitation.accepted`` for each invitation the
    membership accepted (with the new member's ``user_id``, as the webhook spec's accepted payload has)."""
    from clerkmock.engine.resources.orgs.org_invitations import org_invitation_json

    events.emit(st, "organizationMembership.created", partial(membership_json, st, mem), now)
    for inv in accepted:
        events.emit(st, "organizationInvitation.accepted",
                    {**org_invitation_json(st, inv, now), "user_id": mem.user_id}, now)


def check_keeps_a_manager(st: State, mem: Membership, new_role: Role | None) -> None:
    """Removing or demoting the last member who can manage members is refused (400), as in Clerk.  An
    organization that never had such a member (created without ``created_by``) is not held to it."""
    if not is_manager(st, mem):
        return
    if new_role is not None and role_grants(st, new_role, MANAGE_MEMBERS):
        return
    if len(managers(st, mem.org_id)) <= 1:
        raise errors.organization_minimum_permissions_needed()


def remove_membership(st: State, mem: Membership) -> None:
    # every way out (DeleteOrganizationMembership, a deleted organization or user) is a webhook event
    events.emit(st, "organizationMembership.deleted", partial(membership_json, st, mem))
    del st.orgs.memberships[mem.id]
    st.orgs.membership_index.pop((mem.org_id, mem.user_id), None)
    members = st.orgs.members_by_org.get(mem.org_id)
    if members is not None:
        members.discard(mem.user_id)
        if not members:
            del st.orgs.members_by_org[mem.org_id]
    orgs = st.orgs.orgs_by_user.get(mem.user_id)
    if orgs is not None:
        orgs.discard(mem.org_id)
        if not orgs:
            del st.orgs.orgs_by_user[mem.user_id]
