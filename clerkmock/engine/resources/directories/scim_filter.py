"""SCIM 2.0 filters and attribute paths (RFC 7644 §3.4.2.2 and §3.5.2): parsing and evaluation over a resource's
JSON document.  Attribute names compare case-insensitively, as the RFC says; string comparisons too (``caseExact``
is false for every attribute clerkmock serves).

    filter   = orExpr
    orExpr   = andExpr *("or" andExpr)
    andExpr  = unary *("and" unary)
    unary    = "not" "(" filter ")" / "(" filter ")" / attrExp
    attrExp  = attrPath "pr" / attrPath compareOp compValue / attrPath "[" filter "]"
    attrPath = [schema URI ":"] name ["." subName]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\]])|(?P<word>[^\s()\[\]"]+))'
)
CORE_URNS = ("urn:ietf:params:scim:schemas:core:2.0:User:", "urn:ietf:params:scim:schemas:core:2.0:Group:")


class FilterError(ValueError):
    """An expression that does not parse (SCIM ``invalidFilter`` / ``invalidPath``)."""


@dataclass(frozen=True, slots=True)
class Path:
    attr: str  # lower-cased
    sub: str | None = None  # lower-cased
    value_filter: Node | None = None  # attr[filter]


type Node = tuple[Any, ...]  # ("and"|"or", a, b) | ("not", a) | ("pr", path) | (op, path, value) | ("[]", path, node)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"cannot read the filter at {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or "word"
        out.append((kind, m.group(kind)))
    return out


def _parse_path(word: str) -> Path:
    for urn in CORE_URNS:
        if word.lower().startswith(urn.lower()):
            word = word[len(urn):]
    if not re.fullmatch(r"[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?", word):
        raise FilterError(f"{word!r} is not an attribute path")
    attr, _, sub = word.partition(".")
    return Path(attr.lower(), sub.lower() or None)


def _value(kind: str, text: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise FilterError(f"{text!r} is not a value") from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("the filter ends too early")
        self.i += 1
        return tok

    def expect(self, punct: str) -> None:
        if self.take() != ("punct", punct):
            raise FilterError(f"expected {punct!r}")

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = ("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            self.expect("(")
            node = self.or_expr()
            self.expect(")")
            return ("not", node)
        if self.peek() == ("punct", "("):
            self.take()
            node = self.or_expr()
            self.expect(")")
            return node
        kind, word = self.take()
        if kind != "word":
            raise FilterError(f"expected an attribute, not {word!r}")
        path = _parse_path(word)
        if self.peek() == ("punct", "["):
            self.take()
            inner = self.or_expr()
            self.expect("]")
            return ("[]", path, inner)
        kind, op = self.take()
        op = op.lower()
        if op == "pr":
            return ("pr", path)
        if kind != "word" or op not in OPS:
            raise FilterError(f"{op!r} is not a comparison operator")
        return (op, path, _value(*self.take()))


def parse(text: str) -> Node:
    return _Parser(text).parse()


def parse_patch_path(text: str) -> Path:
    """``attr``, ``attr.sub``, ``attr[filter]`` or ``attr[filter].sub`` (RFC 7644 §3.5.2 ``PATH``)."""
    text = text.strip()
    if "[" not in text:
        return _parse_path(text)
    m = re.fullmatch(r"([^\[\]]+?)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?", text, re.S)
    if m is None:
        raise FilterError(f"{text!r} is not a path")
    base, inner, sub = m.groups()
    path = _parse_path(base)
    if inner is None:
        raise FilterError(f"{text!r} is not a path")
    if path.sub is not None:
        raise FilterError(f"{text!r} is not a path")
    return Path(path.attr, sub.lower() if sub else None, parse(inner))


# -- evaluation ----------------------------------------------------------------------------------------------------


def get_ci(doc: Any, name: str) -> Any:
    if not isinstance(doc, dict):
        return None
    for key, value in doc.items():
        if key.lower() == name:
            return value
    return None


def _values(doc: dict[str, Any], path: Path) -> list[Any]:
    value = get_ci(doc, path.attr)
    items = value if isinstance(value, list) else [value]
    if path.sub is not None:
        items = [get_ci(v, path.sub) for v in items]
        items = [x for v in items for x in (v if isinstance(v, list) else [v])]
    return [v for v in items if v is not None]


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.lower(), expected.lower()
    else:
        a, e = actual, expected
    if op == "eq":
        return a == e
    if op == "ne":
        return a != e
    if isinstance(a, str) and isinstance(e, str):
        if op == "co":
            return e in a
        if op == "sw":
            return a.startswith(e)
        if op == "ew":
            return a.endswith(e)
    if op in ("gt", "ge", "lt", "le") and type(a) is type(e) and not isinstance(a, bool):
        return {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]
    return False


def matches(node: Node, doc: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return matches(node[1], doc) and matches(node[2], doc)
    if kind == "or":
        return matches(node[1], doc) or matches(node[2], doc)
    if kind == "not":
        return not matches(node[1], doc)
    if kind == "pr":
        return any(v not in ("", [], {}) for v in _values(doc, node[1]))
    if kind == "[]":
        path: Path = node[1]
        items = get_ci(doc, path.attr)
        return any(isinstance(i, dict) and matches(node[2], i) for i in (items if isinstance(items, list) else []))
    op, path, expected = node
    if op == "ne":
        return all(_compare("ne", v, expected) for v in _values(doc, path))
    return any(_compare(op, v, expected) for v in _values(doc, path))


def resolve(doc: dict[str, Any], text: str) -> Any:
    """The first value at a mapping path such as ``emails[primary eq true].value`` or ``name.givenName``."""
    try:
        path = parse_patch_path(text)
    except FilterError:
        return None
    if path.value_filter is not None:
        items = get_ci(doc, path.attr)
        hits = [i for i in (items if isinstance(items, list) else []) if isinstance(i, dict)
                and matches(path.value_filter, i)]
        values = [get_ci(h, path.sub) if path.sub else h for h in hits]
    else:
        values = _values(doc, path)
    return next((v for v in values if v is not None), None)
