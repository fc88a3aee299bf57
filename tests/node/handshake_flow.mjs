// The SSR handshake end to end through @clerk/backend's own authenticateRequest (what @clerk/nextjs and
// @clerk/express run on every page request), against a live clerkmock: an app server at http://localhost:3000
// (simulated: each page request goes through authenticateRequest), a browser simulated by a cookie jar for the
// app's domain that follows redirects, FAPI at CLERK_API_URL/__clerk (the app's proxyUrl).  A handshake is a
// cross-site navigation: FAPI gets no cookies.  Driven by tests/test_handshake_node.py (not picked up by
// `node --test tests/node/`: this file moves the shared server's clock, so it must run alone).
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';
import { getCookieSuffix } from '@clerk/shared/keys';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
const fapi = `${apiUrl}/__clerk`;
const APP = 'http://localhost:3000';
const PASSWORD = 'correct-horse-battery';
const run = randomUUID().slice(0, 8);
const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });
const suffix = await getCookieSuffix(publishableKey);

// -- a browser: one cookie jar for the app's domain, a clock for Max-Age -------------------------------------
class Browser {
  constructor() {
    this.jar = new Map(); // name -> {value, expires}
    this.skewMs = 0; // "the user waited": lets __clerk_redirect_count (Max-Age=2) expire without sleeping
  }
  now() { return Date.now() + this.skewMs; }
  wait(ms) { this.skewMs += ms; }
  setCookie(line) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const maxAge = attrs.find((a) => a.toLowerCase().startsWith('max-age='));
    const seconds = maxAge ? Number(maxAge.split('=')[1]) : null;
    if (seconds !== null && seconds <= 0) this.jar.delete(name);
    else this.jar.set(name, { value, expires: seconds === null ? Infinity : this.now() + seconds * 1000 });
  }
  cookie(name) {
    const c = this.jar.get(name);
    return c && c.expires > this.now() ? c.value : undefined;
  }
  header() {
    return [...this.jar.keys()].filter((n) => this.cookie(n) !== undefined).map((n) => `${n}=${this.cookie(n)}`)
      .join('; ');
  }

  // A top-level navigation to an app page: follows redirects (app -> FAPI -> app -> clean URL) until a page
  // renders.  Returns the final request state and the trail of URLs; refuses more than 6 hops (a loop).
  async visit(path, { options = {} } = {}) {
    let url = new URL(path, APP).href;
    const trail = [];
    for (let hop = 0; hop < 6; hop += 1) {
      trail.push(url);
      if (url.startsWith(fapi)) {
        const res = await fetch(url, { redirect: 'manual' }); // cross-site: no cookies reach FAPI
        assert.equal(res.status, 307, `FAPI answered ${res.status}: ${await res.text()}`);
        assert.equal(res.headers.getSetCookie().length, 0, 'FAPI sets no cookie in dev-browser mode');
        url = res.headers.get('location');
        continue;
      }
      const request = new Request(url, {
        headers: { cookie: this.header(), accept: 'text/html', 'sec-fetch-dest': 'document' },
      });
      const state = await clerk.authenticateRequest(request, { proxyUrl: fapi, ...options });
      for (const line of state.headers.getSetCookie()) this.setCookie(line);
      const location = state.headers.get('location');
      if (!location) return { state, trail, handshakes: trail.filter((u) => u.startsWith(fapi)).length };
      url = new URL(location, url).href;
    }
    assert.fail(`redirect loop: ${trail.join(' -> ')}`);
  }
}

async function fapiCall(method, path, devBrowser, form) {
  const q = new URLSearchParams({ __clerk_api_version: '2026-08-20', __clerk_db_jwt: devBrowser });
  const res = await fetch(`${fapi}/v1${path}?${q}`, {
    method,
    headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
    body: form ? new URLSearchParams(form) : undefined,
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

async function control(path, body) {
  const res = await fetch(`${apiUrl}/__clerkmock${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

// clerk-js on a page: signs in on the browser's dev browser and writes __session / __client_uat itself.
async function signInOnPage(browser, email) {
  const devBrowser = browser.cookie('__clerk_db_jwt');
  assert.ok(devBrowser, 'the handshake left __clerk_db_jwt on the app domain');
  const body = await fapiCall('POST', '/client/sign_ins', devBrowser,
    { identifier: email, password: PASSWORD, strategy: 'password' });
  assert.equal(body.response.status, 'complete');
  return body.client;
}

async function newUser(tag) {
  const email = `hs.${tag}.${run}@example.com`;
  const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD });
  return { user, email };
}

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

describe('the SSR handshake through @clerk/backend authenticateRequest', () => {
  it('dev-browser-missing: a new dev browser, cookies plain and suffixed, signed out, no loop', async () => {
    const b = new Browser();
    const first = await b.visit('/dashboard');
    assert.equal(first.handshakes, 1);
    assert.match(first.trail[1], /__clerk_hs_reason=dev-browser-missing/);
    assert.equal(first.state.isSignedIn, false);
    assert.equal(first.state.reason, 'session-token-and-uat-missing');
    const db = b.cookie('__clerk_db_jwt');
    assert.match(db, /^dvb_/);
    assert.equal(b.cookie(`__clerk_db_jwt_${suffix}`), db);
    assert.equal(b.cookie('__client_uat'), '0');
    assert.equal(b.cookie(`__client_uat_${suffix}`), '0');
    assert.equal(new URL(first.trail.at(-1)).search, '', 'the clean URL carries no handshake parameters');
    b.wait(3000);
    const again = await b.visit('/dashboard');
    assert.equal(again.handshakes, 0, 'signed out with a dev browser: no second handshake');
    assert.equal(again.state.isSignedIn, false);
  });

  it('client-uat-but-no-session-token: signed in on the page, then the server gets the session', async () => {
    const { user, email } = await newUser('uat');
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    const client = await signInOnPage(b, email);
    b.setCookie(`__client_uat=${Math.floor(client.updated_at / 1000)}; Max-Age=315360000`); // what clerk-js writes
    const res = await b.visit('/dashboard');
    assert.equal(res.handshakes, 1);
    assert.match(res.trail[1], /__clerk_hs_reason=client-uat-but-no-session-token/);
    assert.equal(res.state.isSignedIn, true);
    assert.equal(res.state.toAuth().userId, user.id);
    const token = b.cookie('__session');
    assert.equal(b.cookie(`__session_${suffix}`), token);
    assert.ok(payload(token).iat >= Number(b.cookie('__client_uat')), 'iat never before __client_uat');
    assert.equal(payload(token).azp, APP);
    b.wait(3000);
    const again = await b.visit('/dashboard');
    assert.equal(again.handshakes, 0);
    assert.equal(again.state.toAuth().userId, user.id);
  });

  it('session-token-expired: a fresh token for the same session', async () => {
    const { user, email } = await newUser('exp');
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    let client;
    let moved = false;
    try {
      await control('/clock', { seconds: -300 }); // sign in five minutes ago ...
      moved = true;
      client = await signInOnPage(b, email);
      const sid = client.last_active_session_id;
      const tokenRes = await fapiCall('POST', `/client/sessions/${sid}/tokens`, b.cookie('__clerk_db_jwt'));
      b.setCookie(`__session=${tokenRes.jwt}`);
      b.setCookie(`__client_uat=${Math.floor(client.updated_at / 1000)}; Max-Age=315360000`);
    } finally {
      if (moved) await control('/clock', { seconds: 300 }); // ... so its 60 s token has expired now
    }
    const res = await b.visit('/dashboard');
    assert.equal(res.handshakes, 1);
    assert.match(res.trail[1], /__clerk_hs_reason=session-token-expired/);
    assert.equal(res.state.isSignedIn, true);
    const auth = res.state.toAuth();
    assert.equal(auth.userId, user.id);
    assert.equal(auth.sessionId, client.last_active_session_id);
  });

  it('session-token-iat-before-client-uat: the client changed after the token was minted', async () => {
    const { user, email } = await newUser('iat');
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    const client = await signInOnPage(b, email);
    const sid = client.last_active_session_id;
    const { jwt } = await fapiCall('POST', `/client/sessions/${sid}/tokens`, b.cookie('__clerk_db_jwt'));
    b.setCookie(`__session=${jwt}`);
    b.setCookie(`__client_uat=${payload(jwt).iat + 30}; Max-Age=315360000`); // another tab touched the client
    const res = await b.visit('/dashboard');
    assert.equal(res.handshakes, 1);
    assert.match(res.trail[1], /__clerk_hs_reason=session-token-iat-before-client-uat/);
    assert.equal(res.state.isSignedIn, true);
    assert.equal(res.state.toAuth().userId, user.id);
    assert.ok(payload(b.cookie('__session')).iat >= Number(b.cookie('__client_uat')));
  });

  it('dev-browser-sync: back from a hosted sign-in page with its dev browser in the URL', async () => {
    const { user, email } = await newUser('sync');
    const portal = new Browser(); // the hosted sign-in page signs in on a dev browser of its own
    await portal.visit('/');
    await signInOnPage(portal, email);
    const db = portal.cookie('__clerk_db_jwt');
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    assert.notEqual(b.cookie('__clerk_db_jwt'), db);
    const res = await b.visit(`/dashboard?__clerk_db_jwt=${db}`);
    assert.equal(res.handshakes, 1);
    assert.match(res.trail[1], /__clerk_hs_reason=dev-browser-sync/);
    assert.equal(res.state.isSignedIn, true);
    assert.equal(res.state.toAuth().userId, user.id);
    assert.equal(b.cookie('__clerk_db_jwt'), db, 'the app adopted the dev browser of the sign-in page');
    assert.equal(new URL(res.trail.at(-1)).pathname, '/dashboard');
    assert.equal(new URL(res.trail.at(-1)).search, '');
  });

  it('organization_id: a URL naming an organization activates it in the new token', async () => {
    const { user, email } = await newUser('org');
    const org = await clerk.organizations.createOrganization({ name: `HS ${run}`, slug: `hs-${run}`, createdBy: user.id });
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    const client = await signInOnPage(b, email);
    b.setCookie(`__client_uat=${Math.floor(client.updated_at / 1000)}; Max-Age=315360000`);
    const options = { organizationSyncOptions: { organizationPatterns: ['/orgs/:slug', '/orgs/:slug/(.*)'] } };
    const signedIn = await b.visit('/dashboard', { options });
    assert.equal(signedIn.state.toAuth().orgId ?? null, null);
    b.wait(3000);
    const res = await b.visit(`/orgs/${org.slug}/settings`, { options });
    assert.equal(res.handshakes, 1);
    assert.match(res.trail[1], new RegExp(`organization_id=${org.slug}`));
    assert.equal(res.state.toAuth().orgId, org.id);
    assert.equal(res.state.toAuth().orgSlug, org.slug);
    b.wait(3000);
    const again = await b.visit(`/orgs/${org.slug}/settings`, { options });
    assert.equal(again.handshakes, 0, 'the organization is active: no second handshake');
  });

  it('format=token: the directives in a signed JWT instead of a nonce', async () => {
    const { user, email } = await newUser('token');
    const b = new Browser();
    await b.visit('/');
    b.wait(3000);
    const client = await signInOnPage(b, email);
    const url = new URL(`${fapi}/v1/client/handshake`);
    url.searchParams.set('redirect_url', `${APP}/dashboard`);
    url.searchParams.set('__clerk_db_jwt', b.cookie('__clerk_db_jwt'));
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 307);
    const back = new URL(res.headers.get('location'));
    assert.ok(back.searchParams.get('__clerk_handshake'));
    const state = await clerk.authenticateRequest(
      new Request(back, { headers: { accept: 'text/html', 'sec-fetch-dest': 'document' } }), { proxyUrl: fapi });
    assert.equal(state.isSignedIn, true);
    assert.equal(state.toAuth().sessionId, client.last_active_session_id);
  });

  it('a nonce is single use', async () => {
    const url = new URL(`${fapi}/v1/client/handshake`);
    url.searchParams.set('redirect_url', `${APP}/`);
    url.searchParams.set('format', 'nonce');
    const res = await fetch(url, { redirect: 'manual' });
    const nonce = new URL(res.headers.get('location')).searchParams.get('__clerk_handshake_nonce');
    const first = await clerk.clients.getHandshakePayload({ nonce });
    assert.equal(first.directives.length, 6);
    await assert.rejects(clerk.clients.getHandshakePayload({ nonce }), (err) => err.status === 404);
  });
});
