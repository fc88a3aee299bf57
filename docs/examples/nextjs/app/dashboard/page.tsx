// Rendered on the server from the session cookie: the user comes from the Backend API (currentUser()).
import { auth, currentUser } from "@clerk/nextjs/server";

export const dynamic = "force-dynamic";

export default async function Dashboard() {
  const user = await currentUser();
  const { orgId, orgRole, orgSlug } = await auth();
  return (
    <>
      <h1>Dashboard</h1>
      <p id="user-id">{user?.id}</p>
      <p id="email">{user?.primaryEmailAddress?.emailAddress}</p>
      <p id="org">{orgId ? `${orgSlug ?? orgId} (${orgRole})` : "no organization"}</p>
    </>
  );
}
