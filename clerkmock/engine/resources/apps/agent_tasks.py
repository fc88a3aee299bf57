"""Agent Tasks: CreateAgentTask, RevokeAgentTask.

- ``on_behalf_of`` names the user by exactly one of ``user_id`` or ``identifier`` (a verified email address or
  phone number, or a username); neither or both is a 422 ``form_param_value_invalid``, an unknown user a 404
  ``resource_not_found``.
- ``agent_id`` (``agent_`` + 27) is stable per ``agent_name`` within the instance; every call makes a new
  ``agent_task_id`` (``agtask_`` + 27), also sent as the deprecated ``task_id``.
- ``redirect_url`` must be an absolute http(s) URL (``http`` only in development instances): 422
  ``form_param_format_invalid``; ``session_max_duration_in_seconds`` must be positive.
- ``url`` (create only) is a ticket URL on the frontend host, like a sign-in token's:
  ``https://<frontend host>/v1/tickets/accept?ticket=<ticket>``.
- Only a pending task can be revoked: a second revoke is a 400 ``agent_task_cannot_be_revoked_code`` (by analogy
  with sign-in and actor tokens).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from clerkmock.engine import errors
from clerkmock.engine.records.apps import AgentTask
from clerkmock.engine.resources import identifications as idns
from clerkmock.engine.routing import Ctx, RouteSet
from clerkmock.engine.state import State
from clerkmock.engine.types import Json

ROUTES = RouteSet("agent_tasks")
DEFAULT_SESSION_S = 1800

# -- serializers --------------------------------------------------------------------------------------------------


def task_json(t: AgentTask) -> dict[str, Any]:
    return {"object": "agent_task", "agent_id": t.agent_id, "agent_task_id": t.id, "task_id": t.id}


def ticket_url(st: State, ticket: str) -> str:
    return f"https://{st.instance.frontend_host}/v1/tickets/accept?ticket={quote(ticket, safe='')}"


# -- operations ---------------------------------------------------------------------------------------------------


def resolve_user(st: State, on_behalf_of: dict[str, Any]) -> str:
    user_id, identifier = on_behalf_of.get("user_id"), on_behalf_of.get("identifier")
    if (user_id is None) == (identifier is None):
        raise errors.form_param_value_invalid(
            "on_behalf_of", "Exactly one of on_behalf_of.user_id or on_behalf_of.identifier must be provided.")
    if user_id is not None:
        if not isinstance(user_id, str) or user_id not in st.users:
            raise errors.resource_not_found(f"No user was found with id {user_id}")
        return user_id
    if not isinstance(identifier, str) or not identifier.strip():
        raise errors.form_param_value_invalid("on_behalf_of", "on_behalf_of.identifier must not be blank.")
    for kind in ("email_address", "phone_number"):
        for idn in idns.holders(st, kind, identifier):
            if idn.user_id in st.users and idns.is_claimed(idn):
                return idn.user_id
    uid = st.username_index.get(identifier.strip().lower())
    if uid in st.users:
        return uid
    raise errors.resource_not_found("No user was found with the given identifier")


def check_redirect_url(st: State, value: str) -> str:
    parts = urlsplit(value.strip())
    schemes = ("https", "http") if st.instance.environment == "development" else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise errors.form_param_format_invalid(
            "redirect_url", f"redirect_url must be an absolute URL with scheme {' or '.join(schemes)}.")
    return value.strip()


def agent_id_for(st: State, name: str) -> str:
    agent_id = st.apps.agents.get(name)
    if agent_id is None:
        agent_id = st.apps.agents[name] = st.ids.new("agent")
    return agent_id


# -- handlers -----------------------------------------------------------------------------------------------------


@ROUTES.op("CreateAgentTask", "create")
def create_agent_task(ctx: Ctx) -> Json:
    st, body, now = ctx.state, ctx.body, ctx.now
    user_id = resolve_user(st, body["on_behalf_of"])
    name = body["agent_name"].strip()
    if not name:
        raise errors.form_param_missing("agent_name")
    redirect_url = check_redirect_url(st, body["redirect_url"])
    duration = body.get("session_max_duration_in_seconds", DEFAULT_SESSION_S)
    if duration is None:
        duration = DEFAULT_SESSION_S
    if duration <= 0:
        raise errors.form_param_value_invalid(
            "session_max_duration_in_seconds", "session_max_duration_in_seconds must be greater than 0.")
    t = AgentTask(id=st.ids.new("agtask"), agent_id=agent_id_for(st, name), agent_name=name, user_id=user_id,
                  task_description=body["task_description"], redirect_url=redirect_url,
                  session_max_duration_s=duration, ticket=st.ids.token(32), created_at=now, updated_at=now)
    st.apps.agent_tasks[t.id] = t
    return {**task_json(t), "url": ticket_url(st, t.ticket)}


@ROUTES.op("RevokeAgentTask", "revoke")
def revoke_agent_task(ctx: Ctx) -> Json:
    st = ctx.state
    t = st.apps.agent_tasks.get(ctx.path["agent_task_id"])
    if t is None:
        raise errors.resource_not_found(f"No agent task was found with id {ctx.path['agent_task_id']}")
    if t.status != "pending":
        raise errors.agent_task_cannot_be_revoked(t.status)
    t.status, t.updated_at = "revoked", ctx.now
    return task_json(t)
