"""Health and keys on the Frontend API: getHealth, getJWKS (``/.well-known/jwks.json``, the Backend API's JWKS:
one signer)."""

from __future__ import annotations

from clerkmock.engine import tokens
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes
from clerkmock.engine.resources.auth.common import signing_key
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("wellknown")


@ROUTES.op("getHealth", bare=True)
def get_health(ctx: FapiCtx) -> Json:
    return {"status": "healthy"}


@ROUTES.op("getJWKS", bare=True)
def get_jwks(ctx: FapiCtx) -> Json:
    return {"keys": [tokens.jwk(signing_key(ctx.state), ctx.state.instance.id)]}
