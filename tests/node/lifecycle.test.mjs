// Conformance: Clerk's official JS SDK (@clerk/backend) runs a user lifecycle against a live clerkmock.
//
// Driven by tests/test_node_sdk.py; by hand:
//   cd tests/node && npm ci
//   CLERK_API_URL=http://127.0.0.1:PORT CLERK_SECRET_KEY=sk_test_... node --test
//
// Assertions are on the SDK's deserialized objects (User, DeletedObject, ClerkAPIResponseError), so a field
// the SDK cannot read (wrong name, wrong shape) fails here just as it would in a real app.

import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';

const apiUrl = process.env.CLERK_API_URL; // the server root: the SDK appends /v1 itself
const secretKey = process.env.CLERK_SECRET_KEY;
if (!apiUrl || !secretKey) {
  throw new Error('CLERK_API_URL and CLERK_SECRET_KEY must be set (see tests/test_node_sdk.py)');
}

const clerk = createClerkClient({ secretKey, apiUrl });

// A per-run tag keeps emails/ids unique, so counts are exact even against a server that was not reset.
const run = randomUUID().slice(0, 8);
const PASSWORD = 'correct-horse-battery';
const ada = { email: `ada.${run}@example.com`, externalId: `ext-ada-${run}` };
const bob = { email: `bob.${run}@example.com`, externalId: `ext-bob-${run}` };

/** `assert.rejects` predicate: a ClerkAPIResponseError with this HTTP status and first error code. */
function clerkError(status, code, paramName) {
  return (err) => {
    assert.ok(isClerkAPIResponseError(err), `expected ClerkAPIResponseError, got ${err?.stack ?? err}`);
    assert.equal(err.status, status, `status (errors: ${JSON.stringify(err.errors)})`);
    assert.ok(err.errors.length >= 1, 'errors[] is empty');
    assert.equal(err.errors[0].code, code);
    assert.equal(typeof err.errors[0].message, 'string');
    if (paramName !== undefined) {
      assert.equal(err.errors[0].meta?.paramName, paramName);
    }
    return true;
  };
}

const ids = (users) => users.map((u) => u.id);

describe('@clerk/backend user lifecycle', () => {
  let user; // Ada, the user the lifecycle runs on
  let other; // Bob, for filters and the duplicate-email check

  before(async () => {
    user = await clerk.users.createUser({
      emailAddress: [ada.email],
      firstName: 'Ada',
      password: PASSWORD,
      externalId: ada.externalId,
      publicMetadata: { plan: 'pro', prefs: { theme: 'dark', lang: 'en', fontSize: 14 } },
    });
    await sleep(5); // distinct created_at (ms) so ordering by created_at is unambiguous on a ticking clock
    other = await clerk.users.createUser({
      emailAddress: [bob.email],
      firstName: 'Bob',
      externalId: bob.externalId,
      skipPasswordRequirement: true,
    });
  });

  after(async () => {
    // Best effort; the pytest driver resets the server anyway.
    if (other) await clerk.users.deleteUser(other.id).catch(() => {});
  });

  it('createUser returns a deserialized User', () => {
    assert.match(user.id, /^user_/);
    assert.equal(user.firstName, 'Ada');
    assert.equal(user.lastName, null);
    assert.equal(user.externalId, ada.externalId);
    assert.equal(user.passwordEnabled, true);
    assert.equal(user.banned, false);
    assert.equal(user.locked, false);
    assert.equal(user.emailAddresses.length, 1);
    assert.equal(user.emailAddresses[0].emailAddress, ada.email);
    assert.match(user.emailAddresses[0].id, /^idn_/);
    assert.equal(user.emailAddresses[0].verification?.status, 'verified');
    assert.equal(user.primaryEmailAddressId, user.emailAddresses[0].id);
    assert.equal(user.primaryEmailAddress?.emailAddress, ada.email);
    assert.deepEqual(user.publicMetadata, { plan: 'pro', prefs: { theme: 'dark', lang: 'en', fontSize: 14 } });
    assert.deepEqual(user.privateMetadata, {});
    assert.deepEqual(user.unsafeMetadata, {});
    assert.equal(typeof user.createdAt, 'number');
    assert.equal(typeof user.updatedAt, 'number');
    assert.deepEqual(user.phoneNumbers, []);
    assert.deepEqual(user.externalAccounts, []);

    assert.equal(other.passwordEnabled, false);
    assert.equal(other.emailAddresses[0].emailAddress, bob.email);
  });

  it('getUserList filters by emailAddress, query, externalId; orders and limits; totalCount', async () => {
    let list = await clerk.users.getUserList({ emailAddress: [ada.email] });
    assert.deepEqual(ids(list.data), [user.id]);
    assert.equal(list.totalCount, 1);
    assert.equal(list.data[0].emailAddresses[0].emailAddress, ada.email);

    list = await clerk.users.getUserList({ emailAddress: [ada.email, bob.email] });
    assert.deepEqual(new Set(ids(list.data)), new Set([user.id, other.id]));
    assert.equal(list.totalCount, 2);

    list = await clerk.users.getUserList({ externalId: [bob.externalId] });
    assert.deepEqual(ids(list.data), [other.id]);
    assert.equal(list.totalCount, 1);

    list = await clerk.users.getUserList({ query: run, orderBy: '-created_at' });
    assert.equal(list.totalCount, 2);
    assert.equal(list.data.length, 2);
    const [first, second] = list.data;
    assert.ok(first.createdAt >= second.createdAt, 'not ordered by -created_at');
    if (other.createdAt > user.createdAt) assert.deepEqual(ids(list.data), [other.id, user.id]);

    // limit pages the data but not the count (GET /users/count ignores limit/offset/order_by)
    list = await clerk.users.getUserList({ query: run, limit: 1, orderBy: '-created_at' });
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].id, first.id);
    assert.equal(list.totalCount, 2);

    list = await clerk.users.getUserList({ query: `Ada`, emailAddress: [ada.email, bob.email] });
    assert.deepEqual(ids(list.data), [user.id]);
    assert.equal(list.totalCount, 1);

    list = await clerk.users.getUserList({ query: `nobody-${run}` });
    assert.deepEqual(list.data, []);
    assert.equal(list.totalCount, 0);
  });

  it('getUser returns the same user', async () => {
    const got = await clerk.users.getUser(user.id);
    assert.equal(got.id, user.id);
    assert.equal(got.firstName, 'Ada');
    assert.equal(got.externalId, ada.externalId);
    assert.equal(got.emailAddresses[0].emailAddress, ada.email);
    assert.deepEqual(got.publicMetadata, user.publicMetadata);
    assert.equal(got.createdAt, user.createdAt);
  });

  it('updateUser changes first and last name only', async () => {
    const updated = await clerk.users.updateUser(user.id, { firstName: 'Augusta', lastName: 'King' });
    assert.equal(updated.id, user.id);
    assert.equal(updated.firstName, 'Augusta');
    assert.equal(updated.lastName, 'King');
    assert.equal(updated.emailAddresses[0].emailAddress, ada.email);
    assert.deepEqual(updated.publicMetadata, user.publicMetadata);
    assert.ok(updated.updatedAt >= user.updatedAt);

    const got = await clerk.users.getUser(user.id);
    assert.equal(got.firstName, 'Augusta');
    assert.equal(got.lastName, 'King');
  });

  it('updateUserMetadata deep-merges and null deletes a key', async () => {
    let updated = await clerk.users.updateUserMetadata(user.id, {
      publicMetadata: { prefs: { theme: 'light', lang: null }, tier: 2 },
      privateMetadata: { stripeId: 'cus_123' },
    });
    assert.deepEqual(updated.publicMetadata, { plan: 'pro', prefs: { theme: 'light', fontSize: 14 }, tier: 2 });
    assert.deepEqual(updated.privateMetadata, { stripeId: 'cus_123' });
    assert.deepEqual(updated.unsafeMetadata, {});
    assert.equal(updated.firstName, 'Augusta');

    updated = await clerk.users.updateUserMetadata(user.id, { publicMetadata: { plan: null } });
    assert.deepEqual(updated.publicMetadata, { prefs: { theme: 'light', fontSize: 14 }, tier: 2 });
    assert.deepEqual(updated.privateMetadata, { stripeId: 'cus_123' });

    const got = await clerk.users.getUser(user.id);
    assert.deepEqual(got.publicMetadata, { prefs: { theme: 'light', fontSize: 14 }, tier: 2 });
    assert.deepEqual(got.privateMetadata, { stripeId: 'cus_123' });
  });

  it('banUser / unbanUser toggle banned', async () => {
    const banned = await clerk.users.banUser(user.id);
    assert.equal(banned.id, user.id);
    assert.equal(banned.banned, true);
    assert.equal((await clerk.users.getUser(user.id)).banned, true);

    const unbanned = await clerk.users.unbanUser(user.id);
    assert.equal(unbanned.banned, false);
    assert.equal((await clerk.users.getUser(user.id)).banned, false);
  });

  it('createUser with a taken email rejects 422 form_identifier_exists', async () => {
    await assert.rejects(
      clerk.users.createUser({ emailAddress: [bob.email], firstName: 'Copycat', skipPasswordRequirement: true }),
      clerkError(422, 'form_identifier_exists', 'email_address'),
    );
    const list = await clerk.users.getUserList({ emailAddress: [bob.email] });
    assert.equal(list.totalCount, 1);
  });

  it('createUser with an invalid email rejects 422 form_param_format_invalid', async () => {
    await assert.rejects(
      clerk.users.createUser({ emailAddress: ['not-an-email'], password: PASSWORD }),
      clerkError(422, 'form_param_format_invalid', 'email_address'),
    );
  });

  it('deleteUser, then getUser rejects 404 resource_not_found', async () => {
    const deleted = await clerk.users.deleteUser(user.id);
    assert.equal(deleted.id, user.id);
    assert.equal(deleted.object, 'user');
    assert.equal(deleted.deleted, true);

    await assert.rejects(clerk.users.getUser(user.id), clerkError(404, 'resource_not_found'));

    const list = await clerk.users.getUserList({ query: run });
    assert.deepEqual(ids(list.data), [other.id]);
    assert.equal(list.totalCount, 1);
  });
});
