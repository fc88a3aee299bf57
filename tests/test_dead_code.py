"""No dead module-level constants in clerkmock/: each UPPER_CASE name a module defines is used by code or by
a test (a constant nobody reads is a promise the code does not keep, like the CLI hard-coding a port while a
DEFAULT_PROXY_PORT sat unused)."""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from pathlib import Path

import clerkmock

PACKAGE = Path(clerkmock.__file__).parent
TESTS = Path(__file__).parent


def _module_constants(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and re.fullmatch(r"[A-Z][A-Z0-9_]+", t.id)]
    return names


def _test_sources() -> list[str]:
    out = []
    for directory, subdirs, files in os.walk(TESTS):
        subdirs[:] = [d for d in subdirs if d != "node_modules"]
        out += [Path(directory, f).read_text() for f in files if f.endswith(".py")]
    return out


def test_every_module_constant_is_used() -> None:
    code = {p: p.read_text() for p in PACKAGE.rglob("*.py")}
    uses = Counter(re.findall(r"\b[A-Z][A-Z0-9_]+\b", "\n".join([*code.values(), *_test_sources()])))
    unused = [f"{p.relative_to(PACKAGE.parent)}: {name}" for p, source in code.items()
              for name in _module_constants(source) if uses[name] < 2]
    assert not unused, "constants defined and never used:\n" + "\n".join(unused)
