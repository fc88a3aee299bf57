"""Testing Tokens: CreateTestingToken.  ``{object:"testing_token", token:"<unix s>-<random>", expires_at:<unix s>}``
(seconds, unlike every other Clerk timestamp: spec example ``1713880800`` with token ``"1713877200-c_..."``).
Real testing tokens let Playwright/Cypress bypass bot protection on FAPI for an hour; the Frontend API surface
remembers them (engine/fapi/surface.py checks them in strict key mode)."""

from __future__ import annotations

from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.types import Json

ROUTES = RouteSet("testing_tokens")
LIFETIME_S = 3600  # the spec example's expires_at is the token's timestamp + 1 h


@ROUTES.post("/testing_tokens", "create")
def create_testing_token(ctx: Ctx) -> Json:
    now_s = ctx.now // 1000
    token = f"{now_s}-c_{ctx.state.ids.token(16)}"
    ctx.state.fapi.testing_tokens[token] = now_s + LIFETIME_S  # FAPI checks it in strict key mode
    return {"object": "testing_token", "token": token, "expires_at": now_s + LIFETIME_S}
