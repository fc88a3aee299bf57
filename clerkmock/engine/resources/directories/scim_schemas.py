"""The SCIM 2.0 discovery documents a directory's endpoint serves (RFC 7643 §5-§7, RFC 7644 §4):
ServiceProviderConfig, the User and Group resource types, and their schemas (the attributes clerkmock keeps)."""

from __future__ import annotations

from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 100  # the largest page (``count``) a list returns


def _attr(name: str, type_: str = "string", *, multi: bool = False, required: bool = False,
          mutability: str = "readWrite", returned: str = "default", uniqueness: str = "none",
          sub: list[dict[str, Any]] | None = None, description: str = "", canonical: list[str] | None = None,
          reference_types: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name, "type": type_, "multiValued": multi, "description": description or name,
        "required": required, "mutability": mutability, "returned": returned,
    }
    if type_ not in ("complex", "boolean"):
        out["caseExact"] = False
        out["uniqueness"] = uniqueness
    if sub is not None:
        out["subAttributes"] = sub
    if canonical:
        out["canonicalValues"] = canonical
    if reference_types:
        out["referenceTypes"] = reference_types
    return out


USER_ATTRIBUTES = [
    _attr("userName", required=True, uniqueness="server", description="Unique identifier for the User."),
    _attr("name", "complex", sub=[
        _attr("formatted"), _attr("familyName"), _attr("givenName"), _attr("middleName"),
    ], description="The components of the user's name (givenName and familyName become first and last name)."),
    _attr("displayName"),
    _attr("active", "boolean", description="false bans the Clerk user, true lifts the ban."),
    _attr("emails", "complex", multi=True, sub=[
        _attr("value", description="An email address (the primary one becomes the user's primary email)."),
        _attr("type", canonical=["work", "home", "other"]),
        _attr("primary", "boolean"),
    ]),
]

GROUP_ATTRIBUTES = [
    _attr("displayName", required=True, description="A human-readable name for the Group."),
    _attr("members", "complex", multi=True, sub=[
        _attr("value", mutability="immutable", description="The id of a User of this directory."),
        _attr("$ref", "reference", mutability="immutable", reference_types=["User"]),
        _attr("display", mutability="readOnly"),
        _attr("type", mutability="immutable", canonical=["User"]),
    ], description="The Users in the Group (Groups in Groups are not supported)."),
]


def schema_docs(base: str) -> list[dict[str, Any]]:
    return [
        {"schemas": [SCHEMA_SCHEMA], "id": USER_SCHEMA, "name": "User", "description": "User Account",
         "attributes": USER_ATTRIBUTES,
         "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{USER_SCHEMA}"}},
        {"schemas": [SCHEMA_SCHEMA], "id": GROUP_SCHEMA, "name": "Group", "description": "Group",
         "attributes": GROUP_ATTRIBUTES,
         "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{GROUP_SCHEMA}"}},
    ]


def resource_type_docs(base: str) -> list[dict[str, Any]]:
    return [
        {"schemas": [RESOURCE_TYPE_SCHEMA], "id": "User", "name": "User", "endpoint": "/Users",
         "description": "User Account", "schema": USER_SCHEMA, "schemaExtensions": [],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"}},
        {"schemas": [RESOURCE_TYPE_SCHEMA], "id": "Group", "name": "Group", "endpoint": "/Groups",
         "description": "Group", "schema": GROUP_SCHEMA, "schemaExtensions": [],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"}},
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://clerk.com/docs",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token", "primary": True,
            "description": "The directory's api_key as an Authorization: Bearer token.",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }
