"""A pending session (session tasks, issue 14 item 5) through Clerk's own `@clerk/backend` (tests/node/
pending_session.mjs): ``authenticateRequest`` and what ``treatPendingAsSignedOut`` does with an ``sts: "pending"``
token.  Its own Node run, not part of test_node_sdk.py's ``node --test tests/node/``: it switches the instance's
``force_organization_selection``, which concurrent test files must not see."""

from __future__ import annotations

from clerkmock import ClerkMock
from tests.test_handshake_node import _run
from tests.test_node_sdk import _tap_count


def test_pending_session_through_clerk_backend(mock_server: ClerkMock) -> None:
    assert (_tap_count(_run(mock_server, "pending_session.mjs"), "pass") or 0) >= 3
