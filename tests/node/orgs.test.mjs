// Conformance: Clerk's official JS SDK (@clerk/backend) runs a B2B organization flow against a live clerkmock.
//
// Driven by tests/test_node_sdk.py (which runs every file in tests/node/); by hand:
//   cd tests/node && npm ci
//   CLERK_API_URL=http://127.0.0.1:PORT CLERK_SECRET_KEY=sk_test_... node --test orgs.test.mjs
//
// Assertions are on the SDK's deserialized objects (Organization, OrganizationMembership, ...), so a field the
// SDK cannot read fails here as it would in a real app.  Names carry a per-run tag: the server is shared.

import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
if (!apiUrl || !secretKey) {
  throw new Error('CLERK_API_URL and CLERK_SECRET_KEY must be set (see tests/test_node_sdk.py)');
}

const clerk = createClerkClient({ secretKey, apiUrl });
const run = randomUUID().slice(0, 8);

/** `assert.rejects` predicate: a ClerkAPIResponseError with this HTTP status and first error code. */
function clerkError(status, code) {
  return (err) => {
    assert.ok(isClerkAPIResponseError(err), `expected ClerkAPIResponseError, got ${err?.stack ?? err}`);
    assert.equal(err.status, status, `status (errors: ${JSON.stringify(err.errors)})`);
    assert.equal(err.errors[0].code, code);
    return true;
  };
}

describe('@clerk/backend organizations B2B flow', () => {
  it('creates, invites, joins, re-roles, lists and deletes', async () => {
    const ann = await clerk.users.createUser({ emailAddress: [`ann.${run}@acme.example`], firstName: 'Ann' });
    const bob = await clerk.users.createUser({ emailAddress: [`bob.${run}@acme.example`], firstName: 'Bob' });

    // Ann's organization: she is its admin
    const org = await clerk.organizations.createOrganization({
      name: `Acme ${run}`, createdBy: ann.id, publicMetadata: { plan: 'team' },
    });
    assert.match(org.id, /^org_\w{27}$/);
    assert.equal(org.slug, `acme-${run}`);
    assert.equal(org.createdBy, ann.id);
    assert.deepEqual(org.publicMetadata, { plan: 'team' });
    const bySlug = await clerk.organizations.getOrganization({ slug: org.slug, includeMembersCount: true });
    assert.equal(bySlug.id, org.id);
    assert.equal(bySlug.membersCount, 1);

    // Ann invites Bob; a second pending invitation for him is refused
    const invitation = await clerk.organizations.createOrganizationInvitation({
      organizationId: org.id, emailAddress: `bob.${run}@acme.example`, role: 'org:member', inviterUserId: ann.id,
    });
    assert.equal(invitation.status, 'pending');
    assert.equal(invitation.organizationId, org.id);
    await assert.rejects(
      clerk.organizations.createOrganizationInvitation({
        organizationId: org.id, emailAddress: `bob.${run}@acme.example`, role: 'org:member',
      }),
      clerkError(400, 'organization_invitation_not_unique'),
    );

    // Bob joins: the invitation is accepted; joining twice is refused
    const membership = await clerk.organizations.createOrganizationMembership({
      organizationId: org.id, userId: bob.id, role: 'org:member',
    });
    assert.equal(membership.role, 'org:member');
    assert.deepEqual(membership.permissions, ['org:sys_memberships:read']);
    assert.equal(membership.organization.id, org.id);
    assert.equal(membership.publicUserData.userId, bob.id);
    assert.equal(membership.publicUserData.identifier, `bob.${run}@acme.example`);
    const accepted = await clerk.organizations.getOrganizationInvitation({
      organizationId: org.id, invitationId: invitation.id,
    });
    assert.equal(accepted.status, 'accepted');
    await assert.rejects(
      clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:admin' }),
      clerkError(400, 'already_a_member_in_organization'),
    );

    // a custom role with a custom permission, reflected in Bob's membership
    const permission = await clerk.organizationPermissions.createOrganizationPermission({
      name: 'Read reports', key: `org:reports_${run.replace(/-/g, '')}:read`,
    });
    const role = await clerk.organizationRoles.createOrganizationRole({
      name: 'Analyst', key: `org:analyst_${run.replace(/-/g, '')}`, includeInInitialRoleSet: true,
    });
    await clerk.organizationRoles.assignPermissionToOrganizationRole({
      organizationRoleId: role.id, permissionId: permission.id,
    });
    const analyst = await clerk.organizations.updateOrganizationMembership({
      organizationId: org.id, userId: bob.id, role: role.key,
    });
    assert.deepEqual(analyst.permissions, [permission.key]);

    // the last admin stays
    await assert.rejects(
      clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: ann.id, role: 'org:member' }),
      clerkError(400, 'organization_minimum_permissions_needed'),
    );

    // lists and filters
    const members = await clerk.organizations.getOrganizationMembershipList({
      organizationId: org.id, orderBy: 'first_name', limit: 1,
    });
    assert.equal(members.totalCount, 2);
    assert.deepEqual(members.data.map((m) => m.publicUserData.userId), [ann.id]);
    const analysts = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, role: [role.key] });
    assert.deepEqual(analysts.data.map((m) => m.publicUserData.userId), [bob.id]);
    const found = await clerk.organizations.getOrganizationList({ query: run, includeMembersCount: true });
    assert.deepEqual(found.data.map((o) => [o.id, o.membersCount]), [[org.id, 2]]);
    const bobsOrgs = await clerk.users.getOrganizationMembershipList({ userId: bob.id });
    assert.deepEqual(bobsOrgs.data.map((m) => m.organization.id), [org.id]);

    // metadata: merge, then replace
    const merged = await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { seats: 5 } });
    assert.deepEqual(merged.publicMetadata, { plan: 'team', seats: 5 });
    const replaced = await clerk.organizations.replaceOrganizationMetadata(org.id, { publicMetadata: { plan: 'pro' } });
    assert.deepEqual(replaced.publicMetadata, { plan: 'pro' });

    // Bob leaves; then the organization goes, taking Ann's membership and pending invitations with it
    const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: bob.id });
    assert.equal(removed.id, membership.id);
    await clerk.organizations.createOrganizationInvitation({
      organizationId: org.id, emailAddress: `carol.${run}@acme.example`, role: 'org:member',
    });
    const deleted = await clerk.organizations.deleteOrganization(org.id);
    assert.equal(deleted.id, org.id);
    assert.equal(deleted.deleted, true);
    await assert.rejects(clerk.organizations.getOrganization({ organizationId: org.id }), clerkError(404, 'resource_not_found'));
    const annsOrgs = await clerk.users.getOrganizationMembershipList({ userId: ann.id });
    assert.equal(annsOrgs.totalCount, 0);
    await clerk.organizationRoles.deleteOrganizationRole(role.id);
    await clerk.users.deleteUser(ann.id);
    await clerk.users.deleteUser(bob.id);
  });

  it('instance invitations: create, list (paginated), duplicate, revoke', async () => {
    const email = `guest.${run}@example.com`;
    const invitation = await clerk.invitations.createInvitation({ emailAddress: email, publicMetadata: { src: 'ad' } });
    assert.match(invitation.id, /^inv_/);
    assert.equal(invitation.status, 'pending');
    await assert.rejects(clerk.invitations.createInvitation({ emailAddress: email }), clerkError(400, 'duplicate_record'));
    const list = await clerk.invitations.getInvitationList({ query: run });
    assert.deepEqual(list.data.map((i) => i.id), [invitation.id]);
    assert.equal(list.totalCount, 1);
    const revoked = await clerk.invitations.revokeInvitation(invitation.id);
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revoked, true);
    await assert.rejects(clerk.invitations.revokeInvitation(invitation.id), clerkError(400, 'invitation_already_revoked'));
  });
});
