"""Directories (user provisioning from an identity provider): the directory itself, its group-to-role
mappings, and what the identity provider provisioned through the SCIM 2.0 endpoint (users and groups).
``/directories`` and ``/scim_directories`` are two names for one store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Directory:
    id: str
    name: str
    provider: str
    enterprise_connection_id: str
    api_key: str
    created_at: int
    updated_at: int
    enabled: bool = True
    group_role_mapping_enabled: bool = False
    attribute_mapping: dict[str, str] = field(default_factory=dict)
    previous_api_key: str | None = None  # valid until previous_api_key_expires_at (rotation grace period)
    previous_api_key_expires_at: int = 0


@dataclass(slots=True)
class GroupRoleMapping:
    id: str
    directory_id: str
    group_id: str  # the identity provider's group id (SCIM Group ``id`` here, or its ``externalId``)
    display_name: str
    role_id: str
    precedence: int  # 1 = highest priority
    created_at: int
    updated_at: int


@dataclass(slots=True)
class ScimUser:
    """A SCIM User resource: the identity provider's view of a Clerk user (``user_id``)."""

    id: str  # the SCIM resource id (the Clerk user id: one user per directory)
    directory_id: str
    user_name: str
    created_at: int
    updated_at: int
    external_id: str | None = None
    active: bool | None = None  # as the identity provider sent it; False bans the Clerk user
    attributes: dict[str, Any] = field(default_factory=dict)  # name, displayName, emails ... as last sent
    version: int = 1


@dataclass(slots=True)
class ScimGroup:
    id: str
    directory_id: str
    display_name: str
    created_at: int
    updated_at: int
    external_id: str | None = None
    member_ids: list[str] = field(default_factory=list)  # ScimUser ids, in the order added
    attributes: dict[str, Any] = field(default_factory=dict)  # other attributes, as last sent
    version: int = 1


class DirectoryTables:
    def __init__(self) -> None:
        self.directories: dict[str, Directory] = {}
        self.by_connection: dict[str, str] = {}  # enterprise connection id -> directory id (one each)
        self.mappings: dict[str, GroupRoleMapping] = {}
        self.users: dict[tuple[str, str], ScimUser] = {}  # (directory id, SCIM id) -> user
        self.groups: dict[tuple[str, str], ScimGroup] = {}  # (directory id, SCIM id) -> group
        self.user_directory: dict[str, str] = {}  # Clerk user id -> the directory that provisioned it
        # (directory id, organization id, user id) of memberships a mapped group gave: only those are changed or
        # removed when groups change (a membership made through the Backend API is left alone)
        self.managed_memberships: set[tuple[str, str, str]] = set()
