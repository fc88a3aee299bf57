// @clerk/testing's Playwright helpers against clerkmock.  Run by tests/browser/test_clerk_testing.py, which
// starts clerkmock and the page server and passes CLERK_API_URL, CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY and
// CLERKMOCK_PAGE_URL.  The browser is Debian's /usr/bin/chromium: never `playwright install`.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.mjs",
  globalSetup: "./global-setup.mjs",
  workers: 1,
  retries: 0,
  timeout: 30_000,
  outputDir: process.env.CLERKMOCK_ARTIFACTS || "../artifacts/node",
  reporter: [["list"], ["json", { outputFile: process.env.CLERKMOCK_REPORT || "../artifacts/node-report.json" }]],
  use: {
    headless: true,
    screenshot: "only-on-failure",
    launchOptions: { executablePath: process.env.CLERKMOCK_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] },
  },
});
