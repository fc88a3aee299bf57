"""The mitmproxy side of clerkmock: the ONLY package that imports mitmproxy (importing it costs ~0.6 s, so
everything else imports this lazily)."""

from clerkmock.proxy.addon import EmulateAddon, UpstreamGuard
from clerkmock.proxy.runner import REVERSE_MODE, ListenError, ProxyRunner

__all__ = ["REVERSE_MODE", "EmulateAddon", "ListenError", "ProxyRunner", "UpstreamGuard"]
