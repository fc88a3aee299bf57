"""Reading a scenario document (YAML or JSON) with the line number of every key and list item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from clerkmock.scenario.errors import ScenarioError

type Path = tuple[str | int, ...]


@dataclass(slots=True)
class Document:
    data: dict[str, Any]
    source: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path`` (a key or list index chain), or of its nearest located parent."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, path: Path, message: str) -> ScenarioError:
        return ScenarioError(self.source, self.line(path), message)


# libyaml's parser when PyYAML has it: the pure-Python one took minutes for an export of a few thousand users.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_document(text: str, source: str) -> Document:
    try:
        loader = _Loader(text)
        try:  # parsed once: the nodes give the lines, the same nodes the data
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    if data is None:
        return Document({}, source)
    if not isinstance(data, dict):
        raise ScenarioError(source, node.start_mark.line + 1 if node else None,
                            "a scenario must be a mapping of top-level keys (users, organizations, faults ...)")
    lines: dict[Path, int] = {(): 1}
    _walk(node, (), lines)
    return Document(data, source, lines)


def _walk(node: yaml.Node | None, path: Path, lines: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                sub = (*path, key.value)
                lines.setdefault(sub, key.start_mark.line + 1)
                _walk(value, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines)


def jsonable(value: Any) -> Any:
    """YAML extras to JSON: timestamps become RFC 3339 strings (Clerk's request format for dates)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z") if value.tzinfo else text + "Z"
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00Z"
    return value
