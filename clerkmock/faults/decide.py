"""`decide(rules, request, state, now_ms, route_of) -> Decision | None`: which rules fire for one request.

Deterministic: no wall clock (the engine's clock is passed in), no global randomness (each rule draws from its
own `random.Random` seeded with the scenario's seed and the rule's id, so ``probability: 0.3`` fires on the
same requests on every run).  The only side effect is on ``state`` (match counters, RNGs, token buckets).

Rules are tried in order.  A `Delay` that fires adds its wait and evaluation goes on; a `RateLimit` whose
bucket has a token takes it and goes on; the first other action that fires ends the evaluation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from clerkmock.engine.types import Request
from clerkmock.faults.matching import RouteOf, matches, path_matches
from clerkmock.faults.rules import Delay, FaultRule, RateLimit


@dataclass(slots=True)
class Counters:
    installed_ms: int
    matched: int = 0  # requests that matched `match` (and were evaluated)
    fired: int = 0  # times the action was taken


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated_ms: int


@dataclass(slots=True)
class FaultState:
    """What the rules remember between requests.  A fresh one per reset."""

    seed: str = "clerkmock"
    counters: dict[str, Counters] = field(default_factory=dict)
    rngs: dict[str, random.Random] = field(default_factory=dict)
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)  # rule ids that match nothing until resumed (or reset)

    def counters_for(self, rule: FaultRule, now_ms: int) -> Counters:
        c = self.counters.get(rule.id)
        if c is None:
            c = self.counters[rule.id] = Counters(now_ms)
        return c

    def rng(self, rule_id: str) -> random.Random:
        r = self.rngs.get(rule_id)
        if r is None:
            r = self.rngs[rule_id] = random.Random(f"{self.seed}\x00{rule_id}")
        return r

    def forget(self, rule_id: str) -> None:
        self.counters.pop(rule_id, None)
        self.rngs.pop(rule_id, None)
        self.paused.discard(rule_id)
        for key in [k for k in self.buckets if k[0] == rule_id]:
            del self.buckets[key]


@dataclass(slots=True)
class Decision:
    delay_ms: int = 0
    rule: FaultRule | None = None  # the rule whose (non-delay) action fires
    fired: list[str] = field(default_factory=list)  # ids of every rule that fired, in order
    retry_after_s: int | None = None  # for a rate limit's 429

    @property
    def fault_id(self) -> str | None:
        if self.rule is not None:
            return self.rule.id
        return self.fired[0] if self.fired else None


def bearer_key(request: Request) -> str:
    return (request.headers.get("authorization") or "").partition(" ")[2].strip()


def _exempt(limit: RateLimit, request: Request, route_of: RouteOf) -> bool:
    for item in limit.exempt:
        method, _, pattern = item.strip().partition(" ")
        if not pattern:
            method, pattern = "*", method
        if method in ("*", request.method.upper()) and path_matches(pattern, request.path, route_of(request)):
            return True
    return False


def _take_token(limit: RateLimit, bucket_key: tuple[str, str], state: FaultState, now_ms: int) -> int | None:
    """None if a token was taken; else the seconds until one is available (Retry-After)."""
    rate_per_ms = limit.requests / (limit.window_s * 1000)
    bucket = state.buckets.get(bucket_key)
    if bucket is None:
        bucket = state.buckets[bucket_key] = Bucket(float(limit.requests), now_ms)
    elapsed = max(0, now_ms - bucket.updated_ms)
    bucket.tokens = min(float(limit.requests), bucket.tokens + elapsed * rate_per_ms)
    bucket.updated_ms = now_ms
    if bucket.tokens >= 1:
        bucket.tokens -= 1
        return None
    return max(1, math.ceil((1 - bucket.tokens) / rate_per_ms / 1000))


def _trigger_allows(rule: FaultRule, c: Counters, state: FaultState, now_ms: int) -> bool:
    if rule.times is not None and c.fired >= rule.times:
        return False
    if c.matched <= rule.after:
        return False
    if rule.every is not None and (c.matched - rule.after) % rule.every != 0:
        return False
    if rule.window is not None and not rule.window.contains(now_ms, c.installed_ms):
        return False
    return not (rule.probability is not None and state.rng(rule.id).random() >= rule.probability)


def decide(
    rules: list[FaultRule] | tuple[FaultRule, ...],
    request: Request,
    state: FaultState,
    now_ms: int,
    route_of: RouteOf,
) -> Decision | None:
    decision: Decision | None = None
    paused = state.paused
    for rule in rules:
        if paused and rule.id in paused:
            continue
        if not matches(rule.match, request, route_of):
            continue
        action = rule.action
        c = state.counters_for(rule, now_ms)
        if isinstance(action, RateLimit) and _exempt(action, request, route_of):
            continue
        c.matched += 1
        if not _trigger_allows(rule, c, state, now_ms):
            continue
        if isinstance(action, RateLimit):
            wait = _take_token(action, (rule.id, bearer_key(request)), state, now_ms)
            if wait is None:
                continue
            c.fired += 1
            decision = decision or Decision()
            decision.fired.append(rule.id)
            decision.rule, decision.retry_after_s = rule, wait
            return decision
        c.fired += 1
        decision = decision or Decision()
        decision.fired.append(rule.id)
        if isinstance(action, Delay):
            decision.delay_ms += action.sample(state.rng(rule.id))
            continue
        decision.rule = rule
        return decision
    return decision
