"""AddonChain (clerkmock/proxy/chain.py): clerkmock's addons registered with mitmproxy as one, each part's hook
called in order as mitmproxy's AddonManager would call separate addons."""

from __future__ import annotations

import asyncio
import logging

import pytest
from mitmproxy import exceptions
from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig  # noqa: F401 - they declare the hooks
from mitmproxy.test import tflow

from clerkmock.proxy.chain import AddonChain


class Sync:
    def __init__(self, calls: list[str], tag: str) -> None:
        self.calls, self.tag = calls, tag

    def configure(self, updated: set[str]) -> None:
        self.calls.append(f"{self.tag}.configure")

    def request(self, flow: object) -> None:
        self.calls.append(f"{self.tag}.request")


class Async:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def request(self, flow: object) -> None:
        await asyncio.sleep(0)
        self.calls.append("async.request")


class Failing:
    def request(self, flow: object) -> None:
        raise ValueError("boom")


class Halting:
    def request(self, flow: object) -> None:
        raise exceptions.AddonHalt


def test_each_hook_calls_the_parts_in_order_and_awaits_the_async_ones() -> None:
    calls: list[str] = []
    chain = AddonChain([Sync(calls, "a"), Async(calls), Sync(calls, "b")])
    asyncio.run(chain.request(tflow.tflow()))  # type: ignore[attr-defined]
    assert calls == ["a.request", "async.request", "b.request"]


def test_a_hook_no_part_has_is_absent_and_a_sync_only_hook_stays_sync() -> None:
    calls: list[str] = []
    chain = AddonChain([Sync(calls, "a"), Async(calls), Sync(calls, "b")])
    assert not hasattr(chain, "response")  # mitmproxy skips the chain for that event
    assert not asyncio.iscoroutinefunction(chain.configure)  # type: ignore[attr-defined]
    chain.configure({"x"})  # type: ignore[attr-defined]  # mitmproxy calls configure from sync code
    assert calls == ["a.configure", "b.configure"]


def test_a_failing_part_is_logged_and_the_next_part_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    chain = AddonChain([Failing(), Sync(calls, "b")])
    with caplog.at_level(logging.ERROR):
        chain.request(tflow.tflow())  # type: ignore[attr-defined]
    assert calls == ["b.request"]
    assert "Addon error: boom" in caplog.text


def test_addon_halt_stops_the_chain() -> None:
    calls: list[str] = []
    chain = AddonChain([Halting(), Sync(calls, "b")])
    with pytest.raises(exceptions.AddonHalt):
        chain.request(tflow.tflow())  # type: ignore[attr-defined]
    assert calls == []
