"""The instance signing key on disk (clerkmock.keys), ClerkMock using it, and `clerkmock env`."""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from clerkmock import ClerkMock
from clerkmock.cli import main
from clerkmock.engine import Request, tokens
from clerkmock.keys import KEY_FILE, load_or_create_signing_key


def test_created_once_with_mode_0600(tmp_path: Path) -> None:
    pem = load_or_create_signing_key(tmp_path / "cfg")
    path = tmp_path / "cfg" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_signing_key(tmp_path / "cfg") == pem == path.read_text()
    assert tokens.load_private_key(pem).key_size == 2048


def test_config_dir_from_env_and_pinned_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERKMOCK_CONFIG_DIR", str(tmp_path / "envdir"))
    pem = load_or_create_signing_key()
    assert (tmp_path / "envdir" / KEY_FILE).read_text() == pem
    pinned = tmp_path / "pinned.pem"
    pinned.write_text(tokens.generate_private_key_pem())
    assert load_or_create_signing_key(tmp_path / "other", pinned=pinned) == pinned.read_text()
    assert not (tmp_path / "other").exists()  # a pinned key is never copied
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ValueError, match="bad.pem"):
        load_or_create_signing_key(pinned=tmp_path / "bad.pem")


def test_clerkmock_signs_with_the_persisted_key(tmp_path: Path) -> None:
    first = ClerkMock(config_dir=tmp_path)
    second = ClerkMock(config_dir=tmp_path)  # a restart: tokens stay verifiable with the same CLERK_JWT_KEY
    pem = (tmp_path / KEY_FILE).read_text()
    assert first.engine.state.auth.signing_key == second.engine.state.auth.signing_key == pem
    auth = {"authorization": "Bearer sk_test_x"}
    user = first.pipeline.handle(Request.make("POST", "/v1/users", headers=auth,
                                              json={"email_address": ["k@example.com"]})).response.json()
    sess = first.pipeline.handle(Request.make("POST", "/v1/sessions", headers=auth, json={"user_id": user["id"]})).response
    token = first.pipeline.handle(Request.make("POST", f"/v1/sessions/{sess.json()['id']}/tokens",
                                               headers=auth)).response.json()["jwt"]
    jwt.decode(token, tokens.public_key_pem(pem), algorithms=["RS256"], options={"verify_exp": False})
    first.reset()
    assert first.engine.state.auth.signing_key == pem


def test_env_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["env", "--config-dir", str(tmp_path), "--port", "4999"],
                                env={"CLERKMOCK_SECRET_KEYS": "sk_test_env"})
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in shlex.split(result.stdout, posix=True) if "=" in line)
    assert values["CLERK_API_URL"] == "http://127.0.0.1:4999"
    assert values["CLERK_SECRET_KEY"] == "sk_test_env"
    assert values["CLERK_PUBLISHABLE_KEY"] == tokens.publishable_key("clerkmock.clerk.accounts.dev")
    pem = (tmp_path / KEY_FILE).read_text()
    assert values["CLERK_JWT_KEY"] == "".join(tokens.public_key_pem(pem).splitlines())
    assert len(result.stdout.strip().splitlines()) == 9  # + CLERK_TELEMETRY_DISABLED, CLERK_PROXY_URL, _JS_URL, _UI_URL
    assert "no server answers at http://127.0.0.1:4999; printing the defaults" in result.stderr
    # the same key as a server started on this config dir, and the secret it signs webhooks with
    mock = ClerkMock(config_dir=tmp_path)
    assert mock.engine.state.auth.signing_key == pem
    assert values["CLERK_WEBHOOK_SIGNING_SECRET"] == mock.webhooks.signing_secret


def test_env_command_rejects_a_bad_pinned_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("nope")
    result = CliRunner().invoke(main, ["env", "--signing-key", str(bad), "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 1 and "bad.pem" in result.output


def test_publishable_key_decodes_to_the_frontend_host() -> None:
    import base64

    pk = tokens.publishable_key("clerkmock.clerk.accounts.dev")
    assert pk.startswith("pk_test_")
    assert base64.b64decode(pk.removeprefix("pk_test_")).decode() == "clerkmock.clerk.accounts.dev$"


# -- what the default (permissive) mode accepts ----------------------------------------------------------------


def test_a_publishable_key_is_refused_even_in_the_permissive_mode(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 12.8: ``Bearer pk_test_…`` (the most common wiring mistake) was accepted.  Clerk's 401, a message
    naming the secret key, and one line on the server's log; any other non-empty key is still accepted."""
    import httpx
    from clerk_backend_api import Clerk, models

    mock = ClerkMock(config_dir=tmp_path)
    pk = tokens.publishable_key(mock.engine.state.instance.frontend_host)
    sdk = Clerk(bearer_auth=pk, server_url="http://clerkmock.invalid/v1", client=httpx.Client(transport=mock.transport()))
    with caplog.at_level("WARNING", logger="clerkmock"), pytest.raises(models.ClerkErrors) as info:
        sdk.users.list()
    (error,) = info.value.data.errors
    assert error.code == "clerk_key_invalid" and "publishable key" in (error.long_message or "")
    assert "secret key" in (error.long_message or "")
    for placeholder in ("sk_test_dummy", "dummy", "pk_test_again"):
        status = mock.pipeline.handle(Request.make("GET", "/v1/users", headers={"authorization": f"Bearer {placeholder}"})).response.status
        assert status == (401 if placeholder.startswith("pk_") else 200)
    notices = [r for r in caplog.records if "not a secret key" in r.getMessage()]
    assert len(notices) == 1 and "pk_test_" in notices[0].getMessage()


def test_strict_mode_is_unchanged_for_a_publishable_key(tmp_path: Path) -> None:
    mock = ClerkMock(secret_keys=["sk_test_strict"], config_dir=tmp_path)
    r = mock.pipeline.handle(Request.make("GET", "/v1/users", headers={"authorization": "Bearer pk_test_x"})).response
    assert r.status == 401 and "publishable" not in r.json()["errors"][0]["long_message"]
