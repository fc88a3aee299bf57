"""Sign Ups: GetSignUp, UpdateSignUp.

Sign-up attempts come from the Frontend API; the Backend API can only read one and set its ``external_id``
and ``custom_action``.  The emulator has no Frontend API, so ``state.instance_config.sign_ups`` is filled by
scenarios or tests; an unknown id is a 404 ``resource_not_found``.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.instance import SignUp
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("sign_ups")
ABANDON_AFTER_MS = 24 * 3600 * 1000  # an unfinished sign-up is abandoned after 24 hours (inferred)

# -- serializers --------------------------------------------------------------------------------------------------


def _verification(s: SignUp, field: str) -> dict[str, Any] | None:
    if getattr(s, field) is None:
        return None
    strategy = {"email_address": "email_code", "phone_number": "phone_code", "web3_wallet": "web3_metamask_signature"}
    unverified = field in s.unverified_fields
    return {
        "status": "unverified" if unverified else "verified",
        "strategy": strategy[field],
        "attempts": None,
        "expire_at": None,
        "next_action": "needs_prepare" if unverified else "",
        "supported_strategies": [strategy[field]],
    }


def sign_up_json(s: SignUp) -> dict[str, Any]:
    return {
        "object": "sign_up_attempt",
        "id": s.id,
        "status": s.status,
        "required_fields": list(s.required_fields),
        "optional_fields": [],
        "missing_fields": list(s.missing_fields),
        "unverified_fields": list(s.unverified_fields),
        "verifications": {
            "email_address": _verification(s, "email_address"),
            "phone_number": _verification(s, "phone_number"),
            "web3_wallet": None,
            "external_account": None,
        },
        "username": s.username,
        "email_address": s.email_address,
        "phone_number": s.phone_number,
        "web3_wallet": None,
        "password_enabled": s.password_enabled,
        "first_name": s.first_name,
        "last_name": s.last_name,
        "unsafe_metadata": s.unsafe_metadata,
        "public_metadata": {},
        "custom_action": s.custom_action,
        "external_id": s.external_id,
        "created_session_id": s.created_session_id,
        "created_user_id": s.created_user_id,
        "abandon_at": s.created_at + ABANDON_AFTER_MS,
        "legal_accepted_at": None,
        "locale": None,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def require_sign_up(st: State, sign_up_id: str) -> SignUp:
    s = st.instance_config.sign_ups.get(sign_up_id)
    if s is None:
        raise errors.resource_not_found(f"No sign up was found with id {sign_up_id}")
    return s


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.get("/sign_ups/{id}", "get")
def get_sign_up(ctx: Ctx) -> Json:
    return sign_up_json(require_sign_up(ctx.state, ctx.path["id"]))


@ROUTES.patch("/sign_ups/{id}", "update")
def update_sign_up(ctx: Ctx) -> Json:
    s = require_sign_up(ctx.state, ctx.path["id"])
    if "external_id" in ctx.body:
        s.external_id = ctx.body["external_id"] or None
    if ctx.body.get("custom_action") is not None:
        s.custom_action = ctx.body["custom_action"]
    return sign_up_json(s)
