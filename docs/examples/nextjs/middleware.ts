// Clerk's middleware as the @clerk/nextjs docs write it: every request is authenticated (the handshake runs here
// when the session cookie is missing or stale), and /dashboard and below need a signed-in user — a signed-out one
// is sent to the sign-in page (NEXT_PUBLIC_CLERK_SIGN_IN_URL, or Clerk's Account Portal).
import { clerkMiddleware, createRouteMatcher } from "@clerk/nextjs/server";

const isProtected = createRouteMatcher(["/dashboard(.*)"]);

export default clerkMiddleware(async (auth, req) => {
  if (isProtected(req)) await auth.protect();
});

export const config = {
  matcher: [
    // Everything but Next internals and static files, and always the API routes.
    "/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    "/(api|trpc)(.*)",
  ],
};
