"""The contract between the pipeline and its adapters (the asyncio listener, the httpx transport, the mitmproxy
addon): `Pipeline.handle` answers every request with a `Directive`, what the adapter must do.

An adapter reads as: convert in (`clerkmock.server.inbound.build_request`), ask the pipeline, carry out the
directive -- in this order:

1. ``deferred`` set: run it on a worker thread (never on an event loop, never under the pipeline lock; the
   control plane waiting for webhook deliveries) and answer with the `Response` it returns, as it is.
2. ``delay_ms`` > 0: wait that long first (with the answer, or before the transport action).
3. ``action``:
   - ``ANSWER``: send ``response`` (status, headers and body bytes as they are: a Clerk JSON error, a
     ``malformed`` fault's broken JSON, an HTML page, a redirect with ``Location`` and ``Set-Cookie`` ...);
   - ``RESET``: abort the connection (a TCP RST where the adapter can); ``DROP``: close it without a
     response; ``HANG``: never answer (the client's timeout ends it).  ``response`` is what the engine
     answered (the client never sees it) or status 0 when the engine never ran;
   - ``TRUNCATE``: send the head with the full ``Content-Length`` and the first ``body_bytes`` bytes of the
     body, then close.

``fault`` names the rule that fired (for error messages and logs).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

from clerkmock.engine.types import Response


class Action(StrEnum):
    ANSWER = "answer"
    RESET = "reset"
    DROP = "drop"
    HANG = "hang"
    TRUNCATE = "truncate"


# The actions that send no HTTP response (`directive.action in SILENT_ACTIONS`): a set rather than a property,
# because the journal asks on every request and a property is a function call.
SILENT_ACTIONS = frozenset((Action.RESET, Action.DROP, Action.HANG))


class Directive(NamedTuple):
    """Immutable.  A NamedTuple rather than a frozen dataclass because one is built per request on the hot path
    (like `JournalEntry`: a frozen dataclass's __init__ costs a few µs, a tuple's a fraction of that)."""

    response: Response
    action: Action = Action.ANSWER
    delay_ms: int = 0
    body_bytes: int = 0  # TRUNCATE: how much of the body goes out before the connection closes
    fault: str | None = None  # the id of the fault rule that fired
    deferred: Callable[[], Response] | None = None

    @property
    def plain(self) -> bool:
        """Send ``response`` now: no wait, no transport action (the common case, checked first)."""
        return self.action is Action.ANSWER and not self.delay_ms and self.deferred is None


def truncated_length(body: bytes) -> int:
    """How much of a truncated answer's body is sent: about half, never all of it (nothing of an empty
    one)."""
    return max(0, len(body) - max(1, len(body) // 2))
