"""The scenario format's keys in one place, and a JSON Schema for editors (``clerkmock scenario schema``).

Seed entries are request bodies, so their properties come from the vendored Clerk OpenAPI spec: an editor
completes a user entry with exactly what ``POST /v1/users`` accepts.  The loader checks structure itself
(no jsonschema dependency at run time); the engine validates the bodies.
"""

from __future__ import annotations

import copy
from typing import Any

from clerkmock.faults.rules import DELAY_KEYS, RATE_LIMIT_KEYS, RESPOND_KEYS, WINDOW_KEYS

TOP_LEVEL_KEYS = ("instance", "users", "permissions", "roles", "organizations", "invitations", "jwt_templates",
                  "sessions", "billing", "faults", "rate_limit", "webhooks", "webhooks_on_seed", "frontend")
BILLING_KEYS = ("plans", "discounts", "subscriptions", "cards")  # engine/resources/billing/setup.py
INSTANCE_KEYS = ("environment", "seed", "clock", "secret_keys", "api_version")
CLOCK_KEYS = ("start", "frozen", "offset_s")
ENVIRONMENTS = ("development", "production")

# section -> (method, spec path) of the create request its entries are bodies of
CREATE_REQUESTS: dict[str, tuple[str, str]] = {
    "users": ("POST", "/users"),
    "permissions": ("POST", "/organization_permissions"),
    "roles": ("POST", "/organization_roles"),
    "organizations": ("POST", "/organizations"),
    "invitations": ("POST", "/invitations"),
    "jwt_templates": ("POST", "/jwt_templates"),
    "sessions": ("POST", "/sessions"),
    "organizations.members": ("POST", "/organizations/{organization_id}/memberships"),
    "organizations.invitations": ("POST", "/organizations/{organization_id}/invitations"),
}
# keys a section takes besides its create body (pinned ids, references by name, nested lists)
EXTRA_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("id", "restore", "external_accounts"),
    "permissions": ("id", "restore"),
    "roles": ("id", "restore"),
    "organizations": ("id", "members", "invitations", "restore"),
    "invitations": ("id", "restore"),
    "jwt_templates": ("id", "restore"),
    "sessions": ("id", "user", "active_organization"),
    "organizations.members": ("id", "user", "restore"),
    "organizations.invitations": ("id", "inviter", "restore"),
}
# ``restore``: record fields a create body cannot set, written by `clerkmock scenario export` so a served
# export answers exactly as the exported server did.  The seeder writes them onto the record it just created.
_TIMES = ("created_at", "updated_at")
RESTORE_FIELDS: dict[str, tuple[str, ...]] = {
    "users": ("updated_at", "last_sign_in_at", "last_active_at", "banned", "locked", "lockout_expires_at",
              "image_url", "password_last_updated_at", "password_compromised", "mfa_enabled_at",
              "mfa_disabled_at", "primary_email_address_id", "primary_phone_number_id", "primary_web3_wallet_id"),
    "users.secrets": ("password_hash", "totp_secret", "backup_code_hashes"),
    "identifications": ("created_at", "updated_at", "reserved", "reserved_for_second_factor",
                        "default_second_factor", "linked_to"),
    "permissions": _TIMES,
    "roles": _TIMES,
    "organizations": ("updated_at", "image_url", "admin_delete_enabled"),
    "organizations.members": _TIMES,
    "organizations.invitations": (*_TIMES, "expires_at", "url", "role_name"),
    "invitations": (*_TIMES, "expires_at", "url"),
    "jwt_templates": _TIMES,
}
ID_PREFIXES = {
    "users": "user", "permissions": "perm", "roles": "role", "organizations": "org", "invitations": "inv",
    "jwt_templates": "jtmp", "sessions": "sess", "organizations.invitations": "orginv",
    "organizations.members": "orgmem",
}
REFERENCE_HELP = {
    "user": "a user id, email address, username or external_id",
    "organization": "an organization id or slug",
}


def _body_schema(section: str) -> dict[str, Any]:
    from clerkmock.engine import spec

    method, path = CREATE_REQUESTS[section]
    op = spec.operations(spec.LATEST_VERSION).get((method, path))
    schema: dict[str, Any] = copy.deepcopy(op.body["schema"]) if op and op.body else {
        "type": "object", "properties": {}}
    props: dict[str, Any] = schema.setdefault("properties", {})
    schema.pop("required", None)  # references (user:, inviter:) can stand in for required ids
    schema["additionalProperties"] = False
    for key in EXTRA_KEYS.get(section, ()):
        props.setdefault(key, {})
    if "restore" in props:
        props["restore"] = {"type": "object", "description": "Written by `clerkmock scenario export`: record "
                            "fields a create body cannot set (timestamps, email address ids, bans)."}
    if "id" in props and section in ID_PREFIXES:
        props["id"] = {"type": "string", "pattern": f"^{ID_PREFIXES[section]}_[0-9A-Za-z]{{27}}$",
                       "description": "Pin the id (deterministic across runs); an entry whose id exists is skipped."}
    for ref in ("created_by", "user_id", "user", "inviter", "inviter_user_id"):
        if ref in props:
            props[ref] = {"type": "string", "description": f"{REFERENCE_HELP['user']}"}
    for ref in ("active_organization_id", "active_organization"):
        if ref in props:
            props[ref] = {"type": "string", "description": REFERENCE_HELP["organization"]}
    for key in ("email_address", "phone_number", "web3_wallet"):
        if section == "users" and key in props:
            props[key] = {"anyOf": [{"type": "string"}, props[key]]}
    if section == "roles" and "permissions" in props:
        props["permissions"] = {"type": "array", "items": {"type": "string"},
                                "description": "permission keys (org:invoices:read) or ids"}
    return schema


def _entries(section: str) -> dict[str, Any]:
    return {"type": "array", "items": _body_schema(section)}


def _fault_rule() -> dict[str, Any]:
    str_map = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
    flag = {"anyOf": [{"const": True}, {"type": "object", "properties": {"processed": {"type": "boolean"}},
                                         "additionalProperties": False}]}
    number = {"type": "number", "minimum": 0}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "description": {"type": "string"},
            "match": {
                "anyOf": [
                    {"type": "string", "description": '"POST /v1/users", "/v1/users/*" or a route name'},
                    {"type": "object", "additionalProperties": False, "properties": {
                        "method": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                        "path": {"type": "string", "description": "exact, glob (* one segment, ** any) or route"},
                        "query": str_map, "headers": str_map, "body": {"description": "JSON subset"},
                    }},
                ]
            },
            "respond": {"anyOf": [{"type": "integer"}, {"type": "object", "additionalProperties": False,
                                                           "properties": {k: {} for k in RESPOND_KEYS}}]},
            "delay": {"anyOf": [number, {"type": "object", "additionalProperties": False,
                                         "properties": {k: number for k in DELAY_KEYS}}]},
            "reset": flag, "drop": flag, "hang": flag,
            "truncate": {"const": True},
            "malformed": {"anyOf": [{"const": True}, {"type": "object", "properties": {"body": {"type": "string"}},
                                                       "additionalProperties": False}]},
            "rate_limit": _rate_limit(),
            "times": {"type": "integer", "minimum": 1},
            "after": {"type": "integer", "minimum": 0},
            "every": {"type": "integer", "minimum": 1},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "window": {"type": "object", "additionalProperties": False,
                       "properties": {k: {"type": ["number", "string"]} for k in WINDOW_KEYS}},
        },
        "oneOf": [{"required": [k]} for k in
                  ("respond", "delay", "reset", "drop", "hang", "truncate", "malformed", "rate_limit")],
    }


def _rate_limit() -> dict[str, Any]:
    return {"anyOf": [
        {"type": "boolean"},
        {"enum": ["development", "production", "off"]},
        {"type": "object", "additionalProperties": False, "properties": {
            k: v for k, v in {
                "requests": {"type": "integer", "minimum": 1},
                "window_s": {"type": "number", "exclusiveMinimum": 0},
                "exempt": {"type": "array", "items": {"type": "string"}},
            }.items() if k in RATE_LIMIT_KEYS}},
    ]}


def json_schema() -> dict[str, Any]:
    from clerkmock.engine import spec

    users = _body_schema("users")
    users["properties"]["external_accounts"] = {
        "type": "array", "description": "The user's accounts at OAuth providers (the fake provider's consent page "
        "lists them): docs/scenarios.md",
        "items": {"type": "object", "additionalProperties": False, "required": ["provider"], "properties": {
            "provider": {"type": "string", "description": "google, github, microsoft … (oauth_ prefix optional)"},
            "email": {"type": "string", "description": "default: the user's primary email address"},
            "provider_user_id": {"type": "string"}, "first_name": {"type": "string"},
            "last_name": {"type": "string"}, "username": {"type": "string"},
            "id": {"type": "string", "pattern": "^eac_[0-9A-Za-z]{27}$"}}}}
    orgs = _body_schema("organizations")
    orgs["properties"]["members"] = {"type": "array", "items": _body_schema("organizations.members")}
    orgs["properties"]["invitations"] = {"type": "array", "items": _body_schema("organizations.invitations")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "clerkmock scenario",
        "description": "What the emulated Clerk instance holds at start (and after every reset), and what goes "
                       "wrong.  See docs/scenarios.md.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "instance": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "environment": {"enum": list(ENVIRONMENTS)},
                    "seed": {"type": "string", "description": "ids and fault probabilities derive from it"},
                    "clock": {"type": "object", "additionalProperties": False, "properties": {
                        "start": {"type": ["string", "integer"], "description": "RFC 3339 or Unix ms"},
                        "frozen": {"type": "boolean"},
                        "offset_s": {"type": "number", "description": "seconds from the wall clock"},
                    }},
                    "secret_keys": {"type": "array", "items": {"type": "string"}},
                    "api_version": {"enum": list(spec.KNOWN_VERSIONS)},
                },
            },
            "users": {"type": "array", "items": users},
            "permissions": _entries("permissions"),
            "roles": _entries("roles"),
            "organizations": {"type": "array", "items": orgs},
            "invitations": _entries("invitations"),
            "jwt_templates": _entries("jwt_templates"),
            "sessions": _entries("sessions"),
            "billing": _billing(),
            "faults": {"type": "array", "items": _fault_rule()},
            "rate_limit": _rate_limit(),
            "webhooks": _webhooks(),
            "webhooks_on_seed": {"type": "boolean", "description": "seeding emits webhook events too"},
            "frontend": _frontend(),
        },
    }


def _frontend() -> dict[str, Any]:
    from clerkmock.engine.fapi.environment import json_schema

    return json_schema()


def _billing() -> dict[str, Any]:
    """Plans, discounts, subscriptions and declining cards (docs/billing.md); entries are checked when seeded."""
    def entries(description: str) -> dict[str, Any]:
        return {"type": "array", "description": description, "items": {"type": "object"}}

    owner = "user (id, email, username) or organization (id or slug): user / organization keys"
    return {"type": "object", "additionalProperties": False, "properties": {
        "plans": entries("{slug, name, payer_type, amount, annual_monthly_amount, free_trial_days, features, "
                         "is_default, description, publicly_visible, id}"),
        "discounts": entries("{name, percent_off | amount_off, cycles, id}"),
        "subscriptions": entries(f"{{{owner}, plan (slug or id), plan_period, free_trial, price_id}}"),
        "cards": entries(f"{{{owner}, declines}}"),
    }}


def _webhooks() -> dict[str, Any]:
    from clerkmock.webhooks.config import json_schema as webhooks_schema

    return webhooks_schema()
