"""Applications acting on the instance's behalf: OAuth applications (Clerk as an OAuth/OIDC provider), agent tasks
and admin portal link tokens."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class OAuthApplication:
    id: str  # oa_ + 27 base62
    name: str
    client_id: str
    client_secret: str  # "" for public clients
    created_at: int
    updated_at: int
    scopes: str = "profile email"
    redirect_uris: list[str] = field(default_factory=list)
    consent_screen_enabled: bool = True
    pkce_required: bool = False
    public: bool = False
    client_image_url: str | None = None


@dataclass(slots=True)
class AgentTask:
    id: str  # agtask_ + 27 base62
    agent_id: str
    agent_name: str
    user_id: str
    task_description: str
    redirect_url: str
    session_max_duration_s: int
    ticket: str
    created_at: int
    updated_at: int
    status: str = "pending"  # pending | revoked (accepting happens on the Frontend API)


@dataclass(slots=True)
class AdminPortalLinkToken:
    id: str  # aplt_ + 32 hex
    admin_portal_link_id: str
    token: str
    created_at: int
    updated_at: int
    expiration: int | None
    organization_id: str | None = None
    it_contact_id: str | None = None
    scopes: list[str] | None = None
    revoked: bool = False
    revocation_reason: str | None = None


class AppTables:
    def __init__(self) -> None:
        self.oauth_applications: dict[str, OAuthApplication] = {}
        self.oauth_client_ids: dict[str, str] = {}  # client_id -> oa_ id
        self.agents: dict[str, str] = {}  # agent_name -> agent id (stable per name within the instance)
        self.agent_tasks: dict[str, AgentTask] = {}
        self.admin_portal_links: dict[str, str] = {}  # organization id ("" for none) -> apl_ id
        self.admin_portal_link_tokens: dict[str, AdminPortalLinkToken] = {}
