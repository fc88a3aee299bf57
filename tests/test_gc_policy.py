"""`clerkmock serve`'s collector settings (server/gc_policy.py): set by the command, never by an import."""

from __future__ import annotations

import gc
import subprocess
import sys

from clerkmock.server import gc_policy


def test_importing_clerkmock_leaves_the_collector_alone() -> None:
    code = ("import gc; before = gc.get_threshold(), gc.get_freeze_count(); "
            "import clerkmock, clerkmock.mock, clerkmock.cli, clerkmock.pytest_plugin; "
            "assert (gc.get_threshold(), gc.get_freeze_count()) == before, before")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_tune_and_settle() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        gc_policy.tune()
        assert gc.get_threshold() == gc_policy.THRESHOLDS
        gc_policy.settle()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
