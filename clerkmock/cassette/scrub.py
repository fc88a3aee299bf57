"""Secret (and optionally PII) scrubbing for cassettes.  Pure: strings and JSON in, strings and JSON out.

Two uses, one rule set, so a recording and a live request normalise alike:

* **record** (``numbered=True``): every distinct secret becomes a stable placeholder, ``<jwt:1>``,
  ``<secret_key:2>`` ... - the same value gets the same placeholder everywhere in a cassette (a token minted in
  interaction 3 and sent back in interaction 5 reads ``<jwt:1>`` in both);
* **match** (``numbered=False``): every secret, real or placeholder, becomes ``<kind>``, so a replayed request
  carrying a real key matches a recording that holds its placeholder.

What counts as a secret (`reference/clerk-bapi.md` for the formats):

* by value, anywhere in a string (headers, query, path, JSON strings, URLs inside them): JWTs (session, sign-in,
  actor, invitation, M2M and OAuth JWTs), ``sk_``/``pk_`` keys, ``ak_`` API-key and machine secrets, ``mt_``
  M2M tokens, ``oat_`` OAuth tokens, ``whsec_`` webhook secrets, testing tokens (``<unix s>-<random>``);
* by name, whatever the value (JSON keys, query parameters, cookie names): ``password``, ``secret``,
  ``token``, ``ticket`` ... (`SECRET_NAMES`);
* by header: ``Authorization`` (the credential after the scheme), ``Cookie`` and ``Set-Cookie`` values.

With ``pii=True`` also emails, phone numbers (E.164) and names (``first_name``, ``last_name``, ``username``)
become consistent, still well-formed stand-ins (``email1@example.com``, ``+15550100001``, ``First1``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Ids are not secrets: ``ak_``/``mt_``/``oat_`` ids are 32 lower-case hex, Clerk ids 27 base62 after the prefix.
_ID_SUFFIX = re.compile(r"[0-9a-f]{32}|[0-9A-Za-z]{27}")

# (kind, pattern); the first matching kind names the placeholder.  Order matters only for overlaps.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")),
    ("secret_key", re.compile(r"\bsk_(?:test|live)_[A-Za-z0-9]{4,}")),
    ("publishable_key", re.compile(r"\bpk_(?:test|live)_[A-Za-z0-9+/=$_-]{4,}")),
    ("api_key_secret", re.compile(r"\bak_([A-Za-z0-9]{12,})")),
    ("m2m_token", re.compile(r"\bmt_([A-Za-z0-9]{12,})")),
    ("oauth_token", re.compile(r"\boat_([A-Za-z0-9]{12,})")),
    ("webhook_secret", re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}")),
    ("testing_token", re.compile(r"(?<![\w-])\d{10}-[A-Za-z0-9_]{10,}")),
)

# Names whose value is a secret whatever it looks like (JSON keys, query parameters, cookie names).
SECRET_NAMES = frozenset(
    {
        "password", "new_password", "password_digest", "secret", "secret_key", "client_secret", "private_key",
        "signing_key", "token", "jwt", "ticket", "backup_codes", "totp_secret", "session_token", "refresh_token",
        "access_token", "id_token", "__clerk_ticket", "__clerk_testing_token", "__session", "__client",
        "__client_uat", "__clerk_db_jwt",
    }
)  # fmt: skip

# A placeholder we wrote ourselves: <kind:N>.  Recognised so scrubbing is idempotent and matching ignores N.
PLACEHOLDER = re.compile(r"<([a-z_]+):\d+>")
_BARE_PLACEHOLDER = re.compile(r"<[a-z_]+>")

EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(r"(?<![\w+])\+[1-9]\d{7,14}\b")
PII_NAMES = {"first_name": "First", "last_name": "Last", "username": "user"}  # name -> placeholder stem
PII_QUERY_NAMES = frozenset({"query", "name_query"})  # free-text search parameters: may hold any PII
_PII_STAND_IN = re.compile(r"^(?:email\d+@example\.com|\+1555010\d{4}|(?:First|Last|user)\d+)$")

type Json = Any


class Scrubber:
    """Replaces secrets (and with ``pii`` personal data) with placeholders.  One instance per cassette: it
    remembers which value got which placeholder."""

    def __init__(self, *, pii: bool = False, numbered: bool = True) -> None:
        self.pii = pii
        self.numbered = numbered
        self._seen: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    # -- placeholders --------------------------------------------------------------------------------------

    def placeholder(self, kind: str, value: str) -> str:
        if not self.numbered:
            return f"<{kind}>"
        if PLACEHOLDER.fullmatch(value):  # already scrubbed (a cassette scrubbed twice): keep it
            return value
        key = (kind, value)
        if key not in self._seen:
            self._counts[kind] = n = self._counts.get(kind, 0) + 1
            self._seen[key] = self._pii_stand_in(kind, n) or f"<{kind}:{n}>"
        return self._seen[key]

    @staticmethod
    def _pii_stand_in(kind: str, n: int) -> str | None:
        # Still well-formed, so a fresh emulator accepts them (`clerkmock verify`) and apps parse them.
        if kind == "email":
            return f"email{n}@example.com"
        if kind == "phone":
            return f"+1555010{n:04d}"
        if kind in PII_NAMES:
            return f"{PII_NAMES[kind]}{n}"
        return None

    # -- strings -------------------------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """Scrub every secret (and PII) found inside a string."""
        if not self.numbered:
            value = PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", value)
        for kind, pattern in SECRET_PATTERNS:
            value = pattern.sub(self._replacer(kind), value)
        if self.pii:
            value = EMAIL.sub(self._pii_replacer("email"), value)
            value = PHONE.sub(self._pii_replacer("phone"), value)
        return value

    def _replacer(self, kind: str) -> Callable[[re.Match[str]], str]:
        def replace(m: re.Match[str]) -> str:
            if m.groups() and _ID_SUFFIX.fullmatch(m.group(1)):
                return m.group(0)  # an id (ak_<32 hex> ...), not a secret
            return self.placeholder(kind, m.group(0))

        return replace

    def _pii_replacer(self, kind: str) -> Callable[[re.Match[str]], str]:
        def replace(m: re.Match[str]) -> str:
            if self.numbered and _PII_STAND_IN.match(m.group(0)):
                return m.group(0)
            return self.placeholder(kind, m.group(0))

        return replace

    def named(self, name: str, value: str) -> str:
        """A value whose *name* (JSON key, query parameter, cookie) may make it secret or personal."""
        lname = name.lower()
        if lname in SECRET_NAMES:
            if not value:
                return value
            whole = self.text(value)
            # Entirely one recognised secret: keep that kind (<jwt:1>); else the name is the kind (<password:1>).
            return whole if _is_placeholder(whole) else self.placeholder(lname.lstrip("_"), value)
        if self.pii and lname in PII_NAMES and value:
            if self.numbered and _PII_STAND_IN.match(value):
                return value
            return self.placeholder(lname, value)
        if self.pii and lname in PII_QUERY_NAMES and value:
            return self.placeholder("search", value)
        return self.text(value)

    # -- JSON ----------------------------------------------------------------------------------------------

    def json(self, value: Json, name: str | None = None) -> Json:
        """A scrubbed copy of a JSON value (the input is never modified)."""
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v, name) for v in value]
        if isinstance(value, str):
            return self.named(name, value) if name is not None else self.text(value)
        return value

    def query(self, query: dict[str, list[str]]) -> dict[str, list[str]]:
        return {self.text(k): [self.named(k, v) for v in values] for k, values in query.items()}

    # -- headers -------------------------------------------------------------------------------------------

    def header(self, name: str, value: str) -> str:
        lname = name.lower()
        if lname in ("authorization", "proxy-authorization"):
            scheme, sep, credential = value.strip().partition(" ")
            if not sep:  # a bare credential
                return self._credential(scheme)
            return f"{scheme} {self._credential(credential.strip())}"
        if lname == "cookie":
            return "; ".join(self._cookie(part) for part in value.split(";") if part.strip())
        if lname == "set-cookie":  # one cookie a line (cassette/format.py SET_COOKIE_SEPARATOR)
            return "\n".join(self._set_cookie(line) for line in value.split("\n"))
        return self.text(value)

    def _set_cookie(self, value: str) -> str:
        first, sep, attributes = value.partition(";")
        return self._cookie(first) + (sep + self.text(attributes) if sep else "")

    def _credential(self, credential: str) -> str:
        scrubbed = self.text(credential)
        if _is_placeholder(scrubbed):
            return scrubbed
        return self.placeholder("credential", credential) if credential else credential

    def _cookie(self, pair: str) -> str:
        name, sep, value = pair.strip().partition("=")
        if not sep:
            return self.text(name)
        scrubbed = self.text(value)
        if value and not _is_placeholder(scrubbed):
            scrubbed = self.placeholder("cookie", value)  # every cookie value is a credential until proven not
        return f"{name}={scrubbed}"


def _is_placeholder(value: str) -> bool:
    """``<kind:N>`` (recorded) or ``<kind>`` (normalised for matching)."""
    return PLACEHOLDER.fullmatch(value) is not None or _BARE_PLACEHOLDER.fullmatch(value) is not None
