"""The Frontend API surface of the one engine: ``/__clerk/v1/…`` requests from clerk-js.

Order: ``_method`` override (clerk-js sends only GET and POST) -> route (by the FAPI spec's operationIds) ->
form body parsed and validated against the FAPI spec (the fields clerk-js adds and Clerk ignores dropped first)
-> the browser identified (dev-browser token in the query, else the ``__client`` cookie) -> testing token ->
handler -> the ``{response, client}`` envelope.  Errors use Clerk's envelope plus ``meta`` (FAPI's form).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from clerkmock.engine import errors, params, spec
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.fapi import views
from clerkmock.engine.fapi.browsers import (
    CLIENT_COOKIE,
    DEV_BROWSER_COOKIE,
    DEV_BROWSER_PARAMS,
    client_from_cookie,
    request_cookies,
)
from clerkmock.engine.fapi.hosts import request_is_https
from clerkmock.engine.fapi.routing import FapiCtx
from clerkmock.engine.jsonio import dumps
from clerkmock.engine.resources.auth.common import origin_of
from clerkmock.engine.router import Route, Router
from clerkmock.engine.routing import Reply
from clerkmock.engine.types import JSON_CONTENT_TYPE, Request, Response


type EngineRef = Any  # the `Engine` (typed loosely: engine.py imports this module)

FAPI_PREFIX = "/__clerk"  # Clerk's own proxy prefix: what an app's proxyUrl points at
OVERRIDABLE = ("PATCH", "PUT", "DELETE")
# Form fields clerk-js sends that Clerk ignores (reference/clerk-fapi.md §1), dropped before validation.
TOLERATED_FIELDS = ("locale", "timezone", "tab_state", "_clerk_js_version")
TESTING_TOKEN_PARAM = "__clerk_testing_token"
MAX_BODY_BYTES = 1024 * 1024
# Operations that identify the browser themselves: the handshake makes a new dev browser for a missing or
# unknown token instead of answering 401 (it is a top-level navigation: nobody would heal the 401); the OAuth
# callback is the provider's redirect, carrying no credentials: its state names the client (social.py).
SELF_IDENTIFYING = frozenset({"handshakeClient", "getOauthCallback"})


def is_fapi_path(path: str) -> bool:
    """``/__clerk/…`` except the browser bundles (``/__clerk/npm/…``, served from the asset cache)."""
    return path.startswith(FAPI_PREFIX + "/") and not path.startswith(FAPI_PREFIX + "/npm/")


class FapiSurface:
    def __init__(self, engine: EngineRef) -> None:
        from clerkmock.engine.fapi import ROUTE_SETS

        self.engine = engine
        self.router = Router()
        self.bare: set[str] = set()
        for route_set in ROUTE_SETS:
            for route in route_set.routes:
                self.router.add(route)
            self.bare |= route_set.bare
        self._ops = spec.fapi_operations()

    def route_for(self, request: Request) -> Route | None:
        route, _, _ = self.router.match(_method(request), request.path[len(FAPI_PREFIX):] or "/")
        return route

    def handle(self, request: Request) -> Response:
        route: Route | None = None
        try:
            rel = request.path[len(FAPI_PREFIX):] or "/"
            method = _method(request)
            route, path_params, path_exists = self.router.match(method, rel)
            if route is None:
                raise self._unknown(method, rel, path_exists)
            ctx = self._context(request, route, path_params)
            result = route.handler(ctx)
            meta = {"route": route.name, "surface": "fapi"}
            if ctx.cookie_mode and ctx.client is not None:
                if ctx.new_client:
                    ctx.cookies.append(client_cookie(self.engine, ctx))
                if request.method != "GET" and ctx.state.instance.environment == "production":
                    ctx.cookies.append(client_uat_cookie(ctx))
            if isinstance(result, Reply):  # a redirect (the handshake, the OAuth callback): no envelope
                raw = result.body if isinstance(result.body, bytes) else b""
                return Response(result.status, raw, {**result.headers, **ctx.headers}, meta, ctx.cookies)
            if route.name in self.bare:
                body = result
            else:
                body = {"response": result,
                        "client": views.client_json(ctx, ctx.client) if ctx.client is not None else None}
            headers = {"content-type": JSON_CONTENT_TYPE, **ctx.headers}
            return Response(200, dumps(body), headers, meta, ctx.cookies)
        except ClerkError as exc:
            body = {"errors": [exc.error_json()], "meta": {}, "clerk_trace_id": self.engine._trace_id()}
            return Response(exc.status, dumps(body), {"content-type": JSON_CONTENT_TYPE, **exc.headers},
                            {"route": route.name if route else None, "error_code": exc.code, "surface": "fapi"})

    def _unknown(self, method: str, rel: str, path_exists: bool) -> ClerkError:
        if path_exists:
            return errors.method_not_allowed(method, rel)
        for op in self._ops.values():
            if op.method == method and _template_matches(op.path, rel):
                return errors.route_not_found(method, FAPI_PREFIX + rel,
                                              f"clerkmock does not implement {op.operation_id} yet "
                                              "(see `clerkmock routes --fapi`).")
        return errors.route_not_found(method, FAPI_PREFIX + rel)

    def _context(self, request: Request, route: Route, path_params: dict[str, str]) -> FapiCtx:
        engine = self.engine
        op = self._ops.get((route.method, route.template))
        query = params.parse_query(request.query, op.query) if op else {}
        body: dict[str, Any] = {}
        if len(request.body) > MAX_BODY_BYTES:
            raise errors.request_too_large(MAX_BODY_BYTES)
        if request.body.strip() and request.method != "GET":
            body = _parse_body(request)
            for name in TOLERATED_FIELDS:
                body.pop(name, None)
            schema = op.body["schema"] if op and op.body else {}
            if body and schema.get("properties"):
                body = params.validate_body(_coerce(body, schema), schema)
        version = (request.query.get("__clerk_api_version") or [""])[0] or spec.LATEST_VERSION
        ctx = FapiCtx(state=engine.state, clock=engine.clock, version=version, path=path_params, query=query,
                      body=body, request=request, origin=origin_of(request.headers.get("origin")))
        self._identify(ctx, request, route)
        self._check_testing_token(ctx, request)
        return ctx

    def _identify(self, ctx: FapiCtx, request: Request, route: Route) -> None:
        """Which browser is this?  A dev-browser token (query, then the cookie clerk-js writes on the app's
        domain when FAPI is same-origin) wins; else the ``__client`` cookie (cookie mode)."""
        if route.operation_id in SELF_IDENTIFYING:
            return
        st = ctx.state
        token = next((request.query[p][0] for p in DEV_BROWSER_PARAMS if request.query.get(p)), None)
        cookies = request_cookies(request)
        if token is None and cookies.get(DEV_BROWSER_COOKIE):
            token = cookies[DEV_BROWSER_COOKIE]
        if token is not None and route.operation_id != "createDevBrowser":
            db = st.fapi.dev_browsers.get(token)
            if db is None:
                raise errors.dev_browser_unauthenticated()
            ctx.dev_browser = db
            ctx.client = st.auth.clients.get(db.client_id) if db.client_id else None
            return
        if token is None:
            ctx.cookie_mode = True
            raw = cookies.get(CLIENT_COOKIE)
            if raw:
                ctx.client = client_from_cookie(ctx, raw)

    def _check_testing_token(self, ctx: FapiCtx, request: Request) -> None:
        """@clerk/testing adds ``__clerk_testing_token`` to every FAPI request.  Any value passes (and the journal
        keeps it) unless keys are strict: then it must be one the Backend API issued and still valid."""
        value = (request.query.get(TESTING_TOKEN_PARAM) or [""])[0]
        if not value or not self.engine.secret_keys:
            return
        expires = ctx.state.fapi.testing_tokens.get(value)
        if expires is None or ctx.now // 1000 >= expires:
            raise errors.testing_token_invalid()


def client_cookie(engine: EngineRef, ctx: FapiCtx) -> str:
    """``__client``: a JWT of the client's id and rotating token, HttpOnly (cookie mode, reference §3)."""
    from clerkmock.engine.resources.auth.clients import client_token

    assert ctx.client is not None
    secure = "; Secure" if request_is_https(ctx.request) else ""
    return (f"{CLIENT_COOKIE}={client_token(ctx.state, ctx.client.id)}; Path=/; Max-Age=31536000; HttpOnly"
            f"; SameSite=Lax{secure}")




def client_uat_cookie(ctx: FapiCtx) -> str:
    """``__client_uat``: when the client last changed (s), 0 without a live session.  With a production key
    clerk-js does not write it: FAPI does, on each change (reference/clerk-fapi.md §3)."""
    assert ctx.client is not None
    uat = ctx.client.updated_at // 1000 if views.live_sessions(ctx, ctx.client) else 0
    secure = "; Secure" if request_is_https(ctx.request) else ""
    return f"__client_uat={uat}; Path=/; Max-Age=315360000; SameSite=Lax{secure}"


def _method(request: Request) -> str:
    if request.method == "POST":
        override = (request.query.get("_method") or [""])[0].upper()
        if override in OVERRIDABLE:
            return override
    return request.method


def _parse_body(request: Request) -> dict[str, Any]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype in ("application/json",) or ctype.endswith("+json"):
        data = params.parse_json_body(request.body)
        if not isinstance(data, dict):
            raise errors.request_body_invalid("(the body must be an object)")
        return data
    try:
        fields = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise errors.request_body_invalid("(the form body is not valid UTF-8)") from None
    out: dict[str, Any] = {}
    for name, values in fields.items():
        key = name.removesuffix("[]")
        out[key] = values if name.endswith("[]") or len(values) > 1 else values[0]
    return out


def _coerce(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Form values are strings: turn them into the spec's types (booleans, integers, JSON objects)."""
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for key, value in body.items():
        sub = props.get(key, {})
        kind = sub.get("type")
        if isinstance(value, str):
            if kind == "object" or (kind is None and value[:1] in "{["):
                try:
                    value = params.parse_json_body(value.encode()) if value else {}
                except ClerkError:
                    raise errors.form_param_value_invalid(key, f"{key} must be a JSON object.") from None
            elif kind == "array":
                value = [params._query_scalar(key, value, sub.get("items", {}))] if value else []
            elif kind in ("boolean", "integer", "number"):
                try:
                    value = params._query_scalar(key, value, sub)
                except ClerkError:
                    raise errors.form_param_value_invalid(key, f"{key} is not a valid {kind}.") from None
        elif isinstance(value, list) and kind == "array":
            value = [params._query_scalar(key, v, sub.get("items", {})) for v in value]
        out[key] = value
    return out


def _template_matches(template: str, rel: str) -> bool:
    t, p = template.strip("/").split("/"), rel.strip("/").split("/")
    return len(t) == len(p) and all(a == b or a.startswith("{") for a, b in zip(t, p, strict=True))

