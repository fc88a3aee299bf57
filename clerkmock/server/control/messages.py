"""The emails and SMS the Frontend API "sent" (one-time codes, links), for tests to read.

    GET    messages / DELETE           newest first (?to=&limit=); clear them
"""

from __future__ import annotations

from typing import Any

from clerkmock.engine import Request, Response, errors
from clerkmock.server.control.base import ControlRoutes, ControlTarget, json_response

ROUTES = ControlRoutes("control")

type Params = dict[str, str]


@ROUTES.add("GET", "/messages", "messages")
def list_messages(target: ControlTarget, request: Request, params: Params) -> Response:
    to = (request.query.get("to") or [""])[0].strip().lower()
    raw_limit = (request.query.get("limit") or ["100"])[0]
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
        raise errors.invalid_query_parameter_value("limit", "limit must be between 1 and 500")
    found = [m for m in reversed(target.engine.state.fapi.messages) if not to or m.to.lower() == to]
    data = [message_json(m) for m in found[: int(raw_limit)]]
    return json_response({"data": data, "total_count": len(found)})


@ROUTES.add("DELETE", "/messages", "messages")
def clear_messages(target: ControlTarget, request: Request, params: Params) -> Response:
    count = len(target.engine.state.fapi.messages)
    target.engine.state.fapi.messages.clear()
    return json_response({"deleted": count})


def message_json(m: Any) -> dict[str, Any]:
    return {"object": "message", "id": m.id, "kind": m.kind, "to": m.to, "code": m.code, "subject": m.subject,
            "body": m.body, "links": list(m.links), "slug": m.slug, "user_id": m.user_id, "created_at": m.created_at}
