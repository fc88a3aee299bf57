"""The SDK coverage groups (conftest.py's COVERAGE) are checked when the session finishes, whatever the order
of the files; these tests check the declarations and that a gap fails the run, or a partial run says why."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from . import conftest
from .conftest import COVERAGE, HERE, TRANSPORTS


def test_each_group_has_the_operations_it_declares() -> None:
    for coverage in COVERAGE:
        assert len(coverage.ops()) == coverage.operations, (coverage.name, [op.operation_id for op in coverage.ops()])
        assert all((HERE / module).is_file() for module in coverage.modules), coverage


def _session(modules: set[str], *, dist: str = "no") -> Any:
    items = [SimpleNamespace(path=HERE / m, nodeid=f"tests/sdk/{m}::test_{i}") for i, m in enumerate(sorted(modules))]
    config = SimpleNamespace(option=SimpleNamespace(dist=dist))
    return SimpleNamespace(items=items, config=config, exitstatus=pytest.ExitCode.OK)


def test_a_gap_fails_the_run_and_a_partial_run_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    billing = next(c for c in COVERAGE if c.name == "billing")
    monkeypatch.setattr(conftest, "COVERAGE", (billing,))
    monkeypatch.setattr(conftest, "_VERDICTS", [])  # this session's own verdicts stay untouched
    monkeypatch.setattr(conftest, "_DESELECTED", set())
    session = _session(set(billing.modules))
    monkeypatch.setattr(conftest, "_RAN", {item.nodeid for item in session.items})
    first = billing.ops()[0]
    exercised = {(t, op.method, op.template): {200} for t in TRANSPORTS for op in billing.ops()}
    monkeypatch.setattr(conftest, "EXERCISED", exercised)
    conftest.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.OK
    assert conftest._VERDICTS == [(False, "SDK coverage checked, every operation on both transports: billing (18)")]
    del exercised[("http", first.method, first.template)]  # one operation never called over HTTP
    conftest.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    [(failed, line)] = conftest._VERDICTS
    assert failed and f"http: {first.method} {first.template}" in line
    for partial, why in ((_session(set(billing.modules), dist="load"), "pytest-xdist"),
                         (_session({"test_users.py"} | set(billing.modules)), None)):
        partial.exitstatus = pytest.ExitCode.OK
        monkeypatch.setattr(conftest, "_RAN", set())  # nothing ran to the end
        conftest.pytest_sessionfinish(partial, 0)
        [(failed, line)] = conftest._VERDICTS
        assert not failed and "not checked" in line and (why is None or why in line), line
        assert partial.exitstatus == pytest.ExitCode.OK
    monkeypatch.setattr(conftest, "_DESELECTED", {f"tests/sdk/{next(iter(billing.modules))}::test_x"})
    conftest.pytest_sessionfinish(_session(set(billing.modules)), 0)
    assert "deselected" in conftest._VERDICTS[0][1]

