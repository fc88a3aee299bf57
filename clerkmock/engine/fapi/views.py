"""The Frontend API's shapes: client, session (with its user and a fresh token), user, sign-in and sign-up
attempts, organization memberships.  Built from the Backend API's records and serializers where the shapes
agree (reference/clerk-fapi.md §5); the only place a FAPI shape is built.  Timestamps in ms."""

from __future__ import annotations

from clerkmock.engine.resources.orgs import serializers as org_serializers

from typing import Any

from clerkmock.engine.fapi.sign_up_fields import field_status
from clerkmock.engine.fapi.routing import FapiCtx
from clerkmock.engine.records import User
from clerkmock.engine.records.fapi import Factor, SignInAttempt, SignUpAttempt
from clerkmock.engine.records.sessions import Client, Session
from clerkmock.engine.resources import users
from clerkmock.engine.resources.auth import claims as claims_mod
from clerkmock.engine.resources.auth import session_tasks
from clerkmock.engine.resources.auth import sessions as bapi_sessions
from clerkmock.engine.spec import LATEST_VERSION

LIVE = ("active", "pending")  # the statuses a browser still holds on its client


def token_version(ctx: FapiCtx) -> str:
    """clerk-js sends dates newer than any spec (2026-08-20): any date is accepted, unknown ones act as the
    newest.  Only the token claims depend on it (v2 from 2025-04-10)."""
    value = ctx.version
    return value if len(value) == 10 and value[4] == "-" and value[7] == "-" else LATEST_VERSION


def mint(ctx: FapiCtx, sess: Session) -> str:
    """A session token from the Backend API's signer and claims, ``azp`` = the page's origin."""
    return bapi_sessions.mint_session_token(ctx.state, sess, ctx.now, token_version(ctx), azp=ctx.origin)


def live_sessions(ctx: FapiCtx, client: Client) -> list[Session]:
    st = ctx.state
    out = []
    for sid in client.session_ids:
        sess = st.auth.sessions.get(sid)
        if sess is not None and sess.status_at(ctx.now) in LIVE and sess.user_id in st.users:
            out.append(sess)
    return out


def client_json(ctx: FapiCtx, client: Client) -> dict[str, Any]:
    st = ctx.state
    sessions = live_sessions(ctx, client)
    last = client.last_active_session_id if any(s.id == client.last_active_session_id for s in sessions) else None
    sign_in = st.fapi.sign_ins.get(client.sign_in_id) if client.sign_in_id else None
    sign_up = st.fapi.sign_ups.get(client.sign_up_id) if client.sign_up_id else None
    return {
        "object": "client",
        "id": client.id,
        "sessions": [session_json(ctx, s) for s in sessions],
        "sign_in": sign_in_json(ctx, sign_in) if sign_in else None,
        "sign_up": sign_up_json(ctx, sign_up) if sign_up else None,
        "last_active_session_id": last,
        "last_authentication_strategy": client.last_authentication_strategy,
        "cookie_expires_at": None,
        "captcha_bypass": False,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def session_json(ctx: FapiCtx, sess: Session) -> dict[str, Any]:
    st, now = ctx.state, ctx.now
    user = st.users[sess.user_id]
    status = sess.status_at(now)
    return {
        "object": "session",
        "id": sess.id,
        "status": status,
        "expire_at": sess.expire_at,
        "abandon_at": sess.abandon_at,
        "last_active_at": sess.last_active_at,
        "last_active_organization_id": sess.last_active_organization_id,
        # clerk-js takes the first token from here (no /tokens call after sign-in): always a fresh one
        "last_active_token": {"object": "token", "jwt": mint(ctx, sess)} if status in LIVE else None,
        "actor": sess.actor,
        "tasks": session_tasks.tasks(sess, now),
        "factor_verification_age": claims_mod.fva(sess, now),
        "user": user_json(ctx, user),
        "public_user_data": org_serializers.public_user_data(st, user),
        "created_at": sess.created_at,
        "updated_at": sess.updated_at,
    }


def user_json(ctx: FapiCtx, user: User) -> dict[str, Any]:
    """The Backend API's user without what the browser must not see, plus its organization memberships."""
    st = ctx.state
    out = users.user_json(st, user, ctx.now)
    out.pop("private_metadata", None)
    if out.get("create_organizations_limit") is None:  # FAPI's schema has it as a plain integer: absent = none
        out.pop("create_organizations_limit", None)
    out["organization_memberships"] = [membership_json(ctx, m) for m in st.orgs.user_memberships(user.id)]
    return out


def membership_json(ctx: FapiCtx, mem: Any) -> dict[str, Any]:
    out = org_serializers.membership_json(ctx.state, mem)
    out.pop("private_metadata", None)
    org = out["organization"]
    for hidden in ("private_metadata", "role_set_key", "created_by"):
        org.pop(hidden, None)
    return out


# -- sign-in / sign-up ------------------------------------------------------------------------------------------


def factor_json(f: Factor | None) -> dict[str, Any] | None:
    if f is None:
        return None
    if f.strategy.startswith(("oauth_", "from_oauth_")):
        from clerkmock.engine.fapi.oauth_accounts import verification_json

        return verification_json(f)
    if f.strategy == "password":
        return {"object": "verification_password", "status": f.status, "strategy": "password",
                "attempts": f.attempts or None, "expire_at": None}
    if f.strategy == "ticket":
        return {"object": "verification_ticket", "status": f.status, "strategy": "ticket",
                "attempts": f.attempts or None, "expire_at": f.expire_at}
    if f.strategy in ("totp", "backup_code"):
        return {"object": "verification_" + f.strategy, "status": f.status, "strategy": f.strategy,
                "attempts": f.attempts or None, "expire_at": f.expire_at}
    out = {"object": "verification_otp", "status": f.status, "strategy": f.strategy, "attempts": f.attempts,
           "expire_at": f.expire_at}
    if f.strategy in ("phone_code", "reset_password_phone_code"):
        out["channel"] = "sms"
    return out


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{'*' * max(1, len(local) - 1)}@{domain}" if domain else value


def mask_phone(value: str) -> str:
    return value[:-4].translate({ord(c): "*" for c in "0123456789"}) + value[-4:] if len(value) > 4 else value


def first_factors(ctx: FapiCtx, user: User) -> list[dict[str, Any]]:
    """The strategies this user can sign in with, primary identification first."""
    st = ctx.state
    out: list[dict[str, Any]] = []
    if user.password_hash is not None:
        out.append({"strategy": "password"})
    for idn_id in user.email_ids:
        idn = st.identifications[idn_id]
        primary = idn_id == user.primary_email_address_id
        for strategy in ("email_code", "reset_password_email_code"):
            if strategy == "reset_password_email_code" and user.password_hash is None:
                continue
            out.append({"strategy": strategy, "safe_identifier": mask_email(idn.value) if not primary else idn.value,
                        "email_address_id": idn.id, "primary": primary})
    for idn_id in user.phone_ids:
        idn = st.identifications[idn_id]
        if idn.reserved_for_second_factor:
            continue
        primary = idn_id == user.primary_phone_number_id
        out.append({"strategy": "phone_code", "safe_identifier": idn.value, "phone_number_id": idn.id,
                    "primary": primary})
    return out


def second_factors(ctx: FapiCtx, user: User) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if user.totp_secret is not None:
        out.append({"strategy": "totp"})
    for idn_id in user.phone_ids:
        idn = ctx.state.identifications[idn_id]
        if idn.reserved_for_second_factor:
            out.append({"strategy": "phone_code", "safe_identifier": mask_phone(idn.value), "phone_number_id": idn.id,
                        "primary": idn_id == user.primary_phone_number_id, "default": idn.default_second_factor})
    if user.backup_code_hashes:
        out.append({"strategy": "backup_code"})
    return out


def sign_in_json(ctx: FapiCtx, si: SignInAttempt) -> dict[str, Any]:
    st = ctx.state
    user = st.users.get(si.user_id) if si.user_id else None
    user_data = None
    if user is not None:
        image = user.image_url or users.default_image_url(st, user)
        user_data = {"first_name": user.first_name, "last_name": user.last_name, "image_url": image,
                     "has_image": user.image_url is not None}
    return {
        "object": "sign_in_attempt",
        "id": si.id,
        "status": si.status,
        "supported_identifiers": supported_identifiers(ctx),
        "supported_first_factors": first_factors(ctx, user) if user and si.status != "complete" else [],
        "supported_second_factors": second_factors(ctx, user) if user and si.status == "needs_second_factor" else [],
        "first_factor_verification": factor_json(si.first_factor),
        "second_factor_verification": factor_json(si.second_factor),
        "identifier": si.identifier,
        "user_data": user_data,
        "created_session_id": si.created_session_id,
        "abandon_at": si.abandon_at,
    }


def supported_identifiers(ctx: FapiCtx) -> list[str]:
    from clerkmock.engine.fapi import environment

    return environment.identifiers(ctx.state)


def sign_up_json(ctx: FapiCtx, su: SignUpAttempt) -> dict[str, Any]:
    required, optional, missing, unverified = field_status(ctx.state, su)
    verifications: dict[str, Any] = {"email_address": None, "phone_number": None, "web3_wallet": None,
                                     "external_account": None}
    for kind, f in su.verifications.items():
        out = factor_json(f)
        assert out is not None
        if kind == "external_account":
            verifications[kind] = out
            continue
        strategy = "email_code" if kind == "email_address" else "phone_code"
        out["next_action"] = "" if f.status == "verified" else "needs_attempt"
        out["supported_strategies"] = [strategy]
        verifications[kind] = out
    return {
        "object": "sign_up_attempt",
        "id": su.id,
        "status": su.status,
        "required_fields": required,
        "optional_fields": optional,
        "missing_fields": missing,
        "unverified_fields": unverified,
        "verifications": verifications,
        "username": su.username,
        "email_address": su.email_address,
        "phone_number": su.phone_number,
        "web3_wallet": None,
        "password_enabled": su.password is not None,
        "first_name": su.first_name,
        "last_name": su.last_name,
        "unsafe_metadata": su.unsafe_metadata,
        "public_metadata": {},
        "custom_action": False,
        "external_id": None,
        "created_session_id": su.created_session_id,
        "created_user_id": su.created_user_id,
        "abandon_at": su.abandon_at,
        "legal_accepted_at": su.legal_accepted_at,
    }
