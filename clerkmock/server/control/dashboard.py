"""The dashboard's control-plane routes (``/__clerkmock/ui`` and what its page reads), declared like the
others (base.py):

    GET  ui, ui/{file}            the page: plain HTML/CSS/JS from clerkmock/server/ui/ (no build step, no CDN)
    GET  api/v1/...               a Backend API GET answered by the engine as the API would answer it, without
                                  authentication, faults or a journal entry (the State view reads through it:
                                  what a person sees is what the SDK gets, and looking does not change the journal);
                                  `ControlPlane.handle` sends every path under ``API_PREFIX`` to `api`
    GET  requests/stream          Server-Sent Events: one ``request`` event per journal entry after
                                  ``Last-Event-ID`` (or ``?after=``); ``clear`` when the journal was emptied
    GET  requests/{seq}           one journal entry with its request and response bodies, secrets masked

Each ``stream`` answer holds the entries that arrived within ``STREAM_WAIT_S`` (a `Directive` whose ``deferred``
callable waits off the pipeline lock, on a worker thread) and ends; the browser's EventSource reconnects after
``retry`` ms with ``Last-Event-ID``, so no entry is lost or repeated and no listener needs a streaming mode.
"""

from __future__ import annotations

import time
from importlib import resources

from clerkmock.engine import Request, Response, errors
from clerkmock.engine.jsonio import dumps
from clerkmock.server.control.base import ControlRoutes, ControlTarget, json_response
from clerkmock.server.directive import Directive

ROUTES = ControlRoutes("control")

API_PREFIX = "/api"
STREAM_WAIT_S = 15.0
STREAM_POLL_S = 0.05
STREAM_RETRY_MS = 200
MAX_STREAM_EVENTS = 500
ASSET_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

type Params = dict[str, str]


# -- the page ---------------------------------------------------------------------------------------------------

@ROUTES.add("GET", "/ui", "ui")
def page(target: ControlTarget, request: Request, params: Params) -> Response:
    return _file("index.html")


@ROUTES.add("GET", "/ui/{id}", "ui")
def asset(target: ControlTarget, request: Request, params: Params) -> Response:
    return _file(params["id"])


def _file(name: str) -> Response:
    suffix = name[name.rfind("."):] if "." in name else ""
    folder = resources.files("clerkmock.server") / "ui"
    if suffix not in ASSET_TYPES or "/" in name or name.startswith("."):
        raise errors.resource_not_found(f"No dashboard file {name}", "not found")
    file = folder / name
    if not file.is_file():
        raise errors.resource_not_found(f"No dashboard file {name}", "not found")
    return Response(200, file.read_bytes(), {
        "content-type": ASSET_TYPES[suffix], "cache-control": "no-cache",
        # the page talks to its own origin only; nothing is loaded from elsewhere
        "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                   "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff"})


# -- reading the Backend API as it answers ----------------------------------------------------------------------

def is_api_path(sub_path: str) -> bool:
    return sub_path.startswith(API_PREFIX + "/")


def api(target: ControlTarget, request: Request) -> Response:
    """``GET /__clerkmock/api/v1/...``: the engine's answer to ``GET /v1/...``, trusted (no secret key)."""
    if request.method != "GET":
        raise errors.method_not_allowed(
            request.method, request.path, ["GET"],
            "The dashboard reads the Backend API; it changes state through the control plane.")
    version = request.headers.get("clerk-api-version")
    inner = Request(method="GET", path=request.path[request.path.index(API_PREFIX) + len(API_PREFIX):],
                    query=request.query, headers={"clerk-api-version": version} if version else {})
    return target.engine.handle(inner, trusted=True)


# -- the journal, live ------------------------------------------------------------------------------------------

@ROUTES.add("GET", "/requests/{id}", "requests")
def entry(target: ControlTarget, request: Request, params: Params) -> Response:
    try:
        seq = int(params["id"])
    except ValueError:
        raise errors.resource_not_found(f"No journal entry {params['id']}", "not found") from None
    found = target.journal.get(seq)
    if found is None:
        raise errors.resource_not_found(f"No journal entry {seq} (the journal keeps the last "
                                        f"{target.journal.max_entries})", "not found")
    return json_response(found.detail())


@ROUTES.add("GET", "/requests/stream", "requests")
def stream(target: ControlTarget, request: Request, params: Params) -> Directive:
    raw = request.headers.get("last-event-id") or request.query.get("after", ["0"])[0] or "0"
    try:
        after = int(raw)
    except ValueError:
        raise errors.invalid_query_parameter_value("after", "must be a journal sequence number") from None
    wait = STREAM_WAIT_S
    if "wait" in request.query:  # tests and scripts: a shorter hold
        try:
            wait = min(max(float(request.query["wait"][0]), 0.0), STREAM_WAIT_S)
        except ValueError:
            raise errors.invalid_query_parameter_value("wait", "must be a number of seconds") from None
    return Directive(Response(200, b"", {}), deferred=lambda: _events(target, after, wait))


def _events(target: ControlTarget, after: int, wait: float) -> Response:
    deadline = time.monotonic() + wait
    lines = [f"retry: {STREAM_RETRY_MS}\n\n"]
    while True:
        with target.lock:
            journal = target.journal
            cleared = after > journal.last_seq
            fresh = journal.since(0 if cleared else after)[:MAX_STREAM_EVENTS]
        if cleared:
            lines.append("id: 0\nevent: clear\ndata: {}\n\n")
            after = 0
        if fresh or cleared or time.monotonic() >= deadline:
            break
        time.sleep(STREAM_POLL_S)
    for e in fresh:
        lines.append(f"id: {e.seq}\nevent: request\ndata: {dumps(e.to_json()).decode()}\n\n")
    if not fresh and not cleared:
        lines.append(": idle\n\n")  # a comment: the browser reconnects and waits again
    return Response(200, "".join(lines).encode(), {"content-type": "text/event-stream", "cache-control": "no-cache"})
