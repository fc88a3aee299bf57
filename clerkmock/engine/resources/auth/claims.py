"""Session-token claims, v1 and v2; the active organization is read from the organization tables (`org_membership`).

What Clerk's middleware checks (reference/clerk-bapi.md §7, §10):

* always ``sub``, ``sid``, ``iat``, ``nbf`` (iat - 10 s), ``exp`` (iat + 60 s by default), ``iss`` (the Frontend API
  URL), ``jti``, ``fva``, and ``azp`` when the request had an Origin; ``act`` for an impersonation session;
* **v2** (``Clerk-API-Version`` >= 2025-04-10; Clerk's changelog ties token v2 to that version): ``v: 2``, ``sts``
  (session status), ``pla`` (the billing plan of the active organization, else of the user: ``o:<slug>`` /
  ``u:<slug>``), and with an active organization ``o: {id, slg, rol, per, fpm}``; ``fea`` lists the permission
  features and the plan's features.
  ``rol`` drops the ``org:`` prefix; ``per`` lists the distinct actions of the role's *custom* permissions
  (``org:<feature>:<action>``; system ``org:sys_*`` permissions never go in tokens); ``fea`` lists the features
  as ``o:<feature>`` items and ``fpm[i]`` is a bitmask over ``per`` for the i-th feature (bit 0 = ``per[0]``);
* **v1** (older versions): ``org_id``, ``org_role`` (with ``org:``), ``org_slug``, ``org_permissions`` (custom ones).

No ``aud``: the Python SDK rejects a token with an audience it was not told to expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine.records.sessions import Session
from clerkmock.engine.resources.auth.common import issuer, seconds
from clerkmock.engine.resources.orgs.serializers import org_image_url
from clerkmock.engine.state import State

V2_FROM_VERSION = "2025-04-10"
DEFAULT_LIFETIME_S = 60
NBF_SKEW_S = 10  # Clerk backdates nbf by 10 s so a verifier with a slightly slow clock still accepts the token
# Billing: every instance has the default free plans; the active org's plan replaces the user's (docs: pla).
USER_PLAN = "u:free_user"
ORG_PLAN = "o:free_org"


@dataclass(frozen=True, slots=True)
class OrgMembership:
    """What the token needs to know about the user's membership in the active organization."""

    org_id: str
    slug: str
    role: str  # with the "org:" prefix, as memberships store it ("org:admin")
    permissions: tuple[str, ...] = ()  # every permission key of the role, system ones included
    name: str = ""
    image_url: str | None = None
    has_image: bool = False
    public_metadata: dict[str, Any] = field(default_factory=dict)
    membership_public_metadata: dict[str, Any] = field(default_factory=dict)


def org_membership(st: State, user_id: str, org_id: str) -> OrgMembership | None:
    """The user's membership in ``org_id`` (None when the org does not exist or the user is not a member),
    read from the organization tables on the state."""
    org = st.orgs.find_org(org_id)
    mem = st.orgs.membership(org.id, user_id) if org else None
    if org is None or mem is None:
        return None
    role = st.orgs.roles[mem.role_id]
    return OrgMembership(
        org_id=org.id, slug=org.slug, role=role.key, permissions=tuple(st.orgs.permission_keys_of(role)),
        name=org.name, image_url=org_image_url(st, org), has_image=org.image_url is not None,
        public_metadata=org.public_metadata, membership_public_metadata=mem.public_metadata,
    )


def user_organizations(st: State, user_id: str) -> dict[str, str]:
    """org id -> role key of every membership of the user (the ``{{user.organizations}}`` shortcode)."""
    return {m.org_id: st.orgs.role_key(m.role_id) for m in st.orgs.user_memberships(user_id)}


# -- claims -------------------------------------------------------------------------------------------------------


def uses_v2(version: str) -> bool:
    return version >= V2_FROM_VERSION  # ISO dates compare as strings


def custom_permissions(permissions: tuple[str, ...] | list[str]) -> list[str]:
    """``org:<feature>:<action>`` keys that are not system permissions, in first-seen order."""
    out = []
    for key in permissions:
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "org" and not parts[1].startswith("sys_") and key not in out:
            out.append(key)
    return out


def org_claims_v2(m: OrgMembership) -> tuple[dict[str, Any], str | None]:
    """The ``o`` claim and the ``fea`` claim (None when there is no custom permission)."""
    o: dict[str, Any] = {"id": m.org_id, "rol": m.role.removeprefix("org:"), "slg": m.slug}
    features: list[str] = []
    actions: list[str] = []
    pairs: list[tuple[str, str]] = []
    for key in custom_permissions(m.permissions):
        _, feature, action = key.split(":")
        if feature not in features:
            features.append(feature)
        if action not in actions:
            actions.append(action)
        pairs.append((feature, action))
    if not features:
        return o, None
    masks = [0] * len(features)
    for feature, action in pairs:
        masks[features.index(feature)] |= 1 << actions.index(action)
    o["per"] = ",".join(actions)
    o["fpm"] = ",".join(str(mask) for mask in masks)
    return o, ",".join(f"o:{f}" for f in features)


def billing_claims(st: State, owner_id: str, default: str) -> tuple[str, list[str]]:
    """``pla`` and the plan's ``fea`` items for the payer (the active organization, else the user): the plan of
    its current subscription item, scoped ``u:`` / ``o:`` as @clerk/shared's ``has({plan, feature})`` reads them;
    without one, Clerk's default free plan names (inferred: docs/billing.md)."""
    from clerkmock.engine.resources.billing.lifecycle import current_item

    scope = "o" if owner_id.startswith("org_") else "u"
    pid = st.billing.payer_by_owner.get(owner_id)
    item = current_item(st, pid) if pid else None
    if item is None or item.status not in ("active", "canceled", "past_due"):
        return default, []
    plan = st.billing.plans[item.plan_id]
    return f"{scope}:{plan.slug}", [f"{scope}:{f.slug}" for f in plan.features]


def fva(sess: Session, now: int) -> list[int]:
    """Minutes since the first and the second factor were verified (-1: never)."""
    first = max(0, (now - sess.first_factor_at) // 60_000)
    second = -1 if sess.second_factor_at is None else max(0, (now - sess.second_factor_at) // 60_000)
    return [first, second]


def session_claims(
    st: State,
    sess: Session,
    *,
    now: int,
    version: str,
    jti: str,
    lifetime_s: int = DEFAULT_LIFETIME_S,
    azp: str | None = None,
) -> dict[str, Any]:
    iat = seconds(now)
    claims: dict[str, Any] = {}
    if azp:
        claims["azp"] = azp
    claims.update({"exp": iat + lifetime_s, "fva": fva(sess, now), "iat": iat, "iss": issuer(st), "jti": jti,
                   "nbf": iat - NBF_SKEW_S, "sid": sess.id, "sub": sess.user_id})
    org_id = sess.last_active_organization_id
    membership = org_membership(st, sess.user_id, org_id) if org_id else None
    if uses_v2(version):
        status = sess.status_at(now)
        claims["sts"] = "pending" if status == "pending" else "active"
        claims["v"] = 2
        plan, plan_features = billing_claims(st, membership.org_id if membership else sess.user_id,
                                             ORG_PLAN if membership else USER_PLAN)
        claims["pla"] = plan
        fea = None
        if membership is not None:
            o, fea = org_claims_v2(membership)
            claims["o"] = o
        features = [f for f in (fea.split(",") if fea else [])] + [f for f in plan_features if f not in (fea or "")]
        if features:
            claims["fea"] = ",".join(features)
    elif membership is not None:
        claims["org_id"] = membership.org_id
        claims["org_permissions"] = custom_permissions(membership.permissions)
        claims["org_role"] = membership.role
        claims["org_slug"] = membership.slug
    if sess.actor:
        claims["act"] = dict(sess.actor)
    return dict(sorted(claims.items()))
