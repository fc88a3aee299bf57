"""Runs last in this folder: every Users / Email Addresses / Phone Numbers operation of the spec (the billing
ones excepted) must have been driven through the SDK on both transports by the tests before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import spec_check
from .conftest import EXERCISED, TRANSPORTS

HERE = Path(__file__).resolve().parent
TAGS = {"Users", "Email Addresses", "Phone Numbers"}


def covered_operations() -> list[spec_check.Operation]:
    return [op for op in spec_check.operations()
            if TAGS & set(op.tags) and "/billing/" not in op.template + "/"]


def _full_run(request: pytest.FixtureRequest) -> bool:
    """True when every SDK test module of this folder was collected and nothing filtered them."""
    config = request.config
    if hasattr(config, "workerinput"):  # xdist: other tests ran in other processes
        return False
    if config.getoption("keyword", "") or config.getoption("markexpr", "") or config.getoption("lf", False) \
            or config.getoption("deselect", None):
        return False
    modules = {Path(item.path).name for item in request.session.items}
    wanted = {p.name for p in HERE.glob("test_*.py")} - {"test_zz_coverage.py", "test_spec_check.py",
                                                         "test_raw_http.py"}
    return wanted <= modules


def test_operation_list_is_complete() -> None:
    ops = covered_operations()
    assert len(ops) == 35 - 3 + 7 + 7, [op.operation_id for op in ops]  # Users 35 minus billing 3, 7 + 7


def test_every_operation_exercised_on_both_transports(request: pytest.FixtureRequest) -> None:
    if not _full_run(request):
        pytest.skip("needs the whole tests/sdk folder in one process")
    for transport in TRANSPORTS:
        missing = [f"{op.method} {op.template} ({op.operation_id})" for op in covered_operations()
                   if (transport, op.method, op.template) not in EXERCISED]
        assert not missing, f"{transport}: never called through the SDK: {missing}"
