"""The vendored Clerk spec as the engine sees it: operations and parameter schemas per API version.

Loaded from the generated ``clerkmock/spec/index.json`` (see ``tools/gen_spec_index.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"

# Every dated version Clerk has published (reference/clerk-bapi.md §0), oldest first.  Only the last two are
# vendored; older versions are validated with the oldest vendored schema (they accept at least as much).
KNOWN_VERSIONS = ["2021-02-05", "2024-10-01", "2025-03-12", "2025-04-10", "2025-11-10", "2026-05-12"]
VENDORED_VERSIONS = ["2025-11-10", "2026-05-12"]
LATEST_VERSION = KNOWN_VERSIONS[-1]


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # template relative to /v1, e.g. /users/{user_id}
    operation_id: str
    tags: tuple[str, ...]
    deprecated: bool
    query: dict[str, Any]
    body: dict[str, Any] | None
    success: tuple[str, ...]
    public: bool = False  # `security: []` in the spec: served without Authorization


# The Frontend API's spec (spec/fapi/): one file; clerk-js sends any date, every one is validated with it.
FAPI_VERSION = "2026-05-12"


@cache
def _index(subdir: str = "") -> dict[str, Any]:
    with open(SPEC_DIR / subdir / "index.json", "rb") as fh:
        return json.load(fh)


@cache
def fapi_operations() -> dict[tuple[str, str], Operation]:
    """(method, path template with its /v1) -> Operation of the Frontend API spec."""
    return _build(_index("fapi")["versions"][FAPI_VERSION])


@cache
def operations(version: str) -> dict[tuple[str, str], Operation]:
    """(method, path template) -> Operation for a vendored version."""
    return _build(_index()["versions"][version])


def _build(raws: list[dict[str, Any]]) -> dict[tuple[str, str], Operation]:
    out = {}
    for raw in raws:
        op = Operation(
            method=raw["method"],
            path=raw["path"],
            operation_id=raw["operation_id"],
            tags=tuple(raw["tags"]),
            deprecated=raw["deprecated"],
            query=raw["query"],
            body=raw["body"],
            success=tuple(raw["success"]),
            public=raw.get("public", False),
        )
        out[(op.method, op.path)] = op
    return out


def schema_version(api_version: str) -> str:
    """Which vendored spec describes requests sent with ``api_version``."""
    if api_version in VENDORED_VERSIONS:
        return api_version
    return VENDORED_VERSIONS[0]


def all_operations() -> list[Operation]:
    """The union over vendored versions, newest definition first (what `clerkmock routes` lists)."""
    seen: dict[tuple[str, str], Operation] = {}
    for version in reversed(VENDORED_VERSIONS):
        for key, op in operations(version).items():
            seen.setdefault(key, op)
    return sorted(seen.values(), key=lambda o: (o.tags[0] if o.tags else "", o.path, o.method))
