// @clerk/testing against the example apps of docs/examples (run by tests/browser/test_examples_*.py, which builds
// and starts them and passes their URLs).  Same browser as playwright.config.mjs: Debian's /usr/bin/chromium.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: ".",
  testMatch: "example-apps.pw.mjs",
  globalSetup: "./global-setup.mjs",
  workers: 1,
  retries: 0,
  timeout: 60_000,
  outputDir: process.env.CLERKMOCK_ARTIFACTS || "../artifacts/node-examples",
  reporter: [["list"], ["json", { outputFile: process.env.CLERKMOCK_REPORT || "../artifacts/node-examples.json" }]],
  use: {
    headless: true,
    screenshot: "only-on-failure",
    launchOptions: { executablePath: process.env.CLERKMOCK_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] },
  },
});
