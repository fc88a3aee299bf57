"""`FaultSet`: the rules in force and what they remember; owned by the pipeline, used under its lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clerkmock.engine.types import Request
from clerkmock.faults.decide import Decision, FaultState, decide
from clerkmock.faults.matching import RouteOf
from clerkmock.faults.rules import FaultRule, FaultSpecError, RateLimit, compile_rule

RATE_LIMIT_RULE_ID = "rate_limit"


@dataclass(frozen=True, slots=True)
class FaultsBaseline:
    rules: tuple[FaultRule, ...]
    next_id: int
    seed: str


class FaultSet:
    def __init__(self, seed: str = "clerkmock", now: Callable[[], int] = lambda: 0) -> None:
        self.rules: list[FaultRule] = []
        self.state = FaultState(seed)
        self.now = now  # the engine clock (Unix ms): a rule's time window counts from when it was added
        self._next_id = 1

    @property
    def seed(self) -> str:
        return self.state.seed

    # -- rules ----------------------------------------------------------------------------------------------

    def add(self, rule: FaultRule | dict[str, Any] | str, now_ms: int | None = None, *,
            first: bool = False) -> FaultRule:
        """Install a rule (a `FaultRule` or its YAML/JSON shape).  A rule with an id already in use replaces
        that rule in place (so applying a scenario twice does not duplicate its rules)."""
        if not isinstance(rule, FaultRule):
            if isinstance(rule, str):
                raise FaultSpecError("a fault rule must be a mapping, not a string")
            rule = compile_rule(rule, self._new_id())
        if now_ms is None:
            now_ms = self.now()
        for i, existing in enumerate(self.rules):
            if existing.id == rule.id:
                self.rules[i] = rule
                self.state.forget(rule.id)
                self.state.counters_for(rule, now_ms)  # a window counts from here
                return rule
        self.state.forget(rule.id)
        self.state.counters_for(rule, now_ms)
        if first or rule.id == RATE_LIMIT_RULE_ID:  # the instance-wide limit is evaluated before the others
            self.rules.insert(0, rule)
        else:
            self.rules.append(rule)
        return rule

    def set_rate_limit(self, limit: RateLimit | None, now_ms: int | None = None) -> FaultRule | None:
        """The instance-wide rate limit (scenario ``rate_limit``): always the first rule, id ``rate_limit``."""
        self.remove(RATE_LIMIT_RULE_ID)
        if limit is None:
            return None
        spec = {"id": RATE_LIMIT_RULE_ID, "rate_limit": {
            "requests": limit.requests, "window_s": limit.window_s, "exempt": list(limit.exempt)}}
        return self.add(compile_rule(spec, RATE_LIMIT_RULE_ID), now_ms, first=True)

    def remove(self, rule_id: str) -> bool:
        for i, rule in enumerate(self.rules):
            if rule.id == rule_id:
                del self.rules[i]
                self.state.forget(rule_id)
                return True
        return False

    def clear(self) -> None:
        self.rules.clear()
        self.state = FaultState(self.state.seed)

    def get(self, rule_id: str) -> FaultRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def _new_id(self) -> str:
        taken = {r.id for r in self.rules}
        while True:
            candidate = f"fault_{self._next_id}"
            self._next_id += 1
            if candidate not in taken:
                return candidate

    # -- deciding -------------------------------------------------------------------------------------------

    def decide(self, request: Request, now_ms: int, route_of: RouteOf) -> Decision | None:
        if not self.rules:
            return None
        return decide(self.rules, request, self.state, now_ms, route_of)

    # -- reset ----------------------------------------------------------------------------------------------

    def baseline(self) -> FaultsBaseline:
        return FaultsBaseline(tuple(self.rules), self._next_id, self.state.seed)

    def restore(self, baseline: FaultsBaseline, now_ms: int | None = None) -> None:
        """Back to those rules with fresh counters, RNGs and buckets (a rule's window restarts at ``now_ms``)."""
        self.rules = list(baseline.rules)
        self._next_id = baseline.next_id
        self.state = FaultState(baseline.seed)
        now = self.now() if now_ms is None else now_ms
        for rule in self.rules:
            self.state.counters_for(rule, now)

    def reseed(self, seed: str, now_ms: int | None = None) -> None:
        self.state = FaultState(seed)
        now = self.now() if now_ms is None else now_ms
        for rule in self.rules:
            self.state.counters_for(rule, now)

    # -- listing --------------------------------------------------------------------------------------------

    def describe(self, rule: FaultRule) -> dict[str, Any]:
        c = self.state.counters.get(rule.id)
        spec = {k: v for k, v in rule.spec.items() if k != "id"}
        return {"id": rule.id, **_jsonable(spec), "action": rule.kind,
                "matched": c.matched if c else 0, "fired": c.fired if c else 0,
                "paused": rule.id in self.state.paused}

    def pause(self, rule_id: str, paused: bool) -> bool:
        """Pause (the rule matches nothing) or resume a rule; False if there is no such rule."""
        if self.get(rule_id) is None:
            return False
        if paused:
            self.state.paused.add(rule_id)
        else:
            self.state.paused.discard(rule_id)
        return True

    def fired(self, rule_id: str) -> int:
        c = self.state.counters.get(rule_id)
        return c.fired if c else 0

    def matched(self, rule_id: str) -> int:
        c = self.state.counters.get(rule_id)
        return c.matched if c else 0


def _jsonable(value: Any) -> Any:
    from datetime import date, datetime

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value
