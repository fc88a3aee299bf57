// A pending session (organization selection forced, no active organization) through Clerk's own
// @clerk/backend: authenticateRequest accepts the token (status signed-in), and toAuth() treats it as signed out
// unless treatPendingAsSignedOut is false (then sessionStatus is 'pending').  Driven by
// tests/test_session_tasks_node.py, its own Node run: it switches an instance setting that concurrent test
// files must not see.

import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
if (!apiUrl || !secretKey || !publishableKey) {
  throw new Error('CLERK_API_URL, CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY must be set');
}
const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });
const APP = 'http://localhost:3000';

// The SDK has no parameter for it (nor has Clerk's published spec): a plain PATCH, as Clerk's endpoint takes it.
async function forceOrganizationSelection(on) {
  const res = await fetch(`${apiUrl}/v1/instance/organization_settings`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ force_organization_selection: on }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function bearer(sessionId) {
  const { jwt } = await clerk.sessions.getToken(sessionId);
  return clerk.authenticateRequest(new Request(`${APP}/api/me`, { headers: { authorization: `Bearer ${jwt}` } }));
}

describe('@clerk/backend and a pending session', () => {
  let user;
  before(async () => {
    await forceOrganizationSelection(true);
    user = await clerk.users.createUser({ emailAddress: [`pending.${randomUUID().slice(0, 8)}@example.com`] });
  });
  after(() => forceOrganizationSelection(false));

  it('the session is pending with the choose-organization task', async () => {
    const session = await clerk.sessions.createSession({ userId: user.id });
    assert.equal(session.status, 'pending');
    const raw = await (await fetch(`${apiUrl}/v1/sessions/${session.id}`, {
      headers: { authorization: `Bearer ${secretKey}` },
    })).json();
    assert.deepEqual(raw.tasks, [{ key: 'choose-organization' }]);
  });

  it('authenticateRequest: signed in, but toAuth() treats it as signed out by default', async () => {
    const session = await clerk.sessions.createSession({ userId: user.id });
    const state = await bearer(session.id);
    assert.equal(state.status, 'signed-in', `${state.reason}: ${state.message}`);
    const auth = state.toAuth();
    assert.equal(auth.userId, null);
    assert.equal(auth.sessionId, null);
    assert.equal(auth.sessionStatus, 'pending');
    assert.equal(auth.isAuthenticated, false);
    const pending = state.toAuth({ treatPendingAsSignedOut: false });
    assert.equal(pending.userId, user.id);
    assert.equal(pending.sessionId, session.id);
    assert.equal(pending.sessionStatus, 'pending');
    assert.equal(pending.sessionClaims.sts, 'pending');
  });

  it('a session created with an active organization has nothing left to do', async () => {
    const org = await clerk.organizations.createOrganization({ name: `Pending ${randomUUID().slice(0, 6)}`,
      createdBy: user.id });
    const session = await clerk.sessions.createSession({ userId: user.id, activeOrganizationId: org.id });
    assert.equal(session.status, 'active');
    const auth = (await bearer(session.id)).toAuth();
    assert.equal(auth.userId, user.id);
    assert.equal(auth.sessionStatus, 'active');
    assert.equal(auth.orgId, org.id);
  });
});
