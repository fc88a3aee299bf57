"""Secrets kept out of state dumps (``GET /__clerkmock/state``; docs/security.md).

`SECRET_FIELDS` names every record field that holds a secret: the instance's signing key, password hashes,
TOTP secrets and backup codes, machine / M2M / API key / OAuth secrets, sign-in and actor tickets, pending
verification codes, refresh and rotating tokens, SCIM directory keys, the Frontend API's dev-browser and testing
tokens, one-time codes, pending sign-up passwords, and the fake OAuth provider's codes and states.  A dump replaces each non-empty one with a
marker,

    {"$redacted": "<sealed>"}

where ``<sealed>`` is the value encrypted (AES-256-GCM) under a key that exists only in this server's memory.
Nothing in the dump reveals the secret, yet ``PUT /__clerkmock/state`` of a dump taken from the same running
server restores it exactly (snapshot/restore keeps working with no token); another server, or a restarted one,
refuses such a document and names ``?secrets=1``.  The state file (``--state-file``) is written unredacted:
it is the persistence format, mode 0600.

`tests/test_security.py` fails on a record field whose name suggests a secret unless it is classified here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clerkmock.engine.jsonio import dumps, loads
from clerkmock.engine.records import apps, directories, fapi, oauth, sessions, sso, users

MARKER = "$redacted"
_VERSION = b"v1"

# class -> its fields that hold secrets
SECRET_FIELDS: dict[type, frozenset[str]] = {
    users.User: frozenset({"password_hash", "totp_secret", "backup_code_hashes"}),
    users.Verification: frozenset({"code"}),
    users.ExternalAccount: frozenset({"access_token"}),
    sessions.AuthTables: frozenset({"signing_key", "machine_secrets", "m2m_secrets", "api_key_secrets",
                                    "oauth_secrets"}),
    sessions.Session: frozenset({"refresh_token"}),
    sessions.Client: frozenset({"rotating_token"}),
    sessions.JwtTemplate: frozenset({"signing_key"}),
    sessions.SignInToken: frozenset({"token"}),
    sessions.ActorToken: frozenset({"token"}),
    sessions.Machine: frozenset({"secret_key", "previous_secret_key"}),
    sessions.M2MToken: frozenset({"secret"}),
    sessions.ApiKey: frozenset({"secret"}),
    sessions.OAuthAccessToken: frozenset({"secret"}),
    apps.OAuthApplication: frozenset({"client_secret"}),
    apps.AgentTask: frozenset({"ticket"}),
    apps.AdminPortalLinkToken: frozenset({"token"}),
    sso.OidcConfig: frozenset({"client_secret"}),
    directories.Directory: frozenset({"api_key", "previous_api_key"}),  # the SCIM endpoint's bearer keys
    # the Frontend API: dev-browser tokens (also the keys of their table), testing tokens, handshake nonces and
    # their cookies, TOTP secrets being enrolled, one-time codes sent and the password a sign-up holds until the
    # user exists
    fapi.FapiTables: frozenset({"dev_browsers", "testing_tokens", "pending_totp", "handshakes"}),
    fapi.DevBrowser: frozenset({"token"}),
    fapi.Handshake: frozenset({"nonce", "directives"}),  # the directives carry session tokens
    fapi.Factor: frozenset({"code"}),
    fapi.SignUpAttempt: frozenset({"password"}),
    fapi.Message: frozenset({"code", "subject", "body"}),  # the subject and body carry the code too
    # the fake OAuth provider (fapi/social.py): authorization codes and the states of authorizations in flight
    # (both also the keys of their tables)
    oauth.OAuthTables: frozenset({"authorizations", "codes"}),
    oauth.Authorization: frozenset({"state", "code"}),
}


def secret_fields(cls: type) -> frozenset[str]:
    return SECRET_FIELDS.get(cls, frozenset())


class SealError(ValueError):
    """A marker this server did not write (another server's dump, a restart, or an edited value)."""


class Sealer:
    """Seals encoded values with a key that never leaves this process; the same value seals the same way
    (a synthetic nonce), so two dumps of the same state are identical."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self._key)

    def seal(self, encoded: Any) -> dict[str, str]:
        plain = dumps(encoded)
        nonce = hmac.new(self._key, plain, hashlib.sha256).digest()[:12]
        sealed = self._aead.encrypt(nonce, plain, _VERSION)
        return {MARKER: base64.urlsafe_b64encode(nonce + sealed).decode("ascii")}

    def unseal(self, marker: Any) -> Any:
        try:
            raw = base64.urlsafe_b64decode(marker.encode("ascii"))
            return loads(self._aead.decrypt(raw[:12], raw[12:], _VERSION))
        except Exception:  # noqa: BLE001 - any failure means: not sealed by this server
            raise SealError("it holds redacted secrets sealed by another clerkmock server (or before a restart); "
                            "restore a document taken with GET /__clerkmock/state?secrets=1") from None
