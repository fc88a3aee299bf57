"""Where clerkmock keeps its files (the mitmproxy CA lives here): --config-dir > $CLERKMOCK_CONFIG_DIR >
~/.config/clerkmock."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CONFIG_DIR = "CLERKMOCK_CONFIG_DIR"
DEFAULT_CONFIG_DIR = "~/.config/clerkmock"


def config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    raw = explicit or os.environ.get(ENV_CONFIG_DIR) or DEFAULT_CONFIG_DIR
    return Path(raw).expanduser()
