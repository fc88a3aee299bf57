"""@clerk/backend's ``verifyWebhook`` verifies a sample of real deliveries (tests/node/webhooks.test.mjs):
one of each kind an app typically handles, captured from a live delivery and replayed to node within the
five-minute timestamp tolerance."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
from clerk_backend_api import Clerk

from clerkmock import ClerkMock
from clerkmock.webhooks.signing import generated_secret
from tests.test_node_sdk import NODE_DIR, _node_or_skip, _tap_count
from tests.webhooks.receiver import Receiver

KEEP = ("svix-id", "svix-timestamp", "svix-signature", "content-type", "user-agent")


def test_clerk_backend_verify_webhook_accepts_clerkmock_deliveries(tmp_path: Path) -> None:
    node = _node_or_skip()
    secret = generated_secret("node")
    with Receiver(secret) as rx:
        mock = ClerkMock(seed="node", webhooks=[rx.url])
        clerk = Clerk(bearer_auth="sk_test", server_url="http://clerkmock/v1",
                      client=httpx.Client(transport=mock.transport()))
        user = clerk.users.create(email_address=["ada@acme.test"], first_name="Ada", external_id="crm-1")
        clerk.users.update(user_id=user.id, last_name="Lovelace")
        org = clerk.organizations.create(request={"name": "Acme", "created_by": user.id})
        clerk.sessions.create(request={"user_id": user.id})
        clerk.email_addresses.create(request={"user_id": user.id, "email_address": "ada2@acme.test"})
        clerk.organizations.delete(organization_id=org.id)
        clerk.users.delete(user_id=user.id)
        assert mock.webhooks.flush(5)
        deliveries = [{"headers": {k: v for k, v in r.headers.items() if k in KEEP}, "body": r.body.decode()}
                      for r in rx.ok()]
    kinds = {json.loads(d["body"])["type"] for d in deliveries}
    assert {"user.created", "user.updated", "user.deleted", "organization.created", "organization.deleted",
            "organizationMembership.created", "organizationMembership.deleted", "session.created",
            "session.ended"} <= kinds
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps({"secret": secret, "other_secret": generated_secret("other"),
                                   "deliveries": deliveries}))
    env = {**os.environ, "CLERKMOCK_WEBHOOK_SAMPLES": str(samples), "CLERK_WEBHOOK_SIGNING_SECRET": secret,
           "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run([node, "--test", "--test-reporter=tap", "tests/node/webhooks.test.mjs"],
                          cwd=NODE_DIR.parent.parent, env=env, capture_output=True, text=True, timeout=120)
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, output
    assert _tap_count(proc.stdout, "pass") == 3 and _tap_count(proc.stdout, "skipped") == 0, output
