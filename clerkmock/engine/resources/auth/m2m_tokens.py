"""M2M Tokens: createM2MToken (201), getM2MTokens, revokeM2MToken, verifyM2MToken.  Served with and without
``/v1`` (``@clerk/backend`` and the Python SDK call them bare).

A machine creates tokens with its own secret key; a token's ``scopes`` are the machines its creator may reach.
Verifying with a machine secret key accepts the verifier's own tokens and tokens whose scopes include it; the
instance secret key accepts every token.  Unknown, revoked and expired tokens all answer 404, so an SDK never
mistakes them for valid ones (``@clerk/backend`` trusts any 200).

``token_format: "jwt"`` mints a JWT signed with the instance key (header ``cat: cl_B7d4PD333AAA``, ``sub`` = the
machine, ``jti`` = the token id, ``scopes`` space-separated) that ``@clerk/backend`` verifies without a request.
"""

from __future__ import annotations

import json
from typing import Any

from clerkmock.engine import errors, tokens
from clerkmock.engine.records.sessions import M2MToken, Machine
from clerkmock.engine.resources.auth.common import bearer_key, issuer, machine_for_secret, seconds, signing_key
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json, Request

ROUTES = RouteSet("m2m_tokens")
MAX_LIMIT = 100
MAX_LIFETIME_S = 315_360_000  # ten years (see api_keys.MAX_LIFETIME_S)
JWT_CATEGORY = "cl_B7d4PD333AAA"  # @clerk/backend's JWT_CATEGORY_M2M_TOKEN
RESERVED_CLAIMS = ("iss", "sub", "exp", "nbf", "iat", "jti")

# -- serializers --------------------------------------------------------------------------------------------------


def m2m_json(t: M2MToken, now: int, *, with_token: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "machine_to_machine_token",
        "id": t.id,
        "subject": t.subject,
        "claims": t.claims,
        "scopes": list(t.scopes),
    }
    if with_token:
        out["token"] = t.secret
    out.update({
        "revoked": t.revoked,
        "revocation_reason": t.revocation_reason,
        "expired": is_expired(t, now),
        "expiration": t.expiration,
        "last_used_at": t.last_used_at,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    })
    return out


# -- operations ---------------------------------------------------------------------------------------------------


def is_expired(t: M2MToken, now: int) -> bool:
    return t.expiration is not None and now >= t.expiration


def legacy_verify_body(request: Request) -> Request:
    """The Python SDK's ``verify_token`` POSTs ``{"secret": token}`` to ``/m2m_tokens/verify``; the spec body is
    ``{"token"}`` (additionalProperties: false).  Rename before validation so both work (the route's
    ``prepare``)."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return request
    if isinstance(body, dict) and "secret" in body and "token" not in body:
        body["token"] = body.pop("secret")
        request.body = json.dumps(body).encode()
    return request


def _calling_machine(ctx: Ctx) -> Machine | None:
    return machine_for_secret(ctx.state, bearer_key(ctx), ctx.now)


def _not_found() -> errors.ClerkError:
    return errors.resource_not_found("Machine token not found")


def _require_token(st: State, token_id: str, caller: Machine | None) -> M2MToken:
    t = st.auth.m2m_tokens.get(token_id)
    if t is None or (caller is not None and t.subject != caller.id):
        raise errors.resource_not_found(f"No M2M token was found with id {token_id}")
    return t


def _mint_jwt(st: State, t: M2MToken) -> str:
    claims: dict[str, Any] = dict(t.claims) if isinstance(t.claims, dict) else {}
    claims.update({"iss": issuer(st), "sub": t.subject, "iat": seconds(t.created_at), "nbf": seconds(t.created_at),
                   "jti": t.id})
    if t.expiration is not None:
        claims["exp"] = seconds(t.expiration)
    if t.scopes:
        claims["scopes"] = " ".join(t.scopes)
    return tokens.sign(claims, signing_key(st), st.instance.id, extra_headers={"cat": JWT_CATEGORY})


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("createM2MToken", "create", unversioned=True, machine_auth=True)
def create_m2m_token(ctx: Ctx) -> Json | Reply:
    st, body, now = ctx.state, ctx.body, ctx.now
    machine = _calling_machine(ctx)
    if machine is None:
        raise errors.forbidden("authorization_invalid", "Unauthorized request",
                               "M2M tokens must be created with a machine secret key, not an instance secret key.")
    claims = body.get("claims")
    if isinstance(claims, dict):
        for claim in claims:
            if claim in RESERVED_CLAIMS:
                raise errors.machine_token_reserved_claim(claim)
    token_format = body.get("token_format") or "opaque"
    ttl_s = body.get("seconds_until_expiration")
    if ttl_s is not None and not 0 < ttl_s <= MAX_LIFETIME_S:
        raise errors.bad_request("Bad Request",
                                 f"Invalid 'seconds_until_expiration': must be in (0, {MAX_LIFETIME_S}]")
    ttl_ms = int((ttl_s if ttl_s is not None else machine.default_token_ttl) * 1000)
    scopes = [mid for mid in machine.scopes if mid in st.auth.machines]
    min_ttl = body.get("min_remaining_ttl_seconds")
    if min_ttl is not None and token_format == "opaque":
        if min_ttl * 1000 >= ttl_ms:
            raise errors.bad_request("Bad Request", "min_remaining_ttl_seconds must be less than the token lifetime")
        for existing in st.auth.m2m_tokens.values():
            if (existing.subject == machine.id and existing.token_format == "opaque" and not existing.revoked
                    and existing.claims == claims and existing.scopes == scopes
                    and existing.expiration is not None and existing.expiration - now >= min_ttl * 1000):
                return Reply(201, m2m_json(existing, now, with_token=True))
    t = M2MToken(id=st.ids.hex("mt"), secret="", subject=machine.id, created_at=now, updated_at=now,
                 scopes=scopes, claims=claims, expiration=now + ttl_ms, token_format=token_format)
    t.secret = _mint_jwt(st, t) if token_format == "jwt" else "mt_" + st.ids.token(30)
    st.auth.m2m_tokens[t.id] = t
    st.auth.m2m_secrets[t.secret] = t.id
    return Reply(201, m2m_json(t, now, with_token=True))


@ROUTES.op("getM2MTokens", "list", unversioned=True, machine_auth=True)
def get_m2m_tokens(ctx: Ctx) -> Json:
    st, q, now = ctx.state, ctx.query, ctx.now
    caller = _calling_machine(ctx)
    subject = q["subject"]
    if caller is not None and caller.id != subject:
        raise errors.forbidden("authorization_invalid", "Unauthorized request",
                               "A machine secret key can only list the tokens of its own machine.")
    limit = int(q.get("limit", 10))
    offset = int(q.get("offset") or 0)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise errors.bad_request("Bad Request", f"limit must be between 1 and {MAX_LIMIT} and offset at least 0")
    found = [t for t in st.auth.m2m_tokens.values() if t.subject == subject]
    if not q.get("revoked"):
        found = [t for t in found if not t.revoked]
    if not q.get("expired"):
        found = [t for t in found if not is_expired(t, now)]
    found.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    return {"m2m_tokens": [m2m_json(t, now) for t in found[offset : offset + limit]], "total_count": len(found)}


@ROUTES.op("revokeM2MToken", "revoke", unversioned=True, machine_auth=True)
def revoke_m2m_token(ctx: Ctx) -> Json:
    t = _require_token(ctx.state, ctx.path["m2m_token_id"], _calling_machine(ctx))
    if not t.revoked:
        t.revoked = True
        t.revocation_reason = ctx.body.get("revocation_reason")
        t.updated_at = ctx.now
    return m2m_json(t, ctx.now)


@ROUTES.op("verifyM2MToken", "verify", unversioned=True, machine_auth=True, prepare=legacy_verify_body)
def verify_m2m_token(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    token_id = st.auth.m2m_secrets.get(ctx.body["token"])
    t = st.auth.m2m_tokens.get(token_id) if token_id else None
    if t is None or t.revoked or is_expired(t, now):
        raise _not_found()
    caller = _calling_machine(ctx)
    if caller is not None and caller.id != t.subject and caller.id not in t.scopes:
        raise _not_found()
    t.last_used_at = now
    return m2m_json(t, now)
