"""Frontend API records: dev browsers, sign-in and sign-up attempts, the messages Clerk would have sent, and the
instance's Frontend API settings.  Sessions, clients, users and organizations are the Backend API's own records
(one State).  Plain slotted dataclasses, times in Unix ms.  No JSON, no HTTP.

Serializers and operations live in ``engine/fapi/``; `State` holds one `FapiTables` as ``st.fapi``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class DevBrowser:
    """A development browser: clerk-js keeps its token in ``__clerk_db_jwt`` and sends it on every request."""

    token: str
    created_at: int
    client_id: str | None = None  # created on the first request that needs a client


@dataclass(slots=True)
class Handshake:
    """What ``GET /v1/client/handshake`` decided, waiting for the app's server to fetch it once by nonce
    (the Backend API's ``GET /v1/clients/handshake_payload``)."""

    nonce: str
    directives: list[str]  # Set-Cookie strings for the app's domain
    expires_at: int


@dataclass(slots=True)
class Factor:
    """A verification in progress (a sign-in factor, a sign-up field): what was sent and how it went."""

    strategy: str
    status: str = "unverified"  # unverified | verified | failed | expired | transferable
    attempts: int = 0
    expire_at: int | None = None
    code: str | None = None  # the one-time code sent (never serialized)
    identification_id: str | None = None  # the email / phone it was sent to
    redirect_url: str | None = None  # oauth_*: the provider's consent page (external_verification_redirect_url)
    error: dict[str, Any] | None = None  # oauth_*: what went wrong at the provider, Clerk's error shape


@dataclass(slots=True)
class SignInAttempt:
    id: str
    client_id: str
    created_at: int
    updated_at: int
    abandon_at: int
    status: str = "needs_identifier"  # needs_identifier | needs_first_factor | needs_second_factor |
    #                                   needs_new_password | complete
    identifier: str | None = None
    user_id: str | None = None
    first_factor: Factor | None = None
    second_factor: Factor | None = None
    created_session_id: str | None = None
    org_id: str | None = None  # a sign-in token's organization, activated with the session


@dataclass(slots=True)
class SignUpAttempt:
    id: str
    client_id: str
    created_at: int
    updated_at: int
    abandon_at: int
    status: str = "missing_requirements"  # missing_requirements | complete | abandoned
    email_address: str | None = None
    phone_number: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    password: str | None = None  # held until the user is created (never serialized)
    unsafe_metadata: dict[str, Any] = field(default_factory=dict)
    legal_accepted_at: int | None = None
    verifications: dict[str, Factor] = field(default_factory=dict)  # email_address | phone_number -> factor
    invitation_id: str | None = None  # a sign-up by invitation ticket: its email is verified by the ticket
    created_user_id: str | None = None
    created_session_id: str | None = None
    oauth_account: Any = None  # an OAuth sign-up's provider account (social.py): linked to the user it creates


@dataclass(slots=True)
class Message:
    """An email or SMS Clerk would have sent (clerkmock sends nothing): ``GET /__clerkmock/messages``."""

    id: str
    kind: str  # email | sms
    to: str
    subject: str
    body: str
    created_at: int
    code: str | None = None
    links: list[str] = field(default_factory=list)
    slug: str = "verification_code"
    user_id: str | None = None


class FapiTables:
    def __init__(self) -> None:
        self.dev_browsers: dict[str, DevBrowser] = {}  # token -> dev browser
        self.sign_ins: dict[str, SignInAttempt] = {}
        self.sign_ups: dict[str, SignUpAttempt] = {}
        self.messages: list[Message] = []  # oldest first
        self.message_seq = 0  # numbers the messages' ids
        self.pending_totp: dict[str, str] = {}  # user id -> TOTP secret not verified yet
        self.failed_attempts: dict[str, int] = {}  # user id -> failed sign-in attempts since the last success
        self.testing_tokens: dict[str, int] = {}  # token -> expires_at (s), from POST /v1/testing_tokens
        self.handshakes: dict[str, Handshake] = {}  # nonce -> payload, single use (engine/fapi/handshake.py)
        # What the environment says beyond the Backend API's instance settings (scenario key `frontend`).
        self.settings: dict[str, Any] = {}
