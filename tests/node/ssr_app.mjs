// A tiny server-rendered app on @clerk/backend's authenticateRequest (what @clerk/nextjs and @clerk/express run on
// every page request), for tests/browser/test_handshake_browser.py: GET /dashboard answers the handshake's
// redirects and Set-Cookie headers as they come, else renders who is signed in, and a page that loads clerk-js
// from clerkmock (proxy URL) so the browser can sign in.  Prints `listening <port>` once ready.
import http from 'node:http';

import { createClerkClient } from '@clerk/backend';

const { CLERK_API_URL: apiUrl, CLERK_SECRET_KEY: secretKey, CLERK_PUBLISHABLE_KEY: publishableKey } = process.env;
const proxyUrl = `${apiUrl}/__clerk`;
const clerkJsUrl = `${proxyUrl}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`;
const clerk = createClerkClient({ secretKey, apiUrl, publishableKey, telemetry: { disabled: true } });

function page(auth) {
  const who = auth?.userId ? `signed in as ${auth.userId}` : 'signed out';
  return `<!doctype html><title>ssr</title><p id="who">${who}</p>
    <script src="${clerkJsUrl}" data-clerk-publishable-key="${publishableKey}" data-clerk-proxy-url="${proxyUrl}"></script>
    <script>Clerk.load({ telemetry: false }).catch((err) => { window.clerkLoadError = String(err); })</script>`;
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) headers.set(name, [].concat(value).join(', '));
    const state = await clerk.authenticateRequest(new Request(url, { headers }), { proxyUrl });
    const cookies = state.headers.getSetCookie();
    if (cookies.length) res.setHeader('set-cookie', cookies);
    const location = state.headers.get('location');
    if (location) {
      res.writeHead(307, { location, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(state.isSignedIn ? state.toAuth() : null));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err?.stack ?? err));
  }
});
server.listen(0, 'localhost', () => console.log(`listening ${server.address().port}`));
