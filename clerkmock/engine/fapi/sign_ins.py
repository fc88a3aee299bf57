"""Sign-in attempts: createSignIn, getSignIn, prepareSignInFactorOne, attemptSignInFactorOne,
prepareSignInFactorTwo, attemptSignInFactorTwo, resetPassword.

The state machine (reference/clerk-fapi.md §2, §5): ``needs_identifier`` -> ``needs_first_factor`` (password,
email code, phone code; a ticket from ``POST /v1/sign_in_tokens`` skips it) -> ``needs_second_factor`` when the
user has TOTP or backup codes (set through the Backend API) -> ``complete``: a session on the browser's client,
``created_session_id``.  Forgotten password: ``reset_password_email_code`` -> ``needs_new_password`` ->
resetPassword.  Lock-out as the instance's attack protection says (``user_lockout``, 100 attempts).
"""

from __future__ import annotations

from clerkmock.engine.resources import credentials

from clerkmock.engine import errors, passwords
from clerkmock.engine.fapi import codes, environment, oauth_accounts, views
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.fapi.sessions import activate
from clerkmock.engine.records import User
from clerkmock.engine.records.fapi import Factor, SignInAttempt
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import users
from clerkmock.engine.resources.auth import sign_in_tokens
from clerkmock.engine.resources.user_security import match_second_factor
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("sign_ins")
ABANDON_MS = 24 * 3600 * 1000  # an unfinished attempt is abandoned after a day
LOCKOUT_ATTEMPTS = 100  # environment: attack_protection.user_lockout
LOCKOUT_MS = 60 * 60 * 1000


def find_user(ctx: FapiCtx, identifier: str) -> User | None:
    """The user an identifier names: a verified email or phone, or a username (as the environment allows)."""
    st = ctx.state
    value = identifier.strip()
    allowed = environment.identifiers(st)
    if "@" in value and "email_address" in allowed:
        kind = "email_address"
    elif value.startswith("+") and "phone_number" in allowed:
        kind = "phone_number"
    else:
        if "username" not in allowed and "email_address" in allowed and "@" not in value:
            return None
        user_id = st.username_index.get(value.lower())
        return st.users.get(user_id) if user_id else None
    for idn in idns.holders(st, kind, value):
        if idns.is_claimed(idn) and idn.user_id in st.users:
            return st.users[idn.user_id]
    return None


def current(ctx: FapiCtx) -> SignInAttempt:
    st = ctx.state
    si = st.fapi.sign_ins.get(ctx.path["sign_in_id"])
    if si is None or ctx.client is None or si.client_id != ctx.client.id:
        raise errors.resource_not_found(f"No sign in was found with id {ctx.path['sign_in_id']}", "Sign in not found")
    if si.status == "complete":
        raise errors.bad_request("Sign in already complete", "This sign in attempt has already been completed.",
                                 code="sign_in_already_complete")
    return si


def user_of(ctx: FapiCtx, si: SignInAttempt) -> User:
    user = ctx.state.users.get(si.user_id) if si.user_id else None
    if user is None:
        raise errors.form_identifier_not_found()
    return user


def check_not_locked(ctx: FapiCtx, user: User) -> None:
    if user.locked:
        left = (user.lockout_expires_at - ctx.now) // 1000 if user.lockout_expires_at else LOCKOUT_MS // 1000
        if user.lockout_expires_at is None or left > 0:
            raise errors.user_locked(left)
        user.locked, user.lockout_expires_at = False, None
    if user.banned:
        raise errors.forbidden("user_banned", "Banned", "This account is banned.")


def failed_attempt(ctx: FapiCtx, user: User) -> None:
    """Counts towards the lock-out (the Backend API's ``verification_attempts_remaining``)."""
    attempts = ctx.state.fapi.failed_attempts.get(user.id, 0) + 1
    ctx.state.fapi.failed_attempts[user.id] = attempts
    if attempts >= LOCKOUT_ATTEMPTS:
        user.locked, user.lockout_expires_at = True, ctx.now + LOCKOUT_MS
        ctx.state.fapi.failed_attempts.pop(user.id, None)


def first_factor_done(ctx: FapiCtx, si: SignInAttempt, user: User, strategy: str) -> None:
    """Next: the second factor if the user has one, else the session."""
    ctx.state.fapi.failed_attempts.pop(user.id, None)
    if user.totp_secret is not None or user.backup_code_hashes:
        si.status = "needs_second_factor"
    else:
        complete(ctx, si, user, strategy)


def complete(ctx: FapiCtx, si: SignInAttempt, user: User, strategy: str) -> None:
    sess = activate(ctx, user, strategy, org_id=si.org_id)
    if si.first_factor is not None:
        sess.first_factor_at = ctx.now
    if si.second_factor is not None and si.second_factor.status == "verified":
        sess.second_factor_at = ctx.now
    si.status, si.created_session_id = "complete", sess.id


def check_password(ctx: FapiCtx, si: SignInAttempt, user: User, password: str) -> None:
    si.first_factor = si.first_factor if si.first_factor and si.first_factor.strategy == "password" else Factor(
        "password")
    si.first_factor.attempts += 1
    if user.password_hash is None:
        raise errors.strategy_for_user_invalid("password")
    if not passwords.verify(password, user.password_hash):
        failed_attempt(ctx, user)
        raise errors.form_password_incorrect()
    si.first_factor.status = "verified"
    first_factor_done(ctx, si, user, "password")


def prepare_code(ctx: FapiCtx, si: SignInAttempt, user: User, strategy: str, idn_id: str | None,
                 *, second: bool = False) -> None:
    """email_code / phone_code / reset_password_*_code: send a code to one of the user's identifications."""
    st = ctx.state
    kind = "phone_number" if strategy.endswith("phone_code") else "email_address"
    owned = user.phone_ids if kind == "phone_number" else user.email_ids
    if idn_id is None:  # the primary one
        idn_id = user.primary_phone_number_id if kind == "phone_number" else user.primary_email_address_id
        idn_id = idn_id or (owned[0] if owned else None)
    if idn_id is None or idn_id not in owned:
        raise errors.strategy_for_user_invalid(strategy, "phone_number_id" if kind == "phone_number" else
                                               "email_address_id")
    idn = st.identifications[idn_id]
    factor = Factor(strategy, identification_id=idn.id)
    slug = "reset_password_code" if strategy.startswith("reset_password") else "verification_code"
    codes.send(st, factor, kind, idn.value, ctx.now, user_id=user.id, identification_id=idn.id, slug=slug)
    if second:
        si.second_factor = factor
    else:
        si.first_factor = factor


def check_code(ctx: FapiCtx, factor: Factor | None, strategy: str, code: str, user: User) -> None:
    if factor is None or factor.strategy != strategy or factor.code is None:
        raise errors.verification_strategy_not_valid(strategy)
    outcome = codes.check(factor, code, ctx.now)
    if outcome == "incorrect":
        failed_attempt(ctx, user)
        raise errors.form_code_incorrect()
    if outcome == "failed":
        raise errors.verification_failed()
    if outcome == "expired":
        raise errors.verification_expired()


def redeem_ticket(ctx: FapiCtx, si: SignInAttempt, ticket: str) -> None:
    st = ctx.state
    try:
        token = sign_in_tokens.accept_ticket(st, st.auth.sign_in_tokens, ticket, ctx.now, "sign-in token")
    except ValueError:
        raise errors.unprocessable("ticket_invalid", "Invalid ticket", "The ticket is invalid, used or expired.",
                                   param_name="ticket") from None
    user = st.users[token.user_id]
    si.user_id, si.org_id = user.id, token.org_id
    si.first_factor = Factor("ticket", status="verified")
    complete(ctx, si, user, "ticket")  # a ticket signs in without a second factor


def transfer_from_sign_up(ctx: FapiCtx, si: SignInAttempt) -> None:
    """``signIn.create({transfer: true})``: the client's OAuth sign-up met an account a user already has."""
    st = ctx.state
    assert ctx.client is not None
    su = st.fapi.sign_ups.get(ctx.client.sign_up_id or "")
    factor = su.verifications.get("external_account") if su is not None else None
    auth = oauth_accounts.authorization_of(st, su.id) if su is not None else None
    account = auth.account if auth is not None else None
    user = oauth_accounts.account_owner(st, account) if account is not None else None
    if factor is None or factor.status != "transferable" or account is None or user is None:
        raise errors.bad_request("Invalid transfer", "There is no sign-up to transfer.", code="transfer_invalid")
    check_not_locked(ctx, user)
    oauth_accounts.link(st, user, account, ctx.now)
    si.user_id, si.identifier = user.id, account.email_address
    si.first_factor = Factor(factor.strategy, status="verified")
    factor.status = "verified"
    first_factor_done(ctx, si, user, factor.strategy)


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("createSignIn")
def create_sign_in(ctx: FapiCtx) -> Json:
    st, now = ctx.state, ctx.now
    client = ctx.require_client()
    if environment.settings(st)["single_session_mode"] and views.live_sessions(ctx, client):
        raise errors.session_exists()
    strategy = body_param(ctx, "strategy")
    identifier = body_param(ctx, "identifier")
    si = SignInAttempt(id=st.ids.new("sia"), client_id=client.id, created_at=now, updated_at=now,
                       abandon_at=now + ABANDON_MS)
    if body_param(ctx, "transfer"):  # an OAuth sign-up that met a known account (social.py)
        transfer_from_sign_up(ctx, si)
    elif strategy is not None and strategy.startswith("oauth_"):  # off to the provider's consent page
        si.first_factor = oauth_accounts.start(ctx, si, strategy, body_param(ctx, "redirect_url"))
    elif strategy == "ticket" or (strategy is None and body_param(ctx, "ticket")):
        if not body_param(ctx, "ticket"):
            raise errors.form_param_missing("ticket")
        redeem_ticket(ctx, si, body_param(ctx, "ticket"))
    elif identifier:
        user = find_user(ctx, identifier)
        if user is None:
            raise errors.form_identifier_not_found()
        check_not_locked(ctx, user)
        si.identifier, si.user_id, si.status = identifier.strip(), user.id, "needs_first_factor"
        if strategy == "password" or (strategy is None and body_param(ctx, "password")):
            if not body_param(ctx, "password"):
                raise errors.form_param_missing("password")
            check_password(ctx, si, user, body_param(ctx, "password"))
        elif strategy in ("email_code", "phone_code"):
            prepare_code(ctx, si, user, strategy, None)
        elif strategy is not None and strategy not in ("password",):
            raise errors.verification_strategy_not_valid(strategy)
    elif strategy is not None:
        raise errors.form_param_missing("identifier")
    st.fapi.sign_ins[si.id] = si
    client.sign_in_id = si.id
    ctx.touch_client()
    return views.sign_in_json(ctx, si)


@ROUTES.op("getSignIn")
def get_sign_in(ctx: FapiCtx) -> Json:
    si = ctx.state.fapi.sign_ins.get(ctx.path["sign_in_id"])
    if si is None or ctx.client is None or si.client_id != ctx.client.id:
        raise errors.resource_not_found(f"No sign in was found with id {ctx.path['sign_in_id']}", "Sign in not found")
    return views.sign_in_json(ctx, si)


@ROUTES.op("prepareSignInFactorOne")
def prepare_first_factor(ctx: FapiCtx) -> Json:
    si = current(ctx)
    user = user_of(ctx, si)
    strategy = body_param(ctx, "strategy") or ""
    if strategy in ("email_code", "reset_password_email_code"):
        prepare_code(ctx, si, user, strategy, body_param(ctx, "email_address_id"))
    elif strategy in ("phone_code", "reset_password_phone_code"):
        prepare_code(ctx, si, user, strategy, body_param(ctx, "phone_number_id"))
    elif strategy == "password":
        si.first_factor = None
    else:
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    si.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_in_json(ctx, si)


@ROUTES.op("attemptSignInFactorOne")
def attempt_first_factor(ctx: FapiCtx) -> Json:
    si = current(ctx)
    strategy = body_param(ctx, "strategy") or ""
    if strategy == "ticket":
        redeem_ticket(ctx, si, body_param(ctx, "ticket") or "")
        return views.sign_in_json(ctx, si)
    user = user_of(ctx, si)
    check_not_locked(ctx, user)
    if si.status != "needs_first_factor":
        raise errors.verification_strategy_not_valid(strategy)
    if strategy == "password":
        check_password(ctx, si, user, body_param(ctx, "password") or "")
    elif strategy in ("email_code", "phone_code", "reset_password_email_code", "reset_password_phone_code"):
        check_code(ctx, si.first_factor, strategy, body_param(ctx, "code") or "", user)
        if strategy.startswith("reset_password"):
            si.status = "needs_new_password"
        else:
            first_factor_done(ctx, si, user, strategy)
    else:
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    si.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_in_json(ctx, si)


@ROUTES.op("prepareSignInFactorTwo")
def prepare_second_factor(ctx: FapiCtx) -> Json:
    si = current(ctx)
    user = user_of(ctx, si)
    strategy = body_param(ctx, "strategy") or ""
    if si.status != "needs_second_factor" or strategy != "phone_code":
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    prepare_code(ctx, si, user, strategy, body_param(ctx, "phone_number_id"), second=True)
    si.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_in_json(ctx, si)


@ROUTES.op("attemptSignInFactorTwo")
def attempt_second_factor(ctx: FapiCtx) -> Json:
    si = current(ctx)
    user = user_of(ctx, si)
    strategy = body_param(ctx, "strategy") or ""
    code = body_param(ctx, "code") or ""
    if si.status != "needs_second_factor":
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    if strategy in ("totp", "backup_code"):
        kind = match_second_factor(user, code, ctx.now)
        si.second_factor = Factor(strategy, attempts=1)
        if kind != strategy:
            failed_attempt(ctx, user)
            raise errors.form_code_incorrect()
        si.second_factor.status = "verified"
        if kind == "backup_code" and not user.backup_code_hashes:
            users.emit_updated(ctx.state, user, ctx.now)
    elif strategy == "phone_code":
        check_code(ctx, si.second_factor, strategy, code, user)
    else:
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    complete(ctx, si, user, si.first_factor.strategy if si.first_factor else strategy)
    si.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_in_json(ctx, si)


@ROUTES.op("resetPassword")
def reset_password(ctx: FapiCtx) -> Json:
    si = current(ctx)
    user = user_of(ctx, si)
    if si.status != "needs_new_password":
        raise errors.bad_request("Reset password not allowed", "Verify a reset password code first.",
                                 code="sign_in_reset_password_not_allowed")
    password = body_param(ctx, "password")
    if not password:
        raise errors.form_param_missing("password")
    credentials.check_password(password, False)
    credentials.set_password(ctx.state, user, password, ctx.now)
    users.emit_updated(ctx.state, user, ctx.now)
    if body_param(ctx, "sign_out_of_other_sessions"):
        from clerkmock.engine.resources.auth.sessions import revoke_user_sessions

        revoke_user_sessions(ctx.state, user.id, ctx.now)
    first_factor_done(ctx, si, user, si.first_factor.strategy if si.first_factor else "reset_password_email_code")
    si.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_in_json(ctx, si)
