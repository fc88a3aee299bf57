// The server's view of the request: auth() as JSON (userId, sessionId, orgId, …; nulls when signed out).
import { auth } from "@clerk/nextjs/server";

export async function GET() {
  const { userId, sessionId, orgId, orgRole, orgSlug, sessionClaims } = await auth();
  return Response.json({ userId, sessionId, orgId, orgRole, orgSlug, azp: sessionClaims?.azp ?? null });
}
