"""Session tasks: what a user who has authenticated must still do before the session is ``active`` (Clerk's
pending sessions).  One task is modelled: ``choose-organization``, set when the instance forces organization
selection (Clerk's "Allow personal accounts" off; ``force_organization_selection`` of the Frontend API's
environment) and the session has no active organization.  Clerk's ``reset-password`` task (a password marked
compromised) is not modelled.

A pending session gets tokens (``sts: "pending"``; @clerk/backend treats it as signed out unless told
otherwise) and is listed as ``status: "pending"`` with its ``tasks``.  Choosing an organization (touching the
session with ``active_organization_id``) completes the task: the session becomes ``active``.
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine.records.sessions import Session
from clerkmock.engine.state import State

CHOOSE_ORGANIZATION = "choose-organization"


def forces_organization(st: State) -> bool:
    """The setting lives with the Frontend API's settings (scenario ``frontend:``; the Backend API's
    organization settings write it too); it means nothing while organizations are off."""
    return bool(st.fapi.settings.get("force_organization_selection")) and bool(
        st.instance_config.organization_settings.get("enabled", True))


def initial_status(st: State, org_id: str | None, actor: dict[str, Any] | None) -> str:
    """``pending`` for a new session that must choose an organization; an impersonation never waits on tasks."""
    return "pending" if forces_organization(st) and org_id is None and actor is None else "active"


def tasks(sess: Session, now: int) -> list[dict[str, str]]:
    return [{"key": CHOOSE_ORGANIZATION}] if sess.status_at(now) == "pending" else []


def complete_if_done(sess: Session, now: int) -> bool:
    """After the session's organization changed: a pending session with an active organization has no task
    left and becomes ``active``.  True when it did (the caller emits the event)."""
    if sess.status_at(now) != "pending" or sess.last_active_organization_id is None:
        return False
    sess.status = "active"
    sess.updated_at = now
    return True
