"""A user's credentials as CreateUser and UpdateUser take them (password or imported digest, TOTP secret,
backup codes): checked first by `check_credentials`, written after by `apply_credentials`, so a rejected
request leaves no trace and both operations share one set of rules."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from clerkmock.engine import errors, passwords
from clerkmock.engine.records import User
from clerkmock.engine.state import State


@dataclass(frozen=True, slots=True)
class Credentials:
    password: str | None = None
    digest: tuple[str, str] | None = None  # (password_hasher, password_digest)
    totp_secret: str | None = None
    backup_codes: tuple[str, ...] = ()


NO_CREDENTIALS = Credentials()


def check_credentials(body: dict[str, Any]) -> Credentials:
    """The body's credential fields, checked (raises Clerk's errors); nothing is written."""
    get = body.get
    if get("password") is None and get("password_digest") is None and get("totp_secret") is None \
            and get("backup_codes") is None:
        return NO_CREDENTIALS  # most creates and updates carry none
    password = body.get("password")
    if password is not None:
        check_password(password, bool(body.get("skip_password_checks")))
    digest = body.get("password_digest")
    if digest is not None and not body.get("password_hasher"):
        raise errors.form_conditional_param_missing("password_hasher", "password_digest")
    totp = body.get("totp_secret")
    return Credentials(
        password=password,
        digest=(body["password_hasher"], digest) if digest is not None else None,
        totp_secret=check_totp_secret(totp) if totp else None,
        backup_codes=tuple(body.get("backup_codes") or ()),
    )


def apply_credentials(st: State, user: User, creds: Credentials, now: int) -> None:
    if creds is NO_CREDENTIALS:
        return
    if creds.password is not None:
        set_password(st, user, creds.password, now)
    elif creds.digest is not None:
        user.password_hash = passwords.stored_digest(*creds.digest)
        user.password_last_updated_at = now
    if creds.totp_secret:
        user.totp_secret = creds.totp_secret
        user.mfa_enabled_at = now
    if creds.backup_codes:
        user.backup_code_hashes = [hash_backup_code(c) for c in creds.backup_codes]
        user.mfa_enabled_at = user.mfa_enabled_at or now


def check_password(password: str, skip_checks: bool) -> None:
    if len(password) > 72:
        raise errors.form_password_length_too_long()
    if skip_checks:
        return
    if len(password) < 8:
        raise errors.form_password_length_too_short()
    if password.lower() in passwords.PWNED:
        raise errors.form_password_pwned()


def set_password(st: State, user: User, password: str, now: int) -> None:
    salt = hashlib.sha256(f"{user.id}\x00{st.ids.token(8)}".encode()).digest()[:passwords.SALT_BYTES]
    user.password_hash = passwords.hash_password(password, salt)
    user.password_last_updated_at = now
    user.password_compromised = False


def check_totp_secret(secret: str) -> str:
    cleaned = secret.replace(" ", "").upper()
    try:
        base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise errors.totp_secret_invalid() from None
    return cleaned


def hash_backup_code(code: str) -> str:
    return hashlib.sha256(f"backup\x00{code}".encode()).hexdigest()
