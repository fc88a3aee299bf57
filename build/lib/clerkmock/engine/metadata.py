"""Metadata updates shared by users, organizations and memberships (reference/clerk-bapi-extra.md §B)."""

from __future__ import annotations

import copy
from typing import Any


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: merge objects recursively; a ``null`` value deletes the key at any depth."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out

