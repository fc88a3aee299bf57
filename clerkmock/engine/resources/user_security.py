"""A user's credentials and linked things: RemoveUserPassword, VerifyPassword, VerifyTOTP, DisableMFA,
DeleteBackupCode, DeleteTOTP, UserPasskeyDelete, UserWeb3WalletDelete, DeleteExternalAccount,
ListUserTrustedDevices, RevokeUserTrustedDevice, SetUserPasswordCompromised, UnsetUserPasswordCompromised,
GetOAuthAccessToken.  (UsersGetOrganizationMemberships and UsersGetOrganizationInvitations live with the
organization groups, in ``orgs/memberships.py`` and ``orgs/org_invitations.py``.)
"""

from __future__ import annotations

import hmac

import pyotp

from clerkmock.engine import errors, passwords
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records import TrustedDevice, User
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources.users import _hash_code, deleted_json, emit_updated, require_user, updated, user_json
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.types import Json

ROUTES = RouteSet("users")

# -- passwords ----------------------------------------------------------------------------------------------------


@ROUTES.post("/users/{user_id}/remove_password", "remove_password")
def remove_user_password(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    if user.password_hash is not None:  # without a password the user is returned unchanged
        user.password_hash = None
        user.password_compromised = False
        user.updated_at = ctx.now
        return updated(ctx, user)
    return user_json(ctx.state, user, ctx.now)


@ROUTES.post("/users/{user_id}/verify_password", "verify_password")
def verify_password(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    if user.password_hash is None:
        raise errors.bad_request("no password set", "This user does not have a password set.", code="no_password_set")
    if not passwords.verify(ctx.body["password"], user.password_hash):
        raise errors.unprocessable("incorrect_password", "Password is incorrect. Try again, or use another method.",
                                   param_name="password")
    return {"verified": True}


def _set_compromised(ctx: Ctx, value: bool) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    if user.password_hash is None:
        raise errors.bad_request("no password set", "This user does not have a password set.", code="no_password_set")
    user.password_compromised = value
    user.updated_at = ctx.now
    return updated(ctx, user)


@ROUTES.post("/users/{user_id}/password/set_compromised", "set_password_compromised")
def set_user_password_compromised(ctx: Ctx) -> Json:
    return _set_compromised(ctx, True)


@ROUTES.post("/users/{user_id}/password/unset_compromised", "unset_password_compromised")
def unset_user_password_compromised(ctx: Ctx) -> Json:
    return _set_compromised(ctx, False)


# -- MFA ----------------------------------------------------------------------------------------------------------


@ROUTES.post("/users/{user_id}/verify_totp", "verify_totp")
def verify_totp(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    if user.totp_secret is None and not user.backup_code_hashes:
        raise errors.bad_request("TOTP is disabled", "This user does not have TOTP or backup codes configured.",
                                 code="totp_disabled")
    kind = match_second_factor(user, ctx.body["code"], ctx.now)
    if kind is not None:
        if kind == "backup_code" and not user.backup_code_hashes:  # the last one: backup_code_enabled turns false
            emit_updated(ctx.state, user, ctx.now)
        return {"verified": True, "code_type": kind}
    raise errors.unprocessable("totp_incorrect_code", "Incorrect code", "The TOTP or backup code is incorrect.",
                               param_name="code")


def match_second_factor(user: User, code: str, now: int) -> str | None:
    """"totp" or "backup_code" when ``code`` is one of the user's (a backup code is used up), else None.  Shared
    with the Frontend API's second-factor step."""
    code = code.strip()
    if user.totp_secret is not None and len(code) == 6 and code.isdigit():
        # pyotp with the engine's clock, one 30 s step of tolerance either side (as authenticator apps drift)
        if pyotp.TOTP(user.totp_secret).verify(code, for_time=now // 1000, valid_window=1):
            return "totp"
    hashed = _hash_code(code)
    for stored in user.backup_code_hashes:
        if hmac.compare_digest(stored, hashed):
            user.backup_code_hashes.remove(stored)  # a backup code works once
            return "backup_code"
    return None


def _mfa_changed(ctx: Ctx, user_id: str) -> Json:
    user = require_user(ctx.state, user_id)
    user.mfa_disabled_at = ctx.now
    user.updated_at = ctx.now
    updated(ctx, user)
    return {"user_id": user.id}


@ROUTES.delete("/users/{user_id}/mfa", "disable_mfa")
def disable_mfa(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    user.totp_secret = None
    user.backup_code_hashes = []
    for pid in user.phone_ids:
        phone = ctx.state.identifications[pid]
        phone.reserved_for_second_factor = phone.default_second_factor = False
    return _mfa_changed(ctx, user.id)


@ROUTES.delete("/users/{user_id}/backup_code", "delete_backup_code")
def delete_backup_code(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    user.backup_code_hashes = []
    return _mfa_changed(ctx, user.id)


@ROUTES.delete("/users/{user_id}/totp", "delete_totp")
def delete_totp(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    user.totp_secret = None
    return _mfa_changed(ctx, user.id)


# -- passkeys, wallets, external accounts -----------------------------------------------------------------------


@ROUTES.delete("/users/{user_id}/passkeys/{passkey_identification_id}", "delete_passkey")
def user_passkey_delete(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    pid = ctx.path["passkey_identification_id"]
    passkey = next((p for p in user.passkeys if p.id == pid), None)
    if passkey is None:
        raise errors.resource_not_found(f"No passkey was found with id {pid}")
    user.passkeys.remove(passkey)
    user.updated_at = ctx.now
    updated(ctx, user)
    return deleted_json("passkey", pid)


@ROUTES.delete("/users/{user_id}/web3_wallets/{web3_wallet_identification_id}", "delete_web3_wallet")
def user_web3_wallet_delete(ctx: Ctx) -> Json:
    st = ctx.state
    user = require_user(st, ctx.path["user_id"])
    wid = ctx.path["web3_wallet_identification_id"]
    if wid not in user.web3_ids:
        raise errors.resource_not_found(f"No web3 wallet was found with id {wid}")
    idns.detach(st, user, st.identifications[wid])
    user.updated_at = ctx.now
    updated(ctx, user)
    return deleted_json("web3_wallet", wid)


@ROUTES.delete("/users/{user_id}/external_accounts/{external_account_id}", "delete_external_account")
def delete_external_account(ctx: Ctx) -> Json:
    st = ctx.state
    user = require_user(st, ctx.path["user_id"])
    eid = ctx.path["external_account_id"]
    account = next((a for a in user.external_accounts if a.id == eid), None)
    if account is None:
        raise errors.resource_not_found(f"No external account was found with id {eid}")
    user.external_accounts.remove(account)
    st.provider_index.pop((account.provider, account.provider_user_id), None)
    user.updated_at = ctx.now
    updated(ctx, user)
    return deleted_json("external_account", eid)


@ROUTES.get("/users/{user_id}/oauth_access_tokens/{provider}", "oauth_access_tokens")
def get_oauth_access_token(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    provider = ctx.path["provider"]
    wanted = provider if provider.startswith("oauth_") else f"oauth_{provider}"
    tokens = [
        {
            "object": "oauth_access_token",
            "external_account_id": a.id,
            "provider_user_id": a.provider_user_id,
            "token": a.access_token,
            "expires_at": a.access_token_expires_at,
            "provider": a.provider,
            "public_metadata": a.public_metadata,
            "label": a.label,
            "scopes": a.approved_scopes.split(),
        }
        for a in user.external_accounts
        if a.provider == wanted
    ]
    if ctx.query.get("paginated"):
        limit, offset = limit_offset(ctx.query)
        return paginated(tokens[offset : offset + limit], len(tokens))
    return tokens


# -- trusted devices ---------------------------------------------------------------------------------------------


def _device_json(d: TrustedDevice) -> dict[str, object]:
    return {
        "object": "trusted_device",
        "id": d.id,
        "platform": d.platform,
        "app_identifier": d.app_identifier,
        "name": d.name,
        "algorithm": "ES256",
        "status": d.status,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "last_used_at": d.last_used_at,
        "revoked_at": d.revoked_at,
    }


@ROUTES.get("/users/{user_id}/trusted_devices", "list_trusted_devices")
def list_user_trusted_devices(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    limit, offset = limit_offset(ctx.query)
    devices = sorted(user.trusted_devices, key=lambda d: (d.created_at, d.id), reverse=True)
    return paginated([_device_json(d) for d in devices[offset : offset + limit]], len(devices))


@ROUTES.delete("/users/{user_id}/trusted_devices/{trusted_device_id}", "revoke_trusted_device")
def revoke_user_trusted_device(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    did = ctx.path["trusted_device_id"]
    device = next((d for d in user.trusted_devices if d.id == did), None)
    if device is None:
        raise errors.resource_not_found(f"No trusted device was found with id {did}")
    device.status = "revoked"
    device.revoked_at = device.updated_at = ctx.now
    return _device_json(device)
