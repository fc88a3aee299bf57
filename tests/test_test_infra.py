"""The test suite's own plumbing: one copy of each helper module."""

from __future__ import annotations

import os
import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_helpers_are_imported_as_one_module() -> None:
    """`sdk.spec_check` and `tests.sdk.spec_check` were two module copies: the spec parsed twice, and findings
    recorded in the second copy never reported at the end of the session.  tests/ is on sys.path, so helpers
    are imported from there (`from sdk import spec_check`), never through the `tests.` namespace."""
    offenders = []
    for directory, subdirs, files in os.walk(TESTS):
        subdirs[:] = [d for d in subdirs if d != "node_modules"]
        for name in files:
            if name.endswith(".py"):
                path = Path(directory, name)
                if re.search(r"^(from|import) tests\.(sdk|engine)\b", path.read_text(), re.M):
                    offenders.append(str(path.relative_to(TESTS)))
    assert not offenders, f"import test helpers without the tests. prefix (from sdk import ...): {offenders}"
