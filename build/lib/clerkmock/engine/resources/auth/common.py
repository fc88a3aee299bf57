"""Helpers shared by the auth groups: the instance's signing key and issuer, the request's bearer key and origin,
and look-ups that several groups need.  No routes here."""

from __future__ import annotations

from urllib.parse import urlsplit

from clerkmock.engine import errors, tokens
from clerkmock.engine.records.sessions import Machine, Session
from clerkmock.engine.routing import Ctx
from clerkmock.engine.state import State

SECOND_MS = 1000
DAY_MS = 24 * 3600 * SECOND_MS


def signing_key(st: State) -> str:
    """The instance's RSA private key PEM (the engine's configured key, else the process default)."""
    return st.auth.signing_key or tokens.default_private_key_pem()


def issuer(st: State) -> str:
    """Session tokens carry ``iss = https://<frontend host>``, the host the publishable key encodes (§10)."""
    return f"https://{st.instance.frontend_host}"


def bearer_key(ctx: Ctx) -> str:
    """The key after ``Bearer`` (the engine has already checked the header's format)."""
    return (ctx.request.headers.get("authorization") or "").partition(" ")[2].strip()


def request_origin(ctx: Ctx) -> str | None:
    """``azp`` comes from the Origin of the request that asked for the token, when there is one."""
    return origin_of(ctx.request.headers.get("origin"))


def origin_of(value: str | None) -> str | None:
    if not value or value == "null":
        return None
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def require_session(st: State, session_id: str) -> Session:
    sess = st.auth.sessions.get(session_id)
    if sess is None:
        raise errors.resource_not_found(f"No session was found with id {session_id}", "Session not found")
    return sess


def machine_for_secret(st: State, key: str, now: int) -> Machine | None:
    """The machine whose secret key this is (a rotated-out key counts until its grace period ends)."""
    machine_id = st.auth.machine_secrets.get(key)
    machine = st.auth.machines.get(machine_id) if machine_id else None
    if machine is None:
        return None
    if key == machine.secret_key:
        return machine
    if key == machine.previous_secret_key and now < machine.previous_secret_valid_until:
        return machine
    return None


def is_machine_secret(st: State, key: str, now: int) -> bool:
    return machine_for_secret(st, key, now) is not None


def seconds(ms: int) -> int:
    return ms // SECOND_MS
