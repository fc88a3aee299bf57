// Needs an active organization, and says whether the member is an admin of it (has({ role })).
import { auth } from "@clerk/nextjs/server";

export const dynamic = "force-dynamic";

export default async function OrgPage() {
  const { orgId, has } = await auth();
  if (!orgId) {
    return <p id="org-required">Choose an organization first.</p>;
  }
  return (
    <>
      <h1>Organization</h1>
      <p id="org-id">{orgId}</p>
      <p id="org-admin">{has({ role: "org:admin" }) ? "admin" : "member"}</p>
    </>
  );
}
