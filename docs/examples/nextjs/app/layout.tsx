import type { ReactNode } from "react";
import { ClerkProvider, OrganizationSwitcher, Show, SignInButton, UserButton } from "@clerk/nextjs";

export const metadata = { title: "Clerk on Next.js" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <ClerkProvider>
      <html lang="en">
        <body>
          <header style={{ display: "flex", gap: "1rem", alignItems: "center" }}>
            <a href="/">Home</a>
            <a href="/dashboard">Dashboard</a>
            <a href="/dashboard/org">Organization</a>
            <Show when="signed-out">
              <SignInButton />
            </Show>
            <Show when="signed-in">
              <OrganizationSwitcher />
              <UserButton />
            </Show>
          </header>
          <main>{children}</main>
        </body>
      </html>
    </ClerkProvider>
  );
}
