"""Session tasks: what a user who has authenticated must still do before the session is ``active`` (Clerk's
pending sessions).  Two of Clerk's tasks are modelled:

- ``choose-organization``: the instance forces organization selection (Clerk's "Allow personal accounts" off;
  ``force_organization_selection`` of the Frontend API's environment) and the session has no active
  organization.  Done when the session is touched with one.
- ``reset-password``: the user's password is marked compromised (SetUserPasswordCompromised; Clerk's "Force
  password reset", on by default).  Done when the session's browser sets a new password (the Frontend API's
  changePassword, which then needs no current password).

A pending session gets tokens (``sts: "pending"``; @clerk/backend treats it as signed out unless told
otherwise) and is listed as ``status: "pending"`` with its ``tasks``; when the last one is done it becomes
``active``.  An impersonation (actor session) never waits on tasks.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine.records import User
from clerkmock.engine.records.sessions import Session
from clerkmock.engine.state import State

CHOOSE_ORGANIZATION = "choose-organization"
RESET_PASSWORD = "reset-password"


def forces_organization(st: State) -> bool:
    """The setting lives with the Frontend API's settings (scenario ``frontend:``; the Backend API's
    organization settings write it too); it means nothing while organizations are off."""
    return bool(st.fapi.settings.get("force_organization_selection")) and bool(
        st.instance_config.organization_settings.get("enabled", True))


def initial_tasks(st: State, user: User, org_id: str | None, actor: dict[str, Any] | None) -> list[str]:
    """The tasks a new session starts with (its status is ``pending`` when there is any)."""
    if actor is not None:
        return []
    out = []
    if forces_organization(st) and org_id is None:
        out.append(CHOOSE_ORGANIZATION)
    if user.password_compromised and user.password_hash is not None:
        out.append(RESET_PASSWORD)
    return out


def has_task(sess: Session, key: str, now: int) -> bool:
    return sess.status_at(now) == "pending" and key in sess.tasks


def tasks(sess: Session, now: int) -> list[dict[str, str]]:
    return [{"key": k} for k in sess.tasks] if sess.status_at(now) == "pending" else []


def complete(sess: Session, key: str, now: int) -> bool:
    """Mark ``key`` done on a pending session; True when that was its last task (it is now ``active``: the
    caller emits the event)."""
    if not has_task(sess, key, now):
        return False
    sess.tasks = [k for k in sess.tasks if k != key]
    sess.updated_at = now
    if sess.tasks:
        return False
    sess.status = "active"
    return True
