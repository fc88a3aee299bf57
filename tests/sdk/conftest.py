"""The official Python SDK (clerk-backend-api) against clerkmock, over two transports.

``sdk`` is parametrized: ``http`` talks to the session's ``mock_server`` over real HTTP (the asyncio
base-URL listener), ``inprocess`` goes through ``mock_server.transport()``.  Both share one state, reset before each
test.  Every response either client receives is validated against the vendored 2026-05-12 spec by an httpx
response event hook (``spec_check``), so no test can forget it; a violation raises inside the SDK call and
also fails the test at teardown in case something swallowed the exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk
from clerk_backend_api.utils import BackoffStrategy, RetryConfig

from . import spec_check

# Never retry: a 5xx from the mock is a bug to see at once, not something to back off from for an hour.
NO_RETRY = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
TRANSPORTS = ("http", "inprocess")
HERE = Path(__file__).resolve().parent

# (transport, method, path template) of every operation an SDK call reached, with the statuses it answered.
EXERCISED: dict[tuple[str, str, str], set[int]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            # clerk-backend-api warns about its own deprecated query field on every GET /users
            item.add_marker(pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Error responses the spec does not declare for their operation: the SDK raises `SDKError` for them (as it
    does with real Clerk), which is not a failure.  Listed with -v; otherwise one line says how many."""
    if not spec_check.UNDECLARED:
        return
    if config.get_verbosity() < 1:
        terminalreporter.write_line(
            f"clerkmock: {len(spec_check.UNDECLARED)} kinds of error response are not declared by the spec for their "
            "operation (the Python SDK raises SDKError for those, as with real Clerk; not a failure): -v lists them")
        return
    terminalreporter.section("clerkmock: error responses the spec does not describe (SDK raises SDKError)")
    for (method, template, status), why in sorted(spec_check.UNDECLARED.items()):
        terminalreporter.write_line(f"{status} {method} {template}: {why}")


@dataclass
class SpecHook:
    """httpx response hook: read the body, check the content type and validate it against the spec."""

    transport: str
    violations: list[str] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(default_factory=list)  # (method, template, status)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        try:
            ctype = response.headers.get("content-type")
            assert ctype == "application/json", (
                f"{request.method} {request.url.path} -> {response.status_code}: "
                f"Content-Type is {ctype!r}, expected exactly 'application/json'"
            )
            op = spec_check.validate(request.method, request.url.path, response.status_code, None,
                                     raw=response.content)
        except AssertionError as exc:
            self.violations.append(str(exc))
            raise
        self.seen.append((op.method, op.template, response.status_code))
        EXERCISED.setdefault((self.transport, op.method, op.template), set()).add(response.status_code)


@dataclass
class SdkHandle:
    """What the ``sdk`` fixture's tests sometimes need besides the Clerk client."""

    transport: str
    clerk: Clerk
    hook: SpecHook
    mock: Any


def make_client(transport: str, mock: Any, hook: SpecHook) -> httpx.Client:
    hooks = {"response": [hook]}
    if transport == "http":
        # trust_env=False: an HTTP(S)_PROXY in the environment must not divert the request.
        return httpx.Client(event_hooks=hooks, trust_env=False, timeout=10.0)
    return httpx.Client(transport=mock.transport(), event_hooks=hooks, timeout=10.0)


@pytest.fixture(params=TRANSPORTS)
def sdk_handle(request: pytest.FixtureRequest, mock_server: Any) -> Iterator[SdkHandle]:
    mock_server.reset()  # the session fixture resets too; being explicit keeps these tests independent of it
    hook = SpecHook(request.param)
    client = make_client(request.param, mock_server, hook)
    clerk = Clerk(
        bearer_auth=mock_server.secret_key,
        server_url=mock_server.api_url,
        client=client,
        retry_config=NO_RETRY,
    )
    try:
        yield SdkHandle(request.param, clerk, hook, mock_server)
    finally:
        client.close()
    if hook.violations:
        pytest.fail("spec violations in responses:\n" + "\n\n".join(hook.violations), pytrace=False)


@pytest.fixture
def sdk(sdk_handle: SdkHandle) -> Clerk:
    return sdk_handle.clerk


@pytest.fixture
def raw(mock_server: Any) -> Iterator[httpx.Client]:
    """A plain httpx client on ``mock_server.url`` (no /v1 prefix, no auth) for what the SDK hides; its
    responses are spec-checked like the SDK's."""
    mock_server.reset()
    hook = SpecHook("raw")
    with httpx.Client(base_url=mock_server.url, trust_env=False, timeout=10.0,
                      event_hooks={"response": [hook]}) as client:
        yield client
    if hook.violations:
        pytest.fail("spec violations in responses:\n" + "\n\n".join(hook.violations), pytrace=False)
