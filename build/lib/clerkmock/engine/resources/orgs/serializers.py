"""The organization shapes (Organization, OrganizationMembership, OrganizationInvitation, public user and
organization data) and the few read-only queries they need.  Below every other org module: the membership
operations in common.py emit invitation payloads, and every group embeds these shapes.
"""

from __future__ import annotations

import base64
from typing import Any

from clerkmock.engine.records import User
from clerkmock.engine.records.organizations import MANAGE_MEMBERS, Membership, Organization, OrgInvitation, Role
from clerkmock.engine.resources.users import default_image_url
from clerkmock.engine.state import State

# -- queries ----------------------------------------------------------------------------------------------------


def role_grants(st: State, role: Role, permission_key: str) -> bool:
    perm_id = st.orgs.permission_keys.get(permission_key)
    return perm_id is not None and perm_id in role.permission_ids


def is_manager(st: State, mem: Membership) -> bool:
    return role_grants(st, st.orgs.roles[mem.role_id], MANAGE_MEMBERS)


def managers(st: State, org_id: str) -> list[Membership]:
    out = []
    for user_id in st.orgs.members_by_org.get(org_id, ()):
        mem = st.orgs.membership(org_id, user_id)
        if mem is not None and is_manager(st, mem):
            out.append(mem)
    return out


def invitation_status(inv: Any, now: int) -> str:
    """pending | accepted | revoked, or expired once a pending invitation passes ``expires_at``."""
    if inv.status == "pending" and inv.expires_at <= now:
        return "expired"
    return str(inv.status)


def pending_invitations(st: State, org_id: str, now: int) -> list[OrgInvitation]:
    return [i for i in st.orgs.org_invitations.values()
            if i.org_id == org_id and invitation_status(i, now) == "pending"]


# -- serializers ------------------------------------------------------------------------------------------------


def org_image_url(st: State, org: Organization) -> str:
    if org.image_url:
        return org.image_url
    # Clerk's default image: base64 JSON {type, iid, rid, initials} under img.clerk.com (as for users)
    raw = f'{{"type":"default","iid":"{st.instance.id}","rid":"{org.id}","initials":"{org.name[:1].upper()}"}}'
    return "https://img.clerk.com/" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def org_json(st: State, org: Organization, *, now: int = 0, members_count: bool = False,
             missing_admin: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "organization",
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "image_url": org_image_url(st, org),
        "has_image": org.image_url is not None,
        "max_allowed_memberships": org.max_allowed_memberships,
        "admin_delete_enabled": org.admin_delete_enabled,
        "public_metadata": org.public_metadata,
        "private_metadata": org.private_metadata,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
        "role_set_key": st.orgs.role_sets[org.role_set_id].key,
    }
    if org.created_by is not None:
        out["created_by"] = org.created_by
    if members_count:
        out["members_count"] = len(st.orgs.members_by_org.get(org.id, ()))
        out["pending_invitations_count"] = len(pending_invitations(st, org.id, now))
    if missing_admin:
        out["missing_member_with_elevated_permissions"] = not managers(st, org.id)
    return out


def public_org_data(st: State, org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "slug": org.slug, "image_url": org_image_url(st, org),
            "has_image": org.image_url is not None}


def user_identifier(st: State, user: User) -> str:
    for idn_id in (user.primary_email_address_id, user.primary_phone_number_id, user.primary_web3_wallet_id):
        if idn_id:
            return st.identifications[idn_id].value
    return user.username or ""


def public_user_data(st: State, user: User) -> dict[str, Any]:
    """Computed from the user at serialization time, so it follows later changes to the user."""
    image = user.image_url or default_image_url(st, user)
    return {
        "user_id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "profile_image_url": image,
        "image_url": image,
        "has_image": user.image_url is not None,
        "identifier": user_identifier(st, user),
        "username": user.username,
        "banned": user.banned,
    }


def membership_json(st: State, mem: Membership) -> dict[str, Any]:
    role = st.orgs.roles[mem.role_id]
    out: dict[str, Any] = {
        "id": mem.id,
        "object": "organization_membership",
        "role": role.key,
        "role_name": role.name,
        "permissions": st.orgs.permission_keys_of(role),  # follows the role live
        "public_metadata": mem.public_metadata,
        "private_metadata": mem.private_metadata,
        "organization": org_json(st, st.orgs.orgs[mem.org_id]),
        "created_at": mem.created_at,
        "updated_at": mem.updated_at,
    }
    user = st.users.get(mem.user_id)
    if user is not None:
        out["public_user_data"] = public_user_data(st, user)
    return out


def org_invitation_json(st: State, inv: OrgInvitation, now: int, *, with_org: bool = False) -> dict[str, Any]:
    role = st.orgs.roles.get(inv.role_id)
    inviter = st.users.get(inv.inviter_id) if inv.inviter_id else None
    inviter_data = None
    if inviter is not None:
        image = inviter.image_url or default_image_url(st, inviter)
        inviter_data = {"user_id": inviter.id, "first_name": inviter.first_name, "last_name": inviter.last_name,
                        "image_url": image, "has_image": inviter.image_url is not None,
                        "identifier": user_identifier(st, inviter)}
    out: dict[str, Any] = {
        "object": "organization_invitation",
        "id": inv.id,
        "email_address": inv.email_address,
        "role": role.key if role else inv.role_key,
        "role_name": role.name if role else inv.role_name,
        "organization_id": inv.org_id,
        "inviter_id": inv.inviter_id,
        "public_inviter_data": inviter_data,
        "status": invitation_status(inv, now),
        "public_metadata": inv.public_metadata,
        "private_metadata": inv.private_metadata,
        "url": inv.url,
        "expires_at": inv.expires_at,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
    }
    org = st.orgs.orgs.get(inv.org_id)
    if with_org and org is not None:
        out["public_organization_data"] = public_org_data(st, org)
    return out
