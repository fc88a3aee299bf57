"""The control plane under ``/__clerkmock/*``: clerkmock's own admin API (no Clerk auth, never forwarded).

Handlers run under the pipeline lock.  Unknown paths get a Clerk-shaped 404 so every client error parser
copes with them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import clerkmock
from clerkmock.engine import ClerkError, Request, Response
from clerkmock.engine import errors
from clerkmock.engine.jsonio import dumps
from clerkmock.engine.types import JSON_CONTENT_TYPE

if TYPE_CHECKING:
    from clerkmock.server.pipeline import Pipeline

type ControlHandler = Callable[[Request], Response]


class ControlPlane:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        # sub-path (after the prefix) -> method -> handler
        self.routes: dict[str, dict[str, ControlHandler]] = {
            "/health": {"GET": self.health},
        }

    def handle(self, request: Request) -> Response:
        from clerkmock.server.pipeline import CONTROL_PREFIX

        sub = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        methods = self.routes.get(sub)
        if methods is None:
            return self.pipeline.engine.error(errors.route_not_found(request.method, request.path))
        handler = methods.get(request.method)
        if handler is None:
            return self.pipeline.engine.error(
                ClerkError(
                    405,
                    "method_not_allowed",
                    "method not allowed",
                    f"{request.method} is not allowed on {request.path}.",
                    headers={"Allow": ", ".join(sorted(methods))},
                )
            )
        return handler(request)

    def health(self, request: Request) -> Response:
        users = len(self.pipeline.engine.state.users)
        return _json({"status": "ok", "version": clerkmock.__version__, "users": users}, "control.health")


def _json(body: object, route: str, status: int = 200) -> Response:
    return Response(status, dumps(body), {"content-type": JSON_CONTENT_TYPE}, {"route": route})
