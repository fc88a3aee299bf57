// An "unmodified app": @clerk/backend with its defaults, i.e. https://api.clerk.com.  Only the environment
// points it at clerkmock (HTTPS_PROXY + NODE_EXTRA_CA_CERTS, and NODE_USE_ENV_PROXY=1 or proxy-preload.mjs).
// Run by tests/unmodified/run_all.py; prints one JSON line with what it saw.
import { createClerkClient } from '@clerk/backend';

const secretKey = process.env.CLERK_SECRET_KEY;
const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
const clerk = createClerkClient({ secretKey, publishableKey, telemetry: { disabled: true } });

const out = {};
try {
  const user = await clerk.users.createUser({ emailAddress: [`node.app.${process.pid}@example.com`] });
  const list = await clerk.users.getUserList({ limit: 100 });
  const session = await clerk.sessions.createSession({ userId: user.id });
  const { jwt } = await clerk.sessions.getToken(session.id);
  // No jwtKey: authenticateRequest fetches the JWKS from https://api.clerk.com/v1/jwks (through the proxy).
  const state = await clerk.authenticateRequest(
    new Request('http://localhost:3000/api/me', { headers: { authorization: `Bearer ${jwt}` } }),
  );
  const auth = state.toAuth();
  Object.assign(out, {
    ok: true,
    user_id: user.id,
    listed: list.data.some((u) => u.id === user.id),
    signed_in: state.isSignedIn,
    reason: state.reason ?? null,
    auth_user_id: auth?.userId ?? null,
  });
} catch (err) {
  Object.assign(out, { ok: false, error: String(err?.stack ?? err), cause: String(err?.cause ?? '') });
}
console.log(JSON.stringify(out));
