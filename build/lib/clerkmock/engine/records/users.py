"""User-side records: users and their identifications, linked accounts and devices.  No JSON, no HTTP.

Serializers in ``resources/`` turn them into Clerk's shapes; operations there create and change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Verification:
    status: str  # verified | unverified | failed | expired
    strategy: str  # admin | email_code | phone_code | from_oauth_google | ...
    attempts: int | None = None
    expire_at: int | None = None
    code: str | None = None  # the pending one-time code (never serialized)


@dataclass(slots=True)
class Identification:
    """An email address, phone number or web3 wallet; Clerk gives all of them ``idn_`` ids."""

    id: str
    kind: str  # email_address | phone_number | web3_wallet
    user_id: str | None
    value: str
    created_at: int
    updated_at: int
    verification: Verification | None = None
    reserved: bool = False
    reserved_for_second_factor: bool = False
    default_second_factor: bool = False
    linked_to: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class ExternalAccount:
    id: str
    provider: str  # oauth_google, oauth_github, ...
    provider_user_id: str
    identification_id: str
    email_address: str
    first_name: str
    last_name: str
    created_at: int
    updated_at: int
    username: str | None = None
    image_url: str | None = None
    approved_scopes: str = "email profile"
    public_metadata: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    access_token: str = ""
    access_token_expires_at: int | None = None


@dataclass(slots=True)
class Passkey:
    id: str
    name: str
    last_used_at: int
    created_at: int


@dataclass(slots=True)
class TrustedDevice:
    id: str
    platform: str  # ios | android
    app_identifier: str
    name: str | None
    created_at: int
    updated_at: int
    status: str = "active"
    last_used_at: int | None = None
    revoked_at: int | None = None


@dataclass(slots=True)
class User:
    id: str
    created_at: int
    updated_at: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    external_id: str | None = None
    locale: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    unsafe_metadata: dict[str, Any] = field(default_factory=dict)
    email_ids: list[str] = field(default_factory=list)
    phone_ids: list[str] = field(default_factory=list)
    web3_ids: list[str] = field(default_factory=list)
    primary_email_address_id: str | None = None
    primary_phone_number_id: str | None = None
    primary_web3_wallet_id: str | None = None
    password_hash: str | None = None  # "scheme$..." (see passwords.py), never the plain password
    password_last_updated_at: int | None = None
    password_compromised: bool = False
    totp_secret: str | None = None
    backup_code_hashes: list[str] = field(default_factory=list)
    mfa_enabled_at: int | None = None
    mfa_disabled_at: int | None = None
    passkeys: list[Passkey] = field(default_factory=list)
    external_accounts: list[ExternalAccount] = field(default_factory=list)
    trusted_devices: list[TrustedDevice] = field(default_factory=list)
    image_url: str | None = None  # an uploaded profile image; None -> Clerk's default avatar
    banned: bool = False
    locked: bool = False
    lockout_expires_at: int | None = None
    last_sign_in_at: int | None = None
    last_active_at: int | None = None
    legal_accepted_at: int | None = None
    delete_self_enabled: bool = True
    create_organization_enabled: bool = True
    create_organizations_limit: int | None = None
    bypass_client_trust: bool = False
