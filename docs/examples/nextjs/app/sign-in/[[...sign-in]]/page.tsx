// An in-app sign-in page, as apps that do not use the hosted one have it.
import { SignIn } from "@clerk/nextjs";

export default function SignInPage() {
  return <SignIn />;
}
