"""What the end of a test run says (issue 12.11, 12.12): a green run ends without unexplained noise, and says
in one line what was skipped and how to see it."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent


def _conftest(path: Path, name: str) -> Any:
    """The conftest module pytest loaded (under whatever name), else imported as ``name`` (tests/ is on
    sys.path)."""
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) and Path(module.__file__).resolve() == path:
            return module
    return importlib.import_module(name)


class Reporter:
    def __init__(self, stats: dict[str, list[Any]] | None = None) -> None:
        self.stats = stats or {}
        self.lines: list[str] = []
        self.sections: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)

    def section(self, title: str) -> None:
        self.sections.append(title)


def _config(verbosity: int = 0, reportchars: str = "fE") -> Any:
    return SimpleNamespace(get_verbosity=lambda: verbosity, option=SimpleNamespace(reportchars=reportchars))


def test_undeclared_error_responses_are_one_line_unless_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run ended with a 64-line section that read like a failure to a newcomer."""
    conftest = _conftest(TESTS / "sdk" / "conftest.py", "sdk.conftest")
    undeclared = {("GET", "/users/count", 400): "status not declared", ("POST", "/users/ban", 404): "status not declared"}
    monkeypatch.setattr(conftest.spec_check, "UNDECLARED", undeclared)
    quiet = Reporter()
    conftest.pytest_terminal_summary(quiet, _config())
    assert quiet.sections == [] and len(quiet.lines) == 1
    assert "2 kinds" in quiet.lines[0] and "not a failure" in quiet.lines[0] and "-v" in quiet.lines[0]
    verbose = Reporter()
    conftest.pytest_terminal_summary(verbose, _config(verbosity=1))
    assert len(verbose.sections) == 1 and verbose.lines == ["400 GET /users/count: status not declared",
                                                             "404 POST /users/ban: status not declared"]


def test_skips_are_summed_up_in_one_line() -> None:
    conftest = _conftest(TESTS / "conftest.py", "conftest")
    reason = "iptables is not installed (apt-get install iptables) - transparent mode needs a REDIRECT rule"
    skipped = [SimpleNamespace(longrepr=("t.py", 1, f"Skipped: {reason}")) for _ in range(10)]
    skipped.append(SimpleNamespace(longrepr=("t.py", 2, "Skipped: fish is not installed")))
    reporter = Reporter({"skipped": skipped})
    conftest.pytest_terminal_summary(reporter, _config())
    assert reporter.lines == [f"clerkmock: 11 skipped (`pytest -rs` lists them): 10 x {reason}; "
                              "1 x fish is not installed"]
    listed = Reporter({"skipped": skipped})
    conftest.pytest_terminal_summary(listed, _config(reportchars="fEs"))  # -rs lists them already
    assert listed.lines == []
    assert Reporter().lines == []
