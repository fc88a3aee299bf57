// Conformance: Clerk's own JS middleware (@clerk/backend) accepts clerkmock's tokens.
//
// Driven by tests/test_node_sdk.py, which sets CLERK_API_URL, CLERK_SECRET_KEY, CLERK_JWT_KEY (the instance's
// PEM public key) and CLERK_PUBLISHABLE_KEY.  By hand: see lifecycle.test.mjs, plus `clerkmock env`.
//
// verifyToken with jwtKey (networkless) and via the JWKS (apiUrl + secretKey); authenticateRequest with a
// Bearer token and with the __session cookie; has({ permission }) from a v2 token's org claims; M2M tokens.

import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient, verifyToken } from '@clerk/backend';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const jwtKey = process.env.CLERK_JWT_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
if (!apiUrl || !secretKey || !jwtKey || !publishableKey) {
  throw new Error('CLERK_API_URL, CLERK_SECRET_KEY, CLERK_JWT_KEY and CLERK_PUBLISHABLE_KEY must be set');
}

const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });
const run = randomUUID().slice(0, 8);
const APP = 'http://localhost:3000';

async function newSession(extra = {}) {
  const user = await clerk.users.createUser({ emailAddress: [`auth.${randomUUID().slice(0, 8)}.${run}@example.com`] });
  const session = await clerk.sessions.createSession({ userId: user.id, ...extra });
  return { user, session };
}

// A browser's token carries azp (the page's origin, which FAPI sees as Origin); BAPI sets it from the request's
// Origin too.  The SDK's getToken sends none, so mint the cookie's token with a plain fetch.
async function browserToken(sessionId) {
  const res = await fetch(`${apiUrl}/v1/sessions/${sessionId}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, origin: APP, 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200);
  return (await res.json()).jwt;
}

function appRequest(headers) {
  return new Request(`${APP}/api/me`, { headers });
}

describe('@clerk/backend verifies clerkmock session tokens', () => {
  let user;
  let session;
  let token;

  before(async () => {
    ({ user, session } = await newSession());
    ({ jwt: token } = await clerk.sessions.getToken(session.id));
  });

  it('verifyToken with jwtKey (networkless)', async () => {
    const claims = await verifyToken(token, { jwtKey });
    assert.equal(claims.sub, user.id);
    assert.equal(claims.sid, session.id);
    assert.equal(claims.v, 2);
    assert.equal(claims.aud, undefined);
  });

  it('verifyToken through the JWKS (apiUrl + secretKey)', async () => {
    const claims = await verifyToken(token, { secretKey, apiUrl });
    assert.equal(claims.sid, session.id);
    const jwks = await clerk.jwks.getJwks();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'RSA');
  });

  it('rejects a token signed for another session claim (tampered)', async () => {
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.sub = 'user_someoneelse';
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    await assert.rejects(verifyToken(forged, { jwtKey }), (err) => /signature/i.test(err.message));
  });

  it('authenticateRequest with a Bearer token', async () => {
    const state = await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${token}` }), { jwtKey });
    assert.equal(state.isAuthenticated, true, `${state.reason}: ${state.message}`);
    const auth = state.toAuth();
    assert.equal(auth.userId, user.id);
    assert.equal(auth.sessionId, session.id);
    assert.equal(auth.sessionStatus, 'active');
  });

  it('authenticateRequest with the __session cookie (JWKS over HTTP)', async () => {
    const fresh = await browserToken(session.id);
    const iat = JSON.parse(Buffer.from(fresh.split('.')[1], 'base64url').toString()).iat;
    const cookie = `__session=${fresh}; __client_uat=${iat}; __clerk_db_jwt=dvb_clerkmock`;
    const state = await clerk.authenticateRequest(appRequest({ cookie }), { authorizedParties: [APP] });
    assert.equal(state.isAuthenticated, true, `${state.reason}: ${state.message}`);
    assert.equal(state.toAuth().userId, user.id);
    assert.equal(state.toAuth().sessionClaims.azp, APP);
    // a token issued before the client's last sign-in/out (__client_uat) is stale: signed out, no handshake
    const stale = await clerk.authenticateRequest(appRequest({ cookie: cookie.replace(`__client_uat=${iat}`,
      `__client_uat=${iat + 10}`) }), {});
    assert.equal(stale.isAuthenticated, false);
  });

  it('a revoked session gets no new token', async () => {
    const { session: other } = await newSession();
    await clerk.sessions.revokeSession(other.id);
    await assert.rejects(clerk.sessions.getToken(other.id), (err) => err.status === 401);
  });
});

describe('@clerk/backend reads organization claims from a v2 token', () => {
  it('auth().has({ permission }) is true for the role\'s custom permission only', async () => {
    const tag = run.replace(/-/g, '');
    const owner = await clerk.users.createUser({ emailAddress: [`owner.${run}@acme.example`] });
    const analyst = await clerk.users.createUser({ emailAddress: [`analyst.${run}@acme.example`] });
    const org = await clerk.organizations.createOrganization({ name: `Claims ${run}`, createdBy: owner.id });
    const read = await clerk.organizationPermissions.createOrganizationPermission({
      name: 'Read reports', key: `org:reports${tag}:read`,
    });
    const manage = await clerk.organizationPermissions.createOrganizationPermission({
      name: 'Manage billing', key: `org:billing${tag}:manage`,
    });
    const role = await clerk.organizationRoles.createOrganizationRole({
      name: 'Analyst', key: `org:analyst${tag}`, includeInInitialRoleSet: true,
    });
    for (const permission of [read, manage]) {
      await clerk.organizationRoles.assignPermissionToOrganizationRole({
        organizationRoleId: role.id, permissionId: permission.id,
      });
    }
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: analyst.id, role: role.key });
    const session = await clerk.sessions.createSession({ userId: analyst.id, activeOrganizationId: org.id });
    const { jwt } = await clerk.sessions.getToken(session.id);

    const state = await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${jwt}` }), { jwtKey });
    assert.equal(state.isAuthenticated, true, `${state.reason}: ${state.message}`);
    const auth = state.toAuth();
    assert.equal(auth.orgId, org.id);
    assert.equal(auth.orgSlug, org.slug);
    assert.equal(auth.orgRole, role.key);
    assert.deepEqual([...auth.orgPermissions].sort(), [manage.key, read.key].sort());
    assert.equal(auth.has({ permission: read.key }), true);
    assert.equal(auth.has({ permission: manage.key }), true);
    assert.equal(auth.has({ role: role.key }), true);
    assert.equal(auth.has({ permission: `org:reports${tag}:manage` }), false);
    // system permissions are not in tokens, so has() cannot see them (as with Clerk)
    assert.equal(auth.has({ permission: 'org:sys_memberships:read' }), false);

    // the owner (org:admin, only system permissions) gets the org but no custom permission
    const ownerSession = await clerk.sessions.createSession({ userId: owner.id, activeOrganizationId: org.id });
    const { jwt: ownerJwt } = await clerk.sessions.getToken(ownerSession.id);
    const ownerAuth = (await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${ownerJwt}` }), { jwtKey }))
      .toAuth();
    assert.equal(ownerAuth.orgRole, 'org:admin');
    assert.equal(ownerAuth.has({ role: 'org:admin' }), true);
    assert.equal(ownerAuth.has({ permission: read.key }), false);
  });
});

describe('@clerk/backend M2M tokens against clerkmock', () => {
  it('creates a token with a machine secret key and verifies it', async () => {
    const machine = await clerk.machines.create({ name: `worker-${run}` });
    assert.ok(machine.secretKey?.startsWith('ak_'));
    const m2m = createClerkClient({ apiUrl, machineSecretKey: machine.secretKey, telemetry: { disabled: true } });
    const created = await m2m.m2m.createToken({ secondsUntilExpiration: 600, claims: { job: 'sync' } });
    assert.ok(created.token.startsWith('mt_'));
    assert.equal(created.subject, machine.id);
    const verified = await m2m.m2m.verify({ token: created.token });
    assert.equal(verified.id, created.id);
    assert.deepEqual(verified.claims, { job: 'sync' });

    // the middleware path: a Bearer mt_ token accepted as an m2m_token
    const state = await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${created.token}` }), {
      acceptsToken: 'm2m_token',
    });
    assert.equal(state.isAuthenticated, true, `${state.reason}: ${state.message}`);
    assert.equal(state.toAuth().subject, machine.id);

    await m2m.m2m.revokeToken({ m2mTokenId: created.id });
    const after = await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${created.token}` }), {
      acceptsToken: 'm2m_token',
    });
    assert.equal(after.isAuthenticated, false);
  });

  it('JWT-format M2M tokens verify without a request', async () => {
    const machine = await clerk.machines.create({ name: `jwt-worker-${run}` });
    const m2m = createClerkClient({ apiUrl, machineSecretKey: machine.secretKey, jwtKey, telemetry: { disabled: true } });
    const created = await m2m.m2m.createToken({ tokenFormat: 'jwt' });
    const verified = await m2m.m2m.verify({ token: created.token });
    assert.equal(verified.subject, machine.id);
    assert.equal(verified.id, created.id);
  });

  it('API keys verify through the SDK', async () => {
    const user = await clerk.users.createUser({ emailAddress: [`apikey.${run}@example.com`] });
    const key = await clerk.apiKeys.create({ name: 'ci key', subject: user.id });
    const state = await clerk.authenticateRequest(appRequest({ authorization: `Bearer ${key.secret}` }), {
      acceptsToken: 'api_key',
    });
    assert.equal(state.isAuthenticated, true, `${state.reason}: ${state.message}`);
    assert.equal(state.toAuth().userId, user.id);
  });
});
