"""A network guard for the offline checks: records every attempt to resolve a non-local name or to connect to a
non-loopback address in this process (Python audit hooks see the mitmproxy thread's sockets too).

    import guard; guard.install()      # first thing in the process
    ...; guard.attempts                 # [] when nothing tried to leave the machine
    guard.lookups                       # names resolved through DNS / hosts (transparent mode needs one)
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

attempts: list[str] = []  # connections to non-loopback addresses
lookups: list[str] = []  # resolutions of non-local names
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name that would need DNS


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.getaddrinfo":
        host = args[0]
        if host is not None and not _is_loopback(host):
            lookups.append(f"getaddrinfo {host!r}")
    elif event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not _is_loopback(address[0]):
            attempts.append(f"connect {address!r}")


def install() -> None:
    sys.addaudithook(_hook)
