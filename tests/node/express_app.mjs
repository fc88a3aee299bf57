// An Express app protected by Clerk's own middleware (@clerk/express).  Nothing here knows about clerkmock:
// clerkMiddleware() reads CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_JWT_KEY and CLERK_API_URL from the
// environment, as in production.  Tested by express.test.mjs; shown in docs/auth-in-tests.md.
import express from 'express';
import { clerkClient, clerkMiddleware, getAuth } from '@clerk/express';

export const app = express();
app.use(clerkMiddleware());

app.get('/api/me', async (req, res) => {
  const auth = getAuth(req);
  if (!auth.isAuthenticated) {
    return res.status(401).json({ error: 'signed out' });
  }
  const user = await clerkClient.users.getUser(auth.userId);
  res.json({ userId: user.id, email: user.primaryEmailAddress?.emailAddress, orgId: auth.orgId ?? null });
});

app.get('/api/reports', (req, res) => {
  const auth = getAuth(req);
  if (!auth.has({ permission: 'org:reports:read' })) {
    return res.status(403).json({ error: 'needs org:reports:read' });
  }
  res.json({ orgId: auth.orgId, reports: [] });
});
