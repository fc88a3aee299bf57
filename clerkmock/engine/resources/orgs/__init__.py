"""The B2B groups: Organizations, Memberships, Invitations, Roles, Permissions, Role Sets, Domains.

One module per API group (``organizations``, ``memberships``, ``org_invitations``, ``invitations``,
``roles`` with permissions, ``role_sets``, ``domains``); what they share is in ``common``, the records in
``engine/records/organizations.py``.  Other groups read organization state through the small API below;
session tokens get the active organization through the seam in ``auth/claims.py``, wired at import.
"""

from __future__ import annotations

from clerkmock.engine.records.organizations import Membership, Organization
from clerkmock.engine.resources.auth import claims
from clerkmock.engine.resources.orgs import (
    domains,
    invitations,
    memberships,
    org_invitations,
    organizations,
    role_sets,
    roles,
)
from clerkmock.engine.resources.orgs.serializers import org_image_url
from clerkmock.engine.state import State

ROUTE_SETS = [
    organizations.ROUTES,
    memberships.ROUTES,
    memberships.USER_ROUTES,
    org_invitations.ROUTES,
    org_invitations.USER_ROUTES,
    invitations.ROUTES,
    roles.ROLE_ROUTES,
    roles.PERMISSION_ROUTES,
    role_sets.ROUTES,
    domains.ROUTES,
]


def organization(st: State, id_or_slug: str) -> Organization | None:
    """The organization with this id or slug."""
    return st.orgs.find_org(id_or_slug)


def membership(st: State, org_id: str, user_id: str) -> Membership | None:
    """The user's membership in the organization (by id), if any."""
    return st.orgs.membership(org_id, user_id)


def role_permissions(st: State, role_key: str) -> list[str]:
    """Every permission key the role grants, system ones (``org:sys_*``) included."""
    return st.orgs.role_permissions(role_key)


def token_membership(st: State, user_id: str, org_id: str) -> claims.OrgMembership | None:
    """What a session token says about the user's membership in its active organization (the claims seam)."""
    org = st.orgs.find_org(org_id)
    mem = st.orgs.membership(org.id, user_id) if org else None
    if org is None or mem is None:
        return None
    role = st.orgs.roles[mem.role_id]
    return claims.OrgMembership(
        org_id=org.id, slug=org.slug, role=role.key, permissions=tuple(st.orgs.permission_keys_of(role)),
        name=org.name, image_url=org_image_url(st, org), has_image=org.image_url is not None,
        public_metadata=org.public_metadata, membership_public_metadata=mem.public_metadata,
    )


def user_organization_roles(st: State, user_id: str) -> dict[str, str]:
    """org id -> role key of every membership of the user (the ``{{user.organizations}}`` shortcode)."""
    return {m.org_id: st.orgs.role_key(m.role_id) for m in st.orgs.user_memberships(user_id)}


claims.wire_orgs(token_membership, user_organization_roles)
