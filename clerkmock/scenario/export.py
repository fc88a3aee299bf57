"""The current state as a scenario file (``clerkmock scenario export``, ``GET /__clerkmock/scenario``).

Each entry is the create body the API would take, with its id pinned, so ``serve --scenario`` loads it back
through the same validation a hand-written scenario goes through.  What a create body cannot say (the time
a record was last updated, an email address's ``idn_`` id and verification, a ban) goes in the entry's
``restore`` mapping, which the seeder writes onto the record it just created: a served export answers every
``GET`` exactly as the exported server did.

Secrets -- password hashes, TOTP secrets, backup codes, a JWT template's signing key, the instance's accepted
secret keys -- are left out unless ``secrets=True``: a redacted export's users have no password
(``skip_password_requirement: true``), the rest is identical.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from clerkmock.engine.records.organizations import INITIAL_ROLE_SET_KEY
from clerkmock.scenario.schema import RESTORE_FIELDS

if TYPE_CHECKING:
    from clerkmock.engine import Engine
    from clerkmock.faults import FaultSet

FORMAT_NOTE = ("# clerkmock scenario export: load it with `clerkmock serve --scenario FILE`.\n"
               "# `restore` mappings carry what a create body cannot (ids of email addresses, timestamps);\n"
               "# see docs/scenarios.md, 'Export and pull'.\n")


def export_scenario(engine: Engine, *, faults: FaultSet | None = None, secrets: bool = False) -> dict[str, Any]:
    """A scenario document (plain JSON-able data) that seeds back to the state of ``engine``."""
    st = engine.state
    doc: dict[str, Any] = {"instance": _instance(engine, secrets)}
    orgs = st.orgs
    doc["permissions"] = [_permission(p) for p in orgs.permissions.values() if p.type != "system"]
    initial = orgs.initial_role_set()
    doc["roles"] = [_role(st, r, r.id in initial.role_ids) for r in orgs.roles.values()
                    if r.key not in _default_role_keys()]
    doc["users"] = []
    for _created, user_id in st.users_by_created:  # oldest first: the order they were created in
        doc["users"].append(_user(st, st.users[user_id], secrets))
    doc["organizations"] = []
    for org in sorted(orgs.orgs.values(), key=lambda o: (o.created_at, o.id)):
        doc["organizations"].append(_organization(st, org))
    doc["invitations"] = [_invitation(i) for i in sorted(orgs.invitations.values(), key=lambda i: i.created_at)
                          if i.status == "pending"]
    doc["jwt_templates"] = [_jwt_template(t, secrets) for t in st.auth.jwt_templates.values()]
    if faults is not None:
        rules = [{"id": r.id, **r.spec} for r in faults.rules if r.id != "rate_limit"]
        if rules:
            doc["faults"] = rules
        limit = next((r for r in faults.rules if r.id == "rate_limit"), None)
        if limit is not None:
            doc["rate_limit"] = dict(limit.spec["rate_limit"])
    return {k: v for k, v in doc.items() if v not in ([], {})}


def to_yaml(doc: dict[str, Any]) -> str:
    return FORMAT_NOTE + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


# -- sections -----------------------------------------------------------------------------------------------

def _default_role_keys() -> tuple[str, ...]:
    from clerkmock.engine.records.organizations import DEFAULT_ROLES

    return tuple(DEFAULT_ROLES)


def _instance(engine: Engine, secrets: bool) -> dict[str, Any]:
    st = engine.state
    out: dict[str, Any] = {"environment": st.instance.environment, "seed": st.ids.seed}
    clock = engine.clock.state()
    if clock["frozen_at_ms"] is not None:
        out["clock"] = {"start": _rfc3339(clock["frozen_at_ms"]), "frozen": True}
    elif clock["offset_ms"]:
        out["clock"] = {"offset_s": clock["offset_ms"] / 1000}
    if engine.default_version is not None:
        out["api_version"] = engine.default_version
    if secrets and engine.secret_keys:
        out["secret_keys"] = sorted(engine.secret_keys)
    return out


def _fields(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in names}


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _permission(p: Any) -> dict[str, Any]:
    return {"id": p.id, "key": p.key, "name": p.name, "description": p.description,
            "restore": _fields(p, RESTORE_FIELDS["permissions"])}


def _role(st: Any, r: Any, in_initial: bool) -> dict[str, Any]:
    entry = {"id": r.id, "key": r.key, "name": r.name, "description": r.description,
             "permissions": [st.orgs.permissions[p].key for p in r.permission_ids]}
    if r.description is None:
        del entry["description"]
    if in_initial:
        entry["include_in_initial_role_set"] = True
    entry["restore"] = _fields(r, RESTORE_FIELDS["roles"])
    return entry


def _user(st: Any, u: Any, secrets: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": u.id}
    idns = {kind: [st.identifications[i] for i in ids]
            for kind, ids in (("email_address", u.email_ids), ("phone_number", u.phone_ids),
                              ("web3_wallet", u.web3_ids))}
    for kind, items in idns.items():
        if items:
            entry[kind] = [i.value for i in items]
    for name in ("username", "external_id", "first_name", "last_name", "locale"):
        if getattr(u, name) is not None:
            entry[name] = getattr(u, name)
    for name in ("public_metadata", "private_metadata", "unsafe_metadata"):
        if getattr(u, name):
            entry[name] = _plain(getattr(u, name))
    entry["created_at"] = _rfc3339(u.created_at)
    if u.legal_accepted_at is not None:
        entry["legal_accepted_at"] = _rfc3339(u.legal_accepted_at)
    if u.create_organizations_limit is not None:
        entry["create_organizations_limit"] = u.create_organizations_limit
    for name in ("delete_self_enabled", "create_organization_enabled", "bypass_client_trust"):
        entry[name] = getattr(u, name)
    if u.external_accounts:  # accounts at OAuth providers (scenario key external_accounts, fapi/social.py)
        entry["external_accounts"] = [_external_account(ea) for ea in u.external_accounts]
    if not any(idns.values()) and u.username is None:
        entry["skip_user_requirement"] = True
    entry["skip_password_requirement"] = True
    entry["skip_legal_checks"] = True
    restore = _fields(u, RESTORE_FIELDS["users"])
    if secrets:
        restore.update(_fields(u, RESTORE_FIELDS["users.secrets"]))
    restore["identifications"] = {
        i.value: _identification(i) for items in idns.values() for i in items}
    entry["restore"] = restore
    return entry


def _external_account(ea: Any) -> dict[str, Any]:
    out = {"id": ea.id, "provider": ea.provider.removeprefix("oauth_"), "email": ea.email_address,
           "provider_user_id": ea.provider_user_id}
    out.update({k: getattr(ea, k) for k in ("first_name", "last_name", "username") if getattr(ea, k)})
    return out


def _identification(i: Any) -> dict[str, Any]:
    out = {"id": i.id, **_fields(i, RESTORE_FIELDS["identifications"])}
    v = i.verification
    out["verification"] = None if v is None else {
        "status": v.status, "strategy": v.strategy, "attempts": v.attempts, "expire_at": v.expire_at}
    return out


def _organization(st: Any, org: Any) -> dict[str, Any]:
    orgs = st.orgs
    entry: dict[str, Any] = {"id": org.id, "name": org.name, "slug": org.slug}
    members = [orgs.memberships[orgs.membership_index[(org.id, uid)]]
               for uid in orgs.members_by_org.get(org.id, ())]
    members.sort(key=lambda m: (m.created_at, m.id))
    creator_is_member = org.created_by is not None and any(m.user_id == org.created_by for m in members)
    if creator_is_member:
        entry["created_by"] = org.created_by
        # the creator's membership comes first, as it did when the organization was created
        members.sort(key=lambda m: m.user_id != org.created_by)
    entry["max_allowed_memberships"] = org.max_allowed_memberships
    for name in ("public_metadata", "private_metadata"):
        if getattr(org, name):
            entry[name] = _plain(getattr(org, name))
    role_set = orgs.role_sets.get(org.role_set_id)
    if role_set is not None and role_set.key != INITIAL_ROLE_SET_KEY:
        entry["role_set_key"] = role_set.key
    entry["created_at"] = _rfc3339(org.created_at)
    restore = _fields(org, RESTORE_FIELDS["organizations"])
    if not creator_is_member:
        restore["created_by"] = org.created_by
    entry["restore"] = restore
    entry["members"] = [_member(st, m) for m in members]
    pending = [i for i in orgs.org_invitations.values() if i.org_id == org.id and i.status == "pending"]
    entry["invitations"] = [_org_invitation(i) for i in sorted(pending, key=lambda i: (i.created_at, i.id))]
    if not entry["invitations"]:
        del entry["invitations"]
    return entry


def _member(st: Any, m: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": m.id, "user": m.user_id, "role": st.orgs.role_key(m.role_id)}
    for name in ("public_metadata", "private_metadata"):
        if getattr(m, name):
            entry[name] = _plain(getattr(m, name))
    entry["restore"] = _fields(m, RESTORE_FIELDS["organizations.members"])
    return entry


def _org_invitation(i: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": i.id, "email_address": i.email_address, "role": i.role_key}
    if i.inviter_id is not None:
        entry["inviter"] = i.inviter_id
    for name in ("public_metadata", "private_metadata"):
        if getattr(i, name):
            entry[name] = _plain(getattr(i, name))
    entry["notify"] = False  # the invitation was already sent (or not) when it was created
    entry["restore"] = _fields(i, RESTORE_FIELDS["organizations.invitations"])
    return entry


def _invitation(i: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": i.id, "email_address": i.email_address}
    if i.public_metadata:
        entry["public_metadata"] = _plain(i.public_metadata)
    if i.redirect_url is not None:
        entry["redirect_url"] = i.redirect_url
    entry["template_slug"] = i.template_slug
    entry["notify"] = False
    entry["ignore_existing"] = True
    entry["restore"] = _fields(i, RESTORE_FIELDS["invitations"])
    return entry


def _jwt_template(t: Any, secrets: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": t.id, "name": t.name, "claims": _plain(t.claims), "lifetime": t.lifetime,
                             "allowed_clock_skew": t.allowed_clock_skew}
    if t.custom_signing_key and secrets:
        entry.update(custom_signing_key=True, signing_algorithm=t.signing_algorithm, signing_key=t.signing_key)
    entry["restore"] = _fields(t, RESTORE_FIELDS["jwt_templates"])
    return entry


def _rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

