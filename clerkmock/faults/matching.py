"""Request matching for fault rules and journal filters.  Pure functions.

Path patterns: a pattern starting with ``/`` is a path, exact or a glob where ``*`` matches within one
segment and ``**`` across segments (``/v1/users/*`` matches ``/v1/users/user_1`` but not ``/v1/users`` or
``/v1/users/user_1/ban``); anything else is a route name, itself a glob (``users.create``, ``users.*``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from clerkmock.engine.types import Request
from clerkmock.faults.rules import Match

# The names a request's route answers to (its route name and operationId: users.get, GetUser); () if none.
type RouteOf = Callable[[Request], tuple[str, ...]]


@lru_cache(maxsize=1024)
def _path_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"/?\Z")


def is_path_pattern(pattern: str) -> bool:
    return pattern.startswith("/")


def path_matches(pattern: str, path: str, route: str | tuple[str, ...] | None) -> bool:
    """Match ``path`` (raw or decoded) against a path pattern, or the route's names against a route-name
    pattern (``users.get`` or its operationId ``GetUser``)."""
    if is_path_pattern(pattern):
        return _path_regex(pattern).match(unquote(path)) is not None
    names = (route,) if isinstance(route, str) else route or ()
    return any(fnmatch.fnmatchcase(name, pattern) for name in names)


def body_contains(expected: Any, actual: Any) -> bool:
    """JSON subset: every key of an expected object is in the actual one with a matching value; lists and
    scalars compare equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and body_contains(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


def matches(match: Match, request: Request, route_of: RouteOf) -> bool:
    if match.methods and request.method.upper() not in match.methods:
        return False
    if match.path is not None:
        names = route_of(request) if not is_path_pattern(match.path) else ()
        if not path_matches(match.path, request.path, names):
            return False
    for name, pattern in match.query:
        if not any(fnmatch.fnmatchcase(v, pattern) for v in request.query.get(name, ())):
            return False
    for name, pattern in match.headers:
        value = request.headers.get(name)
        if value is None or not fnmatch.fnmatchcase(value, pattern):
            return False
    if match.body is not None:
        from clerkmock.engine.jsonio import loads

        try:
            data = loads(request.body) if request.body else None
        except ValueError:
            return False
        if not body_contains(match.body, data):
            return False
    return True
