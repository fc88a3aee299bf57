"""Where clerkmock keeps its files (the mitmproxy CA lives here): --config-dir > $CLERKMOCK_CONFIG_DIR >
~/.config/clerkmock."""

from __future__ import annotations

import os
from pathlib import Path

# The default ports of `serve`, `record` and `replay` (here, not in proxy/: the CLI must not import mitmproxy).
DEFAULT_PORT = 4818  # the base-URL listener
DEFAULT_PROXY_PORT = 4819  # the forward proxy
DEFAULT_TRANSPARENT_PORT = 4820

ENV_CONFIG_DIR = "CLERKMOCK_CONFIG_DIR"
DEFAULT_CONFIG_DIR = "~/.config/clerkmock"


def config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    raw = explicit or os.environ.get(ENV_CONFIG_DIR) or DEFAULT_CONFIG_DIR
    return Path(raw).expanduser()
