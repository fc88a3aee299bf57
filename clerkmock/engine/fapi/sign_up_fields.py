"""Which sign-up fields are required, missing or unverified (read by the sign-up routes and by the views that
render a sign-up; below both)."""

from __future__ import annotations

from clerkmock.engine.fapi import environment
from clerkmock.engine.records.fapi import SignUpAttempt
from clerkmock.engine.state import State

VERIFIED_KINDS = ("email_address", "phone_number")


def field_status(st: State, su: SignUpAttempt) -> tuple[list[str], list[str], list[str], list[str]]:
    """(required, optional, missing, unverified) fields, as clerk-js reads them."""
    required = environment.required_fields(st)
    optional = environment.optional_fields(st)
    # a sign-up through an OAuth provider needs no password (Clerk's rule)
    oauth = "external_account" in su.verifications
    missing = [f for f in required if getattr(su, f) in (None, "") and not (oauth and f == "password")]
    unverified = [k for k in VERIFIED_KINDS if getattr(su, k) and not _verified(su, k)]
    return required, optional, missing, unverified


def _verified(su: SignUpAttempt, kind: str) -> bool:
    f = su.verifications.get(kind)
    return f is not None and f.status == "verified"
