"""The B2B groups: Organizations, Memberships, Invitations, Roles, Permissions, Role Sets, Domains.

One module per API group (``organizations``, ``memberships``, ``org_invitations``, ``invitations``,
``roles`` with permissions, ``role_sets``, ``domains``); what they share is in ``common``, the records in
``engine/records/organizations.py``.  Other groups read organization state through the tables
on the state (``st.orgs``: memberships, roles, permissions), as session-token claims do (``auth/claims.py``).
"""

from __future__ import annotations

from clerkmock.engine.resources.orgs import (
    domains,
    invitations,
    memberships,
    org_invitations,
    organizations,
    role_sets,
    roles,
)

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
