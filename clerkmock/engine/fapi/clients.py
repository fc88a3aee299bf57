"""Dev browsers and clients: createDevBrowser, getClient, postClient, putClient, deleteClientSessions.

One client per browser (reference/clerk-fapi.md §3): in development clerk-js first asks for a dev browser and
sends its token as ``__clerk_db_jwt`` on every request; the client behind it is created when first needed.
Two browsers never share a client.
"""

from __future__ import annotations

from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.routing import FapiCtx, FapiRoutes
from clerkmock.engine.records.fapi import DevBrowser
from clerkmock.engine.types import Json

ROUTES = FapiRoutes("clients")


@ROUTES.op("createDevBrowser", bare=True)
def create_dev_browser(ctx: FapiCtx) -> Json:
    """clerk-js reads the token from ``id`` (``dvb_`` + 27 characters, like Clerk's)."""
    st = ctx.state
    token = st.ids.new("dvb")
    st.fapi.dev_browsers[token] = DevBrowser(token=token, created_at=ctx.now)
    return {"object": "dev_browser", "id": token, "instance_id": st.instance.id, "created_at": ctx.now,
            "updated_at": ctx.now}


@ROUTES.op("getClient", bare=True)
def get_client(ctx: FapiCtx) -> Json:
    """A browser that never signed in has no client yet: ``{"response": null, "client": null}``."""
    client = ctx.client
    return {"response": views.client_json(ctx, client) if client is not None else None, "client": None}


@ROUTES.op("postClient")
@ROUTES.op("putClient")
def create_client(ctx: FapiCtx) -> Json:
    return views.client_json(ctx, ctx.require_client())


@ROUTES.op("deleteClientSessions")
def delete_client(ctx: FapiCtx) -> Json:
    """``DELETE /v1/client`` (``persistClient: false`` sign-out): what `Clerk.signOut()` does to the client's
    sessions and attempts (one implementation: sessions.sign_out)."""
    from clerkmock.engine.fapi.sessions import sign_out

    return sign_out(ctx)
