"""Second factors the user sets up from the browser (`<UserProfile/>`'s security page): postTOTP, verifyTOTP,
deleteTOTP, createBackupCodes.

A TOTP secret is pending until a code from it verifies; then it is the user's (the Backend API's
``totp_secret``, so ``totp_enabled`` and the sign-in second factor follow) and, on the first factor enabled,
ten backup codes are issued.  Secrets and codes come from the engine's seeded generator.
"""

from __future__ import annotations

from clerkmock.engine.resources import credentials

import base64
from typing import Any
from urllib.parse import quote

import pyotp

from clerkmock.engine import errors
from clerkmock.engine.fapi import environment
from clerkmock.engine.fapi.me import me
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.records import User
from clerkmock.engine.resources import users
from clerkmock.engine.resources.orgs.serializers import user_identifier
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("mfa")
BACKUP_CODES = 10


def _totp_json(ctx: FapiCtx, user: User, secret: str | None, *, verified: bool,
               backup_codes: list[str] | None = None) -> dict[str, Any]:
    app = environment.settings(ctx.state)["application_name"]
    uri = None
    if secret is not None:
        label = quote(f"{app}:{user_identifier(ctx.state, user)}")
        uri = f"otpauth://totp/{label}?issuer={quote(app)}&secret={secret}&algorithm=SHA1&digits=6&period=30"
    out: dict[str, Any] = {"object": "totp", "id": f"totp_{user.id.removeprefix('user_')}", "secret": secret,
                           "uri": uri, "verified": verified, "created_at": ctx.now, "updated_at": ctx.now}
    if backup_codes is not None:
        out["backup_codes"] = backup_codes
    return out


def _new_backup_codes(ctx: FapiCtx, user: User) -> list[str]:
    codes = [ctx.state.ids.token(6).lower()[:8] for _ in range(BACKUP_CODES)]
    user.backup_code_hashes = [credentials.hash_backup_code(c) for c in codes]
    return codes


@ROUTES.op("postTOTP")
def post_totp(ctx: FapiCtx) -> Json:
    user = me(ctx)
    if user.totp_secret is not None:
        raise errors.bad_request("TOTP already enabled", "TOTP is already enabled for this account.",
                                 code="totp_already_enabled")
    secret = base64.b32encode(ctx.state.ids.token(20).encode()[:20]).decode().rstrip("=")
    ctx.state.fapi.pending_totp[user.id] = secret
    return _totp_json(ctx, user, secret, verified=False)


@ROUTES.op("verifyTOTP")
def verify_totp(ctx: FapiCtx) -> Json:
    st = ctx.state
    user = me(ctx)
    secret = st.fapi.pending_totp.get(user.id)
    if secret is None:
        raise errors.bad_request("No TOTP to verify", "Create a TOTP secret first (POST /v1/me/totp).",
                                 code="totp_not_prepared")
    code = (body_param(ctx, "code") or "").strip()
    if not pyotp.TOTP(secret).verify(code, for_time=ctx.now // 1000, valid_window=1):
        raise errors.form_code_incorrect()
    del st.fapi.pending_totp[user.id]
    first = user.totp_secret is None and not user.backup_code_hashes
    user.totp_secret, user.mfa_enabled_at, user.updated_at = secret, ctx.now, ctx.now
    codes = _new_backup_codes(ctx, user) if first else None
    users.emit_updated(st, user, ctx.now)
    return _totp_json(ctx, user, None, verified=True, backup_codes=codes)


@ROUTES.op("deleteTOTP")
def delete_totp(ctx: FapiCtx) -> Json:
    user = me(ctx)
    if user.totp_secret is None:
        raise errors.resource_not_found("No TOTP is enabled for this account.", "TOTP not found")
    user.totp_secret, user.updated_at = None, ctx.now
    if not user.backup_code_hashes:
        user.mfa_disabled_at = ctx.now
    users.emit_updated(ctx.state, user, ctx.now)
    return {"object": "totp", "id": f"totp_{user.id.removeprefix('user_')}", "deleted": True}


@ROUTES.op("createBackupCodes")
def create_backup_codes(ctx: FapiCtx) -> Json:
    user = me(ctx)
    if user.totp_secret is None:
        raise errors.bad_request("No second factor", "Enable a second factor before creating backup codes.",
                                 code="backup_codes_require_second_factor")
    codes = _new_backup_codes(ctx, user)
    users.emit_updated(ctx.state, user, ctx.now)
    return {"object": "backup_code", "id": f"bc_{user.id.removeprefix('user_')}", "codes": codes,
            "created_at": ctx.now, "updated_at": ctx.now}
