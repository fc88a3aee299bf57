"""Issue 18 in a real browser: a page of another origin (``http://localhost:PORT``) cannot steer clerkmock's
control plane — the "simple" cross-site requests Chromium sends without a preflight are refused, preflights
are not granted, and the state dump cannot be read.  docs/security.md names this test."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from clerkmock import ClerkMock

ATTACK = """<!doctype html><script>
window.result = (async () => {
  const cm = %(cm)s, out = {};
  // simple requests: sent without a preflight, their answers opaque to the page
  await fetch(cm + "/faults", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                               body: JSON.stringify({match: "GET /v1/users", respond: 503})});
  await fetch(cm + "/reset", {method: "POST", mode: "no-cors"});
  // reading the state dump, and a JSON write (both need CORS)
  try { out.state = await (await fetch(cm + "/state")).text(); } catch (e) { out.stateError = String(e); }
  try { await fetch(cm + "/clock", {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify({seconds: 3600})}); out.json = "sent"; }
  catch (e) { out.jsonError = String(e); }
  return out;
})();
</script>"""


def test_a_page_of_another_origin_cannot_steer_the_control_plane(
    page: Any, page_server: Any, mock_server: ClerkMock, offsite: list[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="clerkmock")
    users_before = mock_server.engine.state.users.copy()
    with mock_server.pipeline.lock:
        from clerkmock.engine import Request

        mock_server.engine.handle(Request.make("POST", "/v1/users", headers={"Authorization": "Bearer sk_test_x"},
                                               json={"email_address": ["victim@example.com"]}))
    now = mock_server.engine.clock.now_ms()
    page.goto(page_server.add("attack.html", ATTACK % {"cm": json.dumps(mock_server.url + "/__clerkmock")}))
    out = page.evaluate("() => window.result")
    assert "state" not in out and "Failed to fetch" in out["stateError"]
    assert "json" not in out and "Failed to fetch" in out["jsonError"]
    assert mock_server.pipeline.faults.rules == []  # the text/plain fault injection was refused
    assert len(mock_server.engine.state.users) == len(users_before) + 1  # the reset was refused
    assert mock_server.engine.clock.now_ms() - now < 3_600_000  # the clock did not move an hour
    # the simple requests did reach clerkmock and were refused there (not merely blocked by the browser)
    refusals = [r.getMessage() for r in caplog.records if "control plane refused" in r.getMessage()]
    assert sum("Origin: " + page_server.origin in m for m in refusals) >= 2, refusals
    assert offsite == []
