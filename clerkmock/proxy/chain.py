"""Several addons registered with mitmproxy as ONE addon.

mitmproxy's AddonManager pays for every addon on every event, whether the addon has a hook for it or not: per
addon and event a `safecall` context manager, a coroutine, two generators and two attribute lookups.  A
proxied request fires about eight events (requestheaders, request, responseheaders, response, each followed by
`update`), so each addon in the chain costs ~150,000 instructions per request (callgrind,
docs/performance.md "The forward proxy path"), as much as a quarter of clerkmock's whole answer.  `ProxyRunner`
therefore hands mitmproxy its own addons (host policy, emulate/replay/record, upstream guard, readiness) as
one `AddonChain`, which calls each part's hook in order, as mitmproxy would.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

from mitmproxy import exceptions, hooks

log = logging.getLogger("mitmproxy.addonmanager")  # where mitmproxy's own safecall reports an addon's error


class AddonChain:
    """``parts`` in order; for each mitmproxy hook any part implements, one method that calls them all.  A
    part's exception is logged and the next part still runs (mitmproxy's `safecall`); `AddonHalt` stops the
    chain (and mitmproxy's, as before).  A hook is async only if some part's is, so sync-only hooks (load,
    configure) stay callable from mitmproxy's sync context.  The parts are not visible to mitmproxy as addons:
    no `@command` of theirs would be collected (clerkmock's addons declare none)."""

    name = "clerkmock"  # mitmproxy's addon lookup name

    def __init__(self, parts: Iterable[object]) -> None:
        self.parts = list(parts)
        for hook in hooks.all_hooks:  # every hook mitmproxy's imported modules declare
            funcs = [f for part in self.parts if callable(f := getattr(part, hook, None))]
            if funcs:
                setattr(self, hook, _dispatcher(funcs))

    def __repr__(self) -> str:
        return f"AddonChain({', '.join(type(p).__name__ for p in self.parts)})"


def _dispatcher(funcs: list[Callable[..., Any]]) -> Callable[..., Any]:
    if len(funcs) == 1:
        return funcs[0]  # mitmproxy's own safecall covers a single hook
    if any(inspect.iscoroutinefunction(f) for f in funcs):

        async def call_async(*args: Any) -> None:
            for f in funcs:
                try:
                    res = f(*args)
                    if res is not None and inspect.isawaitable(res):
                        await res
                except (exceptions.AddonHalt, exceptions.OptionsError):
                    raise
                except Exception as exc:  # noqa: BLE001 - mitmproxy logs an addon's error and goes on
                    log.error(f"Addon error: {exc}", exc_info=True)

        return call_async

    def call(*args: Any) -> None:
        for f in funcs:
            try:
                f(*args)
            except (exceptions.AddonHalt, exceptions.OptionsError):
                raise
            except Exception as exc:  # noqa: BLE001 - as above
                log.error(f"Addon error: {exc}", exc_info=True)

    return call
