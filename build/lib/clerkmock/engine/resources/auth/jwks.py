"""JWKS: GetJWKS.  The instance's RSA public key, ``kid`` = instance id, which is what session tokens name in
their header (reference/clerk-bapi.md §7).  ``@clerk/backend`` and the Python SDK fetch it to verify tokens."""

from __future__ import annotations

from clerkmock.engine import tokens
from clerkmock.engine.resources.auth.common import signing_key
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.types import Json

ROUTES = RouteSet("jwks")


@ROUTES.get("/jwks", "get")
def get_jwks(ctx: Ctx) -> Json:
    st = ctx.state
    return {"keys": [tokens.jwk(signing_key(st), st.instance.id)]}
