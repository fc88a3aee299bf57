"""The mitmproxy side of clerkmock: the ONLY package that imports mitmproxy (importing it costs ~0.6 s, so
everything else imports this lazily, and so does this package: `from clerkmock.proxy.ca import ensure_ca`
does not load the proxy machinery)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clerkmock.proxy.addon import EmulateAddon, UpstreamGuard
    from clerkmock.proxy.runner import REVERSE_MODE, ListenError, ProxyRunner

__all__ = ["REVERSE_MODE", "EmulateAddon", "ListenError", "ProxyRunner", "UpstreamGuard"]

_WHERE = {
    "EmulateAddon": "clerkmock.proxy.addon",
    "UpstreamGuard": "clerkmock.proxy.addon",
    "REVERSE_MODE": "clerkmock.proxy.runner",
    "ListenError": "clerkmock.proxy.runner",
    "ProxyRunner": "clerkmock.proxy.runner",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'clerkmock.proxy' has no attribute {name!r}")
