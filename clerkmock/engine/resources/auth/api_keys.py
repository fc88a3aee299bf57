"""API Keys: createApiKey, getApiKeys, getApiKey, updateApiKey, deleteApiKey, getApiKeySecret, revokeApiKey,
verifyApiKey.  Served with and without ``/v1`` (``@clerk/backend`` calls them bare).

An API key belongs to a subject (a user, organization or machine), has an ``ak_<32 hex>`` id and a separate
``ak_...`` secret, and is valid until revoked or past its ``expiration`` (never, by default).  Verify answers 404
for unknown, revoked and expired secrets alike.  These endpoints' errors are the bare
``{errors:[{message,long_message,code}]}`` shape (reference/clerk-bapi-extra.md A).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.sessions import ApiKey
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("api_keys")
MAX_LIMIT = 100
MAX_LIFETIME_S = 315_360_000  # ten years, the largest lifetime Clerk's spec allows anywhere (session tokens)
SUBJECT_RE = re.compile(r"^(user|org|mch|scim)_\w{27}$")
CREATED_BY_RE = re.compile(r"^user_\w{27}$")
NAME_RE = re.compile(r"^(\S(.*\S)?)?$")
ID_RE = re.compile(r"^(ak|api_key)_[0-9A-Fa-f]{32}$")

# -- serializers --------------------------------------------------------------------------------------------------


def api_key_json(k: ApiKey, now: int, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "api_key",
        "id": k.id,
        "type": k.type,
        "subject": k.subject,
        "name": k.name,
        "description": k.description,
        "claims": k.claims,
        "scopes": list(k.scopes),
    }
    if with_secret:
        out["secret"] = k.secret
    out.update({
        "revoked": k.revoked,
        "revocation_reason": k.revocation_reason,
        "expired": is_expired(k, now),
        "expiration": k.expiration,
        "created_by": k.created_by,
        "last_used_at": k.last_used_at,
        "created_at": k.created_at,
        "updated_at": k.updated_at,
    })
    return out


# -- operations ---------------------------------------------------------------------------------------------------


def is_expired(k: ApiKey, now: int) -> bool:
    return k.expiration is not None and now >= k.expiration


def _regex_error(param: str) -> errors.ClerkError:
    # The spec's own example of this 400: "Invalid 'url_parameter.example': Failed regex check".
    return errors.bad_request("Bad Request", f"Invalid '{param}': Failed regex check")


def _check_subject(st: State, subject: str, param: str = "subject") -> None:
    if not SUBJECT_RE.match(subject):
        raise _regex_error(param)
    if subject.startswith("user_") and subject not in st.users:
        raise errors.resource_not_found(f"No user was found with id {subject}")
    if subject.startswith("mch_") and subject not in st.auth.machines:
        raise errors.resource_not_found(f"No machine was found with id {subject}")
    if subject.startswith("org_") and st.orgs.find_org(subject) is None:
        raise errors.resource_not_found(f"No organization was found with id {subject}")
    if subject.startswith("scim_"):  # clerkmock has no SCIM directories (yet), so no such subject exists
        raise errors.resource_not_found(f"No SCIM directory was found with id {subject}")


def _expiration(body: dict[str, Any], now: int) -> int | None:
    seconds = body.get("seconds_until_expiration")
    if seconds is None:
        return None
    if seconds <= 0:
        raise errors.bad_request("Bad Request", "Invalid 'seconds_until_expiration': must be greater than 0")
    if seconds > MAX_LIFETIME_S:
        raise errors.bad_request("Bad Request", f"Invalid 'seconds_until_expiration': must be at most {MAX_LIFETIME_S}")
    return now + int(seconds * 1000)


def require_api_key(st: State, key_id: str) -> ApiKey:
    k = st.auth.api_keys.get(key_id)
    if k is None:
        if not ID_RE.match(key_id):
            raise _regex_error("url_parameter.apiKeyID")
        raise errors.resource_not_found(f"No API key was found with id {key_id}")
    return k


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("createApiKey", "create", unversioned=True)
def create_api_key(ctx: Ctx) -> Json | Reply:
    st, body, now = ctx.state, ctx.body, ctx.now
    _check_subject(st, body["subject"])
    if not NAME_RE.match(body["name"]):
        raise _regex_error("name")
    if body.get("created_by") is not None and not CREATED_BY_RE.match(body["created_by"]):
        raise _regex_error("created_by")
    k = ApiKey(
        id=st.ids.hex("ak"),
        secret="ak_" + st.ids.token(24),
        type=body.get("type") or "api_key",
        subject=body["subject"],
        name=body["name"],
        created_at=now,
        updated_at=now,
        description=body.get("description"),
        claims=copy.deepcopy(body.get("claims")),
        scopes=list(body.get("scopes") or []),
        created_by=body.get("created_by"),
        expiration=_expiration(body, now),
    )
    st.auth.api_keys[k.id] = k
    st.auth.api_key_secrets[k.secret] = k.id
    # 201, not the spec's 200: the official Python SDK accepts only 201 here (its overlay reflects the live API)
    # and @clerk/backend accepts any 2xx.
    return Reply(201, api_key_json(k, now, with_secret=True))


@ROUTES.op("getApiKeys", "list", unversioned=True)
def get_api_keys(ctx: Ctx) -> Json:
    st, q, now = ctx.state, ctx.query, ctx.now
    if not SUBJECT_RE.match(q["subject"]):
        raise _regex_error("query_parameter.subject")
    limit = int(q.get("limit", 10))
    offset = int(q.get("offset") or 0)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise errors.bad_request("Bad Request", f"limit must be between 1 and {MAX_LIMIT} and offset at least 0")
    kind = q.get("type") or "api_key"
    keys = [k for k in st.auth.api_keys.values() if k.subject == q["subject"] and k.type == kind]
    if q.get("include_invalid") != "true":
        keys = [k for k in keys if not k.revoked and not is_expired(k, now)]
    query = (q.get("query") or "").strip().lower()
    if query:
        keys = [k for k in keys if query in k.name.lower() or k.id == query]
    keys.sort(key=lambda k: (k.created_at, k.id), reverse=True)
    return {"data": [api_key_json(k, now) for k in keys[offset : offset + limit]], "total_count": len(keys)}


@ROUTES.op("getApiKey", "get", unversioned=True)
def get_api_key(ctx: Ctx) -> Json:
    return api_key_json(require_api_key(ctx.state, ctx.path["apiKeyID"]), ctx.now)


@ROUTES.op("updateApiKey", "update", unversioned=True)
def update_api_key(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    k = require_api_key(st, ctx.path["apiKeyID"])
    if "subject" in body:
        _check_subject(st, body["subject"])
    expiration = _expiration(body, now) if "seconds_until_expiration" in body else k.expiration
    if "subject" in body:
        k.subject = body["subject"]
    if "description" in body:
        k.description = body["description"]
    if "claims" in body:
        k.claims = copy.deepcopy(body["claims"])
    if "scopes" in body:
        k.scopes = list(body["scopes"])
    k.expiration = expiration
    k.updated_at = now
    return api_key_json(k, now)


@ROUTES.op("deleteApiKey", "delete", unversioned=True)
def delete_api_key(ctx: Ctx) -> Json:
    st = ctx.state
    k = require_api_key(st, ctx.path["apiKeyID"])
    del st.auth.api_keys[k.id]
    st.auth.api_key_secrets.pop(k.secret, None)
    return {"id": k.id, "object": "api_key", "deleted": True}


@ROUTES.op("getApiKeySecret", "get_secret", unversioned=True)
def get_api_key_secret(ctx: Ctx) -> Json:
    return {"secret": require_api_key(ctx.state, ctx.path["apiKeyID"]).secret}


@ROUTES.op("revokeApiKey", "revoke", unversioned=True)
def revoke_api_key(ctx: Ctx) -> Json:
    k = require_api_key(ctx.state, ctx.path["apiKeyID"])
    if not k.revoked:
        k.revoked = True
        k.revocation_reason = ctx.body.get("revocation_reason")
        k.updated_at = ctx.now
    return api_key_json(k, ctx.now)


@ROUTES.op("verifyApiKey", "verify", unversioned=True)
def verify_api_key(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    key_id = st.auth.api_key_secrets.get(ctx.body["secret"])
    k = st.auth.api_keys.get(key_id) if key_id else None
    if k is None or k.revoked or is_expired(k, now):
        raise errors.resource_not_found("API key not found")
    k.last_used_at = now
    return api_key_json(k, now)
