"""Every ClerkMock in these tests keeps its files (the signing key) in one private directory, never the user's
~/.config/clerkmock."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def webhooks_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clerkmock-webhooks-config")


@pytest.fixture(autouse=True)
def _private_config_dir(monkeypatch: pytest.MonkeyPatch, webhooks_config_dir: Path) -> None:
    monkeypatch.setenv("CLERKMOCK_CONFIG_DIR", str(webhooks_config_dir))
