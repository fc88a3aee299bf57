"""Validate a Frontend API response body against the vendored FAPI spec (clerkmock/spec/fapi/2026-05-12.yml),
the way tests/sdk/spec_check.py does it for the Backend API (same OAS 3.0 validator, same nullable rewrite).

    spec_check.validate("POST", "/v1/client/sign_ins", 200, body)

Paths are the spec's (with ``/v1``; the ``/__clerk`` prefix may be left on).  An error status the operation does
not declare is validated against ``ClerkErrors``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import clerkmock
from sdk.spec_check import _describe, _escape, _rewrite_nullable

SPEC_PATH = Path(clerkmock.__file__).resolve().parent / "spec" / "fapi" / "2026-05-12.yml"
SPEC_URI = "urn:clerkmock:fapi-spec:2026-05-12"
PREFIX = "/__clerk"
CLERK_ERRORS_POINTER = "/components/schemas/ClerkErrors"
CHECKED: set[str] = set()  # operationIds whose responses were validated (coverage of the tests)


# Fields Clerk's Frontend API sends that the vendored spec's closed schemas (additionalProperties: false) leave
# out, each with where it was seen; added to those schemas before validating, nothing else is relaxed.
SPEC_GAPS: dict[str, dict[str, Any]] = {
    # clerk-js 6.40 reads it (OrganizationSettings.forceOrganizationSelection, dist/clerk.mjs) and the measured
    # environment carries it (shared/reference/clerk-fapi.md §5)
    "Client.OrganizationSettings": {"force_organization_selection": {"type": "boolean"}},
}


@cache
def spec() -> dict[str, Any]:
    with open(SPEC_PATH, "rb") as fh:
        doc = _rewrite_nullable(yaml.load(fh, Loader=yaml.CSafeLoader))  # noqa: S506
    for name, fields in SPEC_GAPS.items():
        props = doc["components"]["schemas"][name]["properties"]
        assert not set(fields) & set(props), f"the spec now has {name}.{set(fields) & set(props)}: drop the gap"
        props.update(fields)
    return doc


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT4))


@cache
def _validator(pointer: str) -> Any:
    return OAS30ReadValidator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry())


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    path = path.split("?", 1)[0].removeprefix(PREFIX)
    segs = path.strip("/").split("/")
    best: tuple[tuple[int, ...], str] | None = None
    for template, item in spec()["paths"].items():
        if method.lower() not in item:
            continue
        tsegs = template.strip("/").split("/")
        if len(tsegs) != len(segs):
            continue
        score = []
        for t, s in zip(tsegs, segs, strict=True):
            if t.startswith("{"):
                score.append(0)
            elif t == s:
                score.append(1)
            else:
                break
        else:
            if best is None or tuple(score) > best[0]:
                best = (tuple(score), template)
    if best is None:
        raise AssertionError(f"the FAPI spec has no operation for {method} {path}")
    return best[1], spec()["paths"][best[1]][method.lower()]


def _resolve(node: Any) -> tuple[str | None, Any]:
    pointer = None
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = spec()
        for token in pointer.strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return pointer, node


def validate(method: str, path: str, status: int, body: Any) -> str:
    """Check one response; returns the operationId."""
    template, op = find_operation(method, path)
    responses = op["responses"]
    where = f"{method} {template} ({op['operationId']}) -> {status}"
    key = str(status) if str(status) in responses else None
    if key is None:
        if status >= 400:
            pointer = CLERK_ERRORS_POINTER
        else:
            raise AssertionError(f"{where}: status not declared (the spec lists {sorted(responses)})")
    else:
        ref_pointer, response = _resolve(responses[key])
        base = ref_pointer or f"/paths/{_escape(template)}/{method.lower()}/responses/{key}"
        content = response.get("content")
        if not content:
            if status >= 400:
                pointer = CLERK_ERRORS_POINTER
            else:
                CHECKED.add(op["operationId"])
                return op["operationId"]  # no schema declared (createDevBrowser)
        else:
            media = "application/json" if "application/json" in content else next(iter(content))
            pointer = f"{base}/content/{_escape(media)}/schema"
    errors = sorted(_validator(pointer).iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [_describe(e) for e in errors[:10]]
        raise AssertionError(f"response does not match the FAPI spec for {where}:\n  " + "\n  ".join(lines)
                             + f"\nbody: {json.dumps(body)[:1500]}")
    CHECKED.add(op["operationId"])
    return op["operationId"]
