// A plain Express app on @clerk/express, configured only by the environment (`eval "$(clerkmock env)"`):
// CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_API_URL, CLERK_PROXY_URL, CLERK_JWT_KEY for the server,
// CLERK_JS_URL / CLERK_UI_URL for the page's clerk-js, CLERK_SIGN_IN_URL for requireAuth().
// The session travels in Clerk's cookies (__session, __client_uat): clerkMiddleware() reads them on every request
// and runs Clerk's handshake when they are missing or stale.
import express from "express";
import { clerkMiddleware, getAuth, requireAuth, clerkClient } from "@clerk/express";

const env = process.env;
const port = Number(env.PORT || 3000);
const app = express();
app.use(clerkMiddleware());

const escape = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The sign-in page: clerk-js and Clerk's UI components, loaded from CLERK_JS_URL / CLERK_UI_URL.
const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><link rel="icon" href="data:,"></head>
<body>
  <nav><a href="/">Home</a> <a href="/protected">Protected</a> <a href="/api/me">/api/me</a></nav>
  ${body}
  <div id="clerk"></div>
  <script src="${escape(env.CLERK_UI_URL)}" crossorigin="anonymous"></script>
  <script src="${escape(env.CLERK_JS_URL)}" crossorigin="anonymous"
          data-clerk-publishable-key="${escape(env.CLERK_PUBLISHABLE_KEY)}"
          data-clerk-proxy-url="${escape(env.CLERK_PROXY_URL)}"></script>
  <script>
    window.addEventListener("load", async () => {
      await Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor }, telemetry: false });
      const el = document.getElementById("clerk");
      if (Clerk.user) {
        Clerk.mountUserButton(el, { afterSignOutUrl: "/" });
      } else {
        Clerk.mountSignIn(el, { forceRedirectUrl: new URLSearchParams(location.search).get("redirect_url") || "/protected" });
      }
      document.body.dataset.clerkLoaded = "true";
    });
  </script>
</body></html>`;

app.get("/", (req, res) => {
  const { userId } = getAuth(req);
  res.send(page("Home", `<h1>Home</h1><p id="who">${userId ? `Signed in as ${escape(userId)}` : "Signed out"}</p>`));
});

// Server-rendered from the session cookie; a signed-out visitor goes to CLERK_SIGN_IN_URL.
app.get("/protected", requireAuth(), async (req, res) => {
  const { userId, orgId } = getAuth(req);
  const user = await clerkClient.users.getUser(userId);
  res.send(page("Protected", `<h1>Protected</h1>
    <p id="user-id">${escape(userId)}</p>
    <p id="email">${escape(user.primaryEmailAddress?.emailAddress)}</p>
    <p id="org">${escape(orgId || "no organization")}</p>`));
});

app.get("/api/me", (req, res) => {
  const { userId, sessionId, orgId, orgRole, sessionClaims } = getAuth(req);
  res.json({ userId, sessionId, orgId: orgId ?? null, orgRole: orgRole ?? null, azp: sessionClaims?.azp ?? null });
});

app.listen(port, "localhost", () => console.log(`listening on http://localhost:${port}`));
