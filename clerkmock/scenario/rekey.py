"""Pinning ids: give a record created through the API the id the scenario asked for.

The record is created with a generated id (so it goes through the engine's validation), then every
occurrence of that id in the state -- table keys, index values, tuple keys, foreign keys in other records --
is replaced.  Ids are unique 27-character strings, so an exact-match replacement cannot hit anything else,
and walking the whole state keeps this correct when a table or index is added later.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from clerkmock.engine.state import State


def rekey(state: State, old: str, new: str) -> None:
    """Replace the id ``old`` with ``new`` everywhere in ``state`` (in place)."""
    _Rekey(old, new).object(state)
    if state.events is not None:  # webhook events seeding emitted (webhooks_on_seed) name the new id too
        state.events.rename(old, new)


class _Rekey:
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.seen: set[int] = set()

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.new if v == self.old else v
        if v is None or isinstance(v, (bool, int, float, bytes)):
            return v
        if isinstance(v, dict):
            return {self.value(k): self.value(x) for k, x in v.items()}
        if isinstance(v, list):
            v[:] = [self.value(x) for x in v]
            return v
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        if isinstance(v, (set, frozenset)):
            return type(v)(self.value(x) for x in v)
        cls = type(v)
        if cls.__name__ == "SortedList" and cls.__module__.startswith("sortedcontainers"):
            items = [self.value(x) for x in v]
            v.clear()
            v.update(items)
            return v
        self.object(v)
        return v

    def object(self, obj: Any) -> None:
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        if isinstance(obj, State):
            names = list(obj.tables())
        elif dataclasses.is_dataclass(obj):
            names = [f.name for f in dataclasses.fields(obj)]
        else:
            names = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ())] or list(vars(obj))
        for name in names:
            if hasattr(obj, name):
                current = getattr(obj, name)
                replaced = self.value(current)
                if replaced is not current:
                    object.__setattr__(obj, name, replaced)
