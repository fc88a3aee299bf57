"""Paging and ordering shared by every list endpoint (reference/clerk-bapi.md §2).

``limit`` 1..500 (default 10), ``offset`` >= 0, ``order_by=±field`` (no sign means ``+``), and the two list
shapes: a bare array, or ``{"data": [...], "total_count": N}`` (always, or with ``paginated=true``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from clerkmock.engine import errors


DEFAULT_LIMIT = 10
MAX_LIMIT = 500


def limit_offset(params: dict[str, Any], *, max_limit: int = MAX_LIMIT) -> tuple[int, int]:
    limit = params.get("limit", DEFAULT_LIMIT)
    offset = params.get("offset", 0)
    if not 1 <= limit <= max_limit:
        raise errors.form_param_value_invalid("limit", f"limit must be between 1 and {max_limit}.")
    if offset < 0:
        raise errors.form_param_value_invalid("offset", "offset must be greater than or equal to 0.")
    return limit, offset


def parse_order_by(value: str | None, allowed: Iterable[str], default: str = "-created_at") -> tuple[str, bool]:
    """Return (field, descending).  An unknown field is a 422 naming the allowed ones."""
    raw = (value or default).strip()
    descending = raw.startswith("-")
    field = raw.lstrip("+-")
    allowed = list(allowed)
    if field not in allowed:
        raise errors.form_param_value_invalid(
            "order_by", f"order_by must be one of {', '.join(allowed)}, optionally prefixed with + or -."
        )
    return field, descending


def sort_records[T](
    records: Iterable[T],
    key: Callable[[T], Any],
    descending: bool,
    tiebreak: Callable[[T], Any],
) -> list[T]:
    """Stable sort where records with a missing (None) key always go last, whatever the direction."""
    present: list[T] = []
    missing: list[T] = []
    for rec in records:
        (missing if key(rec) is None else present).append(rec)
    present.sort(key=lambda r: (key(r), tiebreak(r)), reverse=descending)
    missing.sort(key=tiebreak, reverse=descending)
    return present + missing


def page[T](items: Sequence[T], limit: int, offset: int) -> Sequence[T]:
    return items[offset : offset + limit]


def paginated(data: list[Any], total: int) -> dict[str, Any]:
    return {"data": data, "total_count": total}


def split_signed(values: Iterable[str]) -> tuple[set[str], set[str]]:
    """``+id``/``id`` include and ``-id`` exclude (user_id, external_id, organization_id filters)."""
    include, exclude = set(), set()
    for value in values:
        # An unencoded "+" in a query string arrives as a space (form encoding): treat it as "+".
        if value.startswith(" "):
            value = "+" + value[1:]
        if value.startswith("-"):
            exclude.add(value[1:])
        else:
            include.add(value[1:] if value.startswith("+") else value)
    return include, exclude
