"""Validate webhook payloads against the vendored webhook spec (clerkmock/spec/webhooks/2025-04-15.yml).

    from tests.webhooks import webhook_spec
    webhook_spec.validate(payload)          # the whole {data, object, type, ...}; raises AssertionError

Each event type's schema is ``x-webhooks[type].post.requestBody...schema``: ``allOf`` the envelope
(``WebhookEventPayload``) and the data schema.  The spec composes with ``allOf`` objects that each say
``additionalProperties: false`` (Session + ``user``, OrganizationInvitation + ``user_id``), which a literal
JSON Schema reading refuses for every payload; as Clerk's own examples show, the intent is one object with
the union of the properties.  So every ``allOf`` is merged into one schema (properties and required
united; closed if any part was closed), references inlined, and OAS 3.0 ``nullable`` next to a composition
made explicit, ``discriminator``s dropped (their ``oneOf`` still decides) -- then validated with
``openapi_schema_validator.OAS30Validator``.

`DEVIATIONS` lists where clerkmock knowingly differs from the schema, each with why.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator

import clerkmock

SPEC_PATH = Path(clerkmock.__file__).resolve().parent / "spec" / "webhooks" / "2025-04-15.yml"

# (event type, schema pointer inside the merged data schema, what is relaxed) -> why
DEVIATIONS: dict[tuple[str, str], str] = {
    ("organizationInvitation.accepted", "required: data"): (
        "OrganizationInvitationAcceptedPayload requires a nested `data` object (public_organization_data) "
        "that the spec's own example, @clerk/backend's OrganizationInvitationAcceptedJSON and the created/"
        "revoked payloads do not have; clerkmock follows the example."),
    ("session.pending", "enum: status += pending"): (
        "the event's data schema (SessionEventPayload) leaves `pending` out of the status enum, but a pending "
        "session is what the event announces: the spec's own SessionPendingEventPayloadExample has "
        "`status: pending`, as have the Backend API spec's Session and the Frontend API spec's session."),
}


@cache
def spec() -> dict[str, Any]:
    with open(SPEC_PATH, "rb") as fh:
        return yaml.load(fh, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe loader


def event_types() -> tuple[str, ...]:
    return tuple(spec()["x-webhooks"])


def _resolve(ref: str) -> Any:
    node: Any = spec()
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def flatten(schema: Any, depth: int = 0) -> Any:
    """Inline ``$ref``s, merge ``allOf``s, make ``nullable`` compositions explicit."""
    if depth > 40:
        raise AssertionError("schema nesting too deep (a $ref cycle?)")
    if isinstance(schema, list):
        return [flatten(s, depth + 1) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target = flatten(_resolve(schema["$ref"]), depth + 1)
        return _merge([target, flatten(rest, depth + 1)]) if rest else target
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("allOf", "discriminator"):  # a discriminator's mapping holds $refs; oneOf alone decides
            continue
        if key == "properties":
            out[key] = {name: flatten(sub, depth + 1) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf"):
            out[key] = flatten(value, depth + 1)
        else:
            out[key] = value
    if "allOf" in schema:
        out = _merge([*(flatten(p, depth + 1) for p in schema["allOf"]), out])
    if out.get("nullable") is True and any(k in out for k in ("anyOf", "oneOf")):
        rest = {k: v for k, v in out.items() if k != "nullable"}
        return {"anyOf": [{"enum": [None]}, rest]}
    return out


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    props: dict[str, Any] = {}
    required: list[str] = []
    closed = False
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                for name, sub in value.items():
                    props[name] = _merge([props[name], sub]) if name in props else sub
            elif key == "required":
                required += [r for r in value if r not in required]
            elif key == "additionalProperties":
                closed = closed or value is False
            else:
                out.setdefault(key, value)
    if props:
        out["properties"] = props
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


@cache
def event_schema(event_type: str) -> dict[str, Any]:
    hook = spec()["x-webhooks"].get(event_type)
    if hook is None:
        raise AssertionError(f"the webhook spec has no event type {event_type!r}")
    schema = flatten(hook["post"]["requestBody"]["content"]["application/json"]["schema"])
    schema = copy.deepcopy(schema)
    data = schema["properties"]["data"]
    for (etype, what), _why in DEVIATIONS.items():
        if etype == event_type and what.startswith("required: "):
            field = what.removeprefix("required: ")
            data["required"] = [r for r in data.get("required", []) if r != field]
        elif etype == event_type and what.startswith("enum: "):
            field, _, value = what.removeprefix("enum: ").partition(" += ")
            prop = data["properties"][field]
            assert value not in prop["enum"], f"the spec now allows {field}={value}: drop the deviation"
            prop["enum"] = [*prop["enum"], value]
    return schema


@cache
def _validator(event_type: str) -> OAS30Validator:
    return OAS30Validator(event_schema(event_type))


def validate(payload: dict[str, Any]) -> None:
    """Raise AssertionError (with the JSON path) unless ``payload`` is a valid event of its ``type``."""
    assert payload.get("object") == "event", payload
    event_type = payload.get("type")
    assert isinstance(event_type, str), payload
    error = best_match(_validator(event_type).iter_errors(payload))
    if error is not None:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise AssertionError(f"{event_type} payload invalid at {path}: {error.message}")
