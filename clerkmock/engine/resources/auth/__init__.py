"""Sessions, clients and tokens: Sessions, Clients, JWKS, JWT Templates, Sign-in/Actor/Testing tokens,
M2M tokens, API keys, Machines, OAuth access token verification."""

from clerkmock.engine.resources.auth import (
    actor_tokens,
    api_keys,
    clients,
    jwks,
    jwt_templates,
    m2m_tokens,
    machines,
    oauth_tokens,
    sessions,
    sign_in_tokens,
    testing_tokens,
)

ROUTE_SETS = [
    sessions.ROUTES,
    clients.ROUTES,
    clients.UNDOCUMENTED_ROUTES,
    jwks.ROUTES,
    jwt_templates.ROUTES,
    sign_in_tokens.ROUTES,
    actor_tokens.ROUTES,
    testing_tokens.ROUTES,
    m2m_tokens.ROUTES,
    api_keys.ROUTES,
    machines.ROUTES,
    oauth_tokens.ROUTES,
]

