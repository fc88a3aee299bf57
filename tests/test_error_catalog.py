"""One error catalog: every Clerk-shaped error is built by a constructor in engine/errors.py, and the codes a
`respond` fault may name take their status and messages from those constructors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import clerkmock
from clerkmock.engine import errors
from clerkmock.faults.rules import Respond, compile_rule

PACKAGE = Path(clerkmock.__file__).parent
# A fault rule's scripted `respond: {error: …}` carries its own status, code and messages.
ALLOWED = {"engine/errors.py", "server/pipeline.py"}


def inline_errors(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name == "ClerkError":
                    found.append(f"{rel}:{node.lineno}")
    return found


def test_errors_are_built_by_the_constructors_in_errors_py() -> None:
    found = inline_errors(PACKAGE)
    assert not found, "ClerkError(...) built outside engine/errors.py (add a constructor there):\n" + "\n".join(found)


@pytest.mark.parametrize("code", sorted(errors.FAULT_CATALOG))
def test_a_fault_naming_a_code_answers_what_the_constructor_builds(code: str) -> None:
    expected = errors.FAULT_CATALOG[code]()
    assert expected.code == code
    action = compile_rule({"respond": {"error": code}}, "f1").action
    assert isinstance(action, Respond)
    assert (action.status, action.code, action.message, action.long_message) == (
        expected.status, code, expected.message, expected.long_message)


def test_a_bare_status_fault_uses_a_catalog_code() -> None:
    for status in (400, 401, 403, 404, 410, 418, 422, 429, 500, 502, 503, 504, 599):
        code = errors.code_for_status(status)
        assert code in errors.FAULT_CATALOG
        action = compile_rule({"respond": {"status": status}}, "f1").action
        assert isinstance(action, Respond) and (action.status, action.code) == (status, code)
