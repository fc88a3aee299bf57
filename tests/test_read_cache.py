"""Reused answers (server/read_cache.py) change nothing a client can see: random sequences of operations sent
to a server that reuses answers and to one that does not get byte-identical answers (the ``date`` header
aside) and byte-identical journals (durations aside).

Both servers are the listener's protocol object (`_Connection`) over a fake transport -- the code path of
``clerkmock serve`` without sockets -- each over its own `ClerkMock` from the same scenario and seed, with
frozen clocks set to the same instant.  The operations are the writes that could stale a user's JSON:
create, update, metadata, delete, ban/lock (the lockout countdown reads the clock), email addresses,
organizations and memberships, sessions, the clock moved (directly and through the control plane), a reset,
a scenario seeded on top, a Frontend API sign-in (``last_sign_in_at``), a fault rule; and the pure reads they
interleave with (a user, the list, the count), with and without a version header.

The same sequences are played through the forward proxy's addon (proxy/addon.py `EmulateAddon`, which keeps
answers by `reuse_key`) with mitmproxy flows built in-process; the control plane's requests go to the same
mock's listener, as a test harness beside a proxied app would send them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fake_transport import FakeTransport  # tests/ is on sys.path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clerkmock import ClerkMock
from clerkmock.engine.clock import Clock
from clerkmock.server.http import BaseUrlServer, _Connection
from mitmproxy import http as mhttp
from mitmproxy.net.http.http1 import assemble_response
from mitmproxy.proxy.mode_specs import ProxyMode
from mitmproxy.test import tflow

from clerkmock.proxy.addon import EmulateAddon, reuse_key

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ALICE = "user_2basicAlice0000000000000000"
DATE = re.compile(rb"\r\ndate: [^\r]*")
VERSIONS = (None, "2024-10-01", "2025-04-10", "2025-11-10")


class Server:
    """One ClerkMock behind a listener connection; ``reuse`` False turns the read cache off."""

    def __init__(self, config_dir: Path, *, reuse: bool) -> None:
        # the same frozen instant and config dir (so the same signing key): the two states are equal
        self.mock = ClerkMock(scenario=str(ROOT / "scenarios/basic.yaml"), config_dir=config_dir,
                              clock=Clock(frozen_at_ms=T0))
        pipeline = self.mock.pipeline
        if not reuse:
            pipeline.read_cache = None
        self.replayed = 0
        replay = pipeline.replay

        def counted(entry: Any, started: float) -> bool:
            hit = replay(entry, started)
            self.replayed += hit
            return hit

        pipeline.replay = counted  # type: ignore[method-assign]
        self.transport = FakeTransport()
        self.conn = _Connection(BaseUrlServer(pipeline))
        self.conn.connection_made(self.transport)

    def send(self, raw: bytes) -> bytes:
        self.transport.out.clear()
        self.conn.data_received(raw)
        assert not self.conn.waiting, "no delayed or deferred answers here"
        return DATE.sub(b"\r\ndate: -", bytes(self.transport.out))

    def journal(self) -> list[tuple[Any, ...]]:
        return [e._replace(duration_ms=0) for e in self.mock.pipeline.journal]


class ProxyServer(Server):
    """The same, with the app's requests answered by the forward proxy's addon: each raw request becomes the
    mitmproxy flow a client of ``HTTPS_PROXY`` would send to api.clerk.com, and the answer is rendered by
    mitmproxy's HTTP/1 assembler (no date header).  The control plane's requests go to the listener."""

    def __init__(self, config_dir: Path, *, reuse: bool) -> None:
        super().__init__(config_dir, reuse=reuse)
        self.addon = EmulateAddon(self.mock.pipeline)
        self.loop = asyncio.new_event_loop()

    def send(self, raw: bytes) -> bytes:
        head, _, body = raw.partition(b"\r\n\r\n")
        request_line, *lines = head.split(b"\r\n")
        method, target, _ = request_line.split(b" ")
        if target.startswith(b"/__clerkmock/"):
            return super().send(raw)
        fields = [tuple(line.split(b": ", 1)) for line in lines]
        fields = [(b"Host", b"api.clerk.com") if name == b"Host" else (name, value) for name, value in fields]
        flow = tflow.tflow()
        flow.client_conn.proxy_mode = ProxyMode.parse("regular")
        flow.request = mhttp.Request("api.clerk.com", 443, method, b"https", b"", target, b"HTTP/1.1",
                                     mhttp.Headers(fields), body, None, 0.0, 0.0)
        self.loop.run_until_complete(self.addon.request(flow))
        assert flow.response is not None
        return assemble_response(flow.response)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    config = tmp_path_factory.mktemp("cfg")
    yield Server(config, reuse=True), Server(config, reuse=False)


@pytest.fixture(scope="module")
def proxy_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    config = tmp_path_factory.mktemp("cfg")
    pair = ProxyServer(config, reuse=True), ProxyServer(config, reuse=False)
    yield pair
    for server in pair:
        server.loop.close()


def http(method: str, target: str, body: Any = None, *, version: str | None = None, agent: str = "prop/1",
         headers: dict[str, str] | None = None, form: bool = False) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:1234", "Authorization: Bearer sk_test_prop",
             f"User-Agent: {agent}"]
    if version is not None:
        lines.append(f"Clerk-API-Version: {version}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    raw = b""
    if body is not None:
        raw = urlencode(body).encode() if form else json.dumps(body).encode()
        lines += ["Content-Type: " + ("application/x-www-form-urlencoded" if form else "application/json"),
                  f"Content-Length: {len(raw)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


class Run:
    """Plays operations on both servers and compares every answer."""

    def __init__(self, cached: Server, plain: Server) -> None:
        self.cached, self.plain = cached, plain
        self.users: list[str] = [ALICE]
        self.orgs: list[str] = []
        self.counter = 0

    def send(self, raw: bytes) -> dict[str, Any] | list[Any] | None:
        a, b = self.cached.send(raw), self.plain.send(raw)
        assert a == b, f"answers differ for {raw[:200]!r}:\n{a[:600]!r}\n{b[:600]!r}"
        _, _, body = b.partition(b"\r\n\r\n")
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict | list) else None

    def pick(self, i: int) -> str:
        return self.users[i % len(self.users)] if self.users else ALICE

    def created(self, answer: Any, into: list[str]) -> None:
        if isinstance(answer, dict) and isinstance(answer.get("id"), str):
            into.append(answer["id"])

    def play(self, op: tuple[Any, ...]) -> None:  # noqa: C901 - one branch per operation, read as a table
        kind, i, version = op
        self.counter += 1
        n = self.counter
        user = self.pick(i)
        if kind == "get":
            for _ in range(2):  # the second is the one a cache answers
                self.send(http("GET", f"/v1/users/{user}", version=version))
        elif kind == "get_missing":
            self.send(http("GET", "/v1/users/user_2nosuchuser00000000000000000", version=version))
        elif kind == "list":
            self.send(http("GET", f"/v1/users?limit={1 + i % 5}&offset={i % 3}&order_by=-created_at",
                           version=version))
        elif kind == "count":
            self.send(http("GET", "/v1/users/count", version=version))
        elif kind == "create":
            self.created(self.send(http("POST", "/v1/users", {"first_name": f"P{n}", "email_address":
                                                             [f"p{n}@example.com"]})), self.users)
        elif kind == "update":
            self.send(http("PATCH", f"/v1/users/{user}", {"first_name": f"Renamed{n}"}))
        elif kind == "metadata":
            self.send(http("PATCH", f"/v1/users/{user}/metadata", {"public_metadata": {"n": n}}))
        elif kind == "delete":
            self.send(http("DELETE", f"/v1/users/{user}"))
        elif kind in ("ban", "unban", "lock", "unlock"):
            self.send(http("POST", f"/v1/users/{user}/{kind}"))
        elif kind == "email":
            self.send(http("POST", "/v1/email_addresses", {"user_id": user, "email_address": f"e{n}@example.com",
                                                           "verified": True}))
        elif kind == "org":
            self.created(self.send(http("POST", "/v1/organizations", {"name": f"Org {n}", "created_by": user})),
                         self.orgs)
        elif kind == "membership" and self.orgs:
            org = self.orgs[i % len(self.orgs)]
            self.send(http("POST", f"/v1/organizations/{org}/memberships", {"user_id": user, "role": "org:member"}))
        elif kind == "session":
            self.send(http("POST", "/v1/sessions", {"user_id": user}))
        elif kind == "clock":  # directly, as a test holding the engine would: no request, no generation bump
            for server in (self.cached, self.plain):
                server.mock.engine.clock.advance(seconds=30 + i)
        elif kind == "clock_control":
            self.send(http("POST", "/__clerkmock/clock", {"advance_ms": 60_000 * (1 + i % 30)}))
        elif kind == "reset":
            self.send(http("POST", "/__clerkmock/reset"))
            self.users, self.orgs = [ALICE], []
        elif kind == "seed":
            doc = f"users:\n  - email_address: [seeded{n}@example.com]\n    first_name: Seeded{n}\n"
            raw = (f"POST /__clerkmock/seed HTTP/1.1\r\nHost: 127.0.0.1:1234\r\nContent-Type: application/yaml\r\n"
                   f"Content-Length: {len(doc)}\r\n\r\n{doc}").encode()
            self.send(raw)
        elif kind == "fault":
            self.send(http("POST", "/__clerkmock/faults", {"match": {"method": "GET", "path": "/v1/users/*"},
                                                           "times": 1, "respond": {"status": 503}}))
        elif kind == "sign_in":
            self.fapi_sign_in("correct-horse-battery")
        elif kind == "bad_sign_in":
            self.fapi_sign_in(f"wrong-{n}")

    def fapi_sign_in(self, password: str) -> None:
        """A browser signs Alice in by password: her ``last_sign_in_at`` (part of her JSON) moves; a wrong one
        counts towards her lockout, whose countdown is in her JSON (it reads the clock)."""
        query = {"__clerk_api_version": "2026-08-20", "_clerk_js_version": "6.40.0"}
        origin = {"Origin": "http://localhost:3000"}
        created = self.send(http("POST", f"/__clerk/v1/dev_browser?{urlencode(query)}", {}, form=True,
                                 headers=origin))
        assert isinstance(created, dict) and "id" in created, created
        query["__clerk_db_jwt"] = created["id"]
        self.send(http("POST", f"/__clerk/v1/client/sign_ins?{urlencode(query)}",
                       {"identifier": "alice@example.com", "password": password, "strategy": "password"},
                       form=True, headers=origin))


OPS = ("get", "get", "get", "get_missing", "list", "list", "count", "create", "update", "metadata", "delete",
       "ban", "unban", "lock", "unlock", "email", "org", "membership", "session", "clock", "clock_control",
       "reset", "seed", "fault", "sign_in", "bad_sign_in")
operation = st.tuples(st.sampled_from(OPS), st.integers(0, 50), st.sampled_from(VERSIONS))
STATS = {way: {"examples": 0, "operations": 0, "reused": 0} for way in ("listener", "proxy")}


def _play_both(servers: tuple[Server, Server], ops: list[tuple[Any, ...]], way: str) -> None:
    cached, plain = servers
    for server in servers:
        server.mock.pipeline.reset()
        server.mock.pipeline.faults.clear()
    run = Run(cached, plain)
    before = cached.replayed
    for op in ops:
        run.play(op)
    assert cached.journal() == plain.journal()
    assert plain.replayed == 0
    STATS[way]["examples"] += 1
    STATS[way]["operations"] += len(ops)
    STATS[way]["reused"] += cached.replayed - before


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=5, max_size=40))
def test_reused_answers_are_byte_identical(servers: tuple[Server, Server], ops: list[tuple[Any, ...]]) -> None:
    _play_both(servers, ops, "listener")


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=5, max_size=40))
def test_reused_proxy_answers_are_byte_identical(proxy_servers: tuple[Server, Server],
                                                 ops: list[tuple[Any, ...]]) -> None:
    _play_both(proxy_servers, ops, "proxy")


@pytest.mark.parametrize("way", ["listener", "proxy"])
def test_the_property_test_reused_answers(way: str) -> None:
    """Guards the tests above against passing vacuously: they did run, and answers were reused in them."""
    if STATS[way]["examples"] == 0:
        pytest.skip(f"runs after the {way}'s property test (not selected)")
    print(f"read cache property test, {way}: {STATS[way]}")
    assert STATS[way]["reused"] > 0


def test_only_bodiless_gets_have_a_proxy_reuse_key() -> None:
    flow = tflow.tflow()  # GET with a body
    assert reuse_key(flow) is None
    flow.request.content = b""
    key = reuse_key(flow)
    assert key is not None and hash(key) is not None
    flow.request.headers["x-other"] = "1"
    assert reuse_key(flow) != key  # every header field is part of it
    flow.request.method = "POST"
    flow.request.content = b""
    assert reuse_key(flow) is None


@pytest.mark.parametrize("pair", ["servers", "proxy_servers"])
def test_a_read_is_reused_until_a_write(pair: str, request: pytest.FixtureRequest) -> None:
    cached, plain = request.getfixturevalue(pair)
    for server in (cached, plain):
        server.mock.pipeline.reset()
    run = Run(cached, plain)
    get = http("GET", f"/v1/users/{ALICE}")
    first = run.send(get)
    start = cached.replayed
    run.send(get)
    assert cached.replayed == start + 1  # the same request: sent again without the engine
    run.send(http("GET", f"/v1/users/{ALICE}", agent="other/2"))  # another header: another key, built anew
    assert cached.replayed == start + 1
    run.send(http("PATCH", f"/v1/users/{ALICE}", {"first_name": "Changed"}))
    after = run.send(get)
    assert cached.replayed == start + 1  # the write made it stale: built anew
    assert isinstance(first, dict) and isinstance(after, dict)
    assert (first["first_name"], after["first_name"]) == ("Alice", "Changed")
    journal = cached.mock.pipeline.journal.entries(path="/v1/users/*")
    assert [e.route for e in journal] == ["users.get"] * 3 + ["users.update", "users.get"]
    assert journal[1].response_body == journal[0].response_body and journal[1].client == "prop/1"


def test_a_lockout_countdown_is_never_reused(servers: tuple[Server, Server]) -> None:
    """A user locked out by failed sign-ins counts down to the lockout's end: her JSON reads the clock, so it is
    built every time.  (Set directly here, with `Engine.touch`, the contract for code writing the state.)"""
    cached, plain = servers
    for server in servers:
        server.mock.pipeline.reset()
        engine = server.mock.engine
        user = engine.state.users[ALICE]
        user.locked, user.lockout_expires_at = True, engine.clock.now_ms() + 3_600_000
        engine.touch()
    run = Run(cached, plain)
    get = http("GET", f"/v1/users/{ALICE}")
    start = cached.replayed
    first = run.send(get)
    run.play(("clock", 0, None))
    second = run.send(get)
    assert cached.replayed == start
    assert isinstance(first, dict) and isinstance(second, dict)
    assert (first["lockout_expires_in_seconds"], second["lockout_expires_in_seconds"]) == (3600, 3570)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from clerkmock.server import read_cache

    monkeypatch.setattr(read_cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(read_cache, "MAX_BYTES", 100)
    cache = read_cache.ReadCache()
    entry = read_cache.Reusable(1, b"h" * 10, b"t" * 10, "GET", "/", {}, None, None, b"")
    for i in range(3):
        cache.put(b"%d" % i, entry)
    assert len(cache.entries) == 3 and cache.size == 60
    cache.put(b"3", entry)  # the fourth head: everything kept before is dropped
    assert list(cache.entries) == [b"3"] and cache.size == 20
    cache.put(b"4", entry._replace(tail=b"t" * 90))  # over the byte budget
    assert list(cache.entries) == [b"4"]


def test_a_direct_write_under_the_pipeline_lock_stales_reused_answers(servers: tuple[Server, Server]) -> None:
    """docs/auth-in-tests.md has tests call engine functions on ``engine.state`` under ``mock.pipeline.lock``:
    releasing that lock is enough for the next read to see what they wrote, with no `Engine.touch` of their own."""
    cached, plain = servers
    for server in servers:
        server.mock.pipeline.reset()
    run = Run(cached, plain)
    get = http("GET", f"/v1/users/{ALICE}")
    run.send(get)
    start = cached.replayed
    assert isinstance(run.send(get), dict) and cached.replayed == start + 1  # reused while nothing changed
    for server in servers:
        with server.mock.pipeline.lock:
            server.mock.engine.state.users[ALICE].first_name = "Direct"
    after = run.send(get)
    assert cached.replayed == start + 1
    assert isinstance(after, dict) and after["first_name"] == "Direct"
