// clerkSetup() asks the Backend API (CLERK_API_URL: clerkmock) for a testing token and exports CLERK_FAPI
// (the publishable key's host) and CLERK_TESTING_TOKEN to the tests.
import { clerkSetup } from "@clerk/testing/playwright";

export default async function globalSetup() {
  await clerkSetup({ dotenv: false });
}
