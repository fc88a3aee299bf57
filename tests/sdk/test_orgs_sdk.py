"""The organization family through the official Python SDK: a B2B flow (two users, an organization, an
invitation, members added/updated/removed, a custom role with a custom permission, lists, the cascade of a
deletion) plus instance invitations, domains and role sets.  Every test runs over real HTTP and in-process
(the ``sdk`` fixture); every response is validated against the spec by the fixture's hook."""

from __future__ import annotations

from clerk_backend_api import Clerk, models

from .helpers import PNG_1X1, new_user, raises_api_error


def test_b2b_flow(sdk: Clerk) -> None:
    ann = new_user(sdk, email_address=["ann@acme.example"], first_name="Ann", last_name="Admin")
    bob = new_user(sdk, email_address=["bob@acme.example"], first_name="Bob", username="bob_b")

    # Ann creates the organization: she becomes its admin
    org = sdk.organizations.create(request={"name": "Acme Inc", "created_by": ann.id,
                                            "public_metadata": {"plan": "team"}})
    assert org.id.startswith("org_") and org.slug == "acme-inc" and org.created_by == ann.id
    assert sdk.organizations.get(organization_id="acme-inc").id == org.id
    with raises_api_error(422, "form_identifier_exists", param="slug"):
        sdk.organizations.create(request={"name": "Copycat", "slug": "acme-inc"})
    with raises_api_error(400, "organization_creator_not_found"):
        sdk.organizations.create(request={"name": "Ghost", "created_by": "user_missing"})

    # Ann invites Bob; a second invitation for him is refused
    inv = sdk.organization_invitations.create(organization_id=org.id, email_address="bob@acme.example",
                                              role="org:member", inviter_user_id=ann.id,
                                              public_metadata={"seat": "A1"})
    assert inv.status == "pending" and inv.inviter_id == ann.id and inv.role_name == "Member"
    assert inv.public_inviter_data is not None and inv.public_inviter_data.identifier == "ann@acme.example"
    with raises_api_error(400, "organization_invitation_not_unique"):
        sdk.organization_invitations.create(organization_id=org.id, email_address="bob@acme.example",
                                            role="org:member")
    pending = sdk.users.get_organization_invitations(user_id=bob.id, status="pending")
    assert [i.id for i in pending.data] == [inv.id]
    assert pending.data[0].public_organization_data.slug == "acme-inc"

    # Bob joins: his invitation is accepted and its metadata carried over
    mem = sdk.organization_memberships.create(organization_id=org.id, user_id=bob.id, role="org:member")
    assert mem.role == "org:member" and mem.permissions == ["org:sys_memberships:read"]
    assert mem.public_metadata == {"seat": "A1"}
    assert mem.public_user_data is not None and mem.public_user_data.identifier == "bob@acme.example"
    assert sdk.organization_invitations.get(organization_id=org.id, invitation_id=inv.id).status == "accepted"
    with raises_api_error(400, "already_a_member_in_organization"):
        sdk.organization_memberships.create(organization_id=org.id, user_id=bob.id, role="org:admin")
    with raises_api_error(404, "resource_not_found", param="role"):
        sdk.organization_memberships.create(organization_id=org.id, user_id=ann.id, role="basic_member")

    # a custom role with a custom permission: the membership's permissions follow the role live
    perm = sdk.organization_permissions.create(name="Read reports", key="org:reports:read")
    role = sdk.organization_roles.create(name="Analyst", key="org:analyst", permissions=[perm.id],
                                         include_in_initial_role_set=True)
    assert [p.key for p in role.permissions] == ["org:reports:read"] and role.is_creator_eligible is False
    mem = sdk.organization_memberships.update(organization_id=org.id, user_id=bob.id, role="org:analyst")
    assert (mem.role, mem.role_name, mem.permissions) == ("org:analyst", "Analyst", ["org:reports:read"])
    export = sdk.organization_permissions.create(name="Export reports", key="org:reports:export")
    sdk.organization_roles.assign_permission(organization_role_id=role.id, permission_id=export.id)
    with raises_api_error(409, "organization_role_permission_association_exists"):
        sdk.organization_roles.assign_permission(organization_role_id=role.id, permission_id=export.id)
    bobs = sdk.organization_memberships.list(organization_id=org.id, role=["org:analyst"])
    assert bobs.total_count == 1 and bobs.data[0].permissions == ["org:reports:read", "org:reports:export"]
    with raises_api_error(422, "organization_role_assigned_members"):
        sdk.organization_roles.delete(organization_role_id=role.id)

    # the last admin can be neither demoted nor removed (400, a status these operations do not declare)
    with raises_api_error(400, "organization_minimum_permissions_needed", sdk_type=models.SDKError):
        sdk.organization_memberships.update(organization_id=org.id, user_id=ann.id, role="org:member")
    with raises_api_error(400, "organization_minimum_permissions_needed", sdk_type=models.SDKError):
        sdk.organization_memberships.delete(organization_id=org.id, user_id=ann.id)

    # lists, filters, paging and metadata
    page = sdk.organization_memberships.list(organization_id=org.id, order_by="first_name", limit=1)
    assert page.total_count == 2 and [m.public_user_data.user_id for m in page.data] == [ann.id]
    page = sdk.organization_memberships.list(organization_id=org.id, order_by="first_name", limit=1, offset=1)
    assert [m.public_user_data.user_id for m in page.data] == [bob.id]
    assert sdk.organization_memberships.list(organization_id=org.id, username=["bob_b"]).data[0].id == mem.id
    assert sdk.organization_memberships.list(organization_id=org.id, query="ann@").total_count == 1
    sdk.organizations.create(request={"name": "Beta LLC", "created_by": bob.id})
    orgs = sdk.organizations.list(include_members_count=True, order_by="-members_count")
    assert [(o.name, o.members_count) for o in orgs.data] == [("Acme Inc", 2), ("Beta LLC", 1)]
    assert [o.name for o in sdk.organizations.list(user_id=[f"-{bob.id}"]).data] == []
    assert [o.name for o in sdk.organizations.list(query="acme").data] == ["Acme Inc"]
    assert {u.id for u in sdk.users.list(request={"organization_id": [org.id]})} == {ann.id, bob.id}
    merged = sdk.organization_memberships.update_metadata(organization_id=org.id, user_id=bob.id,
                                                          public_metadata={"desk": 7, "seat": None})
    assert merged.public_metadata == {"desk": 7}
    updated = sdk.organizations.merge_metadata(organization_id=org.id, public_metadata={"seats": 10})
    assert updated.public_metadata == {"plan": "team", "seats": 10}
    assert sdk.organizations.replace_metadata(organization_id=org.id, private_metadata={"crm": 1}
                                              ).private_metadata == {"crm": 1}
    logo = sdk.organizations.upload_logo(organization_id=org.id, file={
        "file_name": "logo.png", "content": PNG_1X1, "content_type": "image/png"})
    assert logo.has_image is True and logo.image_url.startswith("https://")

    # Bob leaves: the answer is the membership itself
    removed = sdk.organization_memberships.delete(organization_id=org.id, user_id=bob.id)
    assert removed.id == mem.id and removed.role == "org:analyst"
    assert sdk.users.get_organization_memberships(user_id=bob.id).total_count == 1  # Beta LLC

    # deleting the organization cascades to memberships and invitations
    sdk.organization_invitations.create(organization_id=org.id, email_address="carol@acme.example",
                                        role="org:member")
    deleted = sdk.organizations.delete(organization_id=org.id)
    assert (deleted.object, deleted.id, deleted.slug, deleted.deleted) == ("organization", org.id, "acme-inc", True)
    assert sdk.users.get_organization_memberships(user_id=ann.id).total_count == 0
    assert sdk.organization_invitations.get_all().total_count == 0
    with raises_api_error(404, "resource_not_found"):
        sdk.organizations.get(organization_id=org.id)
    sdk.organization_roles.delete(organization_role_id=role.id)  # nobody holds it any more


def test_membership_quota(sdk: Clerk) -> None:
    ann, bob, carol = new_user(sdk), new_user(sdk), new_user(sdk)
    org = sdk.organizations.create(request={"name": "Tiny", "created_by": ann.id, "max_allowed_memberships": 2})
    sdk.organization_memberships.create(organization_id=org.id, user_id=bob.id, role="org:member")
    with raises_api_error(403, "organization_membership_quota_exceeded"):
        sdk.organization_memberships.create(organization_id=org.id, user_id=carol.id, role="org:member")
    with raises_api_error(403, "organization_membership_quota_exceeded"):
        sdk.organization_invitations.create(organization_id=org.id, email_address="x@example.com",
                                            role="org:member")
    assert sdk.organizations.update(organization_id=org.id, max_allowed_memberships=0).max_allowed_memberships == 0
    sdk.organization_memberships.create(organization_id=org.id, user_id=carol.id, role="org:member")


def test_bulk_organization_invitations_and_instance_view(sdk: Clerk) -> None:
    ann = new_user(sdk)
    org = sdk.organizations.create(request={"name": "Bulk Co", "created_by": ann.id})
    page = sdk.organization_invitations.bulk_create(organization_id=org.id, request_body=[
        {"email_address": "one@example.com", "role": "org:member"},
        {"email_address": "two@example.com", "role": "org:admin", "inviter_user_id": ann.id},
    ])
    assert page.total_count == 2
    revoked = sdk.organization_invitations.revoke(organization_id=org.id, invitation_id=page.data[0].id,
                                                  requesting_user_id=ann.id)
    assert revoked.status == "revoked"
    with raises_api_error(400, "invitation_already_revoked"):
        sdk.organization_invitations.revoke(organization_id=org.id, invitation_id=page.data[0].id)
    assert [i.email_address for i in sdk.organization_invitations.list_pending(organization_id=org.id).data] == [
        "two@example.com"]
    listed = sdk.organization_invitations.list(organization_id=org.id, status="revoked")
    assert [i.id for i in listed.data] == [page.data[0].id]
    everywhere = sdk.organization_invitations.get_all(query="two@", status="pending")
    assert everywhere.total_count == 1 and everywhere.data[0].public_organization_data.id == org.id


def test_instance_invitations(sdk: Clerk) -> None:
    new_user(sdk, email_address=["member@example.com"])
    inv = sdk.invitations.create(request={"email_address": "guest@example.com", "public_metadata": {"src": "ad"},
                                          "expires_in_days": 7})
    assert inv.id.startswith("inv_") and inv.status == "pending" and inv.public_metadata == {"src": "ad"}
    with raises_api_error(400, "duplicate_record"):
        sdk.invitations.create(request={"email_address": "guest@example.com"})
    with raises_api_error(422, "form_identifier_exists"):
        sdk.invitations.create(request={"email_address": "member@example.com"})
    bulk = sdk.invitations.bulk_create(request=[{"email_address": "a@example.com"},
                                                {"email_address": "guest@example.com", "ignore_existing": True}])
    assert [i.email_address for i in bulk] == ["a@example.com", "guest@example.com"]
    assert len(sdk.invitations.list(status="pending", limit=10)) == 3
    revoked = sdk.invitations.revoke(invitation_id=inv.id)
    assert revoked.status == "revoked"  # (the SDK model has no `revoked` field)
    with raises_api_error(400, "invitation_already_revoked"):
        sdk.invitations.revoke(invitation_id=inv.id)
    assert [i.id for i in sdk.invitations.list(status="revoked")] == [inv.id]
    assert [i.email_address for i in sdk.invitations.list(query="a@ex")] == ["a@example.com"]


def test_domains_and_role_sets(sdk: Clerk) -> None:
    org = sdk.organizations.create(request={"name": "Domain Co"})
    dom = sdk.organization_domains.create(organization_id=org.id, name="domain.example",
                                          enrollment_mode="automatic_invitation", verified=False)
    assert dom.id.startswith("orgdmn_") and dom.affiliation_verification.status == "unverified"
    with raises_api_error(422, "organization_domain_already_exists"):
        sdk.organization_domains.create(organization_id=org.id, name="domain.example",
                                        enrollment_mode="manual_invitation")
    owned = sdk.organization_domains.verify_ownership(organization_id=org.id, domain_id=dom.id)
    assert owned.ownership_verification is not None and owned.ownership_verification.strategy == "manual_override"
    updated = sdk.organization_domains.update(organization_id=org.id, domain_id=dom.id, verified=True)
    assert updated.affiliation_verification.status == "verified"
    assert [d.id for d in sdk.organization_domains.list_all(query="domain").data] == [dom.id]
    assert sdk.organization_domains.list(organization_id=org.id, verified="true").total_count == 1
    assert sdk.organization_domains.delete(organization_id=org.id, domain_id=dom.id).deleted is True

    initial = sdk.role_sets.get(role_set_key_or_id="role_set:default")
    assert initial.type == "initial" and initial.creator_role.key == "org:admin"
    sdk.organization_roles.create(name="Guest", key="org:guest")
    rs = sdk.role_sets.create(name="Partners", roles=["org:admin", "org:guest"], default_role_key="org:guest",
                              creator_role_key="org:admin")
    assert rs.key == "role_set:partners" and rs.default_role.key == "org:guest"
    partner = sdk.organizations.create(request={"name": "Partner", "role_set_key": rs.key})
    assert partner.role_set_key == "role_set:partners"
    assert sdk.role_sets.list().total_count == 2
    with raises_api_error(404, "resource_not_found"):
        sdk.role_sets.get(role_set_key_or_id="role_set:missing")
