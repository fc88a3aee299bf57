// The SSR handshake in cookie mode (a production instance, pk_live): no dev browser; FAPI is on the app's site
// (a same-origin /__clerk, or clerk.<domain>), so the browser's cookies (`__client`) reach it and it answers with
// cookies for the app's site: `__client_uat` itself (clerk-js does not write it for a production key) and the
// handshake nonce.  Driven by tests/test_handshake_node.py, which switches the shared server to production.
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createClerkClient } from '@clerk/backend';

const apiUrl = process.env.CLERK_API_URL;
const secretKey = process.env.CLERK_SECRET_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
const fapi = `${apiUrl}/__clerk`;
const APP = 'http://localhost:3000';
const PASSWORD = 'correct-horse-battery';
const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });

// One cookie jar for the site (the app and its same-site FAPI), following redirects like a browser.
class Browser {
  constructor() { this.jar = new Map(); }
  setCookie(line) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    const maxAge = attrs.find((a) => a.toLowerCase().startsWith('max-age='));
    if (maxAge && Number(maxAge.split('=')[1]) <= 0) this.jar.delete(name);
    else this.jar.set(name, value);
  }
  header() { return [...this.jar].map(([n, v]) => `${n}=${v}`).join('; '); }
  async fetchFapi(url, init = {}) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: this.header() } });
    for (const line of res.headers.getSetCookie()) this.setCookie(line);
    return res;
  }
  async visit(path) {
    let url = new URL(path, APP).href;
    const trail = [];
    for (let hop = 0; hop < 6; hop += 1) {
      trail.push(url);
      if (url.startsWith(fapi)) {
        const res = await this.fetchFapi(url);
        assert.equal(res.status, 307, await res.text());
        url = res.headers.get('location');
        continue;
      }
      const request = new Request(url, {
        headers: { cookie: this.header(), accept: 'text/html', 'sec-fetch-dest': 'document' },
      });
      const state = await clerk.authenticateRequest(request, { proxyUrl: fapi });
      for (const line of state.headers.getSetCookie()) this.setCookie(line);
      const location = state.headers.get('location');
      if (!location) return { state, trail, handshakes: trail.filter((u) => u.startsWith(fapi)).length };
      url = new URL(location, url).href;
    }
    assert.fail(`redirect loop: ${trail.join(' -> ')}`);
  }
}

describe('the SSR handshake in cookie mode (production instance)', () => {
  it('signed in through FAPI, the server gets the session by one handshake, then none', async () => {
    const email = `hs.cookie.${randomUUID().slice(0, 8)}@example.com`;
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD });
    const b = new Browser();
    const out = await b.visit('/dashboard');
    assert.equal(out.handshakes, 0, 'no cookies and no dev browser in production: signed out at once');
    assert.equal(out.state.isSignedIn, false);
    const res = await b.fetchFapi(`${fapi}/v1/client/sign_ins`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ identifier: email, password: PASSWORD, strategy: 'password' }),
    });
    assert.equal(res.status, 200);
    assert.ok(b.jar.get('__client'), 'FAPI set __client');
    assert.notEqual(b.jar.get('__client_uat') ?? '0', '0', 'FAPI set __client_uat (a production key)');
    const signedIn = await b.visit('/dashboard');
    assert.equal(signedIn.handshakes, 1);
    assert.match(signedIn.trail[1], /__clerk_hs_reason=client-uat-but-no-session-token/);
    assert.equal(signedIn.state.isSignedIn, true);
    assert.equal(signedIn.state.toAuth().userId, user.id);
    assert.equal(new URL(signedIn.trail.at(-1)).search, '', 'the nonce travelled in a cookie, not the URL');
    assert.equal(b.jar.get('__clerk_handshake_nonce'), undefined, 'the directives deleted the nonce cookie');
    assert.ok(b.jar.get('__session'));
    const again = await b.visit('/dashboard');
    assert.equal(again.handshakes, 0);
    assert.equal(again.state.toAuth().userId, user.id);
  });
});
