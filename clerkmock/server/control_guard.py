"""Who may steer a running clerkmock: the guard in front of the control plane (docs/security.md, issue 18).

The pipeline asks `ControlGuard.refusal` before any request under the control prefix reaches a handler, so every
control route — today's, the dashboard's, any added later — is covered by its prefix, never route by route.
The Backend and Frontend APIs are not concerned: apps and proxies reach them under many host names.

In order:

1. **Host** (against DNS rebinding): the ``Host`` must name this server as it was reached — a loopback name or
   address, the ``--host`` it listens on, the local address the connection arrived on, or a name given with
   ``--allowed-host`` — else 403.  A rebinding page's requests carry its own name (``evil.example:4818``).
2. **Cross-site** (against CSRF from any page the developer visits): a request a browser sends for another
   site — an ``Origin`` or ``Referer`` that is not this server's own origin, or ``Sec-Fetch-Site`` other than
   ``same-origin``/``none`` — is refused (403), preflights included; a state-changing request a browser makes
   must be JSON (which needs a preflight cross-site) or carry the token.  Clients that are not browsers (curl,
   SDKs, the CLI) send none of these headers and pass.
3. **Token**, where others can reach the port (``--host`` not loopback), in strict mode (``--secret-key``),
   or when a token was given explicitly: ``Authorization: Bearer <control token>`` (or, in strict mode, one of
   the secret keys), else 401.  ``/health`` stays open for liveness probes (host and cross-site checks apply).

``--control-open`` turns the guard off.  The in-process transport is never checked: it has no socket, its caller
is this process.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from clerkmock.engine import ClerkError, Request, errors
from clerkmock.engine.origins import is_loopback_host, origin_of

log = logging.getLogger("clerkmock")

IN_PROCESS = "in-process"  # Request.arrived_on of the in-process transport
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNGUARDED_BY_TOKEN = frozenset({"/health"})  # sub-paths a liveness probe needs without a token
# The dashboard's static files (server/ui/: no data in them) load without a token, so the page can ask for it;
# everything it reads or changes afterwards is guarded like any other control call.
UI_FILES_PREFIX = "/ui"


def _unguarded_by_token(sub_path: str, method: str) -> bool:
    return sub_path in UNGUARDED_BY_TOKEN or (
        method == "GET" and (sub_path == UI_FILES_PREFIX or sub_path.startswith(UI_FILES_PREFIX + "/")))


@dataclass(frozen=True, slots=True)
class ControlAccess:
    """How the control plane is guarded: `ClerkMock(...)` and `clerkmock serve` options."""

    listen_host: str = "127.0.0.1"  # --host
    allowed_hosts: tuple[str, ...] = ()  # --allowed-host; "*" allows any Host
    token: str | None = None  # the control token (always accepted when sent)
    token_given: bool = False  # --control-token / $CLERKMOCK_CONTROL_TOKEN given: then it is required
    open: bool = False  # --control-open: no checks at all

    @property
    def exposed(self) -> bool:
        """Whether the listen address lets other machines in (0.0.0.0, a LAN address, a name)."""
        return not is_loopback_host(self.listen_host)


class ControlGuard:
    def __init__(self, secret_keys: Callable[[], Collection[str]], access: ControlAccess | None = None) -> None:
        self.secret_keys = secret_keys  # the engine's, read live: a scenario may switch strict mode on
        self.access = access or ControlAccess()

    def token_required(self) -> bool:
        a = self.access
        return not a.open and (a.exposed or a.token_given or bool(self.secret_keys()))

    def authenticated(self, request: Request) -> bool:
        """The request is from this process, or carries the control token (or, in strict mode, a secret key);
        with --control-open every request counts (``GET state?secrets=1`` included, as before the guard)."""
        if self.access.open or request.arrived_on == IN_PROCESS:
            return True
        auth = request.headers.get("authorization", "")
        scheme, _, presented = auth.partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            return False
        candidates = [self.access.token] if self.access.token else []
        candidates += list(self.secret_keys())
        encoded = presented.encode()
        return any(hmac.compare_digest(encoded, c.encode()) for c in candidates)

    def refusal(self, request: Request, sub_path: str) -> ClerkError | None:
        """None if the request may reach the control route ``sub_path`` (the path after the prefix), else the
        error to answer."""
        if self.access.open or request.arrived_on == IN_PROCESS:
            return None
        headers = request.headers
        host_header = headers.get("host", "").strip()
        if host_header and not self._host_allowed(host_header, request.arrived_on):
            return _refused(errors.control_host_not_allowed(
                f"The control plane answers only requests addressed to this server (localhost, its --host or an "
                f"--allowed-host), not Host: {host_header}. If you reach clerkmock by this name, start it with "
                f"--allowed-host {_host_name(host_header)}."))
        foreign = self._cross_site(request, host_header)
        if foreign is not None:
            return _refused(errors.control_cross_site_refused(
                f"The control plane refuses requests a browser sends for another site ({foreign}). Call it from "
                "curl, an SDK or the clerkmock CLI, or from a page clerkmock serves itself."))
        authenticated = self.authenticated(request)
        if not authenticated and self.token_required() and not _unguarded_by_token(sub_path, request.method):
            why = ("it listens on a non-loopback address" if self.access.exposed else
                   "strict mode (--secret-key) is on" if self.secret_keys() else "a control token was given")
            return _refused(errors.control_token_required(
                f"This control plane requires Authorization: Bearer <control token> because {why}. The token is "
                "printed by `clerkmock serve` at start and kept in <config dir>/control_token"
                + (" (a secret key works too in strict mode)." if self.secret_keys() else ".")))
        if (request.method not in SAFE_METHODS and not authenticated and _from_browser(request)
                and not _is_json(request)):
            return _refused(errors.control_request_not_json(
                "A state-changing control request from a browser must be JSON (Content-Type: application/json) "
                "or carry the control token."))
        return None

    def _host_allowed(self, host_header: str, arrived_on: str) -> bool:
        host = _host_name(host_header)
        if not host:
            return False
        names = {_canonical(h) for h in (self.access.listen_host, arrived_on, *self.access.allowed_hosts) if h}
        return "*" in names or is_loopback_host(host) or _canonical(host) in names

    def _cross_site(self, request: Request, host_header: str) -> str | None:
        """What shows the request was sent for another site (``Origin: https://evil.example``), or None."""
        headers = request.headers
        own = {f"http://{host_header}", f"https://{host_header}"} if host_header else set()
        own_origins = {o for o in map(origin_of, own) if o is not None}
        for name in ("origin", "referer"):
            value = headers.get(name)
            if value is not None and origin_of(value) not in own_origins:
                return f"{name.title()}: {value}"
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in ("same-origin", "none"):
            return f"Sec-Fetch-Site: {site}"
        return None


def _from_browser(request: Request) -> bool:
    headers = request.headers
    return any(h in headers for h in ("origin", "referer", "sec-fetch-site", "sec-fetch-mode"))


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _host_name(host_header: str) -> str:
    """The name in a Host header, without the port: ``[::1]:4818`` -> ``::1``, ``Example.com.:80`` ->
    ``example.com``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def _canonical(host: str) -> str:
    host = host.strip().lower().strip("[]").rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return str(getattr(address, "ipv4_mapped", None) or address)  # a dual-stack socket's ::ffff:10.0.0.5


def _refused(error: ClerkError) -> ClerkError:
    log.warning("clerkmock: control plane refused a request: %s", error.long_message.split(". ")[0])
    return error
