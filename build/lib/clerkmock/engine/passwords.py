"""Password storage: a salted PBKDF2-SHA256 hash, never the plain password.

The work factor is deliberately low (1,000 iterations): clerkmock is a test double, and seeding 100k users
with passwords must stay fast.  Imported digests (``password_digest`` + ``password_hasher``) are kept as
given and checked with the hasher's own algorithm where we can (argon2 via argon2-cffi, which mitmproxy
already depends on; the hashlib-based ones directly).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

ITERATIONS = 1_000
SALT_BYTES = 16


def hash_password(password: str, salt: bytes) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"clerkmock$pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def stored_digest(hasher: str, digest: str) -> str:
    return f"digest${hasher}${digest}"


def verify(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    if scheme == "clerkmock":
        _algo, iterations, salt, digest = rest.split("$")
        candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
        return hmac.compare_digest(candidate.hex(), digest)
    if scheme == "digest":
        hasher, _, digest = rest.partition("$")
        check = DIGEST_CHECKS.get(hasher)
        return bool(check and check(password, digest))
    return False


def _hex_check(algo: str) -> Callable[[str, str], bool]:
    return lambda pw, digest: hmac.compare_digest(hashlib.new(algo, pw.encode()).hexdigest(), digest.lower())


def _django_pbkdf2(algo: str) -> Callable[[str, str], bool]:
    def check(pw: str, digest: str) -> bool:
        try:
            _name, iterations, salt, expected = digest.split("$", 3)
            raw = hashlib.pbkdf2_hmac(algo, pw.encode(), salt.encode(), int(iterations))
        except ValueError:
            return False
        return hmac.compare_digest(base64.b64encode(raw).decode(), expected)

    return check


def _argon2(pw: str, digest: str) -> bool:
    try:
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error, InvalidHashError
    except ImportError:  # pragma: no cover
        return False
    try:
        return PasswordHasher().verify(digest, pw)
    except (Argon2Error, InvalidHashError):
        return False


def _bcrypt(pw: str, digest: str) -> bool:
    try:
        import bcrypt
    except ImportError:
        return False
    try:
        return bool(bcrypt.checkpw(pw.encode(), digest.encode()))
    except ValueError:
        return False


DIGEST_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "md5": _hex_check("md5"),
    "sha256": _hex_check("sha256"),
    "pbkdf2_sha256_django": _django_pbkdf2("sha256"),
    "pbkdf2_sha256": _django_pbkdf2("sha256"),
    "argon2i": _argon2,
    "argon2id": _argon2,
    "bcrypt": _bcrypt,
}

# Clerk rejects passwords found in breaches (HaveIBeenPwned); a short list of the most common ones gives tests
# a deterministic way to exercise `form_password_pwned`.
PWNED = frozenset(
    {
        "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwerty123",
        "qwertyuiop", "iloveyou", "11111111", "00000000", "abc12345", "passw0rd", "letmein1", "football",
        "baseball", "sunshine", "princess", "welcome1", "admin123",
    }
)
