"""YAML scenario files: what the emulated world looks like at start (and after every reset), and what goes
wrong.  See docs/scenarios.md for every key.

    scenario = load("scenarios/basic.yaml")       # parse + check structure + compile fault rules
    pipeline.apply_scenario(scenario)             # seed (all or nothing) and put its faults, rate limit
                                                  # and webhook endpoints in force; returns the created ids
    scenario.apply(engine)                        # only the seeding (what validate and apply_scenario use)

Seed entries go through the engine's own request validation -- a user entry is a ``POST /v1/users`` body --
so a scenario can never create state the API could not.  Errors carry ``file:line``; a failing scenario
leaves the engine exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clerkmock.engine import Engine
from clerkmock.faults import FaultRule, FaultSpecError, RateLimit, compile_rate_limit, compile_rule
from clerkmock.faults.rules import parse_instant
from clerkmock.scenario.errors import ScenarioError
from clerkmock.scenario.schema import (
    BILLING_KEYS,
    CLOCK_KEYS,
    CREATE_REQUESTS,
    ENVIRONMENTS,
    EXTRA_KEYS,
    INSTANCE_KEYS,
    TOP_LEVEL_KEYS,
    json_schema,
)
from clerkmock.scenario.seeding import Progress, Seeder, Summary
from clerkmock.scenario.source import Document, parse_document
from clerkmock.webhooks.config import EndpointSpec, WebhookConfigError, compile_endpoints

# The scenarios shipped in the package (package data: they work after `pip install`, outside this repository).
BUNDLED = Path(__file__).resolve().parent.parent / "scenarios"

SECTIONS = ("users", "permissions", "roles", "organizations", "invitations", "jwt_templates", "sessions")


@dataclass(slots=True)
class InstanceConfig:
    environment: str | None = None
    seed: str | None = None
    clock_start_ms: int | None = None
    clock_frozen: bool | None = None
    clock_offset_ms: int | None = None
    secret_keys: tuple[str, ...] | None = None
    api_version: str | None = None


@dataclass(slots=True)
class Scenario:
    source: str
    doc: Document
    instance: InstanceConfig = field(default_factory=InstanceConfig)
    faults: list[FaultRule] = field(default_factory=list)
    rate_limit: RateLimit | None = None
    webhooks: list[EndpointSpec] = field(default_factory=list)  # installed by Pipeline.apply_scenario
    webhooks_on_seed: bool = False  # seeding emits webhook events only when asked
    frontend: dict[str, Any] = field(default_factory=dict)  # the Frontend API's environment (st.fapi.settings)

    @property
    def seed(self) -> str | None:
        return self.instance.seed

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def apply(self, engine: Engine, progress: Progress | None = None) -> Summary:
        """Seed ``engine``: instance settings, then every entry through the API.  All or nothing.
        ``progress(section, done, total)`` is called after each entry."""
        state_before = engine.state.snapshot()
        clock_before = engine.clock.state()
        keys_before, version_before = engine.secret_keys, engine.default_version
        try:
            inst = self.instance
            if inst.seed is not None:
                engine.state.ids.seed = inst.seed
            if inst.clock_start_ms is not None:
                engine.clock.set(inst.clock_start_ms, frozen=inst.clock_frozen is not False)
            elif inst.clock_offset_ms is not None:
                from clerkmock.engine.clock import Clock

                engine.clock.set(Clock().now_ms() + inst.clock_offset_ms, frozen=bool(inst.clock_frozen))
            elif inst.clock_frozen:
                engine.clock.freeze()
            engine.state.fapi.settings.update(self.frontend)
            with engine.outbox.emitting(self.webhooks_on_seed):
                summary = Seeder(engine, self.doc, progress).run()
            # Last: production refuses POST /v1/sessions, which seeding sessions needs (reference §3).
            if inst.environment is not None:
                engine.state.instance.environment = inst.environment
            if inst.secret_keys is not None:
                engine.secret_keys = frozenset(inst.secret_keys)
            if inst.api_version is not None:
                engine.default_version = inst.api_version
            return summary
        except BaseException:
            engine.state = type(engine.state).restore(state_before)
            engine.clock.restore_state(clock_before)
            engine.secret_keys, engine.default_version = keys_before, version_before
            raise
        finally:
            engine.touch()  # the seeder also writes records directly (its restorer), outside `handle`


# -- loading ------------------------------------------------------------------------------------------------

def parse_text(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check a scenario document (YAML or JSON): every structural problem is reported, with its
    line.  Seeding problems (a bad user entry ...) surface when it is applied."""
    doc = parse_document(text, source)
    problems: list[ScenarioError] = []
    scenario = Scenario(source, doc)
    data = doc.data
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(doc.error((key,), f"unknown top-level key {key!r} (known: {', '.join(TOP_LEVEL_KEYS)})"))
    if "instance" in data:
        scenario.instance = _instance(doc, data["instance"], problems)
    for section in SECTIONS:
        if section in data:
            _check_entries(doc, section, data[section], problems)
    billing = data.get("billing")
    if billing is not None:
        if not isinstance(billing, dict):
            problems.append(doc.error(("billing",), f"billing must be a mapping ({', '.join(BILLING_KEYS)})"))
        else:
            problems += [doc.error(("billing", key), f"unknown billing key {key!r} (known: {', '.join(BILLING_KEYS)})")
                         for key in billing if key not in BILLING_KEYS]
    faults = data.get("faults")
    if faults is not None:
        if not isinstance(faults, list):
            problems.append(doc.error(("faults",), "faults must be a list of rules"))
        else:
            ids: set[str] = set()
            for i, raw in enumerate(faults):
                try:
                    rule = compile_rule(raw, f"{_slug(source)}_{i + 1}")
                except FaultSpecError as exc:
                    problems.append(doc.error(("faults", i, *exc.path), f"faults[{i}]: {exc.message}"))
                    continue
                if rule.id in ids:
                    problems.append(doc.error(("faults", i, "id"), f"faults[{i}]: duplicate fault id {rule.id!r}"))
                ids.add(rule.id)
                scenario.faults.append(rule)
    if "rate_limit" in data:
        try:
            scenario.rate_limit = compile_rate_limit(data["rate_limit"])
        except FaultSpecError as exc:
            problems.append(doc.error(("rate_limit", *exc.path[1:]), f"rate_limit: {exc.message}"))
    if data.get("webhooks") is not None:
        try:
            scenario.webhooks = compile_endpoints(data["webhooks"])
        except WebhookConfigError as exc:
            problems.append(doc.error(("webhooks", *exc.path), exc.message))
    if "webhooks_on_seed" in data:
        if not isinstance(data["webhooks_on_seed"], bool):
            problems.append(doc.error(("webhooks_on_seed",), "webhooks_on_seed must be true or false"))
        else:
            scenario.webhooks_on_seed = data["webhooks_on_seed"]
    if "frontend" in data:
        from clerkmock.engine.fapi.environment import check_settings, normalize

        found = check_settings(data["frontend"])
        problems.extend(doc.error(("frontend", *path), message) for path, message in found)
        if not found:
            scenario.frontend = normalize(data["frontend"])
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ScenarioError.collect(problems)
    return scenario


def find(name: str | os.PathLike[str], search: Iterable[Path] = ()) -> Path:
    """``name`` as given if it exists, else under each of ``search``, else among the bundled scenarios (where
    ``scenarios/basic.yaml``, as the docs write it, names the bundled ``basic.yaml`` from any directory)."""
    path = Path(name)
    if path.is_absolute():
        candidates = [path]
    else:
        if len(path.parts) > 1 and path.parts[0] == BUNDLED.name:
            bundled = BUNDLED.joinpath(*path.parts[1:])  # not …/scenarios/scenarios/…
        else:
            bundled = BUNDLED / path
        candidates = [path, *(d / path for d in search), bundled]
    unique = list(dict.fromkeys(c.resolve() for c in candidates))  # the same place reached two ways: once
    for candidate in unique:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in unique)
    raise FileNotFoundError(f"clerkmock: scenario {os.fspath(name)!r} not found (looked in: {looked})")


def load(path: str | os.PathLike[str]) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot read scenario: {exc.strerror}") from None
    return parse_text(text, str(path))


def validate(path: str | os.PathLike[str]) -> Scenario:
    """Everything a load does, against a throw-away engine: raises `ScenarioError` on the first seeding
    problem, or with every structural one."""
    scenario = load(path)
    scenario.apply(Engine())
    return scenario


# -- structural checks ------------------------------------------------------------------------------------

def _instance(doc: Document, raw: Any, problems: list[ScenarioError]) -> InstanceConfig:
    from clerkmock.engine import spec

    cfg = InstanceConfig()
    if not isinstance(raw, dict):
        problems.append(doc.error(("instance",), "instance must be a mapping"))
        return cfg
    for key in raw:
        if key not in INSTANCE_KEYS:
            problems.append(doc.error(("instance", key),
                                      f"unknown instance key {key!r} (known: {', '.join(INSTANCE_KEYS)})"))
    env = raw.get("environment")
    if env is not None:
        if env not in ENVIRONMENTS:
            problems.append(doc.error(("instance", "environment"), "instance.environment must be development or production"))
        else:
            cfg.environment = env
    if raw.get("seed") is not None:
        cfg.seed = str(raw["seed"])
    keys = raw.get("secret_keys")
    if keys is not None:
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            problems.append(doc.error(("instance", "secret_keys"), "instance.secret_keys must be a non-empty list of keys"))
        else:
            cfg.secret_keys = tuple(keys)
    version = raw.get("api_version")
    if version is not None:
        if str(version) not in spec.KNOWN_VERSIONS:
            problems.append(doc.error(("instance", "api_version"),
                                      f"instance.api_version must be one of {', '.join(spec.KNOWN_VERSIONS)}"))
        else:
            cfg.api_version = str(version)
    clock = raw.get("clock")
    if clock is not None:
        _clock(doc, clock, cfg, problems)
    return cfg


def _clock(doc: Document, clock: Any, cfg: InstanceConfig, problems: list[ScenarioError]) -> None:
    where = ("instance", "clock")
    if not isinstance(clock, dict):
        problems.append(doc.error(where, "instance.clock must be a mapping (start, frozen, offset_s)"))
        return
    for key in clock:
        if key not in CLOCK_KEYS:
            problems.append(doc.error((*where, key), f"unknown clock key {key!r} (known: {', '.join(CLOCK_KEYS)})"))
    if "start" in clock and "offset_s" in clock:
        problems.append(doc.error(where, "instance.clock takes start or offset_s, not both"))
    start = clock.get("start")
    if start is not None:
        ms = start if isinstance(start, int) and not isinstance(start, bool) else parse_instant(start)
        if ms is None:
            problems.append(doc.error((*where, "start"), "clock.start must be an RFC 3339 time or Unix milliseconds"))
        cfg.clock_start_ms = ms
    offset = clock.get("offset_s")
    if offset is not None:
        if not isinstance(offset, (int, float)) or isinstance(offset, bool):
            problems.append(doc.error((*where, "offset_s"), "clock.offset_s must be a number of seconds"))
        else:
            cfg.clock_offset_ms = int(offset * 1000)
    frozen = clock.get("frozen")
    if frozen is not None:
        if not isinstance(frozen, bool):
            problems.append(doc.error((*where, "frozen"), "clock.frozen must be true or false"))
        else:
            cfg.clock_frozen = frozen


def _check_entries(doc: Document, section: str, entries: Any, problems: list[ScenarioError]) -> None:
    method, path = CREATE_REQUESTS[section]
    if not isinstance(entries, list):
        problems.append(doc.error((section,), f"{section} must be a list of {method} /v1{path} bodies"))
        return
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(doc.error((section, i), f"{section}[{i}] must be a mapping (a {method} /v1{path} body)"))
            continue
        if section == "organizations":
            for nested in ("members", "invitations"):
                items = entry.get(nested)
                if items is None:
                    continue
                if not isinstance(items, list):
                    problems.append(doc.error((section, i, nested), f"{section}[{i}].{nested} must be a list"))
                    continue
                for j, item in enumerate(items):
                    if not isinstance(item, dict):
                        problems.append(doc.error((section, i, nested, j),
                                                  f"{section}[{i}].{nested}[{j}] must be a mapping"))
                    elif nested == "members" and not ("user" in item or "user_id" in item):
                        problems.append(doc.error((section, i, nested, j),
                                                  f"{section}[{i}].members[{j}] needs user (and role)"))


def _slug(source: str) -> str:
    stem = Path(source).stem if source and not source.startswith("<") else "fault"
    return "".join(c if c.isalnum() else "_" for c in stem) or "fault"


__all__ = [
    "BUNDLED", "Document", "EXTRA_KEYS", "InstanceConfig", "Scenario", "ScenarioError", "find", "load",
    "json_schema", "parse_text", "validate",
]
