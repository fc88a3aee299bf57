import { auth } from "@clerk/nextjs/server";

export default async function Home() {
  const { userId } = await auth();
  return (
    <>
      <h1>Home</h1>
      <p id="who">{userId ? `Signed in as ${userId}` : "Signed out"}</p>
    </>
  );
}
