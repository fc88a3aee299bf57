"""The cassette file: a human-readable YAML record of Backend API interactions.

    # clerkmock cassette ...
    version: 1
    recorded_with: clerkmock 0.1.0
    upstream: https://api.clerk.com
    scrubbed: {secrets: true, pii: false}
    interactions:
    - id: 1
      recorded_at: '2026-11-26T10:00:00.123Z'
      duration_ms: 41.2
      api_version: '2025-11-10'
      request: {method: POST, path: /v1/users, query: {}, headers: {...}, json: {...}}
      response: {status: 200, headers: {content-type: application/json}, json: {...}}

A body is kept as ``json`` (parsed, so it diffs and reads well), else ``form``, ``text`` or ``base64``.  A
response's ``json_format`` says how to turn ``json`` back into the exact bytes (``compact`` when absent), so an
unscrubbed body replays byte for byte.  `interactions` is the last key so the writer can append one interaction
at a time (a crash loses at most the one in flight), and `load_cassette` skips a half-written last one.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

import yaml

from clerkmock.cassette.scrub import Scrubber
from clerkmock.engine.types import Request

VERSION = 1
SUPPORTED_VERSIONS = (1,)

# Headers worth keeping (everything else - cookies of other sites, tracing, hop-by-hop - is dropped unread).
REQUEST_HEADERS = frozenset(
    {"authorization", "clerk-api-version", "content-type", "cookie", "origin", "user-agent", "x-clerk-sdk"}
)
RESPONSE_HEADERS = frozenset(
    {"content-type", "clerk-api-version", "retry-after", "location", "set-cookie", "www-authenticate"}
)
_KEPT_PREFIXES = ("x-clerk-", "x-ratelimit-", "ratelimit-")
# Several Set-Cookie header lines are kept as one value, one cookie a line (a comma cannot join them).
SET_COOKIE_SEPARATOR = "\n"

type Json = Any

try:  # libyaml is ~10x faster for big cassettes
    _Loader: type = yaml.CSafeLoader
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Loader, _Dumper = yaml.SafeLoader, yaml.SafeDumper


class CassetteError(ValueError):
    """A cassette that cannot be read: names the file and says what to do."""


# -- bodies ----------------------------------------------------------------------------------------------------


def _go_escape(text: str) -> str:
    # Go's encoding/json escapes <, >, & and U+2028/2029 (HTML-safe) - what real Clerk's responses look like.
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def encode_json(value: Json, fmt: str = "compact") -> bytes:
    """The bytes for ``value`` in one of the `JSON_FORMATS`."""
    base, _, newline = fmt.partition("+")
    if base == "indent":
        text = json.dumps(value, ensure_ascii=False, indent=2)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if base == "go":
            text = _go_escape(text)
    return (text + ("\n" if newline == "nl" else "")).encode()


JSON_FORMATS = ("compact", "compact+nl", "go", "go+nl", "indent", "indent+nl")


def detect_json_format(raw: bytes, value: Json) -> str:
    """The format that reproduces ``raw`` exactly from ``value`` (``compact`` if none does)."""
    for fmt in JSON_FORMATS:
        if encode_json(value, fmt) == raw:
            return fmt
    return "compact"


def _media_type(headers: dict[str, str]) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def parse_body(raw: bytes, headers: dict[str, str]) -> tuple[str | None, Json]:
    """``(kind, value)``: ``json``, ``form``, ``text``, ``base64``, or ``(None, None)`` for an empty body."""
    if not raw:
        return None, None
    mt = _media_type(headers)
    if mt != "multipart/form-data" and raw.strip()[:1] in (b"{", b"[", b'"') or mt.endswith("json"):
        try:
            return "json", json.loads(raw)
        except ValueError:
            pass
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return "base64", base64.b64encode(raw).decode()
    if mt == "application/x-www-form-urlencoded":
        return "form", parse_qs(text, keep_blank_values=True)
    return "text", text


# -- interactions ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body_kind: str | None = None  # json | form | text | base64 | None
    body: Json = None

    @classmethod
    def from_request(cls, request: Request) -> RecordedRequest:
        """From the engine's wire type (every way in already produces one).  Copies: never aliases ``request``."""
        headers = {k.lower(): v for k, v in request.headers.items() if _keep(k, REQUEST_HEADERS)}
        kind, body = parse_body(request.body, request.headers)
        query = {k: list(v) for k, v in request.query.items()}
        return cls(request.method.upper(), request.path, query, headers, kind, body)

    def scrubbed(self, s: Scrubber) -> RecordedRequest:
        return RecordedRequest(
            self.method,
            s.text(self.path),
            s.query(self.query),
            {k: s.header(k, v) for k, v in self.headers.items()},
            self.body_kind,
            _scrub_body(s, self.body_kind, self.body),
        )

    @property
    def api_version(self) -> str | None:
        values = self.query.get("__clerk_api_version") or []
        return self.headers.get("clerk-api-version") or (values[0] if values else None)

    def body_bytes(self) -> bytes:
        return _body_bytes(self.body_kind, self.body, "compact")

    def to_request(self) -> Request:
        return Request(self.method, self.path, {k: list(v) for k, v in self.query.items()}, dict(self.headers),
                       self.body_bytes())

    def describe(self) -> str:
        from urllib.parse import urlencode

        q = urlencode([(k, v) for k, vs in self.query.items() for v in vs])
        return f"{self.method} {self.path}" + (f"?{q}" if q else "")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.query:
            d["query"] = self.query
        d["headers"] = self.headers
        if self.body_kind is not None:
            d[self.body_kind] = self.body
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordedRequest:
        kind = next((k for k in ("json", "form", "text", "base64") if k in d), None)
        return cls(
            str(d["method"]).upper(),
            str(d["path"]),
            {str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in (d.get("query") or {}).items()},
            {str(k).lower(): str(v) for k, v in (d.get("headers") or {}).items()},
            kind,
            d.get(kind) if kind else None,
        )


@dataclass(slots=True)
class RecordedResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body_kind: str | None = None
    body: Json = None
    json_format: str = "compact"

    @classmethod
    def from_parts(cls, status: int, headers: dict[str, str], raw: bytes) -> RecordedResponse:
        hdrs = {k.lower(): v for k, v in headers.items() if _keep(k, RESPONSE_HEADERS)}
        kind, body = parse_body(raw, headers)
        fmt = detect_json_format(raw, body) if kind == "json" else "compact"
        return cls(status, hdrs, kind, body, fmt)

    def scrubbed(self, s: Scrubber) -> RecordedResponse:
        return RecordedResponse(
            self.status,
            {k: s.header(k, v) for k, v in self.headers.items()},
            self.body_kind,
            _scrub_body(s, self.body_kind, self.body),
            self.json_format,
        )

    def body_bytes(self) -> bytes:
        return _body_bytes(self.body_kind, self.body, self.json_format)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.body_kind is not None:
            d[self.body_kind] = self.body
            if self.body_kind == "json" and self.json_format != "compact":
                d["json_format"] = self.json_format
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordedResponse:
        kind = next((k for k in ("json", "form", "text", "base64") if k in d), None)
        fmt = str(d.get("json_format") or "compact")
        if fmt not in JSON_FORMATS:
            raise ValueError(f"unknown json_format {fmt!r} (one of {', '.join(JSON_FORMATS)})")
        return cls(
            int(d["status"]),
            {str(k).lower(): str(v) for k, v in (d.get("headers") or {}).items()},
            kind,
            d.get(kind) if kind else None,
            fmt,
        )


@dataclass(slots=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    id: int = 0  # 1-based position in its cassette
    recorded_at: str | None = None  # ISO 8601, UTC
    duration_ms: float | None = None
    api_version: str | None = None

    def scrubbed(self, s: Scrubber) -> Interaction:
        return Interaction(self.request.scrubbed(s), self.response.scrubbed(s), self.id, self.recorded_at,
                           self.duration_ms, self.api_version)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.recorded_at is not None:
            d["recorded_at"] = self.recorded_at
        if self.duration_ms is not None:
            d["duration_ms"] = round(self.duration_ms, 1)
        if self.api_version is not None:
            d["api_version"] = self.api_version
        d["request"] = self.request.to_dict()
        d["response"] = self.response.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Interaction:
        return cls(
            RecordedRequest.from_dict(d["request"]),
            RecordedResponse.from_dict(d["response"]),
            int(d.get("id") or 0),
            d.get("recorded_at"),
            float(d["duration_ms"]) if d.get("duration_ms") is not None else None,
            d.get("api_version"),
        )


@dataclass(slots=True)
class Cassette:
    path: Path | None
    interactions: list[Interaction]
    meta: dict[str, Any] = field(default_factory=dict)
    incomplete_tail: bool = False  # the file ended in a half-written interaction (recorder crashed), skipped

    @property
    def pii_scrubbed(self) -> bool:
        return bool((self.meta.get("scrubbed") or {}).get("pii"))

    @property
    def name(self) -> str:
        return self.path.name if self.path else "(cassette)"


def _keep(name: str, allowed: frozenset[str]) -> bool:
    n = name.lower()
    return n in allowed or n.startswith(_KEPT_PREFIXES)


def _scrub_body(s: Scrubber, kind: str | None, body: Json) -> Json:
    if kind == "json":
        return s.json(body)
    if kind == "form":
        return s.query(body)
    if kind == "text":
        return s.text(body)
    return body  # base64 (binary uploads) and empty bodies


def _body_bytes(kind: str | None, body: Json, fmt: str) -> bytes:
    if kind is None:
        return b""
    if kind == "json":
        return encode_json(body, fmt)
    if kind == "form":
        from urllib.parse import urlencode

        return urlencode([(k, v) for k, vs in body.items() for v in vs]).encode()
    if kind == "base64":
        return base64.b64decode(body)
    return str(body).encode()


# -- reading ---------------------------------------------------------------------------------------------------


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {p}: {exc.strerror}") from None
    incomplete = False
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        # A recorder that died mid-write leaves a half interaction at the end: keep the complete ones.
        cut = text.rfind("\n- id:")
        try:
            data = yaml.load(text[: cut + 1], Loader=_Loader) if cut > 0 else None
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict):
            raise CassetteError(f"{p} is not valid YAML: {exc}") from None
        incomplete = True
    return _from_data(data, p, incomplete)


def _from_data(data: Any, p: Path, incomplete: bool) -> Cassette:
    if not isinstance(data, dict) or "version" not in data:
        raise CassetteError(f"{p} is not a clerkmock cassette (no top-level `version:`)")
    version = data["version"]
    if version not in SUPPORTED_VERSIONS:
        hint = (
            "it was written by a newer clerkmock: upgrade clerkmock (pip install -U clerkmock)"
            if isinstance(version, int) and version > VERSION
            else f"this clerkmock reads versions {', '.join(map(str, SUPPORTED_VERSIONS))}: re-record it"
        )
        raise CassetteError(f"{p}: unsupported cassette version {version!r}; {hint}")
    raw = data.get("interactions") or []
    if not isinstance(raw, list):
        raise CassetteError(f"{p}: `interactions` must be a list")
    interactions = []
    for i, item in enumerate(raw, 1):
        try:
            inter = Interaction.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if i == len(raw):  # the last one, cut short by a crash mid-write: the others are complete
                incomplete = True
                break
            raise CassetteError(f"{p}: interaction #{i} is malformed ({exc!r})") from None
        inter.id = inter.id or i
        interactions.append(inter)
    meta = {k: v for k, v in data.items() if k != "interactions"}
    return Cassette(p, interactions, meta, incomplete)


# -- writing ---------------------------------------------------------------------------------------------------


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)


HEADER_COMMENT = (
    "# clerkmock cassette: recorded Clerk Backend API traffic, secrets replaced by placeholders like <jwt:1>.\n"
    "# Replay it: clerkmock replay {name}    Compare the emulator with it: clerkmock verify {name}\n"
)


class CassetteWriter:
    """Writes a cassette one interaction at a time: each is appended, flushed and fsynced as it completes, so a
    crash loses at most the one in flight.  Scrubs every interaction (a copy) before it touches the file."""

    def __init__(self, path: str | os.PathLike[str], meta: dict[str, Any], scrubber: Scrubber) -> None:
        self.path = Path(path)
        self.scrubber = scrubber
        self.count = 0
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        head = {"version": VERSION, **meta}
        self._write(HEADER_COMMENT.format(name=self.path) + dump_yaml(head) + "interactions:\n")

    def append(self, interaction: Interaction) -> Interaction:
        """Scrub and write one interaction; returns what was written."""
        with self._lock:
            if self._fh is None:
                raise ValueError(f"cassette {self.path} is closed")
            self.count += 1
            clean = interaction.scrubbed(self.scrubber)
            clean.id = self.count
            self._write(dump_yaml([clean.to_dict()]))
            return clean

    def _write(self, text: str) -> None:
        assert self._fh is not None
        self._fh.write(text)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
