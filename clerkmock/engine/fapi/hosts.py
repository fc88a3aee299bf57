"""Which host a Frontend API request came in on: the instance's real-looking hosts (reached through the forward or
transparent proxy) versus the base URL.  Below every FAPI module (the surface, the Account Portal pages, the OAuth
provider), so none of them imports another to ask."""

from __future__ import annotations

from typing import Any

from clerkmock.engine.origins import account_portal_host
from clerkmock.engine.types import Request


def fapi_hosts(st: Any) -> tuple[str, ...]:
    """The hosts a browser reaches the Frontend API on without a proxy URL: the one the publishable key encodes
    (``<slug>.clerk.accounts.dev`` by default) and ``clerk.<domain>`` of every domain the instance declares."""
    hosts = [st.instance.frontend_host.lower()]
    for dom in st.instance_config.domains.values():
        if dom.name:
            hosts.append(f"clerk.{dom.name.lower()}")
    return tuple(dict.fromkeys(hosts))


def browser_hosts(st: Any) -> tuple[str, ...]:
    """What the proxy modes answer as ``/__clerk/…`` (the addon prefixes the path): the Frontend API hosts and
    the Account Portal host, so an unmodified page, and a server-side redirect to the hosted sign-in page, reach
    clerkmock."""
    return tuple(dict.fromkeys((*fapi_hosts(st), account_portal_host(st))))


def request_is_https(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto", "") == "https" or request.headers.get(":scheme") == "https"


def host_name(request: Request) -> str:
    """The request's ``Host`` (or its URL's host) without the port, lower-cased; ``[v6]`` unbracketed."""
    host = (request.headers.get("host") or request.host or "").strip().lower()
    if host.startswith("[") and "]" in host:
        return host[1:host.index("]")]
    return host.split(":", 1)[0] if host.count(":") == 1 else host
