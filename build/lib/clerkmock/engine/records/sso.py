"""Enterprise SSO and message templates: enterprise connections (a SAML connection is the SAML configuration of
an enterprise connection, served again under ``/saml_connections``: one store), their test runs, and the email
and SMS templates (system defaults seeded lazily, user overrides)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SamlConfig:
    """The SAML side of an enterprise connection; its id (``samlc_``) is the SAML connection's id."""

    id: str
    idp_entity_id: str | None = None
    idp_sso_url: str | None = None
    idp_certificate: str | None = None
    idp_metadata_url: str | None = None
    idp_metadata: str | None = None
    attribute_mapping: dict[str, str] = field(default_factory=dict)
    allow_subdomains: bool = False
    allow_idp_initiated: bool = False
    force_authn: bool = False
    login_hint: dict[str, Any] = field(default_factory=lambda: {"mode": "email_address"})


@dataclass(slots=True)
class OidcConfig:
    id: str
    created_at: int
    updated_at: int
    client_id: str | None = None
    client_secret: str | None = None  # never shown
    discovery_url: str | None = None
    auth_url: str | None = None
    token_url: str | None = None
    user_info_url: str | None = None
    requires_pkce: bool = False


@dataclass(slots=True)
class EnterpriseConnection:
    id: str
    name: str
    provider: str  # saml_* | oidc_*
    domains: list[str]  # lower-cased, unique across connections
    created_at: int
    updated_at: int
    organization_id: str | None = None
    active: bool = False
    sync_user_attributes: bool = True
    disable_additional_identifications: bool = False
    allow_organization_account_linking: bool = False
    custom_attributes: list[dict[str, Any]] = field(default_factory=list)
    saml: SamlConfig | None = None
    oidc: OidcConfig | None = None


@dataclass(slots=True)
class TestRun:
    __test__ = False  # not a pytest class

    id: str
    connection_id: str
    connection_type: str  # saml | oauth
    created_at: int
    status: str = "pending"


@dataclass(slots=True)
class Template:
    id: str
    template_type: str  # email | sms
    slug: str
    name: str
    position: int
    body: str
    markup: str
    subject: str | None
    required_variables: list[str]
    available_variables: list[str]
    created_at: int
    updated_at: int
    resource_type: str = "system"  # system | user (an override)
    from_email_name: str = "notifications"
    reply_to_email_name: str = ""
    delivered_by_clerk: bool = True
    enabled: bool = True
    can_toggle: bool = False


class SsoTables:
    def __init__(self) -> None:
        self.connections: dict[str, EnterpriseConnection] = {}
        self.saml_index: dict[str, str] = {}  # samlc_ id -> enterprise connection id
        self.domain_index: dict[str, str] = {}  # lower-cased domain -> enterprise connection id
        self.test_runs: dict[str, TestRun] = {}
        self.templates: dict[tuple[str, str], Template] = {}  # (template_type, slug); seeded on first use
