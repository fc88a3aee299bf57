"""Record mode: forward Clerk API traffic to an upstream and write each interaction to a scrubbed cassette.

On the base-URL listener (``reverse:<upstream>``) mitmproxy forwards by itself; on the forward and transparent
listeners the Clerk-host flows are pointed at the upstream here (so ``--upstream http://127.0.0.1:P`` can stand
in for api.clerk.com).  The cassette is written in the ``response`` hook from *copies*: the flow's data is
converted to cassette objects and those are scrubbed, so the live response the app receives is never altered
(`reference/mitmproxy.md` section 4).  If the cassette cannot be written the recorder stops, like mitmproxy's
``Save``: traffic that would silently go unrecorded is worse than a stopped recorder.
"""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlsplit

from mitmproxy import ctx, http
from mitmproxy.proxy.mode_specs import ReverseMode

from clerkmock.cassette import (
    CassetteWriter,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from clerkmock.cassette.format import SET_COOKIE_SEPARATOR
from clerkmock.proxy.addon import flow_to_request
from clerkmock.proxy.hosts import PASSTHROUGH_KEY

log = logging.getLogger("clerkmock.proxy")


def parse_upstream(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an upstream URL; raises ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--upstream must be an http(s) URL like https://api.clerk.com, not {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"--upstream takes the server root (no path): {parts.scheme}://{parts.netloc}")
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class RecordAddon:
    def __init__(self, writer: CassetteWriter, upstream: str) -> None:
        self.writer = writer
        self.upstream = upstream
        self.scheme, self.host, self.port = parse_upstream(upstream)

    def load(self, loader) -> None:  # type: ignore[no-untyped-def]
        loader.add_option(
            "clerkmock_record_upstream", str, self.upstream,
            "Where record mode forwards Clerk API requests that arrive on the forward/transparent listeners.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        if "clerkmock_record_upstream" in updated:
            self.upstream = ctx.options.clerkmock_record_upstream
            self.scheme, self.host, self.port = parse_upstream(self.upstream)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or flow.metadata.get(PASSTHROUGH_KEY):
            return
        if not isinstance(flow.client_conn.proxy_mode, ReverseMode):  # forward/transparent: a Clerk host
            flow.request.scheme, flow.request.host, flow.request.port = self.scheme, self.host, self.port
        flow.metadata["clerkmock.record"] = True

    def response(self, flow: http.HTTPFlow) -> None:
        if not flow.metadata.get("clerkmock.record") or flow.response is None:
            return
        try:
            self.writer.append(interaction_from_flow(flow))
        except OSError as exc:
            log.error("clerkmock: cannot write the cassette %s (%s): stopping the recorder", self.writer.path, exc)
            ctx.master.shutdown()

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get("clerkmock.record"):
            log.warning("clerkmock: %s %s got no response from %s: %s (not recorded)", flow.request.method,
                        flow.request.path, self.upstream, flow.error)


def interaction_from_flow(flow: http.HTTPFlow) -> Interaction:
    """A new `Interaction` built from the flow's data; the flow itself is only read."""
    assert flow.response is not None
    request = RecordedRequest.from_request(flow_to_request(flow.request))
    resp = flow.response
    headers = {k.lower(): v for k, v in resp.headers.items()}
    if cookies := resp.headers.get_all("set-cookie"):  # items() would join them with ", " (Expires has one)
        headers["set-cookie"] = SET_COOKIE_SEPARATOR.join(cookies)
    response = RecordedResponse.from_parts(resp.status_code, headers, resp.get_content(strict=False) or b"")
    start, end = flow.request.timestamp_start, resp.timestamp_end or resp.timestamp_start
    recorded_at = datetime.datetime.fromtimestamp(start, datetime.UTC).isoformat(timespec="milliseconds")
    return Interaction(
        request,
        response,
        recorded_at=recorded_at.replace("+00:00", "Z"),
        duration_ms=(end - start) * 1000 if end else None,
        api_version=request.api_version,
    )
