"""Session-side records and their tables: sessions and clients, JWT templates, sign-in/actor tokens, machines,
M2M tokens, API keys and OAuth access tokens.  Plain slotted dataclasses, times in Unix ms.  No JSON, no HTTP.

Serializers and operations live in ``resources/auth/``; `State` holds one `AuthTables` as ``st.auth``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Session:
    id: str
    user_id: str
    client_id: str
    created_at: int
    updated_at: int
    last_active_at: int
    expire_at: int  # maximum lifetime (7 days by default)
    abandon_at: int  # inactivity cut-off (30 days by default)
    # The stored state: active | pending | revoked | ended | removed | replaced.  "expired" and "abandoned" are
    # never stored; they are computed from expire_at / abandon_at against the engine clock (see status_at).
    status: str = "active"
    actor: dict[str, Any] | None = None
    last_active_organization_id: str | None = None
    refresh_token: str = ""  # the __refresh cookie value FAPI would set; RefreshSession checks it
    first_factor_at: int = 0  # for the fva claim: minutes since the first / second factor
    second_factor_at: int | None = None
    # session tasks still to do, in order (resources/auth/session_tasks.py); the status is "pending" while any
    tasks: list[str] = field(default_factory=list)

    def status_at(self, now: int) -> str:
        if self.status not in ("active", "pending"):
            return self.status
        if now >= self.abandon_at:
            return "abandoned"
        if now >= self.expire_at:
            return "expired"
        return self.status


@dataclass(slots=True)
class Client:
    id: str
    created_at: int
    updated_at: int
    rotating_token: str
    session_ids: list[str] = field(default_factory=list)
    last_active_session_id: str | None = None
    # Frontend API: the browser's sign-in / sign-up in progress and how it last signed in
    sign_in_id: str | None = None
    sign_up_id: str | None = None
    last_authentication_strategy: str | None = None


@dataclass(slots=True)
class JwtTemplate:
    id: str
    name: str
    claims: dict[str, Any]
    lifetime: int  # seconds
    allowed_clock_skew: int  # seconds; nbf is set this far in the past
    created_at: int
    updated_at: int
    custom_signing_key: bool = False
    signing_algorithm: str = "RS256"
    signing_key: str | None = None  # HMAC secret or RSA private PEM when custom_signing_key; never serialized


@dataclass(slots=True)
class SignInToken:
    id: str
    user_id: str
    token: str
    created_at: int
    updated_at: int
    expires_at: int
    status: str = "pending"  # pending | accepted | revoked
    org_id: str | None = None


@dataclass(slots=True)
class ActorToken:
    id: str
    user_id: str
    actor: dict[str, Any]
    token: str
    created_at: int
    updated_at: int
    expires_at: int
    session_max_duration_s: int
    status: str = "pending"  # pending | accepted | revoked


@dataclass(slots=True)
class Machine:
    id: str
    name: str
    default_token_ttl: int  # seconds
    secret_key: str
    created_at: int
    updated_at: int
    scopes: dict[str, int] = field(default_factory=dict)  # machine ids this one may reach -> scope created_at
    previous_secret_key: str | None = None  # still valid until previous_secret_valid_until (rotation grace)
    previous_secret_valid_until: int = 0


@dataclass(slots=True)
class M2MToken:
    id: str  # mt_ + 32 hex
    secret: str  # the opaque token (mt_...) or the JWT
    subject: str  # the machine id
    created_at: int
    updated_at: int
    scopes: list[str] = field(default_factory=list)
    claims: Any = None
    expiration: int | None = None
    revoked: bool = False
    revocation_reason: str | None = None
    last_used_at: int | None = None
    token_format: str = "opaque"


@dataclass(slots=True)
class ApiKey:
    id: str  # ak_ + 32 hex
    secret: str
    type: str
    subject: str
    name: str
    created_at: int
    updated_at: int
    description: str | None = None
    claims: Any = None
    scopes: list[str] = field(default_factory=list)
    created_by: str | None = None
    expiration: int | None = None
    revoked: bool = False
    revocation_reason: str | None = None
    last_used_at: int | None = None


@dataclass(slots=True)
class OAuthAccessToken:
    id: str  # oat_ + 32 hex
    secret: str
    client_id: str
    subject: str  # a user id
    created_at: int
    updated_at: int
    scopes: list[str] = field(default_factory=list)
    expiration: int | None = None
    revoked: bool = False
    revocation_reason: str | None = None


class AuthTables:
    def __init__(self) -> None:
        # The instance's RSA private key (PEM).  None = the process-wide default key (tokens.default_private_key_pem);
        # the engine sets it from Engine(signing_key=...).  Kept here so snapshots and resets keep it.
        self.signing_key: str | None = None
        self.sessions: dict[str, Session] = {}
        self.sessions_by_user: dict[str, list[str]] = {}
        self.clients: dict[str, Client] = {}
        self.jwt_templates: dict[str, JwtTemplate] = {}
        self.jwt_template_names: dict[str, str] = {}  # name -> template id (names are unique)
        self.sign_in_tokens: dict[str, SignInToken] = {}
        self.actor_tokens: dict[str, ActorToken] = {}
        self.machines: dict[str, Machine] = {}
        self.machine_secrets: dict[str, str] = {}  # secret key -> machine id (current and rotated-out keys)
        self.m2m_tokens: dict[str, M2MToken] = {}
        self.m2m_secrets: dict[str, str] = {}  # token -> m2m token id
        self.api_keys: dict[str, ApiKey] = {}
        self.api_key_secrets: dict[str, str] = {}  # secret -> api key id
        self.oauth_tokens: dict[str, OAuthAccessToken] = {}
        self.oauth_secrets: dict[str, str] = {}  # token -> oauth access token id
