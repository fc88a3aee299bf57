"""How Frontend API modules declare routes (by the FAPI spec's operationIds) and what a handler gets.

``ROUTES = FapiRoutes("sign_ins")`` then ``@ROUTES.op("createSignIn")`` registers the handler for the method and
path the spec gives that operation; the route is named ``fapi.<operationId>`` (what fault rules and the journal
call it).  ``bare=True``: the handler's result is the whole body (the environment, ``/tokens``, the dev
browser), not the ``{response, client}`` envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clerkmock.engine import spec
from clerkmock.engine.records.fapi import DevBrowser
from clerkmock.engine.records.sessions import Client
from clerkmock.engine.router import Route
from clerkmock.engine.routing import Ctx, Reply
from clerkmock.engine.types import Json

type FapiHandler = Callable[[FapiCtx], Json | Reply]


@dataclass(slots=True)
class FapiCtx(Ctx):
    """A BAPI `Ctx` plus the browser: its client (None until one is needed), how it is identified, the page's
    origin (``azp`` of its tokens) and the response headers and cookies a handler adds."""

    client: Client | None = None
    dev_browser: DevBrowser | None = None
    origin: str | None = None
    cookie_mode: bool = False
    new_client: bool = False  # created by this request: cookie mode sets ``__client``
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values, one header line each

    def require_client(self) -> Client:
        """The browser's client, created on first need (bound to its dev browser, or set as a cookie)."""
        if self.client is None:
            st, now = self.state, self.now
            client = Client(id=st.ids.new("client"), created_at=now, updated_at=now, rotating_token=st.ids.token(16))
            st.auth.clients[client.id] = client
            if self.dev_browser is not None:
                self.dev_browser.client_id = client.id
            self.client = client
            self.new_client = True
        return self.client

    def touch_client(self) -> None:
        if self.client is not None:
            self.client.updated_at = self.now


@dataclass(slots=True)
class FapiRoute:
    route: Route
    bare: bool


class FapiRoutes:
    def __init__(self, group: str) -> None:
        self.group = group
        self.routes: list[Route] = []
        self.bare: set[str] = set()

    def op[H: FapiHandler](self, operation_id: str, *, bare: bool = False) -> Callable[[H], H]:
        found = [op for op in spec.fapi_operations().values() if op.operation_id == operation_id]
        if len(found) != 1:
            raise ValueError(f"{operation_id} is not one operation of the Frontend API spec")
        op = found[0]

        def register(handler: H) -> H:  # the handler keeps its own type (a Json one stays Json)
            route = Route(op.method, op.path, handler, f"fapi.{operation_id}", operation_id)
            self.routes.append(route)
            if bare:
                self.bare.add(route.name)
            return handler

        return register


def body_param(ctx: FapiCtx, name: str) -> Any:
    """A form field, treating an empty string as absent (clerk-js sends ``organization_id=`` for "none")."""
    value = ctx.body.get(name)
    return None if value == "" else value
