"""Social sign-in and sign-up (``oauth_google``, ``oauth_github``, ``oauth_microsoft`` … any ``oauth_*`` strategy
the environment enables) against clerkmock's fake provider (fapi/oauth_provider.py): getOauthCallback.

Clerk's flow, step by step: ``signIn.create({strategy: "oauth_google", redirect_url})`` answers a first-factor
verification ``unverified`` with ``external_verification_redirect_url`` (here: the consent page, carrying
``state`` and the callback: oauth_accounts.start); clerk-js navigates there; the provider sends the browser to
``/v1/oauth_callback`` with ``code`` (or ``error=access_denied``); the callback settles the attempt and redirects
to ``redirect_url``, where clerk-js's ``handleRedirectCallback`` (the ``sso-callback`` route of <SignIn/>) reads
the client:

- a known account (its external account, or a user with its verified email, which is then linked) -> the
  sign-in is ``complete`` (or needs its second factor);
- an unknown account -> the verification is ``transferable`` with ``external_account_not_found``; clerk-js calls
  ``signUp.create({transfer: true})`` (sign_ups.transfer_from_sign_in): the user is created with the external
  account and its email verified;
- a sign-up that meets a known account -> ``transferable`` with ``external_account_exists``, and
  ``signIn.create({transfer: true})`` (sign_ins.transfer_from_sign_up) signs that user in;
- consent denied -> the verification ``failed`` with ``oauth_access_denied``, which <SignIn/> shows.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.fapi import oauth_accounts, sign_ins, sign_ups
from clerkmock.engine.fapi.oauth_accounts import display_name, error_json
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes
from clerkmock.engine.records.fapi import Factor, SignInAttempt, SignUpAttempt
from clerkmock.engine.records.oauth import ProviderAccount
from clerkmock.engine.routing import Reply

ROUTES = FapiRoutes("oauth")


@ROUTES.op("getOauthCallback")
def oauth_callback(ctx: FapiCtx) -> Any:
    """Where the provider sends the browser back: settle the attempt, then 303 to its ``redirect_url``."""
    st = ctx.state
    state = str(ctx.query.get("state") or "")
    auth = st.oauth.authorizations.get(state)
    if auth is None or auth.done:
        raise errors.bad_request("Invalid OAuth callback", "The OAuth state is unknown or was already used; start "
                                 "the sign-in again.", code="oauth_callback_invalid")
    auth.done = True
    ctx.client = st.auth.clients.get(auth.client_id)
    attempt: SignInAttempt | SignUpAttempt | None = (
        st.fapi.sign_ins.get(auth.attempt_id) if auth.attempt == "sign_in" else st.fapi.sign_ups.get(auth.attempt_id))
    factor = attempt.first_factor if isinstance(attempt, SignInAttempt) else (
        attempt.verifications.get("external_account") if attempt is not None else None)
    if ctx.client is None or attempt is None or factor is None or factor.strategy != auth.strategy:
        raise errors.bad_request("Invalid OAuth callback", "The sign-in this OAuth callback belongs to is gone.",
                                 code="oauth_callback_invalid")
    code, error = str(ctx.query.get("code") or ""), str(ctx.query.get("error") or "")
    if ctx.now > (factor.expire_at or 0):
        factor.status = "expired"
    elif error or not code:
        factor.status = "failed"
        factor.error = error_json("oauth_access_denied", "Access denied",
                                  f"You did not grant access to your {display_name(auth.strategy)} account.")
    elif st.oauth.codes.pop(code, None) != state or auth.account is None:
        factor.status = "failed"
        factor.error = error_json("oauth_token_exchange_error", "OAuth error",
                                  "The OAuth provider answered with an invalid authorization code.")
    elif isinstance(attempt, SignInAttempt):
        _sign_in(ctx, attempt, factor, auth.account)
    else:
        _sign_up(ctx, attempt, factor, auth.account)
    attempt.updated_at = ctx.now
    ctx.touch_client()
    return Reply(303, None, {"location": auth.redirect_url, "cache-control": "no-store"})


def _sign_in(ctx: FapiCtx, si: SignInAttempt, factor: Factor, account: ProviderAccount) -> None:
    user = oauth_accounts.account_owner(ctx.state, account)
    if user is None:  # new at this instance: clerk-js transfers it to a sign-up
        factor.status = "transferable"
        factor.error = error_json("external_account_not_found", "Invalid external account",
                                  "The External Account was not found.")
        return
    try:
        sign_ins.check_not_locked(ctx, user)
    except ClerkError as exc:  # locked or banned: the error clerk-js shows on the sign-in page
        factor.status, factor.error = "failed", {**exc.error_json(), "meta": exc.meta or {}}
        return
    oauth_accounts.link(ctx.state, user, account, ctx.now)
    si.user_id, si.identifier = user.id, account.email_address
    factor.status, factor.error = "verified", None
    sign_ins.first_factor_done(ctx, si, user, factor.strategy)


def _sign_up(ctx: FapiCtx, su: SignUpAttempt, factor: Factor, account: ProviderAccount) -> None:
    if oauth_accounts.account_owner(ctx.state, account) is not None:  # a user already: transferred to a sign-in
        factor.status = "transferable"
        factor.error = error_json("external_account_exists", "Account already exists",
                                  "This external account already exists.")
        return
    factor.status, factor.error = "verified", None
    sign_ups.fill_from_provider(ctx, su, factor.strategy, account)
