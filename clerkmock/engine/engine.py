"""`Engine.handle(Request) -> Response`: auth -> API version -> route -> params -> handler -> JSON.

Pure and synchronous: no sockets, no wall clock (an injected `Clock`), no unseeded randomness.
One ``except ClerkError`` renders every expected failure; anything else is a bug and propagates (the
in-process transport re-raises it, the servers log it and answer 500).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from email.message import Message
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from clerkmock.engine import errors, params, spec, tokens
from clerkmock.engine.clock import Clock
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.events import Outbox
from clerkmock.engine.fapi import oauth_provider, portal
from clerkmock.engine.fapi.surface import FAPI_PREFIX, is_fapi_path
from clerkmock.engine.jsonio import dumps
from clerkmock.engine.router import Route, Router
from clerkmock.engine.routing import Ctx, Reply, RouteSet, Upload, compile_routes
from clerkmock.engine.state import Cascades, State
from clerkmock.engine.types import JSON_CONTENT_TYPE, Request, Response

API_PREFIX = "/v1"
SCIM_PREFIX = "/scim/v2/"  # resources/directories/scim.py
MAX_BODY_BYTES = 1024 * 1024  # 1 MiB for JSON and form bodies; larger ones get a 413 before any parsing
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # multipart uploads (profile images, logos): Clerk allows 10 MB
MAX_MULTIPART_PARTS = 64  # the upload operations take one file and a field or two
VERSION_HEADER = "clerk-api-version"
VERSION_QUERY = "__clerk_api_version"
JSON_HEADERS = {"content-type": JSON_CONTENT_TYPE}


def default_route_sets() -> list[RouteSet]:
    from clerkmock.engine.resources import ROUTE_SETS

    return ROUTE_SETS


def default_cascades() -> Cascades:
    from clerkmock.engine.resources import CASCADES

    return CASCADES


class RouteMatch(NamedTuple):
    """Where a request goes: ``rel`` is its path under /v1 (or the bare path of an unversioned route), None
    when it is neither; ``route`` None with ``path_exists`` is a method the path does not take."""

    rel: str | None
    route: Route | None
    params: dict[str, str]
    path_exists: bool

    @property
    def names(self) -> tuple[str, ...]:
        """What fault rules match by name: the route name and its operationId."""
        route = self.route
        if route is None:
            return ()
        return (route.name, route.operation_id) if route.operation_id else (route.name,)


_API_PREFIX_SLASH = API_PREFIX + "/"
_new_tuple = tuple.__new__


class Engine:
    def __init__(
        self,
        state: State | None = None,
        *,
        clock: Clock | None = None,
        secret_keys: Iterable[str] = (),
        default_version: str = "2025-11-10",
        seed: str = "clerkmock",
        signing_key: str | None = None,
    ) -> None:
        # The state generation: bumped by every request that is not a pure read (`handle`), by installing a
        # state or changing the keys or the default version, and by `touch`.  An answer is reused only while it
        # is unchanged (server/read_cache.py; the invariant is in docs/architecture.md).
        self.generation = 0
        self._pure = False  # set by `_handle` when the request it answers is a pure route's
        # Webhook events recorded by the operations (engine/events.py); the pipeline drains it.
        self.outbox = Outbox(seed)
        self.cascades = default_cascades()
        self.state = state if state is not None else State(seed)
        # The instance's RSA-2048 private key (PEM) for session tokens and JWKS; the caller persists it
        # (clerkmock.keys).  None: the process-wide generated key (engine/tokens.py).
        if signing_key is not None:
            self.state.auth.signing_key = tokens.check_instance_key(signing_key)
        self.clock = clock if clock is not None else Clock()
        self.outbox.clock = self.clock
        # Empty = accept any non-empty bearer key; otherwise strict mode (401 clerk_key_invalid for others).
        self._secret_keys: frozenset[str] = frozenset(secret_keys)
        if default_version not in spec.KNOWN_VERSIONS:
            raise ValueError(f"default_version must be one of {spec.KNOWN_VERSIONS}, not {default_version!r}")
        self._default_version = default_version
        # Compiled once per engine from the declarations (their operations per API version included).
        self.router = Router()
        self._bare_router = Router()  # the unversioned routes, also served without /v1
        for route in compile_routes(default_route_sets()):
            self.router.add(route)
            if route.unversioned:
                self._bare_router.add(route)
        self._requests = 0
        # Every error answer gets its own trace id, also those rendered outside `handle` (a listener's 413,
        # fault rules, the control plane); next() on a count is atomic, and listeners call without the lock.
        self._traces = itertools.count(1)
        from clerkmock.engine.fapi.surface import FapiSurface  # the Frontend API: the same state, clock, outbox

        self.fapi = FapiSurface(self)

    @property
    def state(self) -> State:
        return self._state

    @state.setter
    def state(self, state: State) -> None:
        """Installing a state (a reset, a restored snapshot) links it to this engine's outbox and cascades."""
        self._state = state
        state.events = self.outbox
        state.cascades = self.cascades
        self.touch()

    @property
    def secret_keys(self) -> frozenset[str]:
        return self._secret_keys

    @secret_keys.setter
    def secret_keys(self, keys: frozenset[str]) -> None:  # who is answered changes: no answer may be reused
        self._secret_keys = keys
        self.touch()

    @property
    def default_version(self) -> str:
        return self._default_version

    @default_version.setter
    def default_version(self, version: str) -> None:  # a request without a version reads another shape now
        self._default_version = version
        self.touch()

    def touch(self) -> None:
        """Say that the state changed outside `handle` (a control-plane write, a scenario, a test writing
        ``engine.state`` directly): no answer built before is reused (server/read_cache.py)."""
        self.generation += 1

    # -- the pipeline ---------------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> RouteMatch:
        """Route a request (the pipeline asks once, for fault rules, and hands the match to `handle`)."""
        if path.startswith(_API_PREFIX_SLASH) or path == API_PREFIX:
            rel = path[len(API_PREFIX):] or "/"
            # (tuple.__new__: a NamedTuple's own __new__ is a Python function, ~2,000 instructions a request)
            return _new_tuple(RouteMatch, (rel, *self.router.match(method, rel)))
        route, params, exists = self._bare_router.match(method, path)
        return RouteMatch(path if exists else None, route, params, exists)

    def route_names(self, method: str, path: str, routed: RouteMatch | None = None) -> tuple[str, ...]:
        """The names a request's route answers to in fault rules and the journal: ``users.get`` and
        ``GetUser``, a SCIM endpoint's name, or () for an unknown path."""
        if portal.is_page(path):
            return (portal.route_name(path) or "portal",)
        if oauth_provider.is_page(path):
            provider_route = oauth_provider.route_name(method, path)
            return (provider_route,) if provider_route else ()
        if is_fapi_path(path):
            fapi_route = self.fapi.route_for(Request(method, path))
            return (fapi_route.name,) if fapi_route is not None else ()
        routed = routed or self.match(method, path)
        if routed.route is not None:
            return routed.names
        if routed.rel is None and path.startswith(SCIM_PREFIX):
            name = _scim().route_name(method, path)
            return (name,) if name else ()
        return ()

    def handle(self, request: Request, *, trusted: bool = False, routed: RouteMatch | None = None) -> Response:
        """Answer one Backend API request, or a Frontend API one (``/__clerk/v1/…``, see engine/fapi/).
        ``trusted`` skips authentication: for clerkmock's own callers
        (scenario seeding, the control plane), never for traffic from an app.  ``routed``: this request's
        `match`, when the caller already has it."""
        if self._state.billing.items:  # what the clock made due happens first (see `settle`)
            self.settle()
        self._pure = False
        try:
            outbox = self.outbox
            if not outbox.enabled:
                return self._handle(request, trusted, routed)
            mark = outbox.begin(request, self.clock)
            try:
                response = self._handle(request, trusted, routed)
            except BaseException:
                outbox.end(mark)
                raise
            outbox.end(mark if response.status >= 400 else None)  # a refused request leaves no event either
            return response
        finally:
            # Anything but a pure route's request (a write, the Frontend API, a SCIM call, a failure half-way)
            # may have changed the state: every answer built before it is stale.
            if not self._pure:
                self.generation += 1

    def settle(self) -> None:
        """Carry out what the clock has made due (billing renewals, trials ending ...) before anything reads
        the state; its events are stamped with the dates they happened, outside any request.  Without billing
        items it is one attribute check: it runs before every request."""
        if self._state.billing.items:
            _billing().settle(self._state, self.clock.now_ms())
            self.generation += 1  # it may have written (a renewal, a trial ending)

    def _handle(self, request: Request, trusted: bool, routed: RouteMatch | None) -> Response:
        self._requests += 1
        if request.path.startswith(FAPI_PREFIX):  # one test for the Backend API's requests, the common ones
            if portal.is_page(request.path):  # the hosted sign-in pages (Account Portal): HTML, not FAPI's envelope
                return portal.handle(self.state, request)
            if oauth_provider.is_page(request.path):  # the fake OAuth provider's consent page (fapi/social.py)
                return oauth_provider.handle(self.state, request, self.clock.now_ms())
            if is_fapi_path(request.path):
                return self.fapi.handle(request)
        route: Route | None = None
        reads = self.clock.reads  # a reusable answer read no clock (authentication included)
        try:
            rel, matched, path_params, path_exists = routed or self.match(request.method, request.path)
            if rel is None and request.path.startswith(SCIM_PREFIX):
                # a directory's SCIM 2.0 endpoint: its own protocol, errors and authentication (its api key)
                scim_response: Response = _scim().handle(self.state, self.clock.now_ms(), request)
                return scim_response
            if rel is None:
                raise errors.route_not_found(request.method, request.path, "The Backend API lives under /v1.")
            if not trusted and not (matched is not None and matched.public):
                self._authenticate(request, matched)
            version = self._negotiate_version(request)
            route = matched
            if route is None:
                if path_exists:
                    raise errors.method_not_allowed(request.method, request.path)
                raise self._unknown_route(request.method, rel)
            if route.prepare is not None:
                request = route.prepare(request)
            pure = self._pure = route.pure
            ctx = self._context(request, route, path_params, version)
            result = route.handler(ctx)
            status, body, headers = (
                (result.status, result.body, result.headers) if isinstance(result, Reply) else (200, result, {})
            )
            # bytes are sent as they are (an HTML page; its Reply sets the content type), the rest as JSON
            raw = body if isinstance(body, bytes) else b"" if body is None and status == 204 else dumps(body)
            meta: dict[str, Any] = {"route": route.name}
            if pure and status == 200 and self.clock.reads == reads:
                # the same request gets the same bytes until the generation moves: it read no clock
                meta["reusable"] = self.generation
            return Response(status, raw, {**JSON_HEADERS, **headers}, meta)
        except ClerkError as exc:
            return self._error_response(exc, route)

    def _error_response(self, exc: ClerkError, route: Route | None) -> Response:
        body = {"errors": [exc.error_json()], "clerk_trace_id": self._trace_id()}
        return Response(
            exc.status,
            dumps(body),
            {**JSON_HEADERS, **exc.headers},
            {"route": route.name if route else None, "error_code": exc.code},
        )

    def error(self, exc: ClerkError) -> Response:
        """Render a ClerkError raised outside `handle` (fault rules, control plane) the same way."""
        return self._error_response(exc, None)

    def _trace_id(self) -> str:
        return hashlib.sha1(f"trace\x00{next(self._traces)}".encode()).hexdigest()

    # -- stages ---------------------------------------------------------------------------------------------

    def _authenticate(self, request: Request, route: Route | None) -> None:
        header = request.headers.get("authorization")
        if not header:
            raise errors.authorization_header_format_invalid()
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise errors.authorization_header_format_invalid()
        if not self.secret_keys and key.startswith("pk_"):  # any key goes, but not the publishable one
            raise errors.publishable_key_as_secret()
        if self.secret_keys and key not in self.secret_keys:
            # A machine's secret key authenticates the routes that say so (the M2M token endpoints).
            machine_ok = route is not None and route.machine_auth and _auth().common.is_machine_secret(
                self.state, key, self.clock.now_ms()
            )
            if not machine_ok:
                raise errors.clerk_key_invalid()

    def _negotiate_version(self, request: Request) -> str:
        header = request.headers.get(VERSION_HEADER)
        query = request.query.get(VERSION_QUERY)
        if header and query:
            raise errors.invalid_api_version(
                f"{header} (header) and {query[0]} (query)", spec.KNOWN_VERSIONS
            )
        value = (header or (query[0] if query else "")).strip()
        if not value:
            return self.default_version
        if value not in spec.KNOWN_VERSIONS:
            raise errors.invalid_api_version(value, spec.KNOWN_VERSIONS)
        return value

    def _unknown_route(self, method: str, rel: str) -> ClerkError:
        for op in spec.operations(spec.LATEST_VERSION).values():
            if op.method == method and _template_matches(op.path, rel):
                return errors.route_not_found(
                    method,
                    API_PREFIX + rel,
                    f"clerkmock does not implement {op.operation_id} yet (see `clerkmock routes`).",
                )
        return errors.route_not_found(method, API_PREFIX + rel)

    def _context(self, request: Request, route: Route, path_params: dict[str, str], version: str) -> Ctx:
        # An operation newer than the negotiated version's spec (the directory group-role mappings are only in
        # 2026-05-12) is validated with the newest schema that has it, not left unparsed.
        op = route.ops.get(spec.schema_version(version)) or route.ops.get(spec.LATEST_VERSION)
        query = params.parse_query(request.query, op.query) if op else {}
        body: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        body_spec = op.body if op else None
        expected = body_spec["content_type"] if body_spec else None
        limit = MAX_UPLOAD_BYTES if expected == "multipart/form-data" else MAX_BODY_BYTES
        if len(request.body) > limit:
            raise errors.request_too_large(limit)
        if body_spec is not None:
            ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if expected == "multipart/form-data":
                # An empty form (`{}`, which the spec allows) comes with no body and no content type from HTTP
                # clients: the handler then names the missing field.  It used to be a 415.
                if ctype or request.body.strip():
                    if ctype != "multipart/form-data":
                        raise errors.unsupported_content_type(ctype or "(none)", "multipart/form-data")
                    body, files = _parse_multipart(request)
            elif request.body.strip():
                if ctype == "application/x-www-form-urlencoded":
                    body = _parse_form(request.body, body_spec["schema"])
                elif ctype in ("", "application/json", "text/plain") or ctype.endswith("+json"):
                    body = params.parse_json_body(request.body)
                else:
                    raise errors.unsupported_content_type(ctype, "application/json")
                body = params.validate_body(body, body_spec["schema"])
                params.check_metadata_size(body)
            elif body_spec["schema"].get("required"):
                params.validate_body({}, body_spec["schema"])  # raises form_param_missing for the first one
        elif request.body.strip() and op is not None and request.method in ("POST", "PATCH", "PUT"):
            # The spec gives this operation no body; Clerk rejects parameters it does not know.
            data = params.parse_json_body(request.body)
            if isinstance(data, dict) and data:
                raise errors.form_param_unknown(next(iter(data)))
        # (positional, in Ctx's field order: a dataclass's __init__ costs ~500 instructions a keyword argument)
        return Ctx(self.state, self.clock, version, path_params, query, body, request, files)


def _auth() -> Any:
    from clerkmock.engine.resources import auth  # lazily, as default_route_sets: resources import the engine package

    return auth


def _billing() -> Any:
    from clerkmock.engine.resources.billing import lifecycle

    return lifecycle


def _scim() -> Any:
    from clerkmock.engine.resources.directories import scim

    return scim


def _template_matches(template: str, rel: str) -> bool:
    t, p = template.strip("/").split("/"), rel.strip("/").split("/")
    return len(t) == len(p) and all(a == b or a.startswith("{") for a, b in zip(t, p, strict=True))


def _parse_form(raw: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    """Form-encoded bodies (Clerk accepts them too): coerce each field by the spec's type."""
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise errors.request_body_invalid("(the form body is not valid UTF-8)") from None
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for name, values in fields.items():
        key = name.removesuffix("[]")
        sub = props.get(key, {})
        if sub.get("type") == "array":
            out[key] = [params._query_scalar(key, v, sub.get("items", {})) for v in values]
        elif sub.get("type") == "object":
            out[key] = params.parse_json_body(values[0].encode())
        else:
            out[key] = params._query_scalar(key, values[0], sub)
    return out


def _parse_multipart(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """multipart/form-data (RFC 7578), in one linear pass: split on the boundary, read each part's headers.

    Not the stdlib email parser: it recurses into nested multiparts (a few thousand levels in a small body was a
    RecursionError, so a 500) and took ~20 s for a 6 MB body of 100k tiny parts, holding the pipeline lock.
    Form data has no nesting; a part's body is taken as is (no Content-Transfer-Encoding, which RFC 7578
    deprecates).  At most MAX_MULTIPART_PARTS parts."""
    params_of = Message()
    params_of["content-type"] = request.headers.get("content-type") or ""
    marker = params_of.get_param("boundary")
    if not isinstance(marker, str) or not 0 < len(marker) <= 200:
        raise errors.request_body_invalid("(multipart body without a valid boundary)")
    delimiter = b"\r\n--" + marker.encode("utf-8", "surrogateescape")
    body = b"\r\n" + request.body  # so the first delimiter is found like the others
    start = body.find(delimiter)
    if start < 0:
        raise errors.request_body_invalid("(malformed multipart body)")
    chunks = body[start + len(delimiter) :].split(delimiter, MAX_MULTIPART_PARTS + 1)
    if len(chunks) > MAX_MULTIPART_PARTS + 1:
        raise errors.request_body_invalid(f"(more than {MAX_MULTIPART_PARTS} multipart parts)")
    if not chunks[-1].startswith(b"--"):
        raise errors.request_body_invalid("(malformed multipart body: no closing boundary)")
    fields: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for chunk in chunks[:-1]:
        line_end = chunk.find(b"\r\n")  # the rest of the delimiter line (transport padding) is ignored
        if line_end < 0:
            raise errors.request_body_invalid("(malformed multipart body)")
        part = chunk[line_end + 2 :]
        if part.startswith(b"\r\n"):
            head, payload = b"", part[2:]
        else:
            head_end = part.find(b"\r\n\r\n")
            if head_end < 0:
                raise errors.request_body_invalid("(malformed multipart part headers)")
            head, payload = part[:head_end], part[head_end + 4 :]
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in ("content-disposition", "content-type"):
                headers[key.strip().lower()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        filename = headers.get_filename()
        if filename is not None:
            files[name] = Upload(filename, headers.get_content_type(), payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files
