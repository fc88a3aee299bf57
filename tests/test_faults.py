"""Fault rules: compiling, matching, triggers, rate limiting, and how each action reaches a client --
in-process (httpx exceptions) and over HTTP (the base-URL listener)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock
from clerkmock.engine import Engine, Request
from clerkmock.faults import FaultSet, FaultSpecError, compile_rule
from clerkmock.server.pipeline import Pipeline

AUTH = {"Authorization": "Bearer sk_test_faults"}


@pytest.fixture
def pipeline() -> Pipeline:
    from clerkmock.engine import Clock

    return Pipeline(Engine(clock=Clock(frozen_at_ms=1_700_000_000_000)))


def call(p: Pipeline, method: str, url: str, key: str = "sk_test_faults", **kw: Any) -> Any:
    return p.handle(Request.make(method, url, headers={"Authorization": f"Bearer {key}"}, **kw))


# -- compiling -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"match": {"methd": "GET"}, "drop": True}, "unknown match key 'methd' (valid: method, path, query"),
        ({"drop": True, "reset": True}, "exactly one action"),
        ({"match": "GET /v1/users"}, "exactly one action"),
        ({"respond": {"status": 999}}, "status must be an HTTP status code"),
        ({"respond": {"error": "no_such_code"}}, "unknown Clerk error code 'no_such_code'"),
        ({"respond": {"status": 400, "error": "bad_request", "body": "x"}}, "not both"),
        ({"delay": {"min_ms": 5}}, "needs both min_ms and max_ms"),
        ({"drop": True, "probability": 1.5}, "probability must be a number between 0 and 1"),
        ({"drop": True, "times": 0}, "times must be an integer >= 1"),
        ({"drop": True, "tims": 1}, "unknown fault rule key 'tims'"),
        ({"rate_limit": "staging"}, "development, production, off"),
        ({"drop": True, "window": {"start": "tomorrow"}}, "window.start must be"),
    ],
)
def test_bad_rules_are_refused_with_the_valid_keys(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(FaultSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_rule(spec, "r")


def test_respond_by_code_fills_clerks_messages(pipeline: Pipeline) -> None:
    pipeline.faults.add({"match": "POST /v1/users", "respond": {"error": "too_many_requests"}})
    r = call(pipeline, "POST", "/v1/users", json={})
    assert r.response.status == 429 and r.response.headers["Retry-After"] == "1"
    err = r.response.json()["errors"][0]
    assert err == {"message": "Too many requests", "long_message": "Too many requests, retry later",
                   "code": "too_many_requests"}
    assert r.response.json()["clerk_trace_id"]


def test_respond_raw_body_and_headers(pipeline: Pipeline) -> None:
    pipeline.faults.add({"match": "/v1/users", "respond": {"status": 502, "body": "<html>bad gateway</html>",
                                                          "headers": {"Content-Type": "text/html"}}})
    r = call(pipeline, "GET", "/v1/users")
    assert (r.response.status, r.response.body, r.response.headers["content-type"]) == (502, b"<html>bad gateway</html>", "text/html")


def test_bare_status_uses_a_matching_clerk_code(pipeline: Pipeline) -> None:
    pipeline.faults.add({"respond": 503})
    assert call(pipeline, "GET", "/v1/users").response.json()["errors"][0]["code"] == "service_unavailable"


def test_malformed_is_200_with_invalid_json(pipeline: Pipeline) -> None:
    pipeline.faults.add({"match": "GET /v1/users", "malformed": True})
    r = call(pipeline, "GET", "/v1/users")
    assert r.response.status == 200 and r.response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        r.response.json()


# -- matching --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("pattern", "method", "url", "hit"),
    [
        ("/v1/users", "GET", "/v1/users", True),
        ("/v1/users", "GET", "/v1/users/user_1", False),
        ("/v1/users/*", "GET", "/v1/users/user_1", True),
        ("/v1/users/*", "GET", "/v1/users", False),
        ("/v1/users/*", "POST", "/v1/users/user_1/ban", False),
        ("/v1/users/**", "POST", "/v1/users/user_1/ban", True),
        ("users.create", "POST", "/v1/users", True),
        ("users.create", "GET", "/v1/users", False),
        ("users.*", "GET", "/v1/users/count", True),
    ],
)
def test_path_globs_and_route_names(pipeline: Pipeline, pattern: str, method: str, url: str, hit: bool) -> None:
    pipeline.faults.add({"match": {"path": pattern}, "respond": {"status": 418, "error": "bad_request"}})
    assert (call(pipeline, method, url, json={} if method == "POST" else None).response.status == 418) is hit


def test_query_header_and_body_predicates(pipeline: Pipeline) -> None:
    pipeline.faults.add({
        "match": {"method": "POST", "path": "/v1/users", "query": {"x": "y*"},
                  "headers": {"X-Test": "on"}, "body": {"first_name": "Eve"}},
        "respond": {"status": 400, "error": "bad_request"}})
    hdrs = {"Authorization": "Bearer k", "X-Test": "on"}
    hit = Request.make("POST", "/v1/users?x=yes", headers=hdrs, json={"first_name": "Eve", "last_name": "E"})
    assert pipeline.handle(hit).response.status == 400
    for miss in (Request.make("POST", "/v1/users?x=no", headers=hdrs, json={"first_name": "Eve"}),
                 Request.make("POST", "/v1/users?x=yes", headers={"Authorization": "Bearer k"},
                              json={"first_name": "Eve"}),
                 Request.make("POST", "/v1/users?x=yes", headers=hdrs, json={"first_name": "Bob"})):
        assert pipeline.handle(miss).response.status != 400


# -- triggers --------------------------------------------------------------------------------------------------

def statuses(p: Pipeline, n: int, url: str = "/v1/users") -> list[int]:
    return [call(p, "GET", url).response.status for _ in range(n)]


def test_times_after_every(pipeline: Pipeline) -> None:
    rule = pipeline.faults.add({"respond": 503, "after": 1, "every": 2, "times": 2})
    assert statuses(pipeline, 8) == [200, 200, 503, 200, 503, 200, 200, 200]
    assert pipeline.faults.fired(rule.id) == 2


def test_probability_is_reproducible_for_a_seed() -> None:
    def run(seed: str) -> list[int]:
        p = Pipeline(Engine(seed=seed))
        p.faults.add({"id": "flaky", "respond": 503, "probability": 0.3})
        return statuses(p, 200)

    first, again, other = run("s1"), run("s1"), run("s2")
    assert first == again
    assert first != other
    fired = first.count(503)
    assert 40 <= fired <= 80  # ~60 expected
    assert run("s1").count(503) == fired


def test_time_window_uses_the_engine_clock(pipeline: Pipeline) -> None:
    pipeline.faults.add({"respond": 503, "window": {"start": 10, "end": 20}})
    assert statuses(pipeline, 1) == [200]
    pipeline.engine.clock.advance(seconds=10)
    assert statuses(pipeline, 1) == [503]
    pipeline.engine.clock.advance(seconds=10)
    assert statuses(pipeline, 1) == [200]


def test_delays_add_up_and_a_later_rule_still_answers(pipeline: Pipeline) -> None:
    pipeline.faults.add({"delay": 30})
    pipeline.faults.add({"delay": {"min_ms": 10, "max_ms": 20}})
    pipeline.faults.add({"respond": 503, "times": 1})
    r = call(pipeline, "GET", "/v1/users")
    assert r.response.status == 503 and 40 <= r.delay_ms <= 50
    assert r.fault == "fault_3" and [f["fired"] for f in map(pipeline.faults.describe, pipeline.faults.rules)] == [1, 1, 1]
    r = call(pipeline, "GET", "/v1/users")
    assert r.response.status == 200 and r.fault == "fault_1"


def test_lognormal_delay_is_seeded() -> None:
    def run() -> list[int]:
        p = Pipeline(Engine(seed="lognormal"))
        p.faults.add({"delay": {"median_ms": 50, "sigma": 0.8, "max_ms": 400}})
        return [call(p, "GET", "/v1/users").delay_ms for _ in range(50)]

    first = run()
    assert first == run() and len(set(first)) > 10 and max(first) <= 400


def test_removing_and_replacing_rules(pipeline: Pipeline) -> None:
    pipeline.faults.add({"id": "x", "respond": 503})
    pipeline.faults.add({"id": "x", "respond": 502})  # same id: replaced, not duplicated
    assert len(pipeline.faults.rules) == 1 and statuses(pipeline, 1) == [502]
    assert pipeline.faults.remove("x") and statuses(pipeline, 1) == [200]


def test_reset_restores_baseline_rules_with_fresh_counters(pipeline: Pipeline) -> None:
    pipeline.faults.add({"id": "once", "respond": 503, "times": 1})
    pipeline.set_baseline()
    pipeline.faults.add({"id": "extra", "respond": 500})
    assert statuses(pipeline, 2) == [503, 500]
    pipeline.reset()
    assert [r.id for r in pipeline.faults.rules] == ["once"]
    assert statuses(pipeline, 2) == [503, 200]


# -- rate limit ------------------------------------------------------------------------------------------------

def test_development_rate_limit_is_100_per_10_s_per_key(pipeline: Pipeline) -> None:
    pipeline.faults.set_rate_limit(compile_rule({"rate_limit": "development"}, "r").action)  # type: ignore[arg-type]
    assert statuses(pipeline, 100).count(200) == 100
    r = call(pipeline, "GET", "/v1/users")
    assert r.response.status == 429 and r.response.json()["errors"][0]["code"] == "too_many_requests"
    assert r.response.headers["Retry-After"] == "1"  # 10 tokens/s: the next one is 0.1 s away, rounded up
    assert call(pipeline, "GET", "/v1/users", key="sk_test_other").response.status == 200  # per secret key
    assert call(pipeline, "GET", "/v1/jwks").response.status == 200  # exempt
    pipeline.engine.clock.advance(ms=100)
    assert statuses(pipeline, 2) == [200, 429]
    pipeline.engine.clock.advance(seconds=10)
    assert statuses(pipeline, 101).count(429) == 1


def test_retry_after_counts_the_wait_for_a_slow_bucket(pipeline: Pipeline) -> None:
    pipeline.faults.add({"rate_limit": {"requests": 2, "window_s": 60}})
    assert statuses(pipeline, 3) == [200, 200, 429]
    assert call(pipeline, "GET", "/v1/users").response.headers["Retry-After"] == "30"
    pipeline.engine.clock.advance(seconds=30)
    assert statuses(pipeline, 2) == [200, 429]


def test_production_budget_and_custom_exemptions(pipeline: Pipeline) -> None:
    pipeline.faults.add({"rate_limit": {"requests": 1000, "exempt": ["GET /v1/users/*"]}})
    assert statuses(pipeline, 1000).count(200) == 1000
    assert call(pipeline, "GET", "/v1/users").response.status == 429
    assert call(pipeline, "GET", "/v1/users/user_x").response.status == 404  # exempt: the engine answers


# -- the journal labels faults ---------------------------------------------------------------------------------

def test_journal_labels_injected_faults(pipeline: Pipeline) -> None:
    pipeline.faults.add({"id": "boom", "match": "POST /v1/users", "respond": {"error": "too_many_requests"},
                         "times": 1})
    pipeline.faults.add({"id": "cut", "match": "GET /v1/users", "reset": True, "times": 1})
    call(pipeline, "POST", "/v1/users", json={"email_address": ["a@example.com"]})
    call(pipeline, "POST", "/v1/users", json={"email_address": ["a@example.com"]})
    call(pipeline, "GET", "/v1/users")
    entries = pipeline.journal.entries()
    got = [(e.method, e.status, e.route, e.fault, e.action, e.error_code) for e in entries]
    assert got == [
        ("POST", 429, "users.create", "boom", "respond", "too_many_requests"),
        ("POST", 200, "users.create", None, None, None),
        ("GET", None, "users.list", "cut", "reset", None),
    ]


def test_processed_reset_changes_state_but_client_sees_no_answer(pipeline: Pipeline) -> None:
    pipeline.faults.add({"match": "POST /v1/users", "reset": {"processed": True}, "times": 1})
    r = call(pipeline, "POST", "/v1/users", json={"email_address": ["ghost@example.com"]})
    assert r.action == "reset" and r.response.status == 200
    assert len(pipeline.engine.state.users) == 1


# -- in-process transport --------------------------------------------------------------------------------------

@pytest.fixture
def inproc() -> Any:
    mock = ClerkMock()
    with httpx.Client(base_url="http://clerkmock.invalid", transport=mock.transport(), headers=AUTH,
                      timeout=2.0) as client:
        yield mock, client


@pytest.mark.parametrize(
    ("action", "exc", "text"),
    [
        ("reset", httpx.ReadError, "Connection reset by peer"),
        ("drop", httpx.RemoteProtocolError, "Server disconnected without sending a response"),
        ("hang", httpx.ReadTimeout, "never answered"),
        ("truncate", httpx.RemoteProtocolError, "peer closed connection without sending complete message body"),
    ],
)
def test_transport_faults_in_process(inproc: Any, action: str, exc: type[Exception], text: str) -> None:
    mock, client = inproc
    mock.pipeline.faults.add({"match": "GET /v1/users", action: True, "times": 1})
    started = time.perf_counter()
    with pytest.raises(exc, match=text):
        client.get("/v1/users")
    assert time.perf_counter() - started < 0.5  # a hang does not really wait out the timeout
    assert client.get("/v1/users").status_code == 200


def test_delay_in_process_sleeps_and_a_long_one_times_out(inproc: Any) -> None:
    mock, client = inproc
    mock.pipeline.faults.add({"match": "GET /v1/users", "delay": 30, "times": 1})
    started = time.perf_counter()
    assert client.get("/v1/users").status_code == 200
    assert time.perf_counter() - started >= 0.03
    mock.pipeline.faults.add({"match": "GET /v1/users", "delay": 5000, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/users", timeout=0.02)


def test_async_transport_faults() -> None:
    mock = ClerkMock()
    mock.pipeline.faults.add({"match": "GET /v1/users", "delay": 20, "times": 1})
    mock.pipeline.faults.add({"match": "GET /v1/users", "drop": True, "times": 1})

    async def go() -> tuple[float, type[Exception] | None]:
        async with httpx.AsyncClient(base_url="http://x", transport=mock.async_transport(), headers=AUTH) as c:
            started = time.perf_counter()
            try:
                await c.get("/v1/users")
            except httpx.RemoteProtocolError as exc:
                return time.perf_counter() - started, type(exc)
            return time.perf_counter() - started, None

    elapsed, raised = asyncio.run(go())
    assert raised is httpx.RemoteProtocolError and elapsed >= 0.02


@pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning")
def test_the_sdk_retries_a_reset_as_a_network_error(inproc: Any) -> None:
    from clerk_backend_api import Clerk
    from clerk_backend_api.utils import BackoffStrategy, RetryConfig

    mock, _ = inproc
    mock.pipeline.faults.add({"match": "users.list", "reset": True, "times": 2})
    fast = RetryConfig("backoff", BackoffStrategy(1, 2, 1.1, 2000), True)
    with httpx.Client(transport=mock.transport()) as client:
        sdk = Clerk(bearer_auth="sk_test_x", server_url="http://x/v1", client=client, retry_config=fast)
        assert sdk.users.list() == []
    assert [e.action for e in mock.pipeline.journal.entries()] == ["reset", "reset", None]


# -- over HTTP (the session's base-URL listener) ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("action", "exc"),
    [("reset", httpx.ReadError), ("drop", httpx.RemoteProtocolError), ("truncate", httpx.RemoteProtocolError),
     ("hang", httpx.ReadTimeout)],
)
def test_transport_faults_over_http(mock_server: ClerkMock, action: str, exc: type[Exception]) -> None:
    mock_server.pipeline.faults.add({"match": "GET /v1/users", action: True, "times": 1})
    with httpx.Client(base_url=mock_server.url, headers=AUTH, timeout=0.5) as client:
        with pytest.raises((exc, httpx.RemoteProtocolError) if action == "reset" else exc):
            client.get("/v1/users")
        assert client.get("/v1/users").status_code == 200


def test_respond_and_delay_over_http(mock_server: ClerkMock) -> None:
    mock_server.pipeline.faults.add({"match": "POST /v1/users", "respond": {"error": "too_many_requests"},
                                     "times": 1})
    mock_server.pipeline.faults.add({"match": "GET /v1/users", "delay": 40, "times": 1})
    with httpx.Client(base_url=mock_server.url, headers=AUTH, timeout=5) as client:
        r = client.post("/v1/users", json={"email_address": ["x@example.com"]})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert r.headers["content-type"] == "application/json"
        started = time.perf_counter()
        assert client.get("/v1/users").status_code == 200
        assert time.perf_counter() - started >= 0.04


def test_faults_apply_the_same_through_the_mitmproxy_listener(tmp_path: Any) -> None:
    with ClerkMock(config_dir=tmp_path, listener="mitmproxy") as mock:
        faults = mock.pipeline.faults
        faults.add({"match": "GET /v1/users", "drop": True, "times": 1})
        faults.add({"match": "GET /v1/users", "truncate": True, "times": 1})
        faults.add({"match": "GET /v1/users", "delay": 30, "times": 1})
        faults.add({"match": "GET /v1/users", "respond": {"error": "maintenance_mode"}, "times": 1})
        with httpx.Client(base_url=mock.url, headers=AUTH, timeout=5) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/v1/users")
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/v1/users")
            started = time.perf_counter()
            r = client.get("/v1/users")
            assert r.status_code == 503 and r.json()["errors"][0]["code"] == "maintenance_mode"
            assert time.perf_counter() - started >= 0.03
            assert client.get("/v1/users").status_code == 200


def test_faultset_ids_are_deterministic() -> None:
    fs = FaultSet()
    assert [fs.add({"drop": True}).id for _ in range(3)] == ["fault_1", "fault_2", "fault_3"]


def test_a_rule_matches_the_route_name_or_its_operation_id(pipeline: Pipeline) -> None:
    pipeline.faults.add({"match": "GetUser", "respond": 503})
    pipeline.faults.add({"match": "users.list", "respond": 502})
    assert call(pipeline, "GET", "/v1/users/user_x").response.status == 503
    assert call(pipeline, "GET", "/v1/users").response.status == 502
    assert [e.route for e in pipeline.journal] == ["users.get", "users.list"]  # the journal keeps today's names


def test_with_rules_active_a_request_is_routed_once(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):  # rules that match by route name: each used to route the request again
        pipeline.faults.add({"match": f"users.nothing_{i}", "respond": 500})
    calls = []
    original = pipeline.engine.router.match

    def match(method: str, path: str) -> Any:
        calls.append(path)
        return original(method, path)

    monkeypatch.setattr(pipeline.engine.router, "match", match)
    assert call(pipeline, "GET", "/v1/users").response.status == 200
    assert calls == ["/users"]
