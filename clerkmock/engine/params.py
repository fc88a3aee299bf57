"""Request-parameter validation against the vendored spec's schemas (like stripe-mock's param checks).

Query strings: repeated keys are arrays, booleans are ``true``/``false``, integers are decimal; a value
that does not parse is a 400 ``invalid_query_parameter_value``.  Unknown query keys are ignored, as Clerk
ignores them.  JSON bodies: unknown keys -> 422 ``form_param_unknown``, missing required ->
``form_param_missing``, null where the spec forbids it -> ``form_param_nil``, wrong JSON type ->
``form_param_type_invalid``, a value outside an enum -> ``form_param_value_invalid``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from clerkmock.engine import errors
from clerkmock.engine.jsonio import JSONDecodeError, loads

MAX_ARRAY_QUERY = 100  # "Accepts up to 100 …" on every array filter of GET /users
MAX_DEPTH = 64
# Clerk's integers are Go int64s: a value outside that range is refused, never stored (it could not be encoded
# back: orjson writes at most 64-bit integers) or used in arithmetic.
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def parse_query(raw: dict[str, list[str]], schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sub in schema.items():
        values = raw.get(name)
        if values is None:
            # The JS SDK sends arrays as name[]=…? No: both SDKs repeat the bare key.  Accept name[] too.
            values = raw.get(f"{name}[]")
        if values is None:
            if sub.get("required"):
                raise errors.missing_query_parameter(name)
            continue
        kind = sub.get("type")
        if kind == "array":
            items = [v for v in values if v != ""]
            if len(items) > MAX_ARRAY_QUERY:
                raise errors.invalid_query_parameter_value(name, f"at most {MAX_ARRAY_QUERY} values are accepted")
            item_schema = sub.get("items", {})
            out[name] = [_query_scalar(name, v, item_schema) for v in items]
        else:
            value = values[0]
            if value == "" and kind != "string":
                continue
            out[name] = _query_scalar(name, value, sub)
    return out


def _query_scalar(name: str, value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "boolean":
        low = value.lower()
        if low not in ("true", "false", "1", "0"):
            raise errors.invalid_query_parameter_value(name, f"'{value}' is not a boolean (true or false)")
        return low in ("true", "1")
    if kind == "integer":
        # Decimal ASCII digits with an optional sign (int() would also take "1_000", " 5" and non-ASCII digits).
        digits = value[1:] if value[:1] in ("+", "-") else value
        if not (digits.isascii() and digits.isdigit()):
            raise errors.invalid_query_parameter_value(name, f"'{value}' is not a number")
        number = int(value) if len(digits) <= 19 else INT64_MAX + 1  # int() refuses 4,300+ digits anyway
        if not INT64_MIN <= number <= INT64_MAX:
            raise errors.invalid_query_parameter_value(name, f"'{value[:40]}' is out of range")
        return number
    if kind == "number":
        try:
            real = float(value)
        except ValueError:
            raise errors.invalid_query_parameter_value(name, f"'{value}' is not a number") from None
        if not math.isfinite(real):
            raise errors.invalid_query_parameter_value(name, f"'{value}' is not a finite number")
        return real
    if "enum" in schema and value not in schema["enum"]:
        raise errors.invalid_query_parameter_value(name, f"'{value}' is not one of {', '.join(schema['enum'])}")
    return value


def parse_json_body(raw: bytes) -> Any:
    try:
        return loads(raw)
    except (JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # orjson stops at 1024 levels ("depth limit exceeded"); say so rather than "not valid JSON"
        if isinstance(exc, RecursionError) or "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise errors.request_body_invalid(f"(the body is nested too deeply: at most {MAX_DEPTH} levels)") from None
        raise errors.request_body_invalid(f"({exc.__class__.__name__}: the body is not valid JSON)") from None


def validate_body(data: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """Check a decoded JSON body against an object schema; return it (unchanged) when valid.

    A few bulk operations (POST /invitations/bulk, /organizations/{id}/invitations/bulk) take a JSON array:
    their items are checked like object bodies, with ``[i].`` prefixed parameter names; the array's length
    limits are left to the handler (Clerk answers them with ``bulk_size_exceeded``)."""
    if schema.get("type") == "array":
        if not isinstance(data, list):
            raise errors.request_body_invalid("(the body must be a JSON array)")
        for i, item in enumerate(data):
            _check_value(item, schema.get("items", {}), f"[{i}]", depth=1)
        return data  # type: ignore[return-value]  # handlers of array operations read ctx.body as a list
    if not isinstance(data, dict):
        raise errors.request_body_invalid("(the body must be a JSON object)")
    entry = _COMPILED_OBJECTS.get(id(schema))  # (`_object_checker`, inline: every request with a body)
    (entry[1] if entry is not None and entry[0] is schema else _object_checker(schema))(data, "", 0)
    return data


def _check_object(data: dict[str, Any], schema: dict[str, Any], prefix: str, depth: int) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", bool(not props))
    for key, value in data.items():
        name = f"{prefix}{key}" if prefix else key
        sub = props.get(key)
        if sub is None:
            if extra is False:
                raise errors.form_param_unknown(name)
            if isinstance(extra, dict):
                _check_value(value, extra, name, depth + 1)
            else:
                _check_depth(value, name, depth + 1)
            continue
        _check_value(value, sub, name, depth + 1)
    for key in schema.get("required", ()):
        if key not in data:
            raise errors.form_param_missing(f"{prefix}{key}")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


_PLAIN_STRING = {"type": "string"}


def _check_value(value: Any, schema: dict[str, Any], name: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise errors.request_body_invalid(f"(nesting deeper than {MAX_DEPTH} levels at {name})")
    if value is None:
        if schema.get("nullable") or not schema.get("type"):
            return
        raise errors.form_param_nil(name)
    if "oneOf" in schema or "anyOf" in schema:
        alternatives = schema["oneOf"] if "oneOf" in schema else schema["anyOf"]
        if not any(_matches(value, alt, name, depth) for alt in alternatives):
            raise errors.form_param_type_invalid(name, " or ".join(_type_name(s) for s in alternatives))
        return
    kind = schema.get("type")
    if kind is None:
        _check_depth(value, name, depth)
        return
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, _JSON_TYPES.get(kind, (object,)))
    if not ok:
        raise errors.form_param_type_invalid(name, _type_name(schema))
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        raise errors.form_param_value_invalid(name, f"{name} must be one of: {allowed}.")
    if kind in ("integer", "number"):
        if kind == "integer" and not INT64_MIN <= value <= INT64_MAX:
            raise errors.form_param_value_invalid(name, f"{name} must be a 64-bit integer.")
        if "minimum" in schema and value < schema["minimum"]:
            raise errors.form_param_value_invalid(name, f"{name} must be at least {schema['minimum']}.")
        if "maximum" in schema and value > schema["maximum"]:
            raise errors.form_param_value_invalid(name, f"{name} must be at most {schema['maximum']}.")
    elif kind == "string":
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise errors.form_param_max_length_exceeded(name, schema["maxLength"])
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise errors.form_param_min_length_exceeded(name, schema["minLength"])
    elif kind == "array":
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise errors.form_param_value_invalid(name, f"{name} accepts at most {schema['maxItems']} items.")
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise errors.form_param_value_invalid(name, f"{name} needs at least {schema['minItems']} items.")
        item_schema = schema.get("items", {})
        if item_schema == _PLAIN_STRING and depth < MAX_DEPTH:
            # a list of strings (email addresses, ids ...): no name built per item unless one is wrong
            for item in value:
                if not isinstance(item, str):
                    break
            else:
                return
        for i, item in enumerate(value):
            _check_value(item, item_schema, f"{name}[{i}]", depth + 1)
    elif kind == "object":
        if schema.get("properties") or schema.get("additionalProperties") is False:
            _check_object(value, schema, prefix=f"{name}.", depth=depth)
        else:
            _check_depth(value, name, depth)


# -- the same checks, compiled ------------------------------------------------------------------------------
# `_check_object` and `_check_value` read a schema on every request (~13,300 instructions for a one-field create
# body).  Each schema is turned once into closures that hold what it says and do the checks in the same order
# with the same errors; what they do not cover (oneOf, anyOf, an unknown type, an array with an enum) they hand
# to `_check_value`, the reference (tests/engine/test_params_compiled.py compares the two on generated bodies for every operation).

type _ValueCheck = Callable[[Any, str, int], None]
type _ObjectCheck = Callable[[dict[str, Any], str, int], None]

_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}  # id(schema) -> (the schema, kept alive; its checker)
_COMPILED_OBJECTS: dict[int, tuple[dict[str, Any], Any]] = {}
_MAX_COMPILED = 8192  # the vendored specs have ~2,000 schemas; a caller's own schemas must not grow it forever


def _compiled(cache: dict[int, tuple[dict[str, Any], Any]], schema: dict[str, Any],
              compile_: Callable[[dict[str, Any]], Any]) -> Any:
    entry = cache.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(cache) >= _MAX_COMPILED:
            cache.clear()
        entry = cache[id(schema)] = (schema, compile_(schema))
    return entry[1]


def _object_checker(schema: dict[str, Any]) -> _ObjectCheck:
    checker: _ObjectCheck = _compiled(_COMPILED_OBJECTS, schema, _compile_object)
    return checker


def _value_checker(schema: dict[str, Any]) -> _ValueCheck:
    checker: _ValueCheck = _compiled(_COMPILED, schema, _compile_value)
    return checker


def _compile_object(schema: dict[str, Any]) -> _ObjectCheck:
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", bool(not props))
    required = tuple(schema.get("required", ()))
    checkers: dict[str, _ValueCheck] = {}  # a property's, compiled when first sent (schemas may be recursive)

    def check(data: dict[str, Any], prefix: str, depth: int) -> None:
        for key, value in data.items():
            name = f"{prefix}{key}" if prefix else key
            checker = checkers.get(key)
            if checker is None:
                sub = props.get(key)
                if sub is None:
                    if extra is False:
                        raise errors.form_param_unknown(name)
                    if isinstance(extra, dict):
                        _value_checker(extra)(value, name, depth + 1)
                    else:
                        _check_depth(value, name, depth + 1)
                    continue
                checker = checkers[key] = _value_checker(sub)
            checker(value, name, depth + 1)
        for key in required:
            if key not in data:
                raise errors.form_param_missing(f"{prefix}{key}")

    return check


def _compile_value(schema: dict[str, Any]) -> _ValueCheck:
    kind = schema.get("type")
    if ("oneOf" in schema or "anyOf" in schema or (kind is not None and kind not in _COMPILED_KINDS)
            or kind == "array" and "enum" in schema):
        return lambda value, name, depth: _check_value(value, schema, name, depth)
    nullable = bool(schema.get("nullable") or not kind)
    if kind is None:
        def check_any(value: Any, name: str, depth: int) -> None:
            if depth > MAX_DEPTH:
                raise _too_deep(name)
            if value is not None:
                _check_depth(value, name, depth)

        return check_any
    type_name = _type_name(schema)
    if kind == "array":
        return _compile_array(schema, nullable, type_name)
    integer = kind == "integer"  # (an integral float counts: 2.0)
    accepted = (int,) if integer else (int, float) if kind == "number" else _JSON_TYPES[kind]
    exclude_bool = kind in ("integer", "number")
    enum = schema.get("enum")
    then = _COMPILED_KINDS[kind](schema)

    def check(value: Any, name: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _too_deep(name)
        if value is None:
            if nullable:
                return
            raise errors.form_param_nil(name)
        if (not isinstance(value, accepted) or exclude_bool and isinstance(value, bool)) and not (
                integer and isinstance(value, float) and value.is_integer()):
            raise errors.form_param_type_invalid(name, type_name)
        if enum is not None and value not in enum:
            allowed = ", ".join(str(v) for v in enum)
            raise errors.form_param_value_invalid(name, f"{name} must be one of: {allowed}.")
        if then is not None:
            then(value, name, depth)

    return check


def _then_number(schema: dict[str, Any]) -> _ValueCheck | None:
    integer = schema.get("type") == "integer"
    minimum, maximum = schema.get("minimum"), schema.get("maximum")

    def check(value: Any, name: str, depth: int) -> None:
        if integer and not INT64_MIN <= value <= INT64_MAX:
            raise errors.form_param_value_invalid(name, f"{name} must be a 64-bit integer.")
        if minimum is not None and value < minimum:
            raise errors.form_param_value_invalid(name, f"{name} must be at least {minimum}.")
        if maximum is not None and value > maximum:
            raise errors.form_param_value_invalid(name, f"{name} must be at most {maximum}.")

    return check


def _then_string(schema: dict[str, Any]) -> _ValueCheck | None:
    longest, shortest = schema.get("maxLength"), schema.get("minLength")
    if longest is None and shortest is None:
        return None

    def check(value: Any, name: str, depth: int) -> None:
        if longest is not None and len(value) > longest:
            raise errors.form_param_max_length_exceeded(name, longest)
        if shortest is not None and len(value) < shortest:
            raise errors.form_param_min_length_exceeded(name, shortest)

    return check


def _compile_array(schema: dict[str, Any], nullable: bool, type_name: str) -> _ValueCheck:
    """`_compile_value`'s check of an array without an enum (lists of emails, ids ...), in one function: its
    first lines repeat `_compile_value`'s check on purpose, a call less per array (~460 instructions a create)."""
    most, least = schema.get("maxItems"), schema.get("minItems")
    item_schema = schema.get("items", {})
    strings = item_schema == _PLAIN_STRING

    def check(value: Any, name: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _too_deep(name)
        if value is None:
            if nullable:
                return
            raise errors.form_param_nil(name)
        if not isinstance(value, list):
            raise errors.form_param_type_invalid(name, type_name)
        if most is not None and len(value) > most:
            raise errors.form_param_value_invalid(name, f"{name} accepts at most {most} items.")
        if least is not None and len(value) < least:
            raise errors.form_param_value_invalid(name, f"{name} needs at least {least} items.")
        if strings and depth < MAX_DEPTH:
            # a list of strings (email addresses, ids ...): no name built per item unless one is wrong
            for item in value:
                if not isinstance(item, str):
                    break
            else:
                return
        item_check = _value_checker(item_schema)
        for i, item in enumerate(value):
            item_check(item, f"{name}[{i}]", depth + 1)

    return check


def _then_object(schema: dict[str, Any]) -> _ValueCheck | None:
    if not (schema.get("properties") or schema.get("additionalProperties") is False):
        return _check_depth
    object_check = _object_checker(schema)
    return lambda value, name, depth: object_check(value, f"{name}.", depth)


_COMPILED_KINDS: dict[str, Callable[[dict[str, Any]], _ValueCheck | None]] = {
    "string": _then_string,
    "boolean": lambda schema: None,
    "integer": _then_number,
    "number": _then_number,
    "array": lambda schema: None,  # (never called: `_compile_value` hands arrays to `_compile_array`)
    "object": _then_object,
}


def _too_deep(name: str) -> errors.ClerkError:
    return errors.request_body_invalid(f"(nesting deeper than {MAX_DEPTH} levels at {name})")


def _matches(value: Any, schema: dict[str, Any], name: str, depth: int) -> bool:
    try:
        _check_value(value, schema, name, depth)
    except errors.ClerkError:
        return False
    return True


def _type_name(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_name(schema.get('items', {}))}"
    return str(kind)


def _check_depth(value: Any, name: str, depth: int) -> None:
    """Free-form values (metadata) may be anything JSON, but not absurdly deep."""
    stack = [(value, depth)]
    while stack:
        item, d = stack.pop()
        if d > MAX_DEPTH:
            raise errors.request_body_invalid(f"(nesting deeper than {MAX_DEPTH} levels at {name})")
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)


METADATA_MAX_BYTES = 8 * 1024  # "Metadata is limited to 8KB maximum" (Clerk's docs, users and organizations)


def check_metadata_size(body: Any) -> None:
    """Every ``*_metadata`` object in a request body must encode to at most 8 KB of JSON."""
    if not isinstance(body, dict):
        return
    for key, value in body.items():
        if key.endswith("metadata") and isinstance(value, dict):
            from clerkmock.engine.jsonio import dumps

            if len(dumps(value)) > METADATA_MAX_BYTES:
                raise errors.form_param_value_too_large(key, METADATA_MAX_BYTES)
