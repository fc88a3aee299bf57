"""Admin Portal Link Tokens: createAdminPortalLinkToken, revokeAdminPortalLinkToken.

- Create answers 201 with the token (``aplt_`` + 32 hex id, and a separate single-use ``token`` secret shown only
  then).  An ``organization_id`` must name an existing organization (400 ``resource_not_found`` with
  ``meta.param_name``: the operation documents 400, 401, 403 and 409, not 404); the token hangs
  off one ``admin_portal_link`` (``apl_`` + 27) per organization (one more for the instance itself), stable
  across tokens.  ``seconds_until_expiration`` (1..86400, default 3600) sets ``expiration`` in ms; ``expired``
  is computed from the clock.
- ``scopes`` and ``it_contact_id`` are stored and echoed as given (null when absent).
- Revoke sets ``revoked`` and ``revocation_reason``; revoking a revoked token again is a 400
  ``admin_portal_link_token_already_revoked`` (inferred code); an unknown id is a 404.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.records.apps import AdminPortalLinkToken
from clerkmock.engine.routing import Ctx, Reply, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("admin_portal_link_tokens")
DEFAULT_TTL_S = 3600
MAX_TTL_S = 86400
TOKEN_LENGTH = 32

# -- serializers --------------------------------------------------------------------------------------------------


def token_json(st: State, t: AdminPortalLinkToken, now: int, *, with_token: bool = False) -> dict[str, Any]:
    out = {
        "object": "admin_portal_link_token",
        "id": t.id,
        "admin_portal_link_id": t.admin_portal_link_id,
        "instance_id": st.instance.id,
        "organization_id": t.organization_id,
        "it_contact_id": t.it_contact_id,
        "scopes": list(t.scopes) if t.scopes is not None else None,
        "revoked": t.revoked,
        "revocation_reason": t.revocation_reason,
        "expired": t.expiration is not None and now >= t.expiration,
        "expiration": t.expiration,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }
    if with_token:
        out["token"] = t.token
    return out


# -- operations ---------------------------------------------------------------------------------------------------


def link_id_for(st: State, organization_id: str | None) -> str:
    key = organization_id or ""
    link_id = st.apps.admin_portal_links.get(key)
    if link_id is None:
        link_id = st.apps.admin_portal_links[key] = st.ids.new("apl")
    return link_id


def new_token(st: State) -> str:
    return "aplt_" + st.ids.token(24)[:TOKEN_LENGTH].rjust(TOKEN_LENGTH, "0")


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.post("/admin_portal_link_tokens", "create")
def create_admin_portal_link_token(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    org_id = body.get("organization_id")
    if org_id is not None and org_id not in st.orgs.orgs:
        raise errors.organization_not_found_in_body("organization_id")
    ttl = body.get("seconds_until_expiration")
    ttl = DEFAULT_TTL_S if ttl is None else ttl
    if not 0 < ttl <= MAX_TTL_S:
        raise errors.form_param_value_invalid(
            "seconds_until_expiration", f"seconds_until_expiration must be between 1 and {MAX_TTL_S}.")
    scopes = body.get("scopes")
    t = AdminPortalLinkToken(
        id=st.ids.hex("aplt"), admin_portal_link_id=link_id_for(st, org_id), token=new_token(st), created_at=now,
        updated_at=now, expiration=now + ttl * 1000, organization_id=org_id,
        it_contact_id=body.get("it_contact_id"), scopes=list(scopes) if scopes is not None else None,
    )
    st.apps.admin_portal_link_tokens[t.id] = t
    return Reply(201, token_json(st, t, now, with_token=True))


@ROUTES.post("/admin_portal_link_tokens/{adminPortalLinkTokenID}/revoke", "revoke")
def revoke_admin_portal_link_token(ctx: Ctx) -> Json:
    st, now = ctx.state, ctx.now
    token_id = ctx.path["adminPortalLinkTokenID"]
    t = st.apps.admin_portal_link_tokens.get(token_id)
    if t is None:
        raise errors.resource_not_found(f"No admin portal link token was found with id {token_id}")
    if t.revoked:
        raise errors.admin_portal_link_token_already_revoked()
    t.revoked, t.revocation_reason, t.updated_at = True, ctx.body.get("revocation_reason"), now
    return token_json(st, t, now)
