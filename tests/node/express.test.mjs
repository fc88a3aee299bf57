// The Express example (express_app.mjs) against a live clerkmock: Bearer tokens, the __session cookie, an
// organization permission.  Driven by tests/test_node_sdk.py (which sets the CLERK_* variables).
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';

import { app } from './express_app.mjs';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const clerk = createClerkClient({ secretKey, apiUrl, telemetry: { disabled: true } });
const run = randomUUID().slice(0, 8).replace(/-/g, '');

async function browserToken(sessionId, origin) {
  const res = await fetch(`${apiUrl}/v1/sessions/${sessionId}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, origin, 'content-type': 'application/json' },
  });
  return (await res.json()).jwt;
}

describe('an Express app protected by @clerk/express, against clerkmock', () => {
  let server;
  let base;

  before(async () => {
    process.env.CLERK_TELEMETRY_DISABLED = '1';
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());

  it('serves a signed-in user (Bearer) and refuses everyone else', async () => {
    const user = await clerk.users.createUser({ emailAddress: [`express.${run}@example.com`] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const token = await browserToken(session.id, base);
    const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { userId: user.id, email: `express.${run}@example.com`, orgId: null });
    assert.equal((await fetch(`${base}/api/me`)).status, 401);
    assert.equal((await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}x` } })).status, 401);
  });

  it('serves a browser request carrying the __session cookie', async () => {
    const user = await clerk.users.createUser({ emailAddress: [`cookie.${run}@example.com`] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const token = await browserToken(session.id, base);
    const iat = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iat;
    const cookie = `__session=${token}; __client_uat=${iat}; __clerk_db_jwt=dvb_clerkmock`;
    const me = await fetch(`${base}/api/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).userId, user.id);
  });

  it('checks an organization permission with has()', async () => {
    const owner = await clerk.users.createUser({ emailAddress: [`owner.express.${run}@example.com`] });
    const org = await clerk.organizations.createOrganization({ name: `Express ${run}`, createdBy: owner.id });
    let permission;
    try {
      permission = await clerk.organizationPermissions.createOrganizationPermission({
        name: 'Read reports', key: 'org:reports:read',
      });
    } catch {
      // another suite of the same run may have created it
      const list = await clerk.organizationPermissions.getOrganizationPermissionList({ query: 'org:reports:read' });
      permission = list.data.find((p) => p.key === 'org:reports:read');
    }
    const role = await clerk.organizationRoles.createOrganizationRole({
      name: 'Reader', key: `org:reader${run}`, includeInInitialRoleSet: true,
    });
    await clerk.organizationRoles.assignPermissionToOrganizationRole({
      organizationRoleId: role.id, permissionId: permission.id,
    });
    const reader = await clerk.users.createUser({ emailAddress: [`reader.${run}@example.com`] });
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: reader.id, role: role.key });
    const session = await clerk.sessions.createSession({ userId: reader.id, activeOrganizationId: org.id });
    const token = await browserToken(session.id, base);
    const reports = await fetch(`${base}/api/reports`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(reports.status, 200);
    assert.equal((await reports.json()).orgId, org.id);
    const ownerSession = await clerk.sessions.createSession({ userId: owner.id, activeOrganizationId: org.id });
    const ownerToken = await browserToken(ownerSession.id, base);
    const denied = await fetch(`${base}/api/reports`, { headers: { authorization: `Bearer ${ownerToken}` } });
    assert.equal(denied.status, 403);
  });
});
