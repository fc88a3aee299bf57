"""Instance-level configuration and lists: allow/block-list identifiers, redirect URLs, domains, waitlist
entries, sign-ups, the Svix app and the instance's settings (restrictions, protect, communication, OAuth
application settings, organization settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine.records.organizations import fixed_id

# The primary domain exists from the start; its name follows the instance's frontend host until renamed.
PRIMARY_DOMAIN_ID = fixed_id("dmn", "primary")


@dataclass(slots=True)
class ListIdentifier:
    """An allow-list or block-list entry."""

    id: str
    identifier: str
    identifier_type: str  # email_address | phone_number | web3_wallet
    created_at: int
    updated_at: int
    invitation_id: str | None = None  # allow-list entries created with notify=true


@dataclass(slots=True)
class RedirectUrl:
    id: str
    url: str
    created_at: int
    updated_at: int


@dataclass(slots=True)
class Domain:
    id: str
    name: str | None  # None: the instance's frontend host (the primary domain before any rename)
    is_satellite: bool
    created_at: int
    proxy_url: str | None = None
    is_secondary: bool = False


@dataclass(slots=True)
class WaitlistEntry:
    id: str
    email_address: str
    status: str  # pending | invited | rejected | completed
    created_at: int
    updated_at: int
    invitation_id: str | None = None


@dataclass(slots=True)
class SignUp:
    """A sign-up attempt.  The Backend API cannot create one (they come from the Frontend API); scenarios and
    tests put them here directly."""

    id: str
    created_at: int
    status: str = "missing_requirements"
    email_address: str | None = None
    phone_number: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
    custom_action: bool = False
    password_enabled: bool = False
    required_fields: list[str] = field(default_factory=lambda: ["email_address"])
    missing_fields: list[str] = field(default_factory=list)
    unverified_fields: list[str] = field(default_factory=list)
    unsafe_metadata: dict[str, Any] = field(default_factory=dict)
    created_user_id: str | None = None
    created_session_id: str | None = None


class InstanceTables:
    def __init__(self) -> None:
        self.allowlist: dict[str, ListIdentifier] = {}
        self.allowlist_index: dict[str, str] = {}  # normalized identifier -> alid_ id
        self.blocklist: dict[str, ListIdentifier] = {}
        self.blocklist_index: dict[str, str] = {}  # normalized identifier -> blid_ id
        self.redirect_urls: dict[str, RedirectUrl] = {}
        self.redirect_url_index: dict[str, str] = {}  # url -> ru_ id
        self.domains: dict[str, Domain] = {PRIMARY_DOMAIN_ID: Domain(PRIMARY_DOMAIN_ID, None, False, 0)}
        self.waitlist: dict[str, WaitlistEntry] = {}
        self.waitlist_index: dict[str, str] = {}  # lower-cased email -> waitlist entry id
        self.sign_ups: dict[str, SignUp] = {}
        self.svix_app: bool = False
        # PATCH /instance (returns nothing; GET /instance shows allowed_origins)
        self.settings: dict[str, Any] = {
            "test_mode": True, "hibp": True, "support_email": None, "clerk_js_version": None,
            "development_origin": "", "allowed_origins": None, "url_based_session_syncing": True,
            "preferred_sign_in_strategy_when_password_required": "password",
        }
        # PATCH /beta_features/instance_settings
        self.auth_config: dict[str, Any] = {
            "restricted_to_allowlist": False, "from_email_address": "notifications", "progressive_sign_up": True,
            "enhanced_email_deliverability": False,
        }
        self.restrictions: dict[str, bool] = {
            "allowlist": False, "blocklist": False, "allowlist_blocklist_disabled_on_sign_in": False,
            "block_email_subaddresses": False, "block_disposable_email_domains": False,
        }
        self.protect: dict[str, bool] = {"rules_enabled": False, "specter_enabled": False}
        self.blocked_country_codes: list[str] = []
        self.oauth_application_settings: dict[str, Any] = {
            "dynamic_oauth_client_registration": False, "default_scopes": None, "oauth_jwt_access_tokens": False,
            "client_id_metadata_documents_advertised": False,
            "client_id_metadata_documents_only_allow_pre_registered_clients": False,
            "client_id_metadata_documents_block_implicitly_allowed_clients": False,
        }
        # organization settings not held by state.orgs (memberships and domain limits live there)
        self.organization_settings: dict[str, Any] = {
            "enabled": True, "admin_delete_enabled": True, "domains_enabled": False, "slug_disabled": False,
            "domains_enrollment_modes": [],
        }
        self.domains_default_role_key: str = "org:member"
