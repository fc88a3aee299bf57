"""What the organization groups share: look-ups that raise Clerk's errors, role checks, and the membership
operations every path that adds or removes a member goes through.  The shapes embedded across groups are in
serializers.py, below this module.

Invariants kept here (tests/engine/test_orgs_invariants.py checks them over random operation sequences):
a membership's org and user exist; ``membership_index``, ``members_by_org`` and ``orgs_by_user`` agree with
``memberships``; a membership's role exists.
"""

from __future__ import annotations

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
from clerkmock.engine.resources.orgs.serializers import (
    is_manager,
    managers,
    membership_json,
    org_invitation_json,
    pending_invitations,
    role_grants,
)
from clerkmock.engine.resources.users import require_user
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


def missing_creator_permissions(st: State, permission_ids: Sequence[str]) -> list[str]:
    held = {st.orgs.permissions[p].key for p in permission_ids}
    return [k for k in CREATOR_PERMISSIONS if k not in held]


def require_admin(st: State, org: Organization, user_id: str) -> User:
    """``inviter_user_id`` / ``requesting_user_id``: an existing user who manages the org's members."""
    user = require_user(st, user_id)
    mem = st.orgs.membership(org.id, user.id)
    if mem is None or not is_manager(st, mem):
        raise errors.not_an_admin_in_organization()
    return user


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
