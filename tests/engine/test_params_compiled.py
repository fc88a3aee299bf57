"""The compiled body checks (`params.validate_body`) against the reference interpreter (`params._check_object`):
for bodies drawn at random for every vendored operation's schema, the same outcome -- the body back, or the same
Clerk error (status, code, messages, meta)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clerkmock.engine import errors, params, spec

# every object-bodied operation of every vendored version, once per distinct schema
_SCHEMAS: list[tuple[str, dict[str, Any]]] = []
_seen: set[int] = set()
for _version in spec.VENDORED_VERSIONS:
    for (_method, _path), _op in sorted(spec.operations(_version).items()):
        if _op.body and _op.body["schema"].get("type") != "array" and id(_op.body["schema"]) not in _seen:
            _seen.add(id(_op.body["schema"]))
            _SCHEMAS.append((f"{_method} {_path} ({_version})", _op.body["schema"]))

_scalars = (st.none() | st.booleans() | st.integers(min_value=-(1 << 70), max_value=1 << 70)
            | st.sampled_from([0, 1, -1, 2.0, 1.5, 1e300, float("inf")]) | st.text(max_size=12)
            | st.text(min_size=250, max_size=700).filter(lambda s: len(s) > 255))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def _value_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly what the schema asks for (enum members, strings, lists of them, objects of its properties),
    often anything JSON: both paths through every check."""
    options: list[st.SearchStrategy[Any]] = [_json]
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    kind = schema.get("type")
    if kind == "string":
        options.append(st.text(max_size=12))
        for bound in ("maxLength", "minLength"):  # either side of each limit
            if bound in schema:
                options.append(st.integers(max(schema[bound] - 1, 0), schema[bound] + 1).map(lambda n: "x" * n))
    elif kind == "array":
        items = schema.get("items", {})
        options.append(st.lists(st.text(max_size=8) if items.get("type") == "string" else _json,
                                max_size=(schema.get("maxItems") or 4) + 1))
    elif kind == "object" and schema.get("properties"):
        options.append(_object_for(schema, depth=1))
    elif kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        options.append(st.integers(min_value=(low - 2) if low is not None else None,
                                   max_value=(high + 2) if high is not None else None))
    return st.one_of(options)


def _object_for(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties", {})
    if depth > 2 or not props:
        return st.dictionaries(st.text(max_size=6), _json, max_size=3)
    keys = sorted(props)
    return st.lists(st.sampled_from([*keys, "not_a_param"]), max_size=min(len(keys) + 1, 6), unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({k: _value_for(props.get(k, {})) for k in chosen}))


def _outcome(check: Any, data: dict[str, Any]) -> Any:
    try:
        check(data)
    except errors.ClerkError as exc:
        return ("error", exc.status, exc.code, exc.message, exc.long_message, exc.meta)
    return ("ok",)


def _reference(schema: dict[str, Any]) -> Any:
    return lambda data: params._check_object(data, schema, prefix="", depth=0)


def _compiled(schema: dict[str, Any]) -> Any:
    return lambda data: params.validate_body(data, schema)


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_checks_agree_with_the_reference(data: st.DataObject) -> None:
    label, schema = data.draw(st.sampled_from(_SCHEMAS))
    body = data.draw(_object_for(schema))
    compiled = _outcome(_compiled(schema), body)
    assert compiled == _outcome(_reference(schema), body), (label, body)


def test_the_generated_bodies_reach_both_outcomes() -> None:
    """The property test above is not vacuous: its bodies pass and fail, with several error codes."""
    codes: set[str] = set()
    ok = 0

    # (derandomized: the same bodies every run, so what this asserts about them cannot flake)
    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        nonlocal ok
        _label, schema = data.draw(st.sampled_from(_SCHEMAS))
        outcome = _outcome(_compiled(schema), data.draw(_object_for(schema)))
        if outcome[0] == "ok":
            ok += 1
        else:
            codes.add(outcome[2])

    collect()
    assert ok > 20
    # (the limits' codes -- value_invalid, max_length_exceeded ... -- are reached exhaustively by the next test)
    assert {"form_param_unknown", "form_param_type_invalid", "form_param_nil"} <= codes, codes


@pytest.mark.parametrize("depth", [63, 64, 65, 70])
def test_nesting_limits_agree(depth: int) -> None:
    schema = next(s for label, s in _SCHEMAS if label.startswith("POST /users "))
    nested: Any = "x"
    for _ in range(depth):
        nested = {"a": nested}
    for body in ({"public_metadata": nested}, {"email_address": [nested]}, {"first_name": nested}):
        assert _outcome(_compiled(schema), body) == _outcome(_reference(schema), body)


def _boundary_values(schema: dict[str, Any]) -> list[Any]:
    """Values either side of each limit a property's schema sets, and its enum's members and a non-member."""
    kind, values = schema.get("type"), []
    for bound in ("maxLength", "minLength"):
        if kind == "string" and bound in schema:
            values += ["x" * n for n in (schema[bound] - 1, schema[bound], schema[bound] + 1) if n >= 0]
    for bound in ("maxItems", "minItems"):
        if kind == "array" and bound in schema:
            values += [["a"] * n for n in (schema[bound] - 1, schema[bound], schema[bound] + 1) if n >= 0]
    for bound in ("minimum", "maximum"):
        if bound in schema:
            values += [schema[bound] - 1, schema[bound], schema[bound] + 1, float(schema[bound])]
    if "enum" in schema:
        values += [*schema["enum"], "not-a-member"]
    if kind == "integer":
        values += [1 << 63, -(1 << 63) - 1, 2.0, 2.5, True]
    return values


def test_every_limit_of_every_operation_agrees() -> None:
    """Exhaustive over the top-level properties: each limit's boundary, as the compiled and reference checks
    see it (random bodies rarely land on a boundary)."""
    codes: set[str] = set()
    compared = 0
    for label, schema in _SCHEMAS:
        for key, prop in schema.get("properties", {}).items():
            for value in _boundary_values(prop):
                body = {key: value}
                outcome = _outcome(_compiled(schema), body)
                assert outcome == _outcome(_reference(schema), body), (label, body)
                compared += 1
                codes.add(outcome[2] if outcome[0] == "error" else "ok")
    assert compared > 500
    assert {"ok", "form_param_max_length_exceeded", "form_param_min_length_exceeded",
            "form_param_value_invalid", "form_param_type_invalid"} <= codes, codes
