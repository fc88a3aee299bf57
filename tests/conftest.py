"""Shared fixtures.  `mock_server` is one ClerkMock served over real HTTP for the whole session (starting
mitmproxy costs ~0.5 s once); every test that uses it starts from the baseline state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clerkmock import ClerkMock


@pytest.fixture(scope="session")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    # A private config dir: tests never write the user's ~/.config/clerkmock (mitmproxy puts its CA there).
    mock = ClerkMock(port=0, config_dir=tmp_path_factory.mktemp("clerkmock-config"))
    mock.start()
    yield mock
    mock.stop()


@pytest.fixture(autouse=True)
def _reset_mock_server(request: pytest.FixtureRequest) -> None:
    if "mock_server" in request.fixturenames:
        request.getfixturevalue("mock_server").reset()
