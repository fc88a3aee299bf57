"""Sign-up attempts: createSignUps, getSignUps, updateSignUps, prepareSignUpsVerification,
attemptSignUpsVerification.

Fields (email address, phone number, username, names, password) are required, optional or off as the
environment says; an email or phone must be verified with a code.  When nothing is missing or unverified the
user is created through the Backend API's own `add_user` (same checks, ``user.created`` fires) and signed in on
the browser's client: ``status: complete``, ``created_user_id``, ``created_session_id``.  A ``ticket`` from an
instance or organization invitation stands for the invited address, verified; the invitation is accepted (an
organization's makes the user a member with its role).
"""

from __future__ import annotations


from typing import Any
from urllib.parse import parse_qs, urlsplit

from clerkmock.engine import errors
from clerkmock.engine.fapi import codes, environment, oauth_accounts, views
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.fapi.sign_up_fields import VERIFIED_KINDS, field_status
from clerkmock.engine.fapi.sessions import activate
from clerkmock.engine.records.fapi import Factor, SignUpAttempt
from clerkmock.engine.records.oauth import ProviderAccount
from clerkmock.engine.resources import credentials
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import users
from clerkmock.engine.resources.orgs.common import add_membership
from clerkmock.engine.resources.orgs.serializers import invitation_status
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("sign_ups")
ABANDON_MS = 24 * 3600 * 1000
FIELDS = ("email_address", "phone_number", "username", "first_name", "last_name", "password")
def current(ctx: FapiCtx) -> SignUpAttempt:
    su = ctx.state.fapi.sign_ups.get(ctx.path["sign_up_id"])
    if su is None or ctx.client is None or su.client_id != ctx.client.id:
        raise errors.resource_not_found(f"No sign up was found with id {ctx.path['sign_up_id']}", "Sign up not found")
    return su


def apply_fields(ctx: FapiCtx, su: SignUpAttempt) -> None:
    """Validate then take the body's fields (a refused request changes nothing)."""
    st, body = ctx.state, ctx.body
    updates: dict[str, Any] = {}
    for name in FIELDS:
        value = body_param(ctx, name)
        if value is None:
            continue
        if environment.attribute(st, name) == "off":
            raise errors.form_param_unknown(name)
        if name in VERIFIED_KINDS:
            value = idns.check_format(name, value, name)
            for holder in idns.holders(st, name, value):
                if idns.is_claimed(holder):
                    raise errors.form_identifier_exists(name, idns.KIND_LABEL[name])
        elif name == "username":
            value = users.check_username(st, value, None)
        elif name == "password":
            credentials.check_password(value, False)
        updates[name] = value
    if isinstance(body.get("unsafe_metadata"), dict):
        updates["unsafe_metadata"] = body["unsafe_metadata"]
    if body_param(ctx, "legal_accepted"):
        updates["legal_accepted_at"] = ctx.now
    for name, value in updates.items():
        if name in VERIFIED_KINDS and value != getattr(su, name):
            su.verifications.pop(name, None)  # a changed address must be verified again
        setattr(su, name, value)
    su.updated_at = ctx.now


def invitation_for(st: State, ticket: str, now: int) -> Any:
    """The pending instance or organization invitation whose link carries ``ticket``."""
    invitations: list[Any] = [*st.orgs.invitations.values(), *st.orgs.org_invitations.values()]
    for inv in invitations:
        query = parse_qs(urlsplit(inv.url).query)
        if query.get("ticket", [""])[0] == ticket and invitation_status(inv, now) == "pending":
            return inv
    return None


def apply_ticket(ctx: FapiCtx, su: SignUpAttempt, ticket: str) -> None:
    """Sign-up by invitation: the invited address is taken as verified (the ticket proves it)."""
    inv = invitation_for(ctx.state, ticket, ctx.now)
    if inv is None:
        raise errors.unprocessable("ticket_invalid", "Invalid ticket", "The ticket is invalid, used or expired.",
                                   param_name="ticket")
    su.email_address = inv.email_address
    su.verifications["email_address"] = Factor("ticket", status="verified")
    su.invitation_id = inv.id


def maybe_complete(ctx: FapiCtx, su: SignUpAttempt) -> None:
    """Nothing missing or unverified: create the user (Backend API rules, ``user.created``) and sign it in."""
    st = ctx.state
    _, _, missing, unverified = field_status(st, su)
    if missing or unverified or su.status == "complete":
        return
    body: dict[str, Any] = {
        "email_address": [su.email_address] if su.email_address else [],
        "phone_number": [su.phone_number] if su.phone_number else [],
        "username": su.username, "first_name": su.first_name, "last_name": su.last_name,
        "password": su.password, "unsafe_metadata": su.unsafe_metadata,
        "skip_password_requirement": su.password is None,
    }
    if su.password is None:
        body.pop("password")
    user = users.add_user(st, body, ctx.now)
    for kind in VERIFIED_KINDS:  # the verification the browser did, not an admin one
        f = su.verifications.get(kind)
        ids = user.email_ids if kind == "email_address" else user.phone_ids
        if f is not None and ids and f.strategy != "ticket":
            st.identifications[ids[0]].verification = idns.Verification(
                "verified", f.strategy, attempts=f.attempts, expire_at=f.expire_at)
    user.legal_accepted_at = su.legal_accepted_at
    if su.oauth_account is not None:  # signed up with a provider: the user has that external account
        oauth_accounts.link(st, user, su.oauth_account, ctx.now)
    ctx.emit("user.created", users.user_json(st, user, ctx.now))
    invitation = st.orgs.invitations.get(su.invitation_id) if su.invitation_id else None
    if invitation is not None:  # an instance invitation is used once (an organization's is accepted by the
        invitation.status, invitation.updated_at = "accepted", ctx.now  # membership, below)
    org_inv = st.orgs.org_invitations.get(su.invitation_id) if su.invitation_id else None
    if org_inv is not None:
        add_membership(st, st.orgs.orgs[org_inv.org_id], user, st.orgs.roles[org_inv.role_id], ctx.now)
    sess = activate(ctx, user, next((f.strategy for f in su.verifications.values()), "password"))
    su.status, su.created_user_id, su.created_session_id, su.password = "complete", user.id, sess.id, None


def transfer_from_sign_in(ctx: FapiCtx, su: SignUpAttempt) -> None:
    """``signUp.create({transfer: true})``: the new account of the client's OAuth sign-in."""
    st = ctx.state
    assert ctx.client is not None
    si = st.fapi.sign_ins.get(ctx.client.sign_in_id or "")
    factor = si.first_factor if si is not None else None
    auth = oauth_accounts.authorization_of(st, si.id) if si is not None else None
    if factor is None or factor.status != "transferable" or auth is None or auth.account is None:
        raise errors.bad_request("Invalid transfer", "There is no sign-in to transfer.", code="transfer_invalid")
    factor.status = "verified"
    fill_from_provider(ctx, su, factor.strategy, auth.account)


def fill_from_provider(ctx: FapiCtx, su: SignUpAttempt, strategy: str, account: ProviderAccount) -> None:
    """The provider's account as the sign-up's fields: its email (verified ``from_oauth_*``) and the names the
    environment collects; the user is created when nothing else is missing (no password needed)."""
    st = ctx.state
    oauth = Factor(strategy, status="verified", expire_at=ctx.now + oauth_accounts.VERIFICATION_MS)
    su.verifications = {"external_account": oauth, **{k: v for k, v in su.verifications.items()
                                                      if k != "external_account"}}
    if environment.attribute(st, "email_address") != "off":
        su.email_address = account.email_address
        su.verifications["email_address"] = Factor("from_" + strategy, status="verified")
    for name in ("first_name", "last_name", "username"):
        value = getattr(account, name)
        if value and environment.attribute(st, name) != "off" and getattr(su, name) in (None, ""):
            setattr(su, name, value)
    su.oauth_account = account
    su.updated_at = ctx.now
    maybe_complete(ctx, su)


@ROUTES.op("createSignUps")
def create_sign_up(ctx: FapiCtx) -> Json:
    st, now = ctx.state, ctx.now
    client = ctx.require_client()
    if environment.settings(st)["single_session_mode"] and views.live_sessions(ctx, client):
        raise errors.session_exists()
    su = SignUpAttempt(id=st.ids.new("sua"), client_id=client.id, created_at=now, updated_at=now,
                       abandon_at=now + ABANDON_MS)
    strategy = body_param(ctx, "strategy")
    if strategy == "ticket" or body_param(ctx, "ticket"):
        if not body_param(ctx, "ticket"):
            raise errors.form_param_missing("ticket")
        ctx.body.pop("email_address", None)  # the invitation says which address
        apply_ticket(ctx, su, body_param(ctx, "ticket"))
    apply_fields(ctx, su)
    st.fapi.sign_ups[su.id] = su
    client.sign_up_id = su.id
    if body_param(ctx, "transfer"):  # an OAuth sign-in of a new account (social.py)
        transfer_from_sign_in(ctx, su)
    elif strategy is not None and strategy.startswith("oauth_"):  # off to the provider's consent page
        su.verifications["external_account"] = oauth_accounts.start(ctx, su, strategy,
                                                                    body_param(ctx, "redirect_url"))
    elif strategy in ("email_code", "phone_code"):
        _prepare(ctx, su, strategy)
    maybe_complete(ctx, su)
    ctx.touch_client()
    return views.sign_up_json(ctx, su)


@ROUTES.op("getSignUps")
def get_sign_up(ctx: FapiCtx) -> Json:
    return views.sign_up_json(ctx, current(ctx))


@ROUTES.op("updateSignUps")
def update_sign_up(ctx: FapiCtx) -> Json:
    su = current(ctx)
    if su.status == "complete":
        raise errors.bad_request("Sign up already complete", "This sign up has already been completed.",
                                 code="sign_up_already_complete")
    apply_fields(ctx, su)
    maybe_complete(ctx, su)
    ctx.touch_client()
    return views.sign_up_json(ctx, su)


def _prepare(ctx: FapiCtx, su: SignUpAttempt, strategy: str) -> None:
    kind = "email_address" if strategy == "email_code" else "phone_number"
    value = getattr(su, kind)
    if not value:
        raise errors.form_param_missing(kind)
    factor = Factor(strategy)
    codes.send(ctx.state, factor, kind, value, ctx.now)
    su.verifications[kind] = factor


@ROUTES.op("prepareSignUpsVerification")
def prepare_verification(ctx: FapiCtx) -> Json:
    su = current(ctx)
    strategy = body_param(ctx, "strategy") or ""
    if strategy not in ("email_code", "phone_code"):
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    _prepare(ctx, su, strategy)
    su.updated_at = ctx.now
    ctx.touch_client()
    return views.sign_up_json(ctx, su)


@ROUTES.op("attemptSignUpsVerification")
def attempt_verification(ctx: FapiCtx) -> Json:
    su = current(ctx)
    strategy = body_param(ctx, "strategy") or ""
    kind = {"email_code": "email_address", "phone_code": "phone_number"}.get(strategy)
    factor = su.verifications.get(kind) if kind else None
    if factor is None or factor.code is None:
        raise errors.verification_strategy_not_valid(strategy or "(none)")
    outcome = codes.check(factor, body_param(ctx, "code") or "", ctx.now)
    if outcome == "incorrect":
        raise errors.form_code_incorrect()
    if outcome == "failed":
        raise errors.verification_failed()
    if outcome == "expired":
        raise errors.verification_expired()
    assert kind is not None
    for holder in idns.holders(ctx.state, kind, getattr(su, kind)):  # claimed meanwhile by someone else
        if idns.is_claimed(holder):
            raise errors.form_identifier_exists(kind, idns.KIND_LABEL[kind])
    su.updated_at = ctx.now
    maybe_complete(ctx, su)
    ctx.touch_client()
    return views.sign_up_json(ctx, su)
