"""The dashboard's control-plane routes (``/__clerkmock/ui`` and what its page reads), registered by
`ControlPlane`:

    GET  ui, ui/{file}            the page: plain HTML/CSS/JS from clerkmock/server/ui/ (no build step, no CDN)
    GET  api/v1/...               a Backend API GET answered by the engine as the API would answer it, without
                                  authentication, faults or a journal entry (the State view reads through it:
                                  what a person sees is what the SDK gets, and looking does not change the journal)
    GET  requests/stream          Server-Sent Events: one ``request`` event per journal entry after
                                  ``Last-Event-ID`` (or ``?after=``); ``clear`` when the journal was emptied
    GET  requests/{seq}           one journal entry with its request and response bodies, secrets masked

Each ``stream`` answer holds the entries that arrived within ``STREAM_WAIT_S`` (it waits off the pipeline lock,
on a worker thread) and ends; the browser's EventSource reconnects after ``retry`` ms with ``Last-Event-ID``,
so no entry is lost or repeated and no listener needs a streaming mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from clerkmock.engine import ClerkError, Request, Response, errors
from clerkmock.engine.jsonio import dumps
from clerkmock.engine.types import JSON_CONTENT_TYPE

if TYPE_CHECKING:
    from clerkmock.server.pipeline import Pipeline

type Handler = Callable[[Request, dict[str, str]], Response]

API_PREFIX = "/api"
STREAM_WAIT_S = 15.0
STREAM_POLL_S = 0.05
STREAM_RETRY_MS = 200
MAX_STREAM_EVENTS = 500
ASSET_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


class Dashboard:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def routes(self) -> dict[str, dict[str, Handler]]:
        return {
            "/ui": {"GET": self.page},
            "/ui/{id}": {"GET": self.asset},
            "/requests/stream": {"GET": self.stream},
            "/requests/{id}": {"GET": self.entry},
        }

    # -- the page -------------------------------------------------------------------------------------------

    def page(self, request: Request, params: dict[str, str]) -> Response:
        return self._file("index.html")

    def asset(self, request: Request, params: dict[str, str]) -> Response:
        return self._file(params["id"])

    def _file(self, name: str) -> Response:
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
            "x-content-type-options": "nosniff"}, {"route": "control.ui"})

    # -- reading the Backend API as it answers --------------------------------------------------------------

    def api(self, request: Request) -> Response:
        if request.method != "GET":
            raise ClerkError(405, "method_not_allowed", "method not allowed",
                             "The dashboard reads the Backend API; it changes state through the control plane.",
                             headers={"Allow": "GET"})
        inner = Request(method="GET", path=request.path[request.path.index(API_PREFIX) + len(API_PREFIX):],
                        query=request.query, headers={"clerk-api-version": request.headers.get(
                            "clerk-api-version", "")} if request.headers.get("clerk-api-version") else {})
        response = self.pipeline.engine.handle(inner, trusted=True)
        response.meta["route"] = "control.api"
        return response

    # -- the journal, live ----------------------------------------------------------------------------------

    def entry(self, request: Request, params: dict[str, str]) -> Response:
        try:
            seq = int(params["id"])
        except ValueError:
            raise errors.resource_not_found(f"No journal entry {params['id']}", "not found") from None
        found = self.pipeline.journal.get(seq)
        if found is None:
            raise errors.resource_not_found(f"No journal entry {seq} (the journal keeps the last "
                                            f"{self.pipeline.journal.max_entries})", "not found")
        return _json(found.detail())

    def stream(self, request: Request, params: dict[str, str]) -> Response:
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
        return Response(200, b"", {}, {"route": "control.requests", "deferred": lambda: self._events(after, wait)})

    def _events(self, after: int, wait: float) -> Response:
        pipeline = self.pipeline
        deadline = time.monotonic() + wait
        lines = [f"retry: {STREAM_RETRY_MS}\n\n"]
        while True:
            with pipeline.lock:
                journal = pipeline.journal
                cleared = after > journal.last_seq
                fresh = journal.since(0 if cleared else after)[:MAX_STREAM_EVENTS]
            if cleared:
                lines.append(f"id: 0\nevent: clear\ndata: {{}}\n\n")
                after = 0
            if fresh or cleared or time.monotonic() >= deadline:
                break
            time.sleep(STREAM_POLL_S)
        for e in fresh:
            lines.append(f"id: {e.seq}\nevent: request\ndata: {dumps(e.to_json()).decode()}\n\n")
        if not fresh and not cleared:
            lines.append(": idle\n\n")  # a comment: the browser reconnects and waits again
        return Response(200, "".join(lines).encode(), {
            "content-type": "text/event-stream", "cache-control": "no-cache"}, {"route": "control.requests"})


def _json(body: Any) -> Response:
    return Response(200, dumps(body), {"content-type": JSON_CONTENT_TYPE}, {"route": "control.requests"})
