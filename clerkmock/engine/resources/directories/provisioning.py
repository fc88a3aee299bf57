"""What a directory's SCIM traffic does to Clerk: users, their ``scim`` metadata, and organization memberships
from group-role mappings.  The SCIM protocol itself is ``scim.py``; this module knows Clerk's side.

- A SCIM User is a Clerk user (the SCIM ``id`` is the Clerk user id).  Its email address, first and last name
  (and username, if the directory maps one) are read through the directory's ``attribute_mapping`` (SCIM paths
  such as ``emails[primary eq true].value``); without a mapped email the first of ``emails``, then a
  ``userName`` that is an email address, is used.  A verified email that already belongs to a Clerk user not
  provisioned by another directory links that user instead of creating one (inferred: Clerk links accounts
  by verified email).
- ``active: false`` bans the user (Clerk's word for a user who may not sign in), ``active: true`` lifts the
  ban; deleting the SCIM User deletes the Clerk user (inferred from Clerk's docs: deprovisioning removes access).
- Group-role mappings: the user's role in the enterprise connection's organization is the role of the mapping
  with the lowest precedence among the mapped groups the user is in (a mapping names a group by its SCIM
  ``id`` or its ``externalId``).  A user in no mapped group loses a membership a mapping gave, and keeps one made
  through the Backend API.  Nothing changes while the directory is disabled or mapping is off.
- Every change emits the events any other change would (``user.created`` with ``scim`` metadata, ``user.updated``,
  ``user.deleted``, ``organizationMembership.*``).
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import errors, events
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.records import User
from clerkmock.engine.records.directories import Directory, GroupRoleMapping, ScimGroup, ScimUser
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.resources import users
from clerkmock.engine.resources.directories.scim_filter import get_ci, resolve
from clerkmock.engine.resources.orgs.common import add_membership, remove_membership
from clerkmock.engine.resources.orgs.serializers import membership_json
from clerkmock.engine.state import State




def find_group(st: State, directory_id: str, group_id: str) -> ScimGroup | None:
    group = st.directories.groups.get((directory_id, group_id))
    if group is not None:
        return group
    return next((g for (did, _), g in st.directories.groups.items() if did == directory_id
                 and g.external_id == group_id), None)


# -- users ---------------------------------------------------------------------------------------------------------


def _profile(d: Directory, doc: dict[str, Any]) -> dict[str, Any]:
    mapping = d.attribute_mapping
    out: dict[str, Any] = {}
    for key in ("email_address", "first_name", "last_name", "username"):
        path = mapping.get(key)
        value = resolve(doc, path) if path else None
        out[key] = value if isinstance(value, str) and value.strip() else None
    if out["email_address"] is None:
        emails = get_ci(doc, "emails")
        first = next((e.get("value") for e in emails if isinstance(e, dict) and e.get("value")), None) \
            if isinstance(emails, list) else None
        user_name = get_ci(doc, "username")
        out["email_address"] = first or (user_name if isinstance(user_name, str) and "@" in user_name else None)
    return out


def _verified_owner(st: State, email: str) -> User | None:
    for idn in idns.holders(st, "email_address", email):
        if idn.user_id is not None and idns.is_verified(idn):
            return st.users.get(idn.user_id)
    return None


def provision_user(st: State, d: Directory, doc: dict[str, Any], now: int) -> User:
    """Create (or link) the Clerk user of a new SCIM User; raises ClerkError for what Clerk would refuse."""
    profile = _profile(d, doc)
    email = profile["email_address"]
    owner = _verified_owner(st, email) if email else None
    if owner is not None:
        if owner.id in st.directories.user_directory:
            raise errors.form_identifier_exists("email_address", "email address")
        _apply_names(owner, profile)
        owner.updated_at = now
        return owner
    body: dict[str, Any] = {"first_name": profile["first_name"], "last_name": profile["last_name"]}
    if email:
        body["email_address"] = [email]
    if profile["username"]:
        body["username"] = profile["username"]
    if not email and not profile["username"]:
        body["skip_user_requirement"] = True
    return users.add_user(st, body, now)


def _apply_names(user: User, profile: dict[str, Any]) -> None:
    for key in ("first_name", "last_name"):
        if profile[key] is not None:
            setattr(user, key, profile[key])


def apply_profile(st: State, d: Directory, user: User, doc: dict[str, Any], now: int) -> None:
    """A replaced or patched SCIM User: names, a new primary email, the username."""
    profile = _profile(d, doc)
    email = profile["email_address"]
    current = {st.identifications[i].value.lower(): i for i in user.email_ids}
    if email and email.lower() not in current:
        email = idns.check_format("email_address", email, "email_address")
        idns.ensure_available(st, "email_address", email, "email_address", user.id)
        idn = idns.add(st, kind="email_address", value=email, user_id=user.id, now=now)
        idns.attach(user, idn, primary=True)
    elif email:
        user.primary_email_address_id = current[email.lower()]
    if profile["username"] and profile["username"] != user.username:
        users.check_username(st, profile["username"], user.id)
        users.set_username(st, user, profile["username"])
    _apply_names(user, profile)
    user.updated_at = now


def set_active(user: User, active: bool, now: int) -> bool:
    """Deactivation bans, reactivation lifts the ban; True when that changed anything."""
    if user.banned == (not active):
        return False
    user.banned = not active
    user.updated_at = now
    return True


def link_user(st: State, d: Directory, su: ScimUser) -> None:
    st.directories.users[(d.id, su.id)] = su
    st.directories.user_directory[su.id] = d.id


def deprovision_user(st: State, d: Directory, su: ScimUser, now: int) -> None:
    """The SCIM User is deleted: so is the Clerk user (its memberships and sessions go with it)."""
    forget_user(st, d.id, su.id)
    user = st.users.get(su.id)
    if user is not None:
        external_id = user.external_id
        users.delete_user(st, user)
        events.emit(st, "user.deleted", users.deleted_json("user", user.id, **(
            {"external_id": external_id} if external_id is not None else {})), now)


def forget_user(st: State, directory_id: str, user_id: str) -> None:
    tables = st.directories
    tables.users.pop((directory_id, user_id), None)
    if tables.user_directory.get(user_id) == directory_id:
        del tables.user_directory[user_id]
    for group in (g for (did, _), g in tables.groups.items() if did == directory_id):
        if user_id in group.member_ids:
            group.member_ids.remove(user_id)
    tables.managed_memberships = {m for m in tables.managed_memberships if m[2] != user_id or m[0] != directory_id}


def user_deleted(st: State, user: User) -> None:
    """A user-delete cascade (resources/__init__.py): a Clerk user deleted through the Backend API leaves its
    directory too."""
    directory_id = st.directories.user_directory.get(user.id)
    if directory_id is not None:
        forget_user(st, directory_id, user.id)


# -- organization roles from groups --------------------------------------------------------------------------------


def _organization_id(st: State, d: Directory) -> str | None:
    conn = st.sso.connections.get(d.enterprise_connection_id)
    if conn is None or conn.organization_id is None or conn.organization_id not in st.orgs.orgs:
        return None
    return conn.organization_id


def mappings_of(st: State, directory_id: str) -> list[GroupRoleMapping]:
    return sorted((m for m in st.directories.mappings.values() if m.directory_id == directory_id),
                  key=lambda m: m.precedence)


def desired_role(st: State, d: Directory, user_id: str) -> str | None:
    for m in mappings_of(st, d.id):
        group = find_group(st, d.id, m.group_id)
        if group is not None and user_id in group.member_ids and m.role_id in st.orgs.roles:
            return m.role_id
    return None


def sync_memberships(st: State, d: Directory, now: int) -> None:
    """Bring the organization memberships of the directory's users in line with its groups and mappings."""
    org_id = _organization_id(st, d)
    if org_id is None or not d.enabled or not d.group_role_mapping_enabled:
        return
    org = st.orgs.orgs[org_id]
    managed = st.directories.managed_memberships
    for (did, user_id) in [k for k in st.directories.users if k[0] == d.id]:
        user = st.users.get(user_id)
        if user is None:
            continue
        role_id = desired_role(st, d, user_id)
        mem = st.orgs.membership(org_id, user_id)
        key = (did, org_id, user_id)
        if role_id is None:
            if mem is not None and key in managed:
                remove_membership(st, mem)
                managed.discard(key)
            continue
        if mem is None:
            try:
                add_membership(st, org, user, st.orgs.roles[role_id], now)
            except ClerkError:
                continue  # a full organization: the identity provider's request still succeeds
            managed.add(key)
        elif mem.role_id != role_id:
            mem.role_id, mem.updated_at = role_id, now
            managed.add(key)
            events.emit(st, "organizationMembership.updated", membership_json(st, mem), now)
        else:
            managed.add(key)
