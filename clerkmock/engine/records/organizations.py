"""Organization-side records and their tables (filled in by the organizations API group)."""

from __future__ import annotations


class OrganizationTables:
    def __init__(self) -> None:
        # organization id -> user ids of its members; GET /users?organization_id= reads it
        self.members_by_org: dict[str, set[str]] = {}
