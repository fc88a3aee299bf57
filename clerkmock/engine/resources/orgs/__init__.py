"""The B2B groups: Organizations, Memberships, Invitations, Roles, Permissions, Role Sets, Domains."""

ROUTE_SETS: list = []
