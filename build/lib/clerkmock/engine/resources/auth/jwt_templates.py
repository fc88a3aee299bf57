"""JWT Templates: ListJWTTemplates, CreateJWTTemplate, GetJWTTemplate, UpdateJWTTemplate, DeleteJWTTemplate, and
minting a token from a template (used by CreateSessionTokenFromTemplate).

A template token has the rendered template claims (see ``shortcodes.py``) plus Clerk's default claims, which a
template cannot override: ``azp`` (when known), ``exp`` (iat + lifetime), ``iat``, ``iss``, ``jti``, ``nbf``
(iat - allowed_clock_skew), ``sid``, ``sub``; ``act`` for an impersonation session.  It is signed RS256 with the
instance key (kid = instance id), or with the template's custom key and algorithm.
"""

from __future__ import annotations

import copy
from typing import Any

from clerkmock.engine import errors, tokens
from clerkmock.engine.pagination import limit_offset, paginated
from clerkmock.engine.records.sessions import JwtTemplate, Session
from clerkmock.engine.resources.auth import shortcodes
from clerkmock.engine.resources.auth.claims import org_membership
from clerkmock.engine.resources.auth.common import issuer, seconds, signing_key
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("jwt_templates")
DEFAULT_LIFETIME_S = 60
DEFAULT_CLOCK_SKEW_S = 5  # Go SDK fixture: lifetime 60, allowed_clock_skew 5 (reference/clerk-bapi.md §7)
RESERVED_CLAIMS = ("azp", "exp", "iat", "iss", "jti", "nbf", "sid", "sub")

# -- serializers --------------------------------------------------------------------------------------------------


def template_json(t: JwtTemplate) -> dict[str, Any]:
    return {
        "object": "jwt_template",
        "id": t.id,
        "name": t.name,
        "claims": t.claims,
        "lifetime": t.lifetime,
        "allowed_clock_skew": t.allowed_clock_skew,
        "custom_signing_key": t.custom_signing_key,
        "signing_algorithm": t.signing_algorithm,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


# -- operations ---------------------------------------------------------------------------------------------------


def require_template(st: State, template_id: str) -> JwtTemplate:
    t = st.auth.jwt_templates.get(template_id)
    if t is None:
        raise errors.resource_not_found(f"No JWT template exists with id: {template_id}", "JWT template not found")
    return t


def require_template_by_name(st: State, name: str) -> JwtTemplate:
    template_id = st.auth.jwt_template_names.get(name)
    if template_id is None:
        raise errors.resource_not_found(f"No JWT template exists with name: {name}", "JWT template not found")
    return st.auth.jwt_templates[template_id]


def _validated(st: State, body: dict[str, Any], current: JwtTemplate | None) -> dict[str, Any]:
    """Check a create/update body; return the fields to store.  Raises before anything is written."""
    name = body["name"].strip()
    if not name:
        raise errors.form_param_value_invalid("name", "name must not be blank.")
    owner = st.auth.jwt_template_names.get(name)
    if owner is not None and (current is None or owner != current.id):
        raise errors.form_identifier_exists("name", "name")
    for claim in body["claims"]:
        if claim in RESERVED_CLAIMS:
            raise errors.jwt_template_reserved_claim(claim)
    custom = bool(body.get("custom_signing_key"))
    algorithm = body.get("signing_algorithm") or (current.signing_algorithm if current and custom else "RS256")
    key = body.get("signing_key")
    if custom:
        if not body.get("signing_algorithm") and not (current and current.custom_signing_key):
            raise errors.form_conditional_param_missing("signing_algorithm", "custom_signing_key")
        if key is None and current is not None and current.custom_signing_key:
            key = current.signing_key  # updating other fields keeps the stored key
        if not key:
            raise errors.form_conditional_param_missing("signing_key", "custom_signing_key")
        try:
            tokens.check_custom_key(algorithm, key)
        except tokens.SigningKeyError as exc:
            param = "signing_algorithm" if algorithm not in tokens.TEMPLATE_ALGORITHMS else "signing_key"
            raise errors.form_param_value_invalid(param, str(exc)) from None
    else:
        algorithm, key = "RS256", None
    lifetime = body.get("lifetime")
    skew = body.get("allowed_clock_skew")
    return {
        "name": name,
        "claims": copy.deepcopy(body["claims"]),
        "lifetime": int(lifetime) if lifetime is not None else DEFAULT_LIFETIME_S,
        "allowed_clock_skew": int(skew) if skew is not None else DEFAULT_CLOCK_SKEW_S,
        "custom_signing_key": custom,
        "signing_algorithm": algorithm,
        "signing_key": key,
    }


def mint(
    st: State,
    t: JwtTemplate,
    sess: Session,
    now: int,
    *,
    jti: str,
    lifetime_s: int | None = None,
    azp: str | None = None,
) -> str:
    user = st.users[sess.user_id]
    org_id = sess.last_active_organization_id
    membership = org_membership(st, user.id, org_id) if org_id else None
    scope = shortcodes.scope_for(st, user, membership, sess.actor, sess.id)
    claims: dict[str, Any] = shortcodes.render(copy.deepcopy(t.claims), scope)
    iat = seconds(now)
    defaults: dict[str, Any] = {
        "exp": iat + (lifetime_s or t.lifetime),
        "iat": iat,
        "iss": issuer(st),
        "jti": jti,
        "nbf": iat - t.allowed_clock_skew,
        "sid": sess.id,
        "sub": sess.user_id,
    }
    if azp:
        defaults["azp"] = azp
    if sess.actor:
        defaults["act"] = dict(sess.actor)
    claims.update(defaults)
    if t.custom_signing_key and t.signing_key:
        return tokens.sign_with(claims, t.signing_algorithm, t.signing_key)
    return tokens.sign(claims, signing_key(st), st.instance.id)


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.get("/jwt_templates", "list")
def list_jwt_templates(ctx: Ctx) -> Json:
    limit, offset = limit_offset(ctx.query)
    templates = sorted(ctx.state.auth.jwt_templates.values(), key=lambda t: (t.created_at, t.id), reverse=True)
    data = [template_json(t) for t in templates[offset : offset + limit]]
    return paginated(data, len(templates)) if ctx.query.get("paginated") else data


@ROUTES.post("/jwt_templates", "create")
def create_jwt_template(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    fields = _validated(st, ctx.body, None)
    t = JwtTemplate(id=st.ids.new("jtmp"), created_at=now, updated_at=now, **fields)
    st.auth.jwt_templates[t.id] = t
    st.auth.jwt_template_names[t.name] = t.id
    return template_json(t)


@ROUTES.get("/jwt_templates/{template_id}", "get")
def get_jwt_template(ctx: Ctx) -> Json:
    return template_json(require_template(ctx.state, ctx.path["template_id"]))


@ROUTES.patch("/jwt_templates/{template_id}", "update")
def update_jwt_template(ctx: Ctx) -> Json:
    st = ctx.state
    t = require_template(st, ctx.path["template_id"])
    fields = _validated(st, ctx.body, t)
    st.auth.jwt_template_names.pop(t.name, None)
    for name, value in fields.items():
        setattr(t, name, value)
    st.auth.jwt_template_names[t.name] = t.id
    t.updated_at = ctx.now
    return template_json(t)


@ROUTES.delete("/jwt_templates/{template_id}", "delete")
def delete_jwt_template(ctx: Ctx) -> Json:
    st = ctx.state
    t = require_template(st, ctx.path["template_id"])
    del st.auth.jwt_templates[t.id]
    st.auth.jwt_template_names.pop(t.name, None)
    return {"object": "jwt_template", "id": t.id, "deleted": True}
