"""Replay mode: answer Clerk API requests from cassettes (`clerkmock.cassette.Replayer`), on every listener."""

from __future__ import annotations

import logging

from mitmproxy import ctx, http

from clerkmock.cassette import Replayer
from clerkmock.engine.types import Response
from clerkmock.proxy.addon import flow_to_request
from clerkmock.proxy.hosts import PASSTHROUGH_KEY

log = logging.getLogger("clerkmock.proxy")


class ReplayAddon:
    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    def load(self, loader) -> None:  # type: ignore[no-untyped-def]
        loader.add_option(
            "clerkmock_replay_strict", bool, self.replayer.strict,
            "Answer only exact matches, each recording once; anything else gets a Clerk-shaped 404 naming the "
            "closest recorded request.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        if "clerkmock_replay_strict" in updated:
            self.replayer.strict = bool(ctx.options.clerkmock_replay_strict)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or flow.metadata.get(PASSTHROUGH_KEY):
            return
        misses = len(self.replayer.misses)
        resp: Response = self.replayer.handle(flow_to_request(flow.request))
        if len(self.replayer.misses) > misses:
            log.warning("clerkmock: %s", self.replayer.misses[-1])
        flow.response = http.Response.make(resp.status, resp.body, resp.headers)
        for cookie in resp.set_cookies:
            flow.response.headers.add("set-cookie", cookie)
