"""Validate a Backend API response body against the vendored 2026-05-12 spec.

    from sdk import spec_check  # (tests/ is on sys.path under pytest)
    spec_check.validate("GET", "/v1/users/user_123", 200, body)   # raises AssertionError on a mismatch

* The operation is found from the concrete URL path (``/v1`` prefix optional) by template matching; a static
  segment beats a parameter (``/users/count`` is GetUsersCount, not GetUser), compared segment by segment.
* The schema is the operation's ``responses[status]`` (or ``4XX``/``5XX``/``default``), following ``$ref``s into
  ``components/responses`` and ``components/schemas``.  An error status the operation does not declare is
  still validated, against ``ClerkErrors``, and remembered in ``UNDECLARED`` (the Python SDK turns such
  statuses into a bare ``SDKError`` instead of ``ClerkErrors``); so is an error status declared without any
  body schema (VerifyPassword's 400/404/422).  An undeclared *success* status is an error.
* Schemas are OpenAPI 3.0: validated with ``openapi_schema_validator.OAS30ReadValidator`` (``nullable``,
  ``discriminator``, read context).  ``nullable: true`` next to ``allOf``/``oneOf``/``anyOf`` (which the
  OAS30 validator ignores outside ``type``) is rewritten to "null or the composition" once at load time.
* The YAML is parsed once per process with ``yaml.CSafeLoader``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import clerkmock

SPEC_VERSION = "2026-05-12"
SPEC_PATH = Path(clerkmock.__file__).resolve().parent / "spec" / f"{SPEC_VERSION}.yml"
SPEC_URI = f"urn:clerkmock:spec:{SPEC_VERSION}"
API_PREFIX = "/v1"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CLERK_ERRORS_POINTER = "/components/schemas/ClerkErrors"

# (method, template, status) -> why: every error response seen that the spec does not describe for its operation
# (status not listed, or listed without a body schema).  Both are validated against ClerkErrors.
UNDECLARED: dict[tuple[str, str, int], str] = {}
# Success statuses the spec gets wrong, validated against the declared one: the official Python SDK (Speakeasy
# overlay) accepts only 201 from createApiKey, while the spec lists 200; @clerk/backend accepts any 2xx.
SUCCESS_ALIASES: dict[tuple[str, str, int], str] = {("POST", "/api_keys", 201): "200"}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    template: str  # e.g. /users/{user_id}
    operation_id: str
    segments: tuple[str, ...]
    tags: tuple[str, ...] = ()

    @property
    def pointer(self) -> str:
        return f"/paths/{_escape(self.template)}/{self.method.lower()}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# -- loading --------------------------------------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    """The vendored spec, parsed once, with OAS 3.0 ``nullable`` compositions made explicit."""
    with open(SPEC_PATH, "rb") as fh:
        raw = yaml.load(fh, Loader=yaml.CSafeLoader)  # noqa: S506 - CSafeLoader is the safe loader
    return _rewrite_nullable(raw)


def _rewrite_nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _rewrite_nullable(v) for k, v in node.items()}
    if out.get("nullable") is True and any(k in out for k in ("allOf", "oneOf", "anyOf", "$ref")):
        rest = {k: v for k, v in out.items() if k != "nullable"}
        return {"anyOf": [{"enum": [None]}, rest]}
    return out


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT4))


@cache
def operations() -> tuple[Operation, ...]:
    ops = []
    for template, item in spec()["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is not None:
                segments = tuple(template.strip("/").split("/")) if template.strip("/") else ()
                ops.append(Operation(method.upper(), template, op.get("operationId", ""), segments,
                                     tuple(op.get("tags", ()))))
    return tuple(ops)


def _resolve(pointer_or_ref: str) -> tuple[str, Any]:
    """Follow a local JSON pointer (and any chain of ``$ref``s at its end); return (pointer, node)."""
    pointer = pointer_or_ref.removeprefix("#")
    for _ in range(20):
        node: Any = spec()
        for token in pointer.strip("/").split("/") if pointer.strip("/") else ():
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        if isinstance(node, dict) and set(node) == {"$ref"}:
            pointer = node["$ref"].removeprefix("#")
            continue
        return pointer, node
    raise AssertionError(f"$ref loop at {pointer_or_ref}")


# -- operation lookup -------------------------------------------------------------------------------------------


def find_operation(method: str, path: str) -> Operation:
    """The operation serving a concrete path (``/v1/users/count?x=1`` or ``/users/count``)."""
    path = path.split("?", 1)[0]
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    segs = tuple(path.strip("/").split("/")) if path.strip("/") else ()
    best: tuple[tuple[int, ...], Operation] | None = None
    for op in operations():
        if op.method != method.upper() or len(op.segments) != len(segs):
            continue
        score = []
        for t, s in zip(op.segments, segs, strict=True):
            if t.startswith("{") and t.endswith("}"):
                if not s:
                    break
                score.append(0)
            elif t == s:
                score.append(1)
            else:
                break
        else:
            key = tuple(score)  # lexicographic: the first differing segment decides, static wins
            if best is None or key > best[0]:
                best = (key, op)
    if best is None:
        raise AssertionError(f"spec {SPEC_VERSION} has no operation for {method.upper()} {path}")
    return best[1]


def response_pointer(op: Operation, status: int) -> str | None:
    """JSON pointer of the response schema for ``status``, or None for a body-less response.

    Raises AssertionError for a success status the operation does not declare."""
    responses = spec()["paths"][op.template][op.method.lower()]["responses"]
    key = next(
        (k for k in (str(status), f"{status // 100}XX", f"{status // 100}xx") if k in responses),
        SUCCESS_ALIASES.get((op.method, op.template, status)),
    )
    if key is None:
        if status >= 400:
            UNDECLARED[(op.method, op.template, status)] = "status not declared"
            return CLERK_ERRORS_POINTER
        if "default" in responses:
            key = "default"
        else:
            raise AssertionError(
                f"{op.method} {op.template} ({op.operation_id}): status {status} is not declared "
                f"(the spec lists {sorted(responses)})"
            )
    pointer, response = _resolve(f"{op.pointer}/responses/{_escape(key)}")
    content = response.get("content")
    if not content:
        if status >= 400:
            UNDECLARED[(op.method, op.template, status)] = "declared without a body schema"
            return CLERK_ERRORS_POINTER
        return None
    media = "application/json" if "application/json" in content else next(iter(content))
    return f"{pointer}/content/{_escape(media)}/schema"


@cache
def _validator(pointer: str) -> Any:
    return OAS30ReadValidator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry())


# -- validation -------------------------------------------------------------------------------------------------


def _json_path(error: ValidationError) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(error: ValidationError) -> str:
    deepest = best_match([error]) if error.context else error
    # best_match descends into anyOf/oneOf context: report the most specific failure and where it happened
    line = f"{_json_path(deepest)}: {deepest.message}"
    if deepest is not error:
        line += f"  (within {_json_path(error)}: {error.validator} failed)"
    return line


def validate_schema(pointer: str, body: Any, *, where: str = "") -> None:
    """Validate ``body`` against the schema at ``pointer`` (e.g. /components/schemas/User)."""
    errors = sorted(_validator(pointer).iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [_describe(e) for e in errors[:10]]
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        snippet = json.dumps(body, default=str)[:1500]
        raise AssertionError(
            f"response does not match the spec{(' for ' + where) if where else ''} "
            f"(schema #{pointer}):\n  " + "\n  ".join(lines) + more + f"\nbody: {snippet}"
        )


def validate(method: str, path: str, status: int, body: Any, *, raw: bytes | None = None) -> Operation:
    """Check one response.  ``body`` is the decoded JSON (``raw`` may be given instead).  Returns the operation."""
    op = find_operation(method, path)
    pointer = response_pointer(op, status)
    where = f"{op.method} {op.template} ({op.operation_id}) -> {status}"
    if pointer is None:
        if raw:
            raise AssertionError(f"{where}: the spec declares no body, got {raw[:200]!r}")
        return op
    if raw is not None and body is None:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise AssertionError(f"{where}: body is not JSON ({exc}): {raw[:200]!r}") from None
    validate_schema(pointer, body, where=where)
    return op


def schema_at(pointer: str) -> Any:
    """The (rewritten) schema node at a pointer, for tests that want to look at the spec."""
    return copy.deepcopy(_resolve(pointer)[1])
