"""Shared fixtures.  `mock_server` is one ClerkMock served over real HTTP for the whole session; it is the
same object as the clerkmock pytest plugin's session server (`clerkmock_server.mock`), so the session runs
one emulator.  Every test that uses `mock_server` starts from the empty instance (no scenario, no faults,
empty journal), whatever scenario a `clerkmock` test selected before it."""

from __future__ import annotations

from typing import Any

import pytest

from clerkmock import ClerkMock


@pytest.fixture(scope="session")
def mock_server(clerkmock_server: Any) -> ClerkMock:
    # The plugin's server has a private config dir: tests never write the user's ~/.config/clerkmock.
    mock: ClerkMock = clerkmock_server.mock
    mock.start()
    return mock


@pytest.fixture(autouse=True)
def _reset_mock_server(request: pytest.FixtureRequest) -> None:
    if "mock_server" in request.fixturenames:
        from clerkmock.testing import Settings

        request.getfixturevalue("clerkmock_server").activate(Settings())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line naming what was skipped and why (e.g. transparent mode without iptables), so a green run does
    not hide untested parts; `pytest -rs` lists each test."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped or "s" in (config.option.reportchars or "").replace("A", "s").replace("a", "s"):
        return  # -rs (or -ra/-rA) lists them already
    reasons: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    parts = [f"{count} x {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])]
    terminalreporter.write_line(f"clerkmock: {len(skipped)} skipped (`pytest -rs` lists them): " + "; ".join(parts))
