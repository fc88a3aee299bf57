"""Scripted failures: fault rules (match + action + trigger), decided purely; the pipeline builds the
responses and each adapter carries out the transport part (delay, reset, drop, hang, truncate).

    from clerkmock.faults import compile_rule
    rule = compile_rule({"match": {"method": "POST", "path": "/v1/users"},
                         "respond": {"error": "too_many_requests"}, "times": 1}, "r1")
"""

from clerkmock.faults.decide import Decision, FaultState, decide
from clerkmock.faults.faultset import RATE_LIMIT_RULE_ID, FaultSet, FaultsBaseline
from clerkmock.faults.matching import matches, path_matches
from clerkmock.faults.rules import (
    ACTION_KEYS,
    MATCH_KEYS,
    RATE_LIMITS,
    TRANSPORT_ACTIONS,
    Action,
    Delay,
    Drop,
    FaultRule,
    FaultSpecError,
    Hang,
    Malformed,
    Match,
    RateLimit,
    Reset,
    Respond,
    Truncate,
    Window,
    compile_match,
    compile_rate_limit,
    compile_rule,
)

__all__ = [
    "ACTION_KEYS", "MATCH_KEYS", "RATE_LIMITS", "RATE_LIMIT_RULE_ID", "TRANSPORT_ACTIONS",
    "Action", "Decision", "Delay", "Drop", "FaultRule", "FaultSet", "FaultSpecError", "FaultState",
    "FaultsBaseline", "Hang", "Malformed", "Match", "RateLimit", "Reset", "Respond", "Truncate", "Window",
    "compile_match", "compile_rate_limit", "compile_rule", "decide", "matches", "path_matches",
]
