"""Route table: method + path template -> handler, matched segment by segment (static beats parameter).

``/users/count`` and ``/users/ban`` must win over ``/users/{user_id}``; a trie with static-first lookup gives
that without ordering rules, in time proportional to the path depth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass(slots=True)
class Route:
    """A compiled route (built once per engine from a `RouteSet` declaration and the spec)."""

    method: str
    template: str  # relative to /v1
    handler: Callable[..., Any]
    name: str  # e.g. "users.create"; used by the journal and fault matching (the operationId is an alias)
    operation_id: str | None = None
    ops: dict[str, Any] = field(default_factory=dict)  # schema version -> the spec's Operation in that version
    public: bool = False  # the spec's `security: []`: answered without Authorization
    unversioned: bool = False  # also served without the /v1 prefix (SDKs call the machine endpoints bare)
    machine_auth: bool = False  # a machine's secret key authenticates it (besides the instance's keys)
    prepare: Callable[[Any], Any] | None = None  # rewrites the Request before validation (a legacy body)
    pure: bool = False  # a GET that writes nothing (RouteSet.op): its answers may be reused (server/read_cache.py)


@dataclass(slots=True)
class _Node:
    static: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    param_name: str | None = None
    routes: dict[str, Route] = field(default_factory=dict)


MAX_KNOWN_PATHS = 512


class Router:
    def __init__(self) -> None:
        self._root = _Node()
        self.routes: list[Route] = []
        # path -> the node it matched with no parameters (``/users``, ``/users/count``): the trie walk skipped for
        # the paths every request of a kind repeats.  Bounded: ``//users//`` and such match too.
        self._known: dict[str, _Node] = {}

    def add(self, route: Route) -> None:
        self._known.clear()
        node = self._root
        for seg in _split(route.template):
            if seg.startswith("{") and seg.endswith("}"):
                if node.param is None:
                    node.param = _Node()
                    node.param_name = seg[1:-1]
                elif node.param_name != seg[1:-1]:
                    # One name per position keeps matching unambiguous; spec templates agree on names.
                    raise ValueError(f"{route.template}: parameter {seg} clashes with {{{node.param_name}}}")
                node = node.param
            else:
                node = node.static.setdefault(seg, _Node())
        if route.method in node.routes:
            raise ValueError(f"duplicate route {route.method} {route.template}")
        node.routes[route.method] = route
        self.routes.append(route)

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, path params, path_exists).  path_exists tells 405-ish misses from unknown paths."""
        known = self._known.get(path)
        if known is not None:
            return known.routes.get(method), {}, True
        params: dict[str, str] = {}
        node = self._match(self._root, _split(path), 0, params)
        if node is None:
            return None, {}, False
        if not params and len(self._known) < MAX_KNOWN_PATHS:
            self._known[path] = node
        return node.routes.get(method), params, True

    def methods(self, path: str) -> list[str]:
        """The methods routed at ``path`` (for a 405's Allow header)."""
        node = self._match(self._root, _split(path), 0, {})
        return list(node.routes) if node is not None else []

    def _match(self, node: _Node, segs: list[str], i: int, params: dict[str, str]) -> _Node | None:
        if i == len(segs):
            return node if node.routes else None
        seg = segs[i]
        child = node.static.get(seg)
        if child is not None:
            found = self._match(child, segs, i + 1, params)
            if found is not None:
                return found
        if node.param is not None and seg:
            found = self._match(node.param, segs, i + 1, params)
            if found is not None:
                assert node.param_name is not None
                params[node.param_name] = unquote(seg)
                return found
        return None


def _split(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []
