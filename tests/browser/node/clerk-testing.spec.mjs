// @clerk/testing's helpers on a plain page that loads the real clerk-js from clerkmock and reaches its Frontend API
// through an absolute http proxy URL (docs/browser.md, way 1), and on the unmodified page through the forward proxy
// (way 3).  setupClerkTestingToken routes only https://<CLERK_FAPI>/v1/…: over the http proxy URL it is installed
// but never fires (clerkmock sees no __clerk_testing_token), which is what Clerk's helper does; through the forward
// proxy it fires, and clerkmock sees the token on every Frontend API request.
import { test, expect } from "@playwright/test";
import { clerk, setupClerkTestingToken } from "@clerk/testing/playwright";

const PAGE = process.env.CLERKMOCK_PAGE_URL;
const UNMODIFIED_PAGE = process.env.CLERKMOCK_UNMODIFIED_PAGE_URL;
// Loopback, and the Frontend API host that the forward proxy answers (way 3).
const ALLOWED = new Set(["localhost", "127.0.0.1", "[::1]", process.env.CLERKMOCK_FAPI_HOST]);
const PASSWORD_USER = JSON.parse(process.env.CLERKMOCK_PASSWORD_USER);
const CODE_USER = JSON.parse(process.env.CLERKMOCK_CODE_USER);

// Nothing may leave the loopback: any other request is aborted and fails the test.
let offsite = [];
test.beforeEach(async ({ context }) => {
  offsite = [];
  await context.route((url) => !["data:", "blob:"].includes(url.protocol) && !ALLOWED.has(url.hostname),
    (route) => { offsite.push(route.request().url()); return route.abort("blockedbyclient"); });
});
test.afterEach(() => expect(offsite).toEqual([]));

test("clerkSetup exported the Frontend API host and a testing token from clerkmock", () => {
  expect(process.env.CLERK_FAPI).toBe(process.env.CLERKMOCK_FAPI_HOST);
  expect(process.env.CLERK_TESTING_TOKEN).toMatch(/^\d+-\w+/);
});

test("clerk.signIn with a password, then clerk.signOut", async ({ page }) => {
  await setupClerkTestingToken({ page });
  await page.goto(PAGE);
  await clerk.loaded({ page });
  await clerk.signIn({
    page,
    signInParams: { strategy: "password", identifier: PASSWORD_USER.email, password: PASSWORD_USER.password },
  });
  expect(await page.evaluate(() => window.Clerk.user?.id)).toBe(PASSWORD_USER.id);
  const token = await page.evaluate(() => window.Clerk.session.getToken());
  expect(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sub).toBe(PASSWORD_USER.id);
  await clerk.signOut({ page });
  await page.goto(PAGE);
  await clerk.loaded({ page });
  expect(await page.evaluate(() => window.Clerk.user)).toBeNull();
});

test("clerk.signIn with an email code (+clerk_test address, code 424242)", async ({ page }) => {
  await page.goto(PAGE);
  await clerk.signIn({ page, signInParams: { strategy: "email_code", identifier: CODE_USER.email } });
  expect(await page.evaluate(() => window.Clerk.user?.id)).toBe(CODE_USER.id);
  // the session survives a reload: the client is kept by clerkmock under this browser's dev-browser token
  await page.reload();
  await clerk.loaded({ page });
  expect(await page.evaluate(() => window.Clerk.user?.primaryEmailAddress?.emailAddress)).toBe(CODE_USER.email);
});

test.describe("the unmodified page through the forward proxy", () => {
  test.use({
    proxy: { server: process.env.CLERKMOCK_PROXY_SERVER, bypass: "localhost,127.0.0.1" },
    ignoreHTTPSErrors: true, // the browser would trust clerkmock's CA (clerkmock ca)
  });

  test("setupClerkTestingToken fires, clerk.signIn with a password", async ({ page }) => {
    await setupClerkTestingToken({ page });
    await page.goto(UNMODIFIED_PAGE);
    await clerk.signIn({
      page,
      signInParams: { strategy: "password", identifier: PASSWORD_USER.email, password: PASSWORD_USER.password },
    });
    expect(await page.evaluate(() => window.Clerk.user?.id)).toBe(PASSWORD_USER.id);
    expect(await page.evaluate(() => window.Clerk.client.captchaBypass)).toBe(true); // rewritten by the helper
  });

  // clerk.signIn({emailAddress}) builds a Backend API client with no apiUrl: this Node process calls
  // https://api.clerk.com (GET /v1/users, POST /v1/sign_in_tokens) through the proxy, thanks to the undici
  // preload (NODE_OPTIONS=--import proxy-preload.mjs) and NODE_EXTRA_CA_CERTS; the page then signs in with the ticket.
  test("clerk.signIn with an emailAddress, Node reaching api.clerk.com through the proxy", async ({ page }) => {
    await setupClerkTestingToken({ page });
    await page.goto(UNMODIFIED_PAGE);
    await clerk.signIn({ page, emailAddress: CODE_USER.email });
    expect(await page.evaluate(() => window.Clerk.user?.id)).toBe(CODE_USER.id);
  });
});
