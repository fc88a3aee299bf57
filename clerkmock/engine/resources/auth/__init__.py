"""Sessions, clients and tokens: Sessions, Clients, JWKS, JWT Templates, Sign-in/Actor/Testing tokens,
M2M tokens, API keys, Machines, OAuth access token verification."""

ROUTE_SETS: list = []
