"""pytest plugin (entry point ``pytest11``): the ``clerkmock`` fixture and the ``clerkmock`` marker.

    @pytest.mark.clerkmock(scenario="b2b.yaml")
    def test_retry(clerkmock):
        clerkmock.fail("POST", "/v1/users", status=429, error="too_many_requests", times=1)
        ...
        clerkmock.requests.assert_called("POST", "/v1/users", times=2)

One server per test session (``clerkmock_server``), started lazily: in-process use (``transport()``) never
opens a socket; ``url`` starts the base-URL listener on first use.  Before each test the state is reset to
the selected scenario's seeded state (a pickle load), fault rules go back to the scenario's, and the
journal is emptied.

Settings (``scenario``, ``seed``, ``rate_limit``, ``secret_keys``), highest precedence first:
  1. the ``@pytest.mark.clerkmock(...)`` marker closest to the test (function, then class, then module);
  2. the ``clerkmock_config`` fixture (override it in a conftest.py or module; returns a dict);
  3. the ``--clerkmock-scenario`` command-line option (scenario only);
  4. the ``clerkmock_scenario`` ini option (scenario only);
  5. none: an empty instance.
A scenario name is looked up as given, then next to the test file, under the rootdir, under
``<rootdir>/scenarios`` and among clerkmock's bundled scenarios.

Nothing heavy is imported at collection time: clerkmock itself (and never mitmproxy) loads inside fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from clerkmock.testing import ClerkMockFixture, SessionServer

# Replaying cassettes: the clerkmock_replay fixture and marker (clerkmock/pytest_replay.py).
pytest_plugins = ["clerkmock.pytest_replay"]

INI_SCENARIO = "clerkmock_scenario"
MARKER = "clerkmock"
MARKER_HELP = (
    "clerkmock(scenario=None, seed=None, rate_limit=None, secret_keys=None): settings of the clerkmock fixture "
    "for this test, class or module (scenario: a YAML file name or path)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("clerkmock", "clerkmock (Clerk Backend API emulator)")
    group.addoption(
        "--clerkmock-scenario",
        dest="clerkmock_scenario",
        default=None,
        metavar="FILE",
        help="Default scenario for the clerkmock fixture (a marker or clerkmock_config still wins).",
    )
    parser.addini(INI_SCENARIO, "Default scenario for the clerkmock fixture (path or bundled name).", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


@pytest.fixture(scope="session")
def clerkmock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionServer]:
    """The session's one emulator (shared by every ``clerkmock`` fixture).  Its config dir (signing key)
    is a temporary directory, so tests never write ``~/.config/clerkmock``."""
    from clerkmock.mock import ClerkMock
    from clerkmock.testing import SessionServer

    server = SessionServer(ClerkMock(port=0, config_dir=tmp_path_factory.mktemp("clerkmock-config")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clerkmock_config() -> dict[str, Any]:
    """Override to configure the ``clerkmock`` fixture for a module or directory:
    ``return {"scenario": "b2b.yaml", "rate_limit": "development"}``."""
    return {}


@pytest.fixture
def clerkmock(
    request: pytest.FixtureRequest, clerkmock_server: SessionServer, clerkmock_config: dict[str, Any]
) -> ClerkMockFixture:
    from clerkmock.testing import ClerkMockFixture

    settings = resolve_settings(request, clerkmock_config)
    scenario = clerkmock_server.activate(settings)
    return ClerkMockFixture(clerkmock_server, scenario)


def resolve_settings(request: pytest.FixtureRequest, config: dict[str, Any]) -> Any:
    """Merge marker > clerkmock_config > --clerkmock-scenario > ini, per setting."""
    from clerkmock.scenario import find as find_scenario
    from clerkmock.testing import SETTING_NAMES, Settings

    values: dict[str, Any] = {}
    for marker in request.node.iter_markers(MARKER):  # closest first
        if marker.args:
            raise pytest.UsageError("@pytest.mark.clerkmock takes keyword arguments only, e.g. scenario='b2b.yaml'")
        for key, value in marker.kwargs.items():
            values.setdefault(key, value)
    if not isinstance(config, dict):
        raise pytest.UsageError("the clerkmock_config fixture must return a dict")
    for key, value in config.items():
        values.setdefault(key, value)
    unknown = set(values) - set(SETTING_NAMES)
    if unknown:
        raise pytest.UsageError(f"unknown clerkmock setting {sorted(unknown)[0]!r} (valid: {', '.join(SETTING_NAMES)})")
    if "scenario" not in values:
        option = request.config.getoption("clerkmock_scenario")
        ini = request.config.getini(INI_SCENARIO)
        if option:
            values["scenario"] = option
        elif ini:
            values["scenario"] = ini
    scenario = values.get("scenario")
    if scenario is not None:
        root = Path(request.config.rootpath)
        search = [Path(request.node.path).parent, root, root / "scenarios"]
        try:
            values["scenario"] = str(find_scenario(scenario, search))
        except FileNotFoundError as exc:
            raise pytest.UsageError(str(exc)) from None
    keys = values.get("secret_keys")
    if keys is not None:
        values["secret_keys"] = (keys,) if isinstance(keys, str) else tuple(keys)
    return Settings(**values)
