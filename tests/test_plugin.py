"""The pytest plugin: the clerkmock fixture's API, the marker, and settings precedence (pytester)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk, models
from clerk_backend_api.utils import BackoffStrategy, RetryConfig

pytest_plugins = ["pytester"]
NO_RETRY = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
pytestmark = pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning")


def sdk(clerkmock: Any) -> Clerk:
    return Clerk(bearer_auth=clerkmock.secret_key, server_url="http://clerkmock.invalid/v1",
                 client=httpx.Client(transport=clerkmock.transport()), retry_config=NO_RETRY)


@pytest.mark.clerkmock(scenario="basic.yaml")
def test_profile_survives_one_outage(clerkmock: Any) -> None:
    clerkmock.fail("GET", "/v1/users/*", status=503, times=1)
    retrying = RetryConfig("backoff", BackoffStrategy(1, 2, 1.1, 1000), False)
    client = Clerk(bearer_auth=clerkmock.secret_key, server_url="http://x/v1",
                   client=httpx.Client(transport=clerkmock.transport()), retry_config=retrying)
    alice = client.users.list(request={"email_address": ["alice@example.com"]})[0]
    assert client.users.get(user_id=alice.id).id == alice.id
    clerkmock.requests.assert_called("GET", "/v1/users/*", times=2)


@pytest.mark.clerkmock(scenario="basic.yaml")
def test_state_is_reset_before_each_test_part_1(clerkmock: Any) -> None:
    sdk(clerkmock).users.delete(user_id="user_2basicAlice0000000000000000")
    clerkmock.fail("GET", "/v1/users", status=500)
    assert len(clerkmock.engine.state.users) == 3


@pytest.mark.clerkmock(scenario="basic.yaml")
def test_state_is_reset_before_each_test_part_2(clerkmock: Any) -> None:
    assert len(sdk(clerkmock).users.list()) == 4  # Alice is back, the fault is gone
    assert len(clerkmock.requests) == 1  # the journal starts empty


def test_no_marker_means_an_empty_instance(clerkmock: Any) -> None:
    assert clerkmock.scenario is None and sdk(clerkmock).users.list() == []


def test_fail_returns_a_removable_rule(clerkmock: Any) -> None:
    client = sdk(clerkmock)
    rule = clerkmock.fail("POST /v1/users", error="too_many_requests")
    with pytest.raises(models.SDKError) as info:  # the spec declares no 429 for CreateUser
        client.users.create(email_address=["a@example.com"])
    assert info.value.status_code == 429 and "too_many_requests" in info.value.body and rule.fired == 1
    rule.remove()
    assert client.users.create(email_address=["a@example.com"]).id.startswith("user_")
    with clerkmock.fail("users.list", action="reset"):
        with pytest.raises(httpx.ReadError):
            client.users.list()
    assert client.users.list()
    clerkmock.requests.assert_called("users.create", times=2)
    assert [e.action for e in clerkmock.requests.faulted] == ["respond", "reset"]


def test_fail_rejects_nonsense() -> None:
    from clerkmock.testing import ClerkMockFixture

    fixture = ClerkMockFixture.__new__(ClerkMockFixture)
    with pytest.raises(ValueError, match="action must be"):
        fixture.fail("GET /v1/users", action="explode")
    with pytest.raises(ValueError, match="sends no response"):
        fixture.fail("GET /v1/users", action="drop", status=500)
    with pytest.raises(TypeError, match="triggers: times"):
        fixture.fail("GET /v1/users", tims=1)


def test_delay_and_journal_helpers(clerkmock: Any) -> None:
    clerkmock.delay("GET /v1/users", ms=25, times=1)
    client = sdk(clerkmock)
    started = time.perf_counter()
    client.users.list()
    assert time.perf_counter() - started >= 0.025
    client.users.list()
    first, second = clerkmock.requests.calls("GET", "/v1/users")
    assert (first.delay_ms, first.action, second.delay_ms) == (25, "delay", 0)
    assert clerkmock.requests.last is second
    with pytest.raises(AssertionError, match=r"called exactly 3 times, but it was called 2 times\.\nRequests"):
        clerkmock.requests.assert_called("GET", "/v1/users", times=3)
    clerkmock.requests.assert_not_called("POST", "/v1/users")
    clerkmock.requests.clear()
    assert len(clerkmock.requests) == 0


def test_rate_limit_and_advance(clerkmock: Any) -> None:
    rule = clerkmock.rate_limit(3, window_s=1)
    with clerkmock.client(headers={"Authorization": f"Bearer {clerkmock.secret_key}"}) as client:
        assert [client.get("/v1/users").status_code for _ in range(4)] == [200, 200, 200, 429]
        clerkmock.advance(seconds=1)
        assert client.get("/v1/users").status_code == 200
        rule.remove()
        assert all(client.get("/v1/users").status_code == 200 for _ in range(10))


def test_development_rate_limit_helper(clerkmock: Any) -> None:
    # The bucket refills with the engine's time: frozen, so 101 requests find 100 tokens however slow the machine
    # (on a loaded one they took over 0.1 s and a refilled token hid the 429).
    clerkmock.clock.set(clerkmock.clock.now_ms(), frozen=True)
    clerkmock.rate_limit()
    with clerkmock.client(headers={"Authorization": "Bearer sk_test_x"}) as client:
        codes = [client.get("/v1/users").status_code for _ in range(101)]
    assert codes.count(429) == 1 and codes[-1] == 429


def test_seed_on_top_and_reset(clerkmock: Any) -> None:
    created = clerkmock.seed(users=[{"email_address": "carol@example.com", "username": "carol"}])
    assert len(created["users"]) == 1
    clerkmock.seed({"organizations": [{"name": "Carol Co", "created_by": "carol"}]})
    assert sdk(clerkmock).organizations.list().total_count == 1
    clerkmock.reset()
    assert sdk(clerkmock).users.list() == []


def test_url_and_env_over_http(clerkmock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in clerkmock.env.items():
        monkeypatch.setenv(name, value)
    import os

    assert os.environ["CLERK_API_URL"] == clerkmock.url
    assert os.environ["CLERK_PUBLISHABLE_KEY"].startswith("pk_test_")
    assert "BEGIN PUBLIC KEY" in os.environ["CLERK_JWT_KEY"]
    clerkmock.fail("GET", "/v1/users", status=503, times=1)
    client = Clerk(bearer_auth=os.environ["CLERK_SECRET_KEY"], server_url=clerkmock.api_url,
                   retry_config=NO_RETRY)
    with pytest.raises(models.SDKError):
        client.users.list()
    assert client.users.list() == []
    clerkmock.requests.assert_called("GET", "/v1/users", times=2)


def test_the_fixture_and_mock_server_are_one_server(clerkmock: Any, mock_server: Any) -> None:
    assert clerkmock.mock is mock_server


# -- settings precedence, in a separate pytest run ---------------------------------------------------------

CONFTEST = """
import pytest
"""
PROBE = """
import pytest

def names(clerkmock):
    return sorted(u.first_name or "" for u in clerkmock.engine.state.users.values())
"""


def run(pytester: pytest.Pytester, tests: str, *args: str, ini: str = "", subprocess: bool = False) -> Any:
    from pathlib import Path

    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    pytester.makefile(".yaml", one="users: [{email_address: [one@x.test], first_name: One}]\n",
                      two="users: [{email_address: [two@x.test], first_name: Two}]\n")
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "three.yaml").write_text(
        "users: [{email_address: [three@x.test], first_name: Three}]\n")
    assert (scenarios / "basic.yaml").is_file()
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_probe=PROBE + tests)
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
    return runner("-p", "no:cacheprovider", *args)


def test_precedence_marker_over_config_over_option_over_ini(pytester: pytest.Pytester) -> None:
    tests = """
pytestmark = pytest.mark.clerkmock(scenario="two.yaml")

@pytest.fixture
def clerkmock_config():
    return {"scenario": "one.yaml", "seed": "cfg"}

@pytest.mark.clerkmock(scenario="three.yaml")
def test_function_marker_wins(clerkmock):
    assert names(clerkmock) == ["Three"]
    assert clerkmock.engine.state.ids.seed == "cfg"   # a setting the markers leave alone comes from the config

def test_module_marker_beats_config(clerkmock):
    assert names(clerkmock) == ["Two"]
"""
    run(pytester, tests, "--clerkmock-scenario=basic.yaml", ini="clerkmock_scenario = one.yaml").assert_outcomes(
        passed=2)


def test_option_beats_ini_and_bundled_names_resolve(pytester: pytest.Pytester) -> None:
    tests = """
def test_option(clerkmock):
    assert "Alice" in names(clerkmock)       # bundled basic.yaml
"""
    run(pytester, tests, "--clerkmock-scenario=basic.yaml", ini="clerkmock_scenario = one.yaml").assert_outcomes(
        passed=1)


def test_ini_sets_the_default(pytester: pytest.Pytester) -> None:
    tests = """
def test_ini(clerkmock):
    assert names(clerkmock) == ["One"]

@pytest.mark.clerkmock(scenario=None)
def test_marker_can_turn_it_off(clerkmock):
    assert names(clerkmock) == []
"""
    run(pytester, tests, ini="clerkmock_scenario = one.yaml").assert_outcomes(passed=2)


def test_unknown_scenario_and_setting_are_usage_errors(pytester: pytest.Pytester) -> None:
    tests = """
@pytest.mark.clerkmock(scenario="missing.yaml")
def test_missing(clerkmock):
    pass

@pytest.mark.clerkmock(scenaro="one.yaml")
def test_typo(clerkmock):
    pass
"""
    result = run(pytester, tests)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*scenario 'missing.yaml' not found*", "*unknown clerkmock setting 'scenaro'*"])


def test_a_broken_scenario_fails_with_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken="users:\n  - email_address: [not-an-email]\n")
    tests = """
@pytest.mark.clerkmock(scenario="broken.yaml")
def test_broken(clerkmock):
    pass
"""
    result = run(pytester, tests)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.yaml:2: users[[]0[]]: form_param_format_invalid*"])


def test_marker_is_registered_and_mitmproxy_is_not_imported(pytester: pytest.Pytester) -> None:
    tests = """
import sys

def test_no_mitmproxy(clerkmock):
    assert clerkmock.transport() is not None
    assert not any(m == "mitmproxy" or m.startswith("mitmproxy.") for m in sys.modules)
"""
    result = run(pytester, tests, "--strict-markers", subprocess=True)  # a fresh interpreter: sys.modules
    result.assert_outcomes(passed=1)
    assert "clerkmock(scenario=None" in pytester.runpytest_inprocess("--markers").stdout.str()
