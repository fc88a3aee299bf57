"""Organization-side records and their tables: organizations, memberships, organization and instance
invitations, roles, permissions, role sets and organization domains.  No JSON, no HTTP.

`OrganizationTables` is what `State` holds as ``st.orgs``.  Besides the tables it keeps the indexes every
look-up goes through (slug, (org, user) -> membership, role/permission/role-set keys) and a small read API
for other API groups (sessions put the active organization into tokens):

    st.orgs.find_org("acme")                      # by id or slug -> Organization | None
    st.orgs.membership(org_id, user_id)           # -> Membership | None
    st.orgs.role_key(membership.role_id)          # -> "org:admin"
    st.orgs.role_permissions("org:admin")         # -> ["org:sys_profile:manage", ...]

Roles and permissions reference each other by id, so renaming a key never strands a membership.  The
default roles, system permissions and the initial role set exist in every new State with fixed ids (they
are instance configuration in Clerk, not data created by requests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine.ids import base62

# When the seeded instance configuration "was created": 2024-01-01T00:00:00Z (inferred; any fixed past instant).
SYSTEM_CREATED_AT = 1_704_067_200_000

# Clerk's system permissions (reference: "Roles and permissions" docs): key -> (name, description)
SYSTEM_PERMISSIONS: dict[str, tuple[str, str]] = {
    "org:sys_profile:manage": ("Manage organization", "Permission to manage an organization."),
    "org:sys_profile:delete": ("Delete organization", "Permission to delete an organization."),
    "org:sys_memberships:read": ("Read members", "Permission to read the members of an organization."),
    "org:sys_memberships:manage": ("Manage members", "Permission to manage the members of an organization."),
    "org:sys_domains:read": ("Read domains", "Permission to read the domains of an organization."),
    "org:sys_domains:manage": ("Manage domains", "Permission to manage the domains of an organization."),
}
# The default roles: key -> (name, description, permission keys)
DEFAULT_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "org:admin": ("Admin", "Role with elevated permissions.", tuple(SYSTEM_PERMISSIONS)),
    "org:member": ("Member", "Role with non-elevated permissions.", ("org:sys_memberships:read",)),
}
# A creator role must hold these (docs: "Reassign the Creator role").
CREATOR_PERMISSIONS = ("org:sys_memberships:manage", "org:sys_memberships:read", "org:sys_profile:delete")
# Holding this makes a member an "admin" for Clerk's invariants (inviting, the last-admin rule).
MANAGE_MEMBERS = "org:sys_memberships:manage"
INITIAL_ROLE_SET_KEY = "role_set:default"  # the spec's example key for the initial role set


def fixed_id(prefix: str, name: str) -> str:
    """A stable id for seeded configuration, independent of the request id sequence."""
    digest = hashlib.sha256(f"clerkmock-system\x00{prefix}\x00{name}".encode()).digest()
    return f"{prefix}_{base62(int.from_bytes(digest[:20], 'big') >> 1)}"  # 159 bits fit 27 base62 chars


@dataclass(slots=True)
class Organization:
    id: str
    name: str
    slug: str
    created_at: int
    updated_at: int
    role_set_id: str
    created_by: str | None = None
    max_allowed_memberships: int = 0  # 0 = unlimited
    admin_delete_enabled: bool = True
    image_url: str | None = None  # an uploaded logo; None -> Clerk's default image
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Membership:
    id: str
    org_id: str
    user_id: str
    role_id: str
    created_at: int
    updated_at: int
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OrgInvitation:
    id: str
    org_id: str
    email_address: str
    role_id: str
    role_key: str  # the role at creation time, shown if the role is deleted later
    role_name: str
    created_at: int
    updated_at: int
    expires_at: int
    url: str
    status: str = "pending"  # pending | accepted | revoked (expired is computed from expires_at)
    inviter_id: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Invitation:
    """An instance invitation (``POST /invitations``)."""

    id: str
    email_address: str
    created_at: int
    updated_at: int
    expires_at: int
    url: str
    status: str = "pending"  # pending | accepted | revoked (expired is computed from expires_at)
    public_metadata: dict[str, Any] = field(default_factory=dict)
    redirect_url: str | None = None
    notify: bool = True
    template_slug: str = "invitation"


@dataclass(slots=True)
class Permission:
    id: str
    key: str
    name: str
    description: str
    type: str  # system | user
    created_at: int
    updated_at: int


@dataclass(slots=True)
class Role:
    id: str
    key: str
    name: str
    description: str | None
    created_at: int
    updated_at: int
    permission_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RoleSet:
    id: str
    key: str
    name: str
    description: str | None
    type: str  # initial | custom
    created_at: int
    updated_at: int
    role_ids: list[str] = field(default_factory=list)
    default_role_id: str | None = None
    creator_role_id: str | None = None


@dataclass(slots=True)
class OrgDomain:
    id: str
    org_id: str
    name: str
    enrollment_mode: str  # manual_invitation | automatic_invitation | automatic_suggestion | enterprise_sso
    verified: bool
    created_at: int
    updated_at: int
    ownership_verified_at: int | None = None


class OrganizationTables:
    def __init__(self) -> None:
        self.orgs: dict[str, Organization] = {}
        self.slug_index: dict[str, str] = {}  # slug -> org id
        self.memberships: dict[str, Membership] = {}
        self.membership_index: dict[tuple[str, str], str] = {}  # (org id, user id) -> orgmem id
        # organization id -> user ids of its members; GET /users?organization_id= reads it
        self.members_by_org: dict[str, set[str]] = {}
        self.orgs_by_user: dict[str, set[str]] = {}  # user id -> org ids
        self.org_invitations: dict[str, OrgInvitation] = {}
        self.invitations: dict[str, Invitation] = {}
        self.permissions: dict[str, Permission] = {}
        self.permission_keys: dict[str, str] = {}  # key -> perm id
        self.roles: dict[str, Role] = {}
        self.role_keys: dict[str, str] = {}  # key -> role id
        self.role_sets: dict[str, RoleSet] = {}
        self.role_set_keys: dict[str, str] = {}  # key -> role set id
        self.domains: dict[str, OrgDomain] = {}
        # Instance organization settings that the emulator honours.
        self.default_max_allowed_memberships = 0  # 0 = unlimited (inferred; Clerk's free plan uses 5)
        self.max_allowed_domains = 10
        self._seed()

    def _seed(self) -> None:
        t = SYSTEM_CREATED_AT
        for key, (name, description) in SYSTEM_PERMISSIONS.items():
            perm = Permission(fixed_id("perm", key), key, name, description, "system", t, t)
            self.permissions[perm.id] = perm
            self.permission_keys[key] = perm.id
        for key, (name, description, perms) in DEFAULT_ROLES.items():
            role = Role(fixed_id("role", key), key, name, description, t, t,
                        [self.permission_keys[p] for p in perms])
            self.roles[role.id] = role
            self.role_keys[key] = role.id
        admin, member = self.role_keys["org:admin"], self.role_keys["org:member"]
        initial = RoleSet(fixed_id("rs", INITIAL_ROLE_SET_KEY), INITIAL_ROLE_SET_KEY, "Default role set",
                          "The role set new organizations get.", "initial", t, t, [admin, member], member, admin)
        self.role_sets[initial.id] = initial
        self.role_set_keys[initial.key] = initial.id

    # -- read API (also for other API groups) ---------------------------------------------------------------

    def find_org(self, id_or_slug: str) -> Organization | None:
        org = self.orgs.get(id_or_slug)
        if org is None and id_or_slug in self.slug_index:
            org = self.orgs[self.slug_index[id_or_slug]]
        return org

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        mem_id = self.membership_index.get((org_id, user_id))
        return self.memberships[mem_id] if mem_id else None

    def user_memberships(self, user_id: str) -> list[Membership]:
        out = [self.membership(o, user_id) for o in self.orgs_by_user.get(user_id, ())]
        return [m for m in out if m is not None]

    def role_key(self, role_id: str) -> str:
        return self.roles[role_id].key

    def role_by_key(self, key: str) -> Role | None:
        role_id = self.role_keys.get(key)
        return self.roles[role_id] if role_id else None

    def permission_keys_of(self, role: Role) -> list[str]:
        return [self.permissions[p].key for p in role.permission_ids]

    def role_permissions(self, role_key: str) -> list[str]:
        """Every permission key the role grants (system ones included), in assignment order."""
        role = self.role_by_key(role_key)
        return self.permission_keys_of(role) if role else []

    def initial_role_set(self) -> RoleSet:
        return next(rs for rs in self.role_sets.values() if rs.type == "initial")
