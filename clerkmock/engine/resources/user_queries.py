"""GET /users and /users/count filters and ordering (reference/clerk-bapi.md §5).

Exact look-ups (email, phone, username, web3 wallet, external id, user id, provider ids) go through the
state's indexes to build the candidate set; only the remaining predicates look at each candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.pagination import limit_offset, parse_order_by, sort_records, split_signed
from clerkmock.engine.records import User
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.state import State

ORDER_FIELDS = [
    "created_at", "updated_at", "email_address", "web3wallet", "first_name", "last_name", "phone_number",
    "username", "last_active_at", "last_sign_in_at",
]


def _primary_value(st: State, idn_id: str | None) -> str | None:
    return st.identifications[idn_id].value.lower() if idn_id else None


def _order_key(st: State, field: str) -> Callable[[User], Any]:
    if field == "email_address":
        return lambda u: _primary_value(st, u.primary_email_address_id)
    if field == "phone_number":
        return lambda u: _primary_value(st, u.primary_phone_number_id)
    if field == "web3wallet":
        return lambda u: _primary_value(st, u.primary_web3_wallet_id)
    if field in ("first_name", "last_name", "username"):
        return lambda u: (getattr(u, field) or "").lower() or None
    return lambda u: getattr(u, field)


def _users_holding(st: State, kind: str, values: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for value in values:
        for idn in idns.holders(st, kind, value):
            if idn.user_id is not None:
                out.add(idn.user_id)
    return out


def _intersect(current: set[str] | None, ids: set[str]) -> set[str]:
    return ids if current is None else current & ids


def filter_users(st: State, q: dict[str, Any]) -> list[User]:
    candidates: set[str] | None = None
    excluded: set[str] = set()
    for kind in ("email_address", "phone_number", "web3_wallet"):
        if q.get(kind):
            candidates = _intersect(candidates, _users_holding(st, kind, q[kind]))
    if q.get("username"):
        found = {st.username_index[u.lower()] for u in q["username"] if u.lower() in st.username_index}
        candidates = _intersect(candidates, found)
    if q.get("external_id"):
        inc, exc = split_signed(q["external_id"])
        if inc:
            candidates = _intersect(candidates, {st.external_id_index[e] for e in inc if e in st.external_id_index})
        excluded |= {st.external_id_index[e] for e in exc if e in st.external_id_index}
    if q.get("user_id"):
        inc, exc = split_signed(q["user_id"])
        if inc:
            candidates = _intersect(candidates, {u for u in inc if u in st.users})
        excluded |= exc
    if q.get("organization_id"):
        inc, exc = split_signed(q["organization_id"])
        if inc:
            members: set[str] = set()
            for org in inc:
                members |= st.orgs.members_by_org.get(org, set())
            candidates = _intersect(candidates, members)
        for org in exc:
            excluded |= st.orgs.members_by_org.get(org, set())
    provider = q.get("provider")
    if provider or q.get("provider_user_id"):
        if not (provider and q.get("provider_user_id")):
            raise errors.invalid_query_parameter_value(
                "provider", "provider and provider_user_id must be given together"
            )
        names = {provider, provider if provider.startswith("oauth_") else f"oauth_{provider}"}
        found = {st.provider_index[(p, pid)] for p in names for pid in q["provider_user_id"]
                 if (p, pid) in st.provider_index}
        candidates = _intersect(candidates, found)

    pool: Iterable[User] = st.users.values() if candidates is None else (
        st.users[u] for u in candidates if u in st.users
    )
    checks = _predicates(st, q)
    return [u for u in pool if u.id not in excluded and all(check(u) for check in checks)]


def _predicates(st: State, q: dict[str, Any]) -> list[Callable[[User], bool]]:
    checks: list[Callable[[User], bool]] = []

    def values_of(u: User, attr: str) -> list[str]:
        return [st.identifications[i].value.lower() for i in getattr(u, attr)]

    if q.get("query"):
        needle = q["query"].lower()

        def matches_query(u: User) -> bool:
            hay = [u.id.lower(), (u.username or "").lower(), (u.first_name or "").lower(), (u.last_name or "").lower(),
                   f"{u.first_name or ''} {u.last_name or ''}".strip().lower()]
            hay += values_of(u, "email_ids") + values_of(u, "phone_ids") + values_of(u, "web3_ids")
            return any(needle in h for h in hay)

        checks.append(matches_query)
    if q.get("email_address_query"):
        n = q["email_address_query"].lower()
        checks.append(lambda u: any(n in v for v in values_of(u, "email_ids")))
    if q.get("phone_number_query"):
        n = q["phone_number_query"].lower()
        checks.append(lambda u: any(n in v for v in values_of(u, "phone_ids")))
    if q.get("username_query"):
        n = q["username_query"].lower()
        checks.append(lambda u: n in (u.username or "").lower())
    if q.get("name_query"):
        n = q["name_query"].lower()
        checks.append(lambda u: n in f"{u.first_name or ''} {u.last_name or ''}".lower())
    if "banned" in q:
        banned = q["banned"]
        checks.append(lambda u: u.banned == banned)
    for param, attr, op in (
        ("last_active_at_before", "last_active_at", "lt"),
        ("last_active_at_after", "last_active_at", "gt"),
        ("last_active_at_since", "last_active_at", "ge"),
        ("created_at_before", "created_at", "lt"),
        ("created_at_after", "created_at", "gt"),
        ("last_sign_in_at_before", "last_sign_in_at", "lt"),
        ("last_sign_in_at_after", "last_sign_in_at", "gt"),
    ):
        if q.get(param) is not None:
            checks.append(_time_check(attr, op, q[param]))
    return checks


def _time_check(attr: str, op: str, bound: int) -> Callable[[User], bool]:
    def check(u: User) -> bool:
        value = getattr(u, attr)
        if value is None:
            return False
        return bool(value < bound if op == "lt" else value > bound if op == "gt" else value >= bound)

    return check


# Parameters that narrow the set; without any of them (and ordered by created_at) the kept-sorted index pages
# directly, in O(log n + limit) instead of sorting every user.
FILTER_PARAMS = (
    "email_address", "phone_number", "external_id", "username", "web3_wallet", "user_id", "organization_id",
    "query", "email_address_query", "phone_number_query", "username_query", "name_query", "banned",
    "last_active_at_before", "last_active_at_after", "last_active_at_since", "created_at_before",
    "created_at_after", "last_sign_in_at_before", "last_sign_in_at_after", "provider", "provider_user_id",
)


def _unfiltered(q: dict[str, Any]) -> bool:
    return not any(q.get(p) not in (None, [], "") for p in FILTER_PARAMS)


def list_users(st: State, q: dict[str, Any]) -> list[User]:
    limit, offset = limit_offset(q)
    field, descending = parse_order_by(q.get("order_by"), ORDER_FIELDS)
    if field == "created_at" and not q.get("starting_after") and _unfiltered(q):
        index = st.users_by_created
        n = len(index)
        if descending:
            keys = index[max(0, n - offset - limit) : max(0, n - offset)][::-1]
        else:
            keys = index[offset : offset + limit]
        return [st.users[uid] for _, uid in keys]
    users = sort_records(filter_users(st, q), _order_key(st, field), descending, tiebreak=lambda u: u.id)
    cursor = q.get("starting_after")
    if cursor:
        if field != "created_at":
            raise errors.form_param_value_invalid(
                "starting_after", "starting_after requires ordering by created_at."
            )
        if offset:
            raise errors.form_param_value_invalid("offset", "offset cannot be combined with starting_after.")
        position = next((i for i, u in enumerate(users) if u.id == cursor), None)
        if position is None:
            if cursor not in st.users:
                raise errors.form_param_value_invalid("starting_after", f"No user was found with id {cursor}.")
            return []
        users = users[position + 1 :]
    return users[offset : offset + limit]


def count_users(st: State, q: dict[str, Any]) -> int:
    if _unfiltered(q):
        return len(st.users)
    return len(filter_users(st, q))
