"""The control token on disk: what a client sends as ``Authorization: Bearer …`` to a guarded control plane.

``clerkmock serve --control-token`` / ``$CLERKMOCK_CONTROL_TOKEN`` gives it; otherwise it is generated once and
kept in ``<config dir>/control_token`` (mode 0600), next to the signing key, so the CLI and scripts on the same
machine find it (`client_token`).  docs/security.md says when the control plane requires it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from clerkmock.config import config_dir as resolve_config_dir

TOKEN_FILE = "control_token"
ENV_CONTROL_TOKEN = "CLERKMOCK_CONTROL_TOKEN"
PREFIX = "cmt_"  # recognisable in logs and scrubbers, like Clerk's sk_/pk_


def token_path(config_dir: str | os.PathLike[str] | None = None) -> Path:
    return resolve_config_dir(config_dir) / TOKEN_FILE


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def load_or_create(config_dir: str | os.PathLike[str] | None = None) -> str:
    """The token in the config dir, created (0600) if missing."""
    path = token_path(config_dir)
    existing = read(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    token = generate()
    # O_EXCL: two servers starting at once must not both write; the loser reads the winner's token.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read(path) or token
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def client_token(config_dir: str | os.PathLike[str] | None = None) -> str | None:
    """What a client on this machine sends: ``$CLERKMOCK_CONTROL_TOKEN``, else the config dir's token file."""
    return os.environ.get(ENV_CONTROL_TOKEN, "").strip() or read(token_path(config_dir))
