"""The instance's signing key on disk: load it, or create it once, in clerkmock's config dir.

Session tokens must verify across restarts (an app may cache ``CLERK_JWT_KEY`` or the JWKS), so the RSA-2048
private key lives in ``<config dir>/signing_key.pem`` (mode 0600), next to mitmproxy's CA.  The config dir is
``--config-dir`` > ``$CLERKMOCK_CONFIG_DIR`` > ``~/.config/clerkmock`` (`clerkmock.config`).  A pinned key
file (``--signing-key`` or a scenario) takes precedence and is never written.

The engine itself never touches files: callers pass the PEM to ``Engine(signing_key=...)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from clerkmock.config import config_dir as resolve_config_dir
from clerkmock.engine import tokens

KEY_FILE = "signing_key.pem"


def key_path(config_dir: str | os.PathLike[str] | None = None) -> Path:
    return resolve_config_dir(config_dir) / KEY_FILE


def load_or_create_signing_key(
    config_dir: str | os.PathLike[str] | None = None, *, pinned: str | os.PathLike[str] | None = None
) -> str:
    """The PEM of the instance's private key.  ``pinned`` names a key file to use as is."""
    if pinned is not None:
        return _read(Path(pinned))
    path = key_path(config_dir)
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = tokens.generate_private_key_pem()
    # O_EXCL: two processes starting at once must not both write; the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(pem)
    return pem


def _read(path: Path) -> str:
    try:
        pem = path.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read the signing key {path}: {exc.strerror}") from None
    try:
        return tokens.check_instance_key(pem)
    except tokens.SigningKeyError as exc:
        raise ValueError(f"{path}: {exc} (delete it to let clerkmock create a new one)") from None


def public_key_pem(private_pem: str) -> str:
    """What an app sets as ``CLERK_JWT_KEY`` for networkless verification."""
    return tokens.public_key_pem(private_pem)


def _engine_of(mock_or_engine: Any) -> Any:
    return getattr(mock_or_engine, "engine", mock_or_engine)


def jwt_key(mock_or_engine: Any) -> str:
    """``CLERK_JWT_KEY`` for a `ClerkMock` (or an `Engine`): the PEM public key its session tokens verify with."""
    from clerkmock.engine.resources.auth.common import signing_key

    return tokens.public_key_pem(signing_key(_engine_of(mock_or_engine).state))


def publishable_key(mock_or_engine: Any) -> str:
    """``CLERK_PUBLISHABLE_KEY`` for a `ClerkMock` (or an `Engine`): ``pk_test_`` (``pk_live_`` for a production
    instance) + its Frontend API host; the same value `clerkmock env` and the fixture's ``env`` print."""
    from clerkmock.appenv import publishable_key as from_instance

    instance = _engine_of(mock_or_engine).state.instance
    return from_instance(instance.frontend_host, production=instance.environment == "production")
