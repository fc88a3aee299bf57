"""The signed-in user's email addresses and phone numbers: getEmailAddresses, createEmailAddresses,
getEmailAddress, DeleteEmailAddress, sendVerificationEmail, verifyEmailAddress, and the phone twins
(getPhoneNumbers, postPhoneNumbers, ReadPhoneNumber, DeletePhoneNumber, sendVerificationSMS, verifyPhoneNumber).

The Backend API's identification records and rules (uniqueness, primary promotion); a code sent here lands in
``GET /__clerkmock/messages`` like every other.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.fapi.me import me
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes, body_param
from clerkmock.engine.records import Identification, User
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import messages, users
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("identifications")
KINDS = {"email_address": ("email_addresses", "email_id"), "phone_number": ("phone_numbers", "phone_number_id")}


def _owned(ctx: FapiCtx, kind: str) -> tuple[User, Identification]:
    user = me(ctx)
    idn = ctx.state.identifications.get(ctx.path[KINDS[kind][1]])
    if idn is None or idn.user_id != user.id or idn.kind != kind:
        raise errors.resource_not_found(f"No {idns.KIND_LABEL[kind]} was found with that id", "not found")
    return user, idn


def _list(ctx: FapiCtx, kind: str) -> Json:
    user = me(ctx)
    ids = user.email_ids if kind == "email_address" else user.phone_ids
    return [idns.identification_json(ctx.state.identifications[i]) for i in ids]


def _create(ctx: FapiCtx, kind: str) -> Json:
    st = ctx.state
    user = me(ctx)
    value = idns.check_format(kind, body_param(ctx, kind), kind)
    idns.ensure_available(st, kind, value, kind, user.id)
    idn = idns.add(st, kind=kind, value=value, user_id=user.id, now=ctx.now, status="unverified")
    idns.attach(user, idn, primary=False)
    users.emit_updated(st, user, ctx.now)
    return idns.identification_json(idn)


def _delete(ctx: FapiCtx, kind: str) -> Json:
    user, idn = _owned(ctx, kind)
    idns.detach(ctx.state, user, idn)
    users.emit_updated(ctx.state, user, ctx.now)
    return {"object": kind, "id": idn.id, "deleted": True}


def _prepare(ctx: FapiCtx, kind: str) -> Json:
    st = ctx.state
    user, idn = _owned(ctx, kind)
    strategy = body_param(ctx, "strategy") or ("email_code" if kind == "email_address" else "phone_code")
    if strategy != ("email_code" if kind == "email_address" else "phone_code"):
        raise errors.verification_strategy_not_valid(strategy)
    idns.prepare_verification(st, idn, ctx.now)
    code = idn.verification.code if idn.verification else None
    payload: dict[str, Any]
    if kind == "email_address":
        payload = messages.verification_email_json(st, to=idn.value, code=code or "", email_address_id=idn.id,
                                                   user_id=user.id, now=ctx.now)
        messages.keep_email(st, payload, ctx.now, code)
        ctx.emit("email.created", payload)
    else:
        payload = messages.verification_sms_json(st, to=idn.value, code=code or "", phone_number_id=idn.id,
                                                 user_id=user.id, now=ctx.now)
        messages.keep_sms(st, payload, ctx.now, code)
        ctx.emit("sms.created", payload)
    return idns.identification_json(idn)


def _attempt(ctx: FapiCtx, kind: str) -> Json:
    st = ctx.state
    user, idn = _owned(ctx, kind)
    vid = next((v for v, (i, _) in reversed(st.pending_verifications.items()) if i == idn.id), None)
    if vid is None:
        raise errors.verification_strategy_not_valid("email_code" if kind == "email_address" else "phone_code")
    result = idns.attempt_verification(st, idn, vid, (body_param(ctx, "code") or "").strip(), ctx.now)
    if result["status"] == "failed":
        raise errors.verification_failed()
    if result["status"] == "expired":
        raise errors.verification_expired()
    if result["status"] != "verified":
        raise errors.form_code_incorrect()
    primary_attr = idns.primary_attr(kind)
    if getattr(user, primary_attr) is None:
        setattr(user, primary_attr, idn.id)
    users.emit_updated(st, user, ctx.now)
    return idns.identification_json(idn)


@ROUTES.op("getEmailAddresses", bare=True)  # a bare list (the spec's Server.UserEmailAddresses)
def get_email_addresses(ctx: FapiCtx) -> Json:
    return _list(ctx, "email_address")


@ROUTES.op("createEmailAddresses")
def create_email_addresses(ctx: FapiCtx) -> Json:
    return _create(ctx, "email_address")


@ROUTES.op("getEmailAddress")
def get_email_address(ctx: FapiCtx) -> Json:
    return idns.identification_json(_owned(ctx, "email_address")[1])


@ROUTES.op("DeleteEmailAddress")
def delete_email_address(ctx: FapiCtx) -> Json:
    return _delete(ctx, "email_address")


@ROUTES.op("sendVerificationEmail")
def send_verification_email(ctx: FapiCtx) -> Json:
    return _prepare(ctx, "email_address")


@ROUTES.op("verifyEmailAddress")
def verify_email_address(ctx: FapiCtx) -> Json:
    return _attempt(ctx, "email_address")


@ROUTES.op("getPhoneNumbers", bare=True)
def get_phone_numbers(ctx: FapiCtx) -> Json:
    return _list(ctx, "phone_number")


@ROUTES.op("postPhoneNumbers")
def post_phone_numbers(ctx: FapiCtx) -> Json:
    return _create(ctx, "phone_number")


@ROUTES.op("ReadPhoneNumber")
def read_phone_number(ctx: FapiCtx) -> Json:
    return idns.identification_json(_owned(ctx, "phone_number")[1])


@ROUTES.op("DeletePhoneNumber")
def delete_phone_number(ctx: FapiCtx) -> Json:
    return _delete(ctx, "phone_number")


@ROUTES.op("sendVerificationSMS")
def send_verification_sms(ctx: FapiCtx) -> Json:
    return _prepare(ctx, "phone_number")


@ROUTES.op("verifyPhoneNumber")
def verify_phone_number(ctx: FapiCtx) -> Json:
    return _attempt(ctx, "phone_number")
