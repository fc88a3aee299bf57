"""Keys and JWTs: the instance's RSA signing key, its JWKS entry, and signing/verifying with PyJWT.

Clerk signs session tokens RS256 with a per-instance RSA-2048 key (e = 65537) whose JWKS ``kid`` is the
instance id (reference/clerk-bapi.md §7, §10).  ``@clerk/backend`` turns a ``CLERK_JWT_KEY`` PEM into a JWK by
stripping a fixed RSA-2048 prefix, so the size is not negotiable.

The engine never generates or reads keys on its own: the caller passes a PEM (``Engine(signing_key=...)``,
persisted by ``clerkmock.keys``).  Without one, `default_private_key_pem` generates a key once per process
(~20-50 ms) and every engine in the process shares it.  Parsed keys are cached by PEM, so signing costs one
RSA operation.  No randomness enters a signature: RS256 (PKCS#1 v1.5) and HS256 are deterministic.
"""

from __future__ import annotations

import base64
import threading
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# PyJWT and cryptography are imported where they are used: importing them costs ~40 ms, which an engine that
# never signs (or a server answering its first request) should not pay.

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537
SESSION_ALGORITHM = "RS256"
# Algorithms a JWT template may choose with a custom signing key (Clerk's dashboard offers these families).
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
TEMPLATE_ALGORITHMS = HMAC_ALGORITHMS + RSA_ALGORITHMS

_default_lock = threading.Lock()
_default_pem: str | None = None


class SigningKeyError(ValueError):
    """A PEM that is not a usable RSA-2048 private key (the message says what is wrong)."""


class TokenInvalid(ValueError):
    """A token that does not verify against this instance's key (bad signature, malformed, expired)."""


def generate_private_key_pem() -> str:
    """A fresh RSA-2048 private key, PKCS#8 PEM.  Only `clerkmock.keys` (and the process default) call this."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def default_private_key_pem() -> str:
    """The process-wide key used when no signing key is configured: generated once, then shared."""
    global _default_pem
    with _default_lock:
        if _default_pem is None:
            _default_pem = generate_private_key_pem()
        return _default_pem


@lru_cache(maxsize=32)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"not a PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError("the signing key must be an RSA private key")
    return key


def check_instance_key(pem: str) -> str:
    """Validate an instance signing key: RSA, 2048 bits, e = 65537 (what Clerk's SDKs can use)."""
    key = load_private_key(pem)
    numbers = key.public_key().public_numbers()
    if key.key_size != KEY_SIZE or numbers.e != PUBLIC_EXPONENT:
        raise SigningKeyError(
            f"the signing key must be RSA-{KEY_SIZE} with e={PUBLIC_EXPONENT} "
            f"(got RSA-{key.key_size}, e={numbers.e}): @clerk/backend cannot use another size"
        )
    return pem


@lru_cache(maxsize=32)
def public_key_pem(pem: str) -> str:
    """SubjectPublicKeyInfo PEM of a private key: what apps put in ``CLERK_JWT_KEY``."""
    from cryptography.hazmat.primitives import serialization

    return (
        load_private_key(pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@lru_cache(maxsize=32)
def _jwk_numbers(pem: str) -> tuple[str, str]:
    from jwt.algorithms import RSAAlgorithm

    raw = RSAAlgorithm.to_jwk(load_private_key(pem).public_key(), as_dict=True)
    return raw["n"], raw["e"]


def jwk(pem: str, kid: str) -> dict[str, str]:
    """The JWKS entry Clerk publishes: ``{use, kty, kid, alg, n, e}``."""
    n, e = _jwk_numbers(pem)
    return {"use": "sig", "kty": "RSA", "kid": kid, "alg": SESSION_ALGORITHM, "n": n, "e": e}


def sign(claims: dict[str, Any], pem: str, kid: str, *, extra_headers: dict[str, Any] | None = None) -> str:
    """RS256 with the instance key; header ``{alg, kid, typ: "JWT"}`` (+ extras such as ``cat``)."""
    import jwt

    headers = {"kid": kid, "typ": "JWT", **(extra_headers or {})}
    return jwt.encode(claims, load_private_key(pem), algorithm=SESSION_ALGORITHM, headers=headers)


def sign_with(claims: dict[str, Any], algorithm: str, key: str, kid: str | None = None) -> str:
    """Sign with a JWT template's custom key: an HMAC secret or an RSA private key PEM."""
    import jwt
    from jwt.warnings import InsecureKeyLengthWarning

    headers: dict[str, Any] = {"typ": "JWT"}
    if kid:
        headers["kid"] = kid
    signing_key: Any = key if algorithm in HMAC_ALGORITHMS else load_private_key(key)
    with warnings.catch_warnings():
        # Clerk takes whatever HMAC secret the template names; PyJWT's advice about short keys is not ours to give.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)


def check_custom_key(algorithm: str, key: str) -> None:
    """Raise SigningKeyError unless ``key`` can sign with ``algorithm``."""
    if algorithm not in TEMPLATE_ALGORITHMS:
        allowed = ", ".join(TEMPLATE_ALGORITHMS)
        raise SigningKeyError(f"unsupported signing algorithm {algorithm!r}; use one of {allowed}")
    if algorithm in HMAC_ALGORITHMS:
        if not key:
            raise SigningKeyError("an HMAC signing key must not be empty")
        return
    load_private_key(key)


def decode(
    token: str, pem: str, *, verify_exp: bool = True, leeway_s: int = 0, now_s: int | None = None
) -> dict[str, Any]:
    """Verify a token this instance signed (RS256).  Expiry is checked against ``now_s`` (the engine clock),
    never the wall clock.  Raises `TokenInvalid`."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            load_private_key(pem).public_key(),
            algorithms=[SESSION_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid(str(exc)) from None
    if verify_exp:
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or now_s is None or exp + leeway_s <= now_s:
            raise TokenInvalid("Signature has expired")
    return claims


def publishable_key(frontend_host: str, *, live: bool = False) -> str:
    """``pk_test_`` + base64("<frontend host>$"): how the SDKs learn the Frontend API host (§10)."""
    encoded = base64.b64encode(f"{frontend_host}$".encode()).decode()
    return ("pk_live_" if live else "pk_test_") + encoded
