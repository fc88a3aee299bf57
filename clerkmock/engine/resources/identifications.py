"""Email addresses, phone numbers and web3 wallets: the shared rules behind users, email_addresses and
phone_numbers (all three are "identifications" with ``idn_`` ids in Clerk).

- Formats: RFC 5322-ish emails, E.164 phones, ``0x`` + 40 hex wallets -> 422 ``form_param_format_invalid``.
- Claims: a *verified* or *reserved* identification belongs to one user; another user claiming the same
  value gets 422 ``form_identifier_exists``.  An *unverified* one claims nothing, so several users may hold it
  until one verifies it (the spec's note on ``identification_status: unverified``).
- Test identifiers: ``…+clerk_test@…`` emails and ``+1 XXX 555 01YY`` phones verify with code ``424242``,
  as in Clerk's test mode; other codes are generated per verification and kept in state.
"""

from __future__ import annotations

import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records import Identification, User, Verification

__all__ = ["Verification"]  # re-exported for contact_points
from clerkmock.engine.state import State

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
WEB3_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
TEST_CODE = "424242"
TEST_PHONE_RE = re.compile(r"^\+1\d{3}55501\d{2}$")
CODE_TTL_MS = 10 * 60 * 1000

KIND_LABEL = {"email_address": "email address", "phone_number": "phone number", "web3_wallet": "web3 wallet"}
OBJECT = {"email_address": "email_address", "phone_number": "phone_number", "web3_wallet": "web3_wallet"}


def normalize(kind: str, value: str) -> str:
    value = value.strip()
    return value if kind == "phone_number" else value.lower()


def check_format(kind: str, value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.form_param_format_invalid(param, f"{param} must be a valid {KIND_LABEL[kind]}.")
    value = value.strip()
    if kind == "email_address" and (len(value) > 320 or not EMAIL_RE.match(value)):
        raise errors.form_param_format_invalid(param, f"{param} must be a valid email address.")
    if kind == "phone_number" and not E164_RE.match(value):
        raise errors.form_param_format_invalid(
            param, f"{param} must be a valid phone number according to E.164 international standard."
        )
    if kind == "web3_wallet" and not WEB3_RE.match(value):
        raise errors.form_param_format_invalid(param, f"{param} must be a valid Ethereum address (0x + 40 hex).")
    return str(value)


_INDEX_ATTR = {"email_address": "email_index", "phone_number": "phone_index", "web3_wallet": "web3_index"}
_USER_LIST_ATTR = {"email_address": "email_ids", "phone_number": "phone_ids", "web3_wallet": "web3_ids"}
_PRIMARY_ATTR = {"email_address": "primary_email_address_id", "phone_number": "primary_phone_number_id",
                 "web3_wallet": "primary_web3_wallet_id"}


def _index(st: State, kind: str) -> dict[str, list[str]]:
    index: dict[str, list[str]] = getattr(st, _INDEX_ATTR[kind])
    return index


def holders(st: State, kind: str, value: str) -> list[Identification]:
    return [st.identifications[i] for i in _index(st, kind).get(normalize(kind, value), ())]


def is_claimed(idn: Identification) -> bool:
    return idn.reserved or (idn.verification is not None and idn.verification.status == "verified")


def ensure_available(st: State, kind: str, value: str, param: str, user_id: str | None) -> None:
    """Raise form_identifier_exists when ``value`` is claimed by anyone, or already held by this user.

    Unverified copies held by *other* users do not block: they claim nothing."""
    for idn in holders(st, kind, value):
        if idn.user_id == user_id or is_claimed(idn):
            raise errors.form_identifier_exists(param, KIND_LABEL[kind])


def add(
    st: State,
    *,
    kind: str,
    value: str,
    user_id: str | None,
    now: int,
    status: str = "verified",  # verified | reserved | unverified
) -> Identification:
    verification = None
    if status == "verified":
        verification = Verification("verified", "admin")
    elif status == "reserved":
        verification = Verification("unverified", "admin")
    # (positional: id, kind, user_id, value, created_at, updated_at, verification, reserved -- an __init__
    # costs ~500 instructions a keyword argument, and every user created gets here)
    # the value is kept as given; look-ups match case-insensitively through the index
    idn = Identification(st.ids.new("idn"), kind, user_id, value, now, now, verification, status == "reserved")
    st.identifications[idn.id] = idn
    holding = _index(st, kind).setdefault(normalize(kind, value), [])
    holding.append(idn.id)
    if status == "verified" and len(holding) > 1:  # the common new value has no other holder to release
        release_unverified_copies(st, idn)
    return idn


def release_unverified_copies(st: State, claimed: Identification) -> None:
    """Once a value is verified by one user, unverified copies elsewhere stay but can never verify."""
    for other in holders(st, claimed.kind, claimed.value):
        if other.id != claimed.id and other.verification and other.verification.status != "verified":
            other.verification.status = "failed" if other.verification.code else other.verification.status


def remove(st: State, idn: Identification) -> None:
    st.identifications.pop(idn.id, None)
    key = normalize(idn.kind, idn.value)
    ids = _index(st, idn.kind).get(key)
    if ids and idn.id in ids:
        ids.remove(idn.id)
        if not ids:
            del _index(st, idn.kind)[key]


def user_list_attr(kind: str) -> str:
    return _USER_LIST_ATTR[kind]


def primary_attr(kind: str) -> str:
    return _PRIMARY_ATTR[kind]


def attach(user: User, idn: Identification, primary: bool | None) -> None:
    """Link ``idn`` to ``user``; the first one of its kind becomes primary unless told otherwise."""
    ids: list[str] = getattr(user, user_list_attr(idn.kind))
    ids.append(idn.id)
    attr = primary_attr(idn.kind)
    if primary or (primary is None and getattr(user, attr) is None):
        setattr(user, attr, idn.id)


def detach(st: State, user: User, idn: Identification) -> None:
    ids: list[str] = getattr(user, user_list_attr(idn.kind))
    if idn.id in ids:
        ids.remove(idn.id)
    attr = primary_attr(idn.kind)
    if getattr(user, attr) == idn.id:
        # Clerk promotes another verified identification of the same kind, if any.
        nxt = next((i for i in ids if is_verified(st.identifications[i])), None)
        setattr(user, attr, nxt)
    remove(st, idn)


def is_verified(idn: Identification) -> bool:
    return idn.verification is not None and idn.verification.status == "verified"


def is_test_identifier(idn: Identification) -> bool:
    if idn.kind == "email_address":
        return "+clerk_test@" in idn.value.lower()
    return bool(TEST_PHONE_RE.match(idn.value))


# -- serializers ---------------------------------------------------------------------------------------------

def verification_json(v: Verification | None, kind: str) -> dict[str, Any] | None:
    if v is None:
        return None
    if v.strategy == "admin":
        # verification_admin's status enum is only "verified"; a reserved (unverified) one reads as OTP pending
        if v.status == "verified":
            return {"object": "verification_admin", "status": "verified", "strategy": "admin", "attempts": None,
                    "expire_at": None}
        strategy = "email_code" if kind == "email_address" else "phone_code"
        return {"object": "verification_otp", "status": v.status, "strategy": strategy, "attempts": None,
                "expire_at": None}
    if v.strategy.startswith("from_oauth_"):  # signed up through an OAuth provider (fapi/social.py)
        return {"object": "verification_from_oauth", "status": v.status, "strategy": v.strategy, "attempts": None,
                "expire_at": None}
    if kind == "web3_wallet":
        return {"object": "verification_web3", "status": v.status, "strategy": v.strategy, "attempts": v.attempts,
                "expire_at": v.expire_at}
    out = {"object": "verification_otp", "status": v.status, "strategy": v.strategy, "attempts": v.attempts,
           "expire_at": v.expire_at}
    if kind == "phone_number":
        out["channel"] = "sms"
    return out


def identification_json(idn: Identification) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": idn.id,
        "object": OBJECT[idn.kind],
        idn.kind: idn.value,
        "verification": verification_json(idn.verification, idn.kind),
        "created_at": idn.created_at,
        "updated_at": idn.updated_at,
    }
    if idn.kind != "web3_wallet":
        out["reserved"] = idn.reserved
        out["linked_to"] = list(idn.linked_to)
    if idn.kind == "email_address":
        out["matches_sso_connection"] = False
    if idn.kind == "phone_number":
        out["reserved_for_second_factor"] = idn.reserved_for_second_factor
        out["default_second_factor"] = idn.default_second_factor
        out["backup_codes"] = None
    return out


# -- verification flow (prepare / attempt) -------------------------------------------------------------------

def _random_code(st: State) -> str:
    """A deterministic six-digit one-time code for a real (non-test) identifier."""
    return f"{int(st.ids.hex('code', 12).rpartition('_')[2], 16) % 1_000_000:06d}"


def prepare_verification(st: State, idn: Identification, now: int) -> dict[str, Any]:
    strategy = "email_code" if idn.kind == "email_address" else "phone_code"
    code = TEST_CODE if is_test_identifier(idn) else _random_code(st)
    v = Verification("unverified", strategy, attempts=0, expire_at=now + CODE_TTL_MS, code=code)
    if not is_verified(idn):
        idn.verification = v
    vid = st.ids.new("ver")
    st.pending_verifications[vid] = (idn.id, v)
    idn.updated_at = now
    return verification_response(vid, v, idn.kind)


def verification_response(vid: str, v: Verification, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "verification",
        "id": vid,
        "status": v.status,
        "strategy": v.strategy,
        "attempts": v.attempts,
        "expire_at": v.expire_at,
    }
    if kind == "phone_number":
        out["channel"] = "sms"
    return out


MAX_ATTEMPTS = 3


def attempt_verification(st: State, idn: Identification, vid: str, code: str, now: int) -> dict[str, Any]:
    pending = st.pending_verifications.get(vid)
    if pending is None or pending[0] != idn.id:
        raise errors.resource_not_found(f"No verification was found with id {vid} for {idn.id}.")
    _, v = pending
    if v.status == "verified":
        raise errors.bad_request("already verified", "This verification has already been verified.",
                                 code="verification_already_verified")
    # The spec: "an incorrect or expired code is reported through the status, not as an error".
    if v.status in ("expired", "failed"):
        return verification_response(vid, v, idn.kind)
    if v.expire_at is not None and now > v.expire_at:
        v.status = "expired"
        return verification_response(vid, v, idn.kind)
    v.attempts = (v.attempts or 0) + 1
    if code != v.code:
        if v.attempts >= MAX_ATTEMPTS:
            v.status = "failed"
        return verification_response(vid, v, idn.kind)
    for other in holders(st, idn.kind, idn.value):
        if other.id != idn.id and is_claimed(other):
            raise errors.form_identifier_exists(idn.kind, KIND_LABEL[idn.kind])
    v.status = "verified"
    idn.verification = Verification("verified", v.strategy, attempts=v.attempts, expire_at=v.expire_at)
    idn.reserved = False
    idn.updated_at = now
    release_unverified_copies(st, idn)
    return verification_response(vid, v, idn.kind)
