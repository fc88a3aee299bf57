"""Svix signing: ``whsec_`` secrets and the ``svix-id`` / ``svix-timestamp`` / ``svix-signature`` headers.

The signature is ``v1,`` + base64(HMAC-SHA256(key, "{svix-id}.{svix-timestamp}.{body}")), where the key is the
base64-decoded part of the secret after ``whsec_`` -- what the ``svix`` libraries and ``@clerk/backend``'s
``verifyWebhook`` (through ``standardwebhooks``) check.  They also refuse a timestamp more than five minutes
from their own clock, so ``svix-timestamp`` is the wall-clock time of each attempt (a retry is signed anew),
never the engine's (possibly frozen) clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # what Svix generates (a 32-character base64 key)
MIN_KEY_BYTES, MAX_KEY_BYTES = 16, 64  # Svix accepts 24..64; be lenient below, as the libraries are


class SecretError(ValueError):
    pass


def generated_secret(seed: str, label: str = "") -> str:
    """The deterministic secret of a seed: the same on every run, so `clerkmock env` can print what `serve`
    signs with (``label`` gives endpoints distinct secrets when asked)."""
    digest = hashlib.sha256(f"clerkmock webhook signing secret\x00{seed}\x00{label}".encode()).digest()
    return SECRET_PREFIX + base64.b64encode(digest[:SECRET_BYTES]).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret; raises `SecretError` for anything else."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"a signing secret looks like {SECRET_PREFIX}<base64>")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(f"a signing secret is {SECRET_PREFIX} followed by base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise SecretError(f"a signing secret's key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes (base64-encoded)")
    return key


def check_secret(secret: str) -> str:
    secret_key(secret)
    return secret


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": signature(secret, msg_id, timestamp, body),
    }


def verify(secret: str, headers_: dict[str, str], body: bytes) -> bool:
    """True if one of the ``svix-signature`` entries matches (no timestamp tolerance check: tests use the
    ``svix`` library for the real thing)."""
    lower = {k.lower(): v for k, v in headers_.items()}
    expected = signature(secret, lower["svix-id"], int(lower["svix-timestamp"]), body)
    return any(hmac.compare_digest(expected, part) for part in lower.get("svix-signature", "").split())
