"""The engine's `State` as a JSON document (``GET/PUT /__clerkmock/state``), and back.

Generic over the records so a new table or field needs no change here: plain JSON values stay as they are,
and everything else is tagged --

    {"$type": "clerkmock.engine.records.users:User", "fields": {...}}   an engine class (allow-listed:
                                                                       only classes under clerkmock.engine)
    {"$tuple": [...]}, {"$set": [...]}, {"$frozenset": [...]}, {"$sortedlist": [...]}, {"$bytes": "<b64>"}
    {"$dict": [[key, value], ...]}                                     a dict with non-string or "$" keys

Restoring refuses a document that is not one (wrong ``format``/``version``, unknown classes or fields) with
`StateDocumentError`; a field the document lacks (written by an older clerkmock) gets its default.

``seal``/``unseal`` (server/redaction.py) keep secrets out of a dump: a secret field's value becomes
``{"$redacted": "<sealed>"}``, which only the server that sealed it can open again.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from clerkmock.engine.state import State

type Seal = Callable[[Any], dict[str, str]]  # an encoded secret -> its {"$redacted": …} marker
type Unseal = Callable[[Any], Any]  # the marker's value -> the encoded secret (raises ValueError)

FORMAT = "clerkmock-state"
VERSION = 1
_ALLOWED_PREFIX = "clerkmock.engine."


class StateDocumentError(ValueError):
    """Not a clerkmock state document, or a corrupt one."""


# -- encoding ---------------------------------------------------------------------------------------------

def dump_state(state: State, clock: dict[str, Any] | None = None, *, seal: Seal | None = None) -> dict[str, Any]:
    """The document; with ``seal``, every secret field (server/redaction.py) holds a sealed marker instead."""
    import clerkmock

    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION, "clerkmock": clerkmock.__version__,
                           "state": _enc(state, seal)}
    if clock is not None:
        doc["clock"] = clock
    return doc


def _enc(value: Any, seal: Seal | None = None) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_enc(v, seal) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _enc(v, seal) for k, v in value.items()}
        return {"$dict": [[_enc(k, seal), _enc(v, seal)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_enc(v, seal) for v in value]}
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)  # stable output for the same state
        return {"$frozenset" if isinstance(value, frozenset) else "$set": [_enc(v, seal) for v in items]}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    cls = type(value)
    if cls.__module__ == "sortedcontainers.sortedlist" and cls.__name__ == "SortedList":
        return {"$sortedlist": [_enc(v, seal) for v in value]}
    if cls.__module__.startswith(_ALLOWED_PREFIX):
        secret = _secret_fields(cls) if seal is not None else frozenset()
        fields = {k: (seal(_enc(v)) if seal is not None and k in secret and v else _enc(v, seal))  # empty: shown
                  for k, v in _fields(value)}
        return {"$type": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    raise TypeError(f"clerkmock: cannot serialize {cls.__module__}.{cls.__qualname__} in the engine state")


def _fields(obj: Any) -> list[tuple[str, Any]]:
    if dataclasses.is_dataclass(obj):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    slots = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ())]
    if slots:
        return [(s, getattr(obj, s)) for s in slots if hasattr(obj, s)]
    return list(vars(obj).items())


# -- decoding ---------------------------------------------------------------------------------------------

def _secret_fields(cls: type) -> frozenset[str]:
    from clerkmock.server.redaction import secret_fields

    return secret_fields(cls)


def load_state(doc: Any, *, unseal: Unseal | None = None) -> tuple[State, dict[str, Any] | None]:
    """The `State` (and the clock fields, if any) of a document written by `dump_state`; ``unseal`` opens
    the sealed secrets of a redacted dump (without it, such a document is refused)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StateDocumentError(f'not a clerkmock state document (expected "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise StateDocumentError(f"unsupported state document version {doc.get('version')!r} "
                                 f"(this clerkmock reads version {VERSION})")
    try:
        state = _dec(doc.get("state"), "state", unseal)
    except StateDocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - any shape problem is a corrupt document
        raise StateDocumentError(f"corrupt state document: {exc}") from None
    if not isinstance(state, State):
        raise StateDocumentError("corrupt state document: state is not a State")
    clock = doc.get("clock")
    if clock is not None and not (isinstance(clock, dict) and set(clock) <= {"frozen_at_ms", "offset_ms", "now_ms"}
                                  and all(v is None or isinstance(v, int) for v in clock.values())):
        raise StateDocumentError("corrupt state document: clock must be {frozen_at_ms, offset_ms}")
    return state, clock


def _dec(value: Any, where: str, unseal: Unseal | None = None) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_dec(v, f"{where}[{i}]", unseal) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        raise StateDocumentError(f"corrupt state document at {where}")
    if "$type" in value:
        return _dec_object(value, where, unseal)
    tags = [k for k in value if k.startswith("$")]
    if not tags:
        return {k: _dec(v, f"{where}.{k}", unseal) for k, v in value.items()}
    if len(value) != 1:
        raise StateDocumentError(f"corrupt state document at {where}: unexpected keys {sorted(value)}")
    tag, items = tags[0], value[tags[0]]
    if tag == "$redacted":
        if unseal is None:
            raise StateDocumentError(f"{where} is redacted: this document cannot restore its secrets "
                                     "(take it with GET /__clerkmock/state?secrets=1)")
        try:
            return _dec(unseal(items), where)
        except ValueError as exc:
            raise StateDocumentError(f"cannot restore {where}: {exc}") from None
    if tag == "$bytes":
        return base64.b64decode(items, validate=True)
    if not isinstance(items, list):
        raise StateDocumentError(f"corrupt state document at {where}: {tag} must hold a list")
    decoded = [_dec(v, f"{where}{tag}", unseal) for v in items]
    if tag == "$tuple":
        return tuple(decoded)
    if tag == "$set":
        return set(decoded)
    if tag == "$frozenset":
        return frozenset(decoded)
    if tag == "$sortedlist":
        from sortedcontainers import SortedList

        return SortedList(decoded)
    if tag == "$dict":
        if not all(isinstance(p, list) and len(p) == 2 for p in decoded):
            raise StateDocumentError(f"corrupt state document at {where}: $dict holds [key, value] pairs")
        return {_hashable(k): v for k, v in decoded}
    raise StateDocumentError(f"corrupt state document at {where}: unknown tag {tag}")


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _dec_object(value: dict[str, Any], where: str, unseal: Unseal | None) -> Any:
    name, fields = value.get("$type"), value.get("fields")
    if not isinstance(name, str) or not isinstance(fields, dict) or set(value) != {"$type", "fields"}:
        raise StateDocumentError(f"corrupt state document at {where}: bad object")
    cls = _class(name, where)
    decoded = {k: _dec(v, f"{where}.{k}", unseal) for k, v in fields.items()}
    if dataclasses.is_dataclass(cls):
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(decoded) - set(known)
        if unknown:
            raise StateDocumentError(f"corrupt state document at {where}: {name} has no field {sorted(unknown)[0]!r}")
        missing = [f for n, f in known.items() if n not in decoded]
        for f in missing:
            if f.default is not dataclasses.MISSING:
                decoded[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                decoded[f.name] = f.default_factory()
            else:
                raise StateDocumentError(f"corrupt state document at {where}: {name} lacks {f.name!r}")
        obj = cls.__new__(cls)
        for k, v in decoded.items():
            object.__setattr__(obj, k, v)
        return obj
    try:
        obj = cls()  # defaults for attributes an older document lacks
    except TypeError:
        obj = cls.__new__(cls)
    expected = {k for k, _ in _fields(obj)}
    unknown = set(decoded) - expected
    if expected and unknown:
        raise StateDocumentError(f"corrupt state document at {where}: {name} has no attribute {sorted(unknown)[0]!r}")
    for k, v in decoded.items():
        setattr(obj, k, v)
    return obj


def _class(name: str, where: str) -> type:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(_ALLOWED_PREFIX) or not qualname or "." in qualname:
        raise StateDocumentError(f"corrupt state document at {where}: class {name!r} is not an engine class")
    try:
        cls = getattr(importlib.import_module(module_name), qualname)
    except (ImportError, AttributeError):
        raise StateDocumentError(f"corrupt state document at {where}: unknown class {name!r}") from None
    if not isinstance(cls, type) or cls.__module__ != module_name:
        raise StateDocumentError(f"corrupt state document at {where}: unknown class {name!r}")
    return cls
