"""The vendored Clerk spec as the engine sees it: operations and parameter schemas per API version.

Loaded from the generated ``clerkmock/spec/index.json`` (see ``tools/gen_spec_index.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
        index: dict[str, Any] = json.load(fh)
    return index


@cache
def fapi_operations() -> dict[tuple[str, str], Operation]:
    """(method, path template with its /v1) -> Operation of the Frontend API spec."""
    return _build(_index("fapi")["versions"][FAPI_VERSION])


@cache
def operations(version: str) -> dict[tuple[str, str], Operation]:
    """(method, path template) -> Operation for a vendored version."""
    return _build(_index()["versions"][version])


@cache
def undocumented_operations() -> dict[tuple[str, str], Operation]:
    """Backend API operations the SDKs call that the published spec leaves empty (spec/undocumented.yml), the
    same in every version."""
    return _build(_index().get("undocumented", []))


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


class OperationIndex:
    """One API's operations by operationId, per vendored version: what a `RouteSet` is bound to (the Backend
    API's is `BACKEND_API`; another API with its own spec gets its own index)."""

    def __init__(self, versions: Sequence[str], operations_of: Callable[[str], dict[tuple[str, str], Operation]]):
        self.versions = tuple(versions)  # oldest first
        self._operations_of = operations_of
        self._by_id: dict[str, dict[str, Operation]] | None = None

    def versions_of(self, operation_id: str) -> dict[str, Operation]:
        """version -> the operation in that version's spec, oldest first; KeyError if no version has it."""
        if self._by_id is None:
            by_id: dict[str, dict[str, Operation]] = {}
            for version in self.versions:
                for op in self._operations_of(version).values():
                    by_id.setdefault(op.operation_id, {})[version] = op
            self._by_id = by_id
        try:
            return self._by_id[operation_id]
        except KeyError:
            raise KeyError(f"{operation_id} is not an operation of the vendored spec") from None


BACKEND_API = OperationIndex(VENDORED_VERSIONS, operations)
# A RouteSet bound to this serves an operation of spec/undocumented.yml (the handshake payload).
UNDOCUMENTED_API = OperationIndex(VENDORED_VERSIONS, lambda _version: undocumented_operations())
