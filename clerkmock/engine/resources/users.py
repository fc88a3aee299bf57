"""Users: GetUserList, CreateUser, GetUsersCount, GetUser, UpdateUser, DeleteUser, BanUser, UnbanUser,
UsersBan, UsersUnban, LockUser, UnlockUser, SetUserProfileImage, DeleteUserProfileImage, UpdateUserMetadata,
ReplaceUserMetadata.  The bulk UsersBan / UsersUnban skip unknown ids.  (MFA, passwords and linked accounts: ``user_security.py``; list filters:
``user_queries.py``.)
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from binascii import b2a_base64
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.metadata import deep_merge
from clerkmock.engine.records import User
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources.credentials import apply_credentials, check_credentials
from clerkmock.engine.resources import user_queries
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("users")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_BULK = 50
VERIFICATION_ATTEMPTS = 100  # Clerk's default lockout budget (verification_attempts_remaining)

def scim_metadata(st: State, user_id: str) -> dict[str, Any] | None:
    """The user's ``scim`` object (SCIMUserMetadata), or None for a user no directory provisioned."""
    directory_id = st.directories.user_directory.get(user_id)
    if directory_id is None:
        return None
    d = st.directories.directories.get(directory_id)
    su = st.directories.users.get((directory_id, user_id))
    out: dict[str, Any] = {"directory_id": directory_id, "external_id": su.external_id if su else None}
    if d is not None and d.enabled:
        out["directory_enabled"] = True  # "omitted when false"
    return out


# -- serializers ---------------------------------------------------------------------------------------------


def default_image_url(st: State, user: User) -> str:
    """Clerk's default avatar URL encodes {type, iid, rid, initials} as base64 JSON under img.clerk.com."""
    first, last = user.first_name, user.last_name  # (no generator: every user's JSON comes through here)
    initials = ((first[0] if first else "") + (last[0] if last else "")).upper()
    return _default_image_url(st.instance.id, user.id, initials)


@lru_cache(maxsize=4096)  # serialized on every read of a user; the inputs rarely change
def _default_image_url(instance_id: str, user_id: str, initials: str) -> str:
    fields = instance_id + user_id + initials
    if fields.isascii() and fields.isprintable() and '"' not in fields and "\\" not in fields:
        # nothing to escape: the JSON `json.dumps` would write, without its encoder (every create misses the cache)
        raw = f'{{"type":"default","iid":"{instance_id}","rid":"{user_id}","initials":"{initials}"}}'
    else:
        raw = json.dumps({"type": "default", "iid": instance_id, "rid": user_id, "initials": initials},
                         separators=(",", ":"))
    # base64.urlsafe_b64encode's own steps, without its two Python-level calls (every create gets here)
    return "https://img.clerk.com/" + b2a_base64(raw.encode(), newline=False).translate(_URLSAFE).decode().rstrip("=")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


# The user object's keys in the order Clerk sends them, each with the value a user without that attribute has:
# `user_json` copies it and sets what differs.  A 44-key dict display costs ~31,000 instructions on this
# interpreter, a copy of this one ~2,800, and a key set ~400 (the create path builds one per request).  Lists
# are never taken from here: each answer gets its own.
_USER_SHAPE: dict[str, Any] = {
    "id": None, "object": "user", "external_id": None, "primary_email_address_id": None,
    "primary_phone_number_id": None, "primary_web3_wallet_id": None, "username": None, "first_name": None,
    "last_name": None, "locale": None, "profile_image_url": None, "image_url": None, "has_image": False,
    "public_metadata": None, "private_metadata": None, "unsafe_metadata": None, "email_addresses": None,
    "phone_numbers": None, "web3_wallets": None, "passkeys": None, "password_enabled": False,
    "two_factor_enabled": False, "totp_enabled": False, "backup_code_enabled": False, "mfa_enabled_at": None,
    "mfa_disabled_at": None, "password_last_updated_at": None, "external_accounts": None, "saml_accounts": None,
    "enterprise_accounts": None, "last_sign_in_at": None, "banned": False, "locked": False,
    "lockout_expires_in_seconds": None, "verification_attempts_remaining": VERIFICATION_ATTEMPTS,
    "created_at": None, "updated_at": None, "delete_self_enabled": None, "create_organization_enabled": None,
    "create_organizations_limit": None, "last_active_at": None, "legal_accepted_at": None,
    "bypass_client_trust": None, "scim": None,
}


def user_json(st: State, user: User, now: int | None = None) -> dict[str, Any]:
    identifications = st.identifications
    out = _USER_SHAPE.copy()
    out["id"] = user.id
    value: Any  # each attribute's, in turn
    # the attributes most users lack (None, as in the shape) are set only when present; one test each, inline:
    # a loop over their names with `operator.attrgetter` measured ~7,500 instructions more per user (callgrind)
    if (value := user.external_id) is not None:
        out["external_id"] = value
    out["primary_email_address_id"] = user.primary_email_address_id
    if (value := user.primary_phone_number_id) is not None:
        out["primary_phone_number_id"] = value
    if (value := user.primary_web3_wallet_id) is not None:
        out["primary_web3_wallet_id"] = value
    if (value := user.username) is not None:
        out["username"] = value
    if (value := user.first_name) is not None:
        out["first_name"] = value
    if (value := user.last_name) is not None:
        out["last_name"] = value
    if (value := user.locale) is not None:
        out["locale"] = value
    out["profile_image_url"] = out["image_url"] = user.image_url or default_image_url(st, user)
    out["has_image"] = user.image_url is not None
    out["public_metadata"] = user.public_metadata
    out["private_metadata"] = user.private_metadata
    out["unsafe_metadata"] = user.unsafe_metadata
    out["email_addresses"] = [idns.identification_json(identifications[i]) for i in user.email_ids]
    phones = [identifications[i] for i in user.phone_ids]
    out["phone_numbers"] = [idns.identification_json(p) for p in phones]
    out["web3_wallets"] = [idns.identification_json(identifications[i]) for i in user.web3_ids]
    out["passkeys"] = [
        {
            "id": pk.id,
            "object": "passkey",
            "name": pk.name,
            "last_used_at": pk.last_used_at,
            "verification": {"object": "verification_passkey", "status": "verified", "strategy": "passkey",
                             "nonce": "nonce", "attempts": None, "expire_at": None},
        }
        for pk in user.passkeys
    ]
    out["password_enabled"] = user.password_hash is not None
    totp_enabled = user.totp_secret is not None
    backup_enabled = bool(user.backup_code_hashes)
    out["two_factor_enabled"] = totp_enabled or backup_enabled or bool(phones) and any(
        p.reserved_for_second_factor for p in phones)
    out["totp_enabled"] = totp_enabled
    out["backup_code_enabled"] = backup_enabled
    if (value := user.mfa_enabled_at) is not None:
        out["mfa_enabled_at"] = value
    if (value := user.mfa_disabled_at) is not None:
        out["mfa_disabled_at"] = value
    if (value := user.password_last_updated_at) is not None:
        out["password_last_updated_at"] = value
    out["external_accounts"] = [external_account_json(ea) for ea in user.external_accounts]
    out["saml_accounts"] = []
    out["enterprise_accounts"] = []
    if (value := user.last_sign_in_at) is not None:
        out["last_sign_in_at"] = value
    out["banned"] = user.banned
    out["locked"] = user.locked
    if user.locked and user.lockout_expires_at is not None and now is not None:
        out["lockout_expires_in_seconds"] = max(0, (user.lockout_expires_at - now) // 1000)
    out["created_at"] = user.created_at
    out["updated_at"] = user.updated_at
    out["delete_self_enabled"] = user.delete_self_enabled
    out["create_organization_enabled"] = user.create_organization_enabled
    if (value := user.create_organizations_limit) is not None:
        out["create_organizations_limit"] = value
    if (value := user.last_active_at) is not None:
        out["last_active_at"] = value
    if (value := user.legal_accepted_at) is not None:
        out["legal_accepted_at"] = value
    out["bypass_client_trust"] = user.bypass_client_trust
    # SCIMUserMetadata for a user a directory provisioned (resources/directories), else null
    if user.id in st.directories.user_directory:
        out["scim"] = scim_metadata(st, user.id)
    return out


def external_account_json(ea: Any) -> dict[str, Any]:
    return {
        "object": "external_account",
        "id": ea.id,
        "provider": ea.provider,
        "identification_id": ea.identification_id,
        "provider_user_id": ea.provider_user_id,
        "approved_scopes": ea.approved_scopes,
        "email_address": ea.email_address,
        "email_address_verified": True,
        "first_name": ea.first_name,
        "last_name": ea.last_name,
        "image_url": ea.image_url,
        "username": ea.username,
        "phone_number": None,
        "public_metadata": ea.public_metadata,
        "label": ea.label,
        "created_at": ea.created_at,
        "updated_at": ea.updated_at,
        "verification": {"object": "verification_oauth", "status": "verified", "strategy": ea.provider,
                         "attempts": None, "expire_at": ea.created_at + 600_000},
    }


def deleted_json(obj: str, id_: str, **extra: Any) -> dict[str, Any]:
    return {"object": obj, "id": id_, "deleted": True, **extra}


def updated(ctx: Ctx, user: User) -> dict[str, Any]:
    """The request changed ``user``: ``updated_at`` moves to the request's instant; the user's JSON, also
    recorded as a ``user.updated`` webhook event."""
    user.updated_at = ctx.now
    reply = user_json(ctx.state, user, ctx.now)
    ctx.emit("user.updated", reply)
    return reply


def emit_updated(st: State, user: User, now: int, *, touch: bool = True) -> None:
    """A change made outside a user handler (an email address added ...): ``updated_at`` moves to ``now``
    (unless ``touch`` is false) and ``user.updated`` is emitted."""
    if touch:
        user.updated_at = now
    events.emit(st, "user.updated", lambda: user_json(st, user, now), now)


# -- operations ------------------------------------------------------------------------------------------------


def require_user(st: State, user_id: str) -> User:
    user = st.users.get(user_id)
    if user is None:
        raise errors.resource_not_found(f"No user was found with id {user_id}")
    return user


def parse_rfc3339(value: str, param: str) -> int:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.form_param_invalid_time(param) from None
    if dt.tzinfo is None:
        raise errors.form_param_invalid_time(param)
    return (dt - _EPOCH) // timedelta(milliseconds=1)  # exact: a float timestamp can lose the last ms


def check_username(st: State, value: str, user_id: str | None) -> str:
    if not 4 <= len(value) <= 64:
        raise errors.form_username_invalid_length()
    if not USERNAME_RE.match(value):
        raise errors.form_username_invalid_character()
    owner = st.username_index.get(value.lower())
    if owner is not None and owner != user_id:
        raise errors.form_identifier_exists("username", "username")
    return value


def check_external_id(st: State, value: str, user_id: str | None) -> str:
    owner = st.external_id_index.get(value)
    if owner is not None and owner != user_id:
        raise errors.form_identifier_exists("external_id", "external ID")
    return value


def set_username(st: State, user: User, value: str | None) -> None:
    if user.username:
        st.username_index.pop(user.username.lower(), None)
    user.username = value or None
    if user.username:
        st.username_index[user.username.lower()] = user.id


def set_external_id(st: State, user: User, value: str | None) -> None:
    if user.external_id is not None:
        st.external_id_index.pop(user.external_id, None)
    user.external_id = value
    if value is not None:
        st.external_id_index[value] = user.id


def _statuses(body: dict[str, Any], values: list[str], param: str) -> list[str]:
    statuses = body.get(param) or []
    if statuses and len(statuses) != len(values):
        raise errors.form_param_value_invalid(param, f"{param} must contain exactly one item per value.")
    return statuses or ["verified"] * len(values)


_IDENTIFIER_PARAMS = (
    ("email_address", "email_address_identification_status"),
    ("phone_number", "phone_number_identification_status"),
    ("web3_wallet", None),
)


def add_user(st: State, body: dict[str, Any], now: int) -> User:
    """Validate everything first, then write: a rejected request leaves no trace in state."""
    plan: list[tuple[str, str, str]] = []  # (kind, value, status)
    for kind, status_param in _IDENTIFIER_PARAMS:
        values = body.get(kind)
        if not values and not (status_param and body.get(status_param)):
            continue  # (statuses without values: `_statuses` names the mismatch)
        values = values or []
        statuses = _statuses(body, values, status_param) if status_param else ["verified"] * len(values)
        seen: set[str] = set()
        for value, status in zip(values, statuses, strict=True):
            value = idns.check_format(kind, value, kind)
            key = idns.normalize(kind, value)
            if key in seen:
                raise errors.form_param_duplicate(kind)
            seen.add(key)
            idns.ensure_available(st, kind, value, kind, None)
            plan.append((kind, value, status))
    username = body.get("username")
    if username:
        check_username(st, username, None)
    if body.get("external_id") is not None:
        check_external_id(st, body["external_id"], None)
    if not (plan or username or body.get("skip_user_requirement")):
        raise errors.form_data_missing(["email_address", "phone_number", "username", "web3_wallet"])
    creds = check_credentials(body)
    created_at = parse_rfc3339(body["created_at"], "created_at") if body.get("created_at") else now
    legal = parse_rfc3339(body["legal_accepted_at"], "legal_accepted_at") if body.get("legal_accepted_at") else None

    # The record's defaults, then what the body gives: most bodies give none of these (one set operation each
    # instead of a test per field; and no keyword arguments: User's __init__ costs ~500 instructions each).
    user = User(st.ids.new("user"), created_at, created_at)
    if not _USER_FIELDS.isdisjoint(body):
        for field in _USER_FIELDS:
            if (value := body.get(field)) is not None:
                setattr(user, field, value)
    if not _METADATA_FIELDS.isdisjoint(body):  # a metadata object of the request becomes the user's own
        for field in _METADATA_FIELDS:
            if value := body.get(field):
                setattr(user, field, _json_copy(value))
    if legal is not None:
        user.legal_accepted_at = legal
    st.users[user.id] = user
    st.users_by_created.add((user.created_at, user.id))
    if username:
        set_username(st, user, username)
    if (external_id := body.get("external_id")) is not None:
        set_external_id(st, user, external_id)
    for kind, value, status in plan:
        idn = idns.add(st, kind=kind, value=value, user_id=user.id, now=created_at, status=status)
        idns.attach(user, idn, primary=None if status == "verified" else False)
    apply_credentials(st, user, creds, now)
    return user


def _json_copy(value: Any) -> Any:
    """A metadata object of the request, the user's own from now on; most requests send none (no deepcopy)."""
    return copy.deepcopy(value) if value else {}


# The body fields that are the user record's attributes as they are (a null one leaves the record's default).
_USER_FIELDS = frozenset(("first_name", "last_name", "locale", "create_organizations_limit", "delete_self_enabled",
                          "create_organization_enabled", "banned", "locked", "bypass_client_trust"))
_METADATA_FIELDS = frozenset(("public_metadata", "private_metadata", "unsafe_metadata"))


def delete_user(st: State, user: User) -> None:
    # the cascades first, while the user is whole: their webhook payloads (organizationMembership.deleted,
    # session.ended) embed the user's data
    if st.cascades is None:  # a state no engine installed: deleting would silently skip the other groups
        raise RuntimeError("delete_user needs a State installed in an Engine (its cascades)")
    for cascade in st.cascades.user_deleted:  # declared in resources/__init__.py
        cascade(st, user)
    for kind in ("email_address", "phone_number", "web3_wallet"):
        for idn_id in list(getattr(user, idns.user_list_attr(kind))):
            idns.remove(st, st.identifications[idn_id])
    for ea in user.external_accounts:
        st.provider_index.pop((ea.provider, ea.provider_user_id), None)
    set_username(st, user, None)
    set_external_id(st, user, None)
    del st.users[user.id]
    st.users_by_created.discard((user.created_at, user.id))


# -- handlers ---------------------------------------------------------------------------------------------------


def lockout_now(ctx: Ctx, user: User) -> int | None:
    """The clock, read only when `user_json` needs it (a lockout's countdown): a read that does not read it is
    reusable until the state changes (server/read_cache.py)."""
    return ctx.now if user.locked and user.lockout_expires_at is not None else None


@ROUTES.op("GetUserList", "list", pure=True)
def get_user_list(ctx: Ctx) -> Json:
    users = user_queries.list_users(ctx.state, ctx.query)
    return [user_json(ctx.state, u, lockout_now(ctx, u)) for u in users]


@ROUTES.op("GetUsersCount", "count", pure=True)
def get_users_count(ctx: Ctx) -> Json:
    return {"object": "total_count", "total_count": user_queries.count_users(ctx.state, ctx.query)}


@ROUTES.op("CreateUser", "create")
def create_user(ctx: Ctx) -> Json:
    user = add_user(ctx.state, ctx.body, ctx.now)
    reply = user_json(ctx.state, user, ctx.now)
    ctx.emit("user.created", reply)
    return reply


@ROUTES.op("GetUser", "get", pure=True)
def get_user(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    return user_json(ctx.state, user, lockout_now(ctx, user))


@ROUTES.op("UpdateUser", "update")
def update_user(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    user = require_user(st, ctx.path["user_id"])
    # validate first, write after
    if body.get("username"):
        check_username(st, body["username"], user.id)
    if body.get("external_id") is not None:
        check_external_id(st, body["external_id"], user.id)
    for kind, param in (
        ("email_address", "primary_email_address_id"),
        ("phone_number", "primary_phone_number_id"),
        ("web3_wallet", "primary_web3_wallet_id"),
    ):
        target = body.get(param)
        if target is not None:
            idn = st.identifications.get(target)
            if idn is None or idn.user_id != user.id or idn.kind != kind:
                raise errors.form_param_value_invalid(param, f"{param} must belong to this user.")
            if not idns.is_verified(idn):
                raise errors.form_param_value_invalid(param, f"{param} must be a verified {idns.KIND_LABEL[kind]}.")
    creds = check_credentials(body)
    created_at = parse_rfc3339(body["created_at"], "created_at") if body.get("created_at") else None
    legal = parse_rfc3339(body["legal_accepted_at"], "legal_accepted_at") if body.get("legal_accepted_at") else None

    for field in ("first_name", "last_name", "locale"):
        if field in body:
            setattr(user, field, body[field])
    for field in ("delete_self_enabled", "create_organization_enabled", "bypass_client_trust"):
        if body.get(field) is not None:
            setattr(user, field, body[field])
    if "create_organizations_limit" in body:
        user.create_organizations_limit = body["create_organizations_limit"]
    if "username" in body:
        set_username(st, user, body["username"])
    if "external_id" in body:
        set_external_id(st, user, body["external_id"])
    for param in ("primary_email_address_id", "primary_phone_number_id", "primary_web3_wallet_id"):
        if body.get(param) is not None:
            setattr(user, param, body[param])
    apply_credentials(st, user, creds, now)
    # Metadata here only exists in versions before 2026-05-12; the versioned spec rejects it otherwise.
    for field in ("public_metadata", "private_metadata", "unsafe_metadata"):
        if field in body:
            setattr(user, field, _json_copy(body[field]))
    if created_at is not None:
        st.users_by_created.discard((user.created_at, user.id))
        user.created_at = created_at
        st.users_by_created.add((user.created_at, user.id))
    if legal is not None:
        user.legal_accepted_at = legal
    return updated(ctx, user)


@ROUTES.op("DeleteUser", "delete")
def delete_user_handler(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    external_id = user.external_id
    delete_user(ctx.state, user)  # its cascades emit organizationMembership.deleted, session.ended ...
    # the webhook's DeletedObject carries the external id, when there was one (the BAPI answer does not)
    ctx.emit("user.deleted", lambda: deleted_json("user", user.id, **(
        {"external_id": external_id} if external_id is not None else {})))
    return deleted_json("user", user.id)


def _set_flag(ctx: Ctx, field: str, value: bool) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    setattr(user, field, value)
    if field == "locked":
        user.lockout_expires_at = None  # locked through the API: never expires on its own
    return updated(ctx, user)


@ROUTES.op("BanUser", "ban")
def ban_user(ctx: Ctx) -> Json:
    return _set_flag(ctx, "banned", True)


@ROUTES.op("UnbanUser", "unban")
def unban_user(ctx: Ctx) -> Json:
    return _set_flag(ctx, "banned", False)


@ROUTES.op("LockUser", "lock")
def lock_user(ctx: Ctx) -> Json:
    return _set_flag(ctx, "locked", True)


@ROUTES.op("UnlockUser", "unlock")
def unlock_user(ctx: Ctx) -> Json:
    return _set_flag(ctx, "locked", False)


def _bulk_ban(ctx: Ctx, banned: bool) -> Json:
    ids = ctx.body["user_ids"]
    if not 1 <= len(ids) <= MAX_BULK:
        raise errors.form_param_value_invalid("user_ids", f"user_ids must contain between 1 and {MAX_BULK} ids.")
    # Unknown ids are skipped, not a failure of the call: the spec declares no 404 for the bulk operations
    # and answers the list of users acted on (Clerk's docs say nothing of unknown ids).
    users = [u for u in map(ctx.state.users.get, dict.fromkeys(ids)) if u is not None]
    for user in users:
        user.banned = banned
    return [updated(ctx, u) for u in users]


@ROUTES.op("UsersBan", "ban_bulk")
def users_ban(ctx: Ctx) -> Json:
    return _bulk_ban(ctx, True)


@ROUTES.op("UsersUnban", "unban_bulk")
def users_unban(ctx: Ctx) -> Json:
    return _bulk_ban(ctx, False)


@ROUTES.op("UpdateUserMetadata", "merge_metadata")
def update_user_metadata(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    for field in ("public_metadata", "private_metadata", "unsafe_metadata"):
        if ctx.body.get(field) is not None:
            setattr(user, field, deep_merge(getattr(user, field), ctx.body[field]))
    return updated(ctx, user)


@ROUTES.op("ReplaceUserMetadata", "replace_metadata")
def replace_user_metadata(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    for field in ("public_metadata", "private_metadata", "unsafe_metadata"):
        if field in ctx.body:
            setattr(user, field, _json_copy(ctx.body[field]))
    return updated(ctx, user)




@ROUTES.op("SetUserProfileImage", "set_profile_image")
def set_user_profile_image(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    upload = ctx.files.get("file")
    if upload is None or not upload.data:
        raise errors.form_param_missing("file")
    if not upload.content_type.startswith("image/") and not _looks_like_image(upload.data):
        raise errors.form_param_format_invalid("file", "file must be an image (png, jpeg, gif or webp).")
    digest = hashlib.sha256(upload.data).hexdigest()[:24]
    user.image_url = f"https://img.clerk.com/clerkmock/{user.id}/{digest}"
    return updated(ctx, user)


def _looks_like_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF"))


@ROUTES.op("DeleteUserProfileImage", "delete_profile_image")
def delete_user_profile_image(ctx: Ctx) -> Json:
    user = require_user(ctx.state, ctx.path["user_id"])
    user.image_url = None
    return updated(ctx, user)
