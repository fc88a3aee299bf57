"""Which browser origins the instance trusts, decided from the state alone (pure: no I/O).

`is_allowed_origin` is the Frontend API's CORS rule (issue 18 item 5): a page may call the instance with
credentials only from a loopback origin (a developer's ``http://localhost:3000``), an origin in the instance's
``allowed_origins`` or ``development_origin`` (``PATCH /v1/instance``), or the origin of one of its redirect URLs
(``POST /v1/redirect_urls``).  Never an arbitrary site: echoing any ``Origin`` with credentials would let every
page a developer visits act as the signed-in user.

`origin_of` and `is_loopback_host` are shared with the control plane's guard (server/control_guard.py).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from clerkmock.engine.state import State

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL or origin, lower-cased, default port dropped; None for
    anything else (``null``, ``myapp://callback``, a relative path, garbage)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a bad port or an unbalanced IPv6 bracket
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host  # hostname drops the brackets of an IPv6 literal
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``, which browsers resolve to loopback), ``127.0.0.0/8`` and ``::1``;
    ``host`` without a port, IPv6 with or without brackets."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or address).is_loopback


def is_allowed_origin(origin: str | None, state: State) -> bool:
    """Whether a browser page at ``origin`` (the request's ``Origin`` header) may call the instance with
    credentials; the answer to echo in ``Access-Control-Allow-Origin`` when True."""
    wanted = origin_of(origin)
    if wanted is None or wanted != (origin or "").strip().lower().rstrip("/"):
        return False  # not a bare origin: browsers send exactly scheme://host[:port]
    host = urlsplit(wanted).hostname or ""
    if is_loopback_host(host):
        return True
    return wanted in trusted_origins(state)


def account_portal_host(st: State) -> str:
    """``<slug>.accounts.dev`` for the Frontend API host ``<slug>.clerk.accounts.dev`` (a development
    instance), ``accounts.<domain>`` for ``clerk.<domain>``: where Clerk serves the instance's Account Portal."""
    host = str(st.instance.frontend_host).lower()
    if ".clerk." in host:
        return host.replace(".clerk.", ".", 1)
    return "accounts." + host.removeprefix("clerk.")


def trusted_origins(state: State) -> set[str]:
    """The origins the instance's settings and redirect URLs name, and its own Account Portal, whose pages call
    the Frontend API (loopback origins are always allowed on top)."""
    settings = state.instance_config.settings
    urls = [*(settings.get("allowed_origins") or ()), settings.get("development_origin"),
            f"https://{account_portal_host(state)}"]
    urls += [r.url for r in state.instance_config.redirect_urls.values()]
    return {o for o in map(origin_of, urls) if o is not None}
