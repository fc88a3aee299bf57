"""YAML scenario files: what the emulated world looks like at start (and after every reset).

Seed entries go through the engine's own request validation -- a user entry is a ``POST /v1/users`` body --
so a scenario can never create state the API could not.  Errors carry ``file:line``; a failing scenario
leaves the engine's state exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clerkmock.engine import Engine, Request, State

TOP_LEVEL_KEYS = {"instance", "users"}
INSTANCE_KEYS = {"environment", "seed"}


class ScenarioError(ValueError):
    """A scenario problem, formatted ``file:line: message``."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source, self.line, self.message = source, line, message
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _mapping_nodes(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def parse(text: str, source: str = "<scenario>") -> tuple[dict[str, Any], yaml.Node | None]:
    """Return (document, node tree); the nodes carry line numbers for error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(source, mark.line + 1 if mark else None, f"invalid YAML: {exc}") from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise ScenarioError(source, _line(node), "a scenario must be a mapping of top-level keys")
    return data, node


def apply(engine: Engine, data: dict[str, Any], node: yaml.Node | None, source: str) -> None:
    """Seed ``engine`` from a parsed scenario; all or nothing."""
    nodes = _mapping_nodes(node) if node is not None else {}
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ScenarioError(
            source, _line(nodes.get(key)), f"unknown top-level key {key!r} (known: {', '.join(sorted(TOP_LEVEL_KEYS))})"
        )
    before = engine.state.snapshot()
    try:
        _apply_instance(engine, data.get("instance") or {}, nodes.get("instance"), source)
        _apply_users(engine, data.get("users") or [], nodes.get("users"), source)
    except BaseException:
        engine.state = State.restore(before)
        raise


def _apply_instance(engine: Engine, instance: Any, node: yaml.Node | None, source: str) -> None:
    if not isinstance(instance, dict):
        raise ScenarioError(source, _line(node), "instance must be a mapping")
    unknown = set(instance) - INSTANCE_KEYS
    if unknown:
        raise ScenarioError(source, _line(node), f"unknown instance key {sorted(unknown)[0]!r}")
    if "seed" in instance:
        engine.state.ids.seed = str(instance["seed"])
    env = instance.get("environment")
    if env is not None:
        if env not in ("development", "production"):
            raise ScenarioError(source, _line(node), "instance.environment must be development or production")
        engine.state.instance.environment = env


def _apply_users(engine: Engine, users: Any, node: yaml.Node | None, source: str) -> None:
    if not isinstance(users, list):
        raise ScenarioError(source, _line(node), "users must be a list of POST /v1/users bodies")
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    for i, entry in enumerate(users):
        entry_node = items[i] if i < len(items) else node
        if not isinstance(entry, dict):
            raise ScenarioError(source, _line(entry_node), f"users[{i}] must be a mapping")
        body = dict(entry)
        # Accept a single address as a string for convenience; the API wants arrays.
        for key in ("email_address", "phone_number", "web3_wallet"):
            if isinstance(body.get(key), str):
                body[key] = [body[key]]
        response = engine.handle(Request.make("POST", "/v1/users", json=body), trusted=True)
        if response.status != 200:
            err = response.json()["errors"][0]
            param = (err.get("meta") or {}).get("param_name")
            where = _line(_mapping_nodes(entry_node).get(param)) if param else None
            raise ScenarioError(
                source, where or _line(entry_node), f"users[{i}]: {err['code']}: {err['long_message']}"
            )


def load_scenario(path: str | Path, engine: Engine) -> None:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot read scenario: {exc.strerror}") from None
    data, node = parse(text, str(path))
    apply(engine, data, node, str(path))


__all__ = ["ScenarioError", "apply", "load_scenario", "parse"]
