"""pytest: answer a test's Clerk calls from cassettes - the ``clerkmock_replay`` fixture and marker.

    @pytest.mark.clerkmock_replay("cassettes/signup.yaml", strict=True)
    def test_signup(clerkmock_replay):
        http = httpx.Client(transport=clerkmock_replay.transport())
        sdk = Clerk(bearer_auth="sk_test_anything", client=http)
        ...
        clerkmock_replay.assert_all_played()

Without a path the cassette is ``cassettes/<test module>/<test name>.yaml`` beside the test file (the
pytest-recording convention).  Relative paths are looked up beside the test file, then under the rootdir.
The fixture is a `clerkmock.cassette.Replayer`: no engine and no socket, matching as `clerkmock replay` does
(``strict=True``: exact matches only, each once; a miss is a Clerk-shaped 404 naming the closest recording).

Loaded by the clerkmock pytest plugin (``pytest_plugins`` in clerkmock/pytest_plugin.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clerkmock.cassette import Replayer

MARKER = "clerkmock_replay"
MARKER_HELP = (
    "clerkmock_replay(*cassettes, strict=False): the clerkmock_replay fixture answers from these cassettes "
    "(default: cassettes/<module>/<test>.yaml beside the test file)"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def default_cassette(request: pytest.FixtureRequest) -> Path:
    module = request.node.path.stem
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return request.node.path.parent / "cassettes" / module / f"{name}.yaml"


def _resolve(request: pytest.FixtureRequest, path: str | Path) -> Path:
    p = Path(path)
    if p.is_absolute():
        return p
    for base in (request.node.path.parent, request.config.rootpath):
        if (base / p).exists():
            return base / p
    return request.node.path.parent / p


@pytest.fixture
def clerkmock_replay(request: pytest.FixtureRequest) -> Replayer:
    from clerkmock.cassette import CassetteError, load_replayer

    marker = request.node.get_closest_marker(MARKER)
    args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
    unknown = set(kwargs) - {"strict"}
    if unknown:
        pytest.fail(f"@pytest.mark.{MARKER}: unknown argument(s) {sorted(unknown)}; it takes cassette paths and strict=",
                    pytrace=False)  # fmt: skip
    paths = [_resolve(request, p) for p in args] or [default_cassette(request)]
    for p in paths:
        if not p.exists():
            pytest.fail(f"cassette {p} does not exist: record it with `clerkmock record --upstream URL -o {p}`",
                        pytrace=False)  # fmt: skip
    try:
        return load_replayer([str(p) for p in paths], strict=bool(kwargs.get("strict", False)))
    except CassetteError as exc:
        pytest.fail(str(exc), pytrace=False)
