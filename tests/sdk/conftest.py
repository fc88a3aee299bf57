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


# -- coverage: every operation of a group driven through the SDK on both transports ---------------------------
#
# Checked once, when the session finishes (so the order of the files does not matter), for each group whose
# test modules all ran whole in this process; for any other group the summary says why it was not checked
# (-k, --deselect, a subset of files, xdist workers each seeing part of the run).  A gap fails the run.

@dataclass(frozen=True)
class Coverage:
    """The spec operations tagged ``tags`` (minus those whose path contains ``exclude``) -- ``operations`` of
    them, a guard against a tag matching more or fewer than meant -- must be driven by ``modules``."""

    name: str
    tags: frozenset[str]
    operations: int
    modules: frozenset[str]  # file names in this folder
    exclude: str | None = None

    def ops(self) -> list[spec_check.Operation]:
        return [op for op in spec_check.operations() if self.tags & set(op.tags)
                and (self.exclude is None or self.exclude not in op.template + "/")]

    def missing(self) -> list[str]:
        return [f"{transport}: {op.method} {op.template} ({op.operation_id})" for transport in TRANSPORTS
                for op in self.ops() if (transport, op.method, op.template) not in EXERCISED]


def _module_coverage(module: str, tags: set[str], operations: int) -> Coverage:
    return Coverage(module.removeprefix("test_").removesuffix("_sdk.py"), frozenset(tags), operations,
                    frozenset({module}))


# Users, Email Addresses and Phone Numbers are driven from several files of this folder; the other groups each
# from their own file (that file's TAGS).
COVERAGE = (
    Coverage("users", frozenset({"Users", "Email Addresses", "Phone Numbers"}), 35 - 3 + 7 + 7,
             frozenset(p.name for p in HERE.glob("test_*.py")) - {"test_spec_check.py", "test_raw_http.py",
                                                                  "test_coverage.py"},
             exclude="/billing/"),  # Users 35 operations minus its 3 billing ones, 7 + 7
    _module_coverage("test_apps_sdk.py", {"OAuth Applications", "Agent Tasks", "Admin Portal Link Tokens"},
                     8 + 2 + 2),
    _module_coverage("test_auth_sdk.py", {"Sessions", "Clients", "JWKS", "JWT Templates", "Sign-in Tokens",
                                          "Actor Tokens", "Testing Tokens", "M2M Tokens", "API Keys",
                                          "Machines", "OAuth Access Tokens"},
                     7 + 3 + 1 + 5 + 2 + 1 + 4 + 8 + 9 + 1 + 2),
    _module_coverage("test_billing_sdk.py", {"Billing"}, 12 + 3 + 3),
    _module_coverage("test_directories_sdk.py", {"Directories", "SCIM Directories"}, 10 + 10),
)
_DESELECTED: set[str] = set()  # node ids of this folder left out by -k, -m, --deselect, --lf ...
_RAN: set[str] = set()  # node ids of this folder whose test ran to the end (passed, failed or skipped)
_VERDICTS: list[tuple[bool, str]] = []  # (failed, line) for the summary


def pytest_deselected(items: list[pytest.Item]) -> None:
    _DESELECTED.update(item.nodeid for item in items if HERE in Path(item.path).parents)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _RAN.add(report.nodeid)


def _not_checked(coverage: Coverage, session: pytest.Session) -> str | None:
    """Why this run cannot judge the group's coverage, or None if it can."""
    config = session.config
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") != "no":
        return "pytest-xdist spreads the tests over processes that each see part of the calls"
    mine = [item for item in session.items if Path(item.path).name in coverage.modules
            and HERE in Path(item.path).parents]
    collected = {Path(item.path).name for item in mine}
    if collected != coverage.modules:
        return f"only {len(collected)} of its {len(coverage.modules)} test files ran"
    if any(Path(nodeid.split("::")[0]).name in coverage.modules for nodeid in _DESELECTED):
        return "some of its tests were deselected (-k, -m, --deselect, --lf)"
    if not all(item.nodeid in _RAN for item in mine):
        return "the run stopped before all of its tests ran"
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _VERDICTS.clear()
    if not any(HERE in Path(item.path).parents for item in session.items):
        return  # no SDK test in this run: nothing to say
    complete = []
    for coverage in COVERAGE:
        reason = _not_checked(coverage, session)
        if reason is not None:
            _VERDICTS.append((False, f"SDK coverage of {coverage.name} not checked: {reason}"))
            continue
        missing = coverage.missing()
        if missing:
            _VERDICTS.append((True, f"SDK coverage of {coverage.name}: never called through the SDK: "
                                    + "; ".join(missing)))
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            complete.append(f"{coverage.name} ({len(coverage.ops())})")
    if complete:
        _VERDICTS.append((False, "SDK coverage checked, every operation on both transports: " + ", ".join(complete)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            # clerk-backend-api warns about its own deprecated query field on every GET /users
            item.add_marker(pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The coverage verdicts (a gap in red: it fails the run); then error responses the spec does not declare
    for their operation: the SDK raises `SDKError` for them (as it does with real Clerk), which is not a
    failure.  Listed with -v; otherwise one line says how many."""
    for failed, line in _VERDICTS:
        terminalreporter.write_line(f"clerkmock: {line}", **({"red": True, "bold": True} if failed else {}))
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
