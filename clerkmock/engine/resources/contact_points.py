"""The operations email addresses and phone numbers share, written once and bound per kind.

Rules (reference/clerk-bapi-extra.md §B): ``primary`` defaults to true only for a user's first one of the
kind; only a verified one can be primary; deleting the primary promotes another verified one; ``PUT
/users/{id}/email_address|phone_number`` replaces them all with one primary.
"""

from __future__ import annotations

from clerkmock.engine import errors
from clerkmock.engine.records import Identification
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import messages
from clerkmock.engine.resources.users import deleted_json, emit_updated, require_user
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json


def require(st: State, kind: str, idn_id: str) -> Identification:
    idn = st.identifications.get(idn_id)
    if idn is None or idn.kind != kind:
        raise errors.resource_not_found("Resource not found", "Resource not found")
    return idn


def bind_routes(kind: str, segment: str) -> RouteSet:
    routes = RouteSet(segment)
    id_param = f"{kind}_id"
    item = f"/{segment}/{{{id_param}}}"

    @routes.post(f"/{segment}", "create")
    def create(ctx: Ctx) -> Json:
        st, body = ctx.state, ctx.body
        for param in ("user_id", kind):
            if body.get(param) is None:
                raise errors.form_param_missing(param)
        user = require_user(st, body["user_id"])
        value = idns.check_format(kind, body[kind], kind)
        verified = bool(body.get("verified"))
        idns.ensure_available(st, kind, value, kind, user.id)
        if body.get("primary") and not verified:
            raise errors.form_param_value_invalid("primary", f"Only a verified {idns.KIND_LABEL[kind]} can be primary.")
        if body.get("reserved_for_second_factor") and not verified:
            raise errors.form_param_value_invalid(
                "reserved_for_second_factor", "Only a verified phone number can be reserved for second factor."
            )
        idn = idns.add(st, kind=kind, value=value, user_id=user.id, now=ctx.now,
                       status="verified" if verified else "unverified")
        if kind == "phone_number" and body.get("reserved_for_second_factor"):
            idn.reserved_for_second_factor = True
            idn.default_second_factor = not any(
                st.identifications[p].default_second_factor for p in user.phone_ids
            )
        primary = body.get("primary")
        idns.attach(user, idn, primary=primary if primary is not None else (None if verified else False))
        user.updated_at = ctx.now
        emit_updated(st, user, ctx.now)
        return idns.identification_json(idn)

    @routes.get(item, "get")
    def get(ctx: Ctx) -> Json:
        return idns.identification_json(require(ctx.state, kind, ctx.path[id_param]))

    @routes.delete(item, "delete")
    def delete(ctx: Ctx) -> Json:
        st = ctx.state
        idn = require(st, kind, ctx.path[id_param])
        if idn.user_id is not None and idn.user_id in st.users:
            user = st.users[idn.user_id]
            idns.detach(st, user, idn)
            user.updated_at = ctx.now
            emit_updated(st, user, ctx.now)
        else:
            idns.remove(st, idn)
        return deleted_json(kind, idn.id)

    @routes.patch(item, "update")
    def update(ctx: Ctx) -> Json:
        st, body = ctx.state, ctx.body
        idn = require(st, kind, ctx.path[id_param])
        user = st.users.get(idn.user_id or "")
        if body.get("verified") is True and not idns.is_verified(idn):
            for other in idns.holders(st, kind, idn.value):
                if other.id != idn.id and idns.is_claimed(other):
                    raise errors.form_identifier_exists(kind, idns.KIND_LABEL[kind])
        verified_after = body["verified"] if body.get("verified") is not None else idns.is_verified(idn)
        is_primary = user is not None and getattr(user, idns.primary_attr(kind)) == idn.id
        # validate everything before writing: a refused request changes nothing
        if body.get("primary") and not verified_after:
            raise errors.form_param_value_invalid("primary", f"Only a verified {idns.KIND_LABEL[kind]} can be primary.")
        if body.get("verified") is False and is_primary:
            raise errors.form_param_value_invalid("verified", "The primary identification cannot be unverified.")
        if body.get("reserved_for_second_factor") and not verified_after:
            raise errors.form_param_value_invalid(
                "reserved_for_second_factor", "Only a verified phone number can be reserved for second factor."
            )
        if body.get("verified") is True and not idns.is_verified(idn):
            idn.verification = idns.Verification("verified", "admin")
            idn.reserved = False
            idns.release_unverified_copies(st, idn)
        elif body.get("verified") is False and idns.is_verified(idn):
            idn.verification = idns.Verification("unverified", "admin")
        if kind == "phone_number" and body.get("reserved_for_second_factor") is not None:
            idn.reserved_for_second_factor = body["reserved_for_second_factor"]
            if not idn.reserved_for_second_factor:
                idn.default_second_factor = False
        if body.get("primary") and user is not None:
            setattr(user, idns.primary_attr(kind), idn.id)
        idn.updated_at = ctx.now
        if user is not None:
            user.updated_at = ctx.now
            emit_updated(st, user, ctx.now)
        return idns.identification_json(idn)

    @routes.post(f"{item}/prepare_verification", "prepare_verification")
    def prepare_verification(ctx: Ctx) -> Json:
        idn = require(ctx.state, kind, ctx.path[id_param])
        reply = idns.prepare_verification(ctx.state, idn, ctx.now)
        emit_code_sent(ctx, idn, reply["id"])
        return reply

    @routes.post(f"{item}/attempt_verification", "attempt_verification")
    def attempt_verification(ctx: Ctx) -> Json:
        idn = require(ctx.state, kind, ctx.path[id_param])
        was_verified = idns.is_verified(idn)
        reply = idns.attempt_verification(ctx.state, idn, ctx.body["verification_id"], ctx.body["code"], ctx.now)
        user = ctx.state.users.get(idn.user_id or "")
        if user is not None and not was_verified and idns.is_verified(idn):
            emit_updated(ctx.state, user, ctx.now)
        return reply

    @routes.put(f"/users/{{user_id}}/{kind}", "replace")
    def replace(ctx: Ctx) -> Json:
        st, body = ctx.state, ctx.body
        user = require_user(st, ctx.path["user_id"])
        value = idns.check_format(kind, body[kind], kind)
        status = body.get("identification_status") or "verified"
        mine = [st.identifications[i] for i in getattr(user, idns.user_list_attr(kind))]
        keep = next((i for i in mine if idns.normalize(kind, i.value) == idns.normalize(kind, value)), None)
        for other in idns.holders(st, kind, value):
            if other.user_id != user.id and idns.is_claimed(other) and status != "unverified":
                raise errors.form_identifier_exists(kind, idns.KIND_LABEL[kind])
        for idn in mine:
            if idn is not keep:
                idns.detach(st, user, idn)
        if keep is None:
            keep = idns.add(st, kind=kind, value=value, user_id=user.id, now=ctx.now, status=status)
            idns.attach(user, keep, primary=status == "verified")
        elif status == "verified" and not idns.is_verified(keep):
            keep.verification = idns.Verification("verified", "admin")
            keep.reserved = False
        # "replaces all of the user's ... with a single primary": verified and reserved ones become primary
        setattr(user, idns.primary_attr(kind), keep.id if idns.is_claimed(keep) else None)
        user.updated_at = ctx.now
        emit_updated(st, user, ctx.now)
        return idns.identification_json(keep)

    return routes


def emit_code_sent(ctx: Ctx, idn: Identification, verification_id: str) -> None:
    """The code PrepareVerification "sends": an ``email.created`` / ``sms.created`` event carrying it."""
    code = ctx.state.pending_verifications[verification_id][1].code or ""
    if idn.kind == "email_address":
        payload = messages.verification_email_json(ctx.state, to=idn.value, code=code, email_address_id=idn.id,
                                                   user_id=idn.user_id, now=ctx.now)
        messages.keep_email(ctx.state, payload, ctx.now, code)  # GET /__clerkmock/messages
        ctx.emit("email.created", payload)
    elif idn.kind == "phone_number":
        payload = messages.verification_sms_json(ctx.state, to=idn.value, code=code, phone_number_id=idn.id,
                                                 user_id=idn.user_id, now=ctx.now)
        messages.keep_sms(ctx.state, payload, ctx.now, code)
        ctx.emit("sms.created", payload)


__all__ = ["bind_routes", "require"]
