"""The environment variables an app needs to reach one clerkmock server: the only place they are built.

`clerkmock env` (offline defaults, or asked of a running server), `clerkmock serve`'s output,
``GET /__clerkmock/env``, ``ClerkMock.env()`` / ``proxy_env()``, the pytest fixture's ``env`` and
`clerkmock.keys` all come through `variables()`, so a value cannot differ by path.

A `Target` holds what the values are computed from; `VARIABLES` has one row per variable, in print order,
with the modes it belongs to: ``base`` (the app's Clerk SDK is pointed at ``CLERK_API_URL``) or ``proxy`` (an
unmodified app keeps ``https://api.clerk.com`` and goes through ``serve --proxy-port``).  Adding a variable is
adding a row; a row whose value is None for a target is left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from clerkmock.engine import tokens


class Served(Protocol):
    """What `target_of` reads of a `ClerkMock` (typed structurally: mock.py imports this module)."""

    engine: Any
    proxy_port: int | None
    config_dir: Path

    @property
    def running(self) -> bool: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def webhooks(self) -> Any: ...
    @property
    def url(self) -> str: ...
    @property
    def proxy_url(self) -> str: ...

type Mode = Literal["base", "proxy"]
MODES: tuple[Mode, ...] = ("base", "proxy")
LOOPBACK_HOSTS = "localhost,127.0.0.1,::1"
FAPI_PREFIX = "/__clerk"  # the Frontend API and the bundles on the base URL (Clerk's own proxy path)


@dataclass(frozen=True, slots=True)
class Target:
    """One server as an app reaches it.  None = not known / not there (e.g. `record` has no instance)."""

    secret_key: str | None = None
    frontend_host: str | None = None  # the instance's Frontend API host, encoded in the publishable key
    signing_key: str | None = None  # the instance's private PEM; only its public half is ever printed
    webhook_secret: str | None = None
    production: bool = False  # a production instance: pk_live_ keys
    api_url: str | None = None  # CLERK_API_URL (no /v1); None = no base-URL listener known
    proxy_url: str | None = None  # the forward proxy (HTTPS_PROXY); None = no proxy listener
    ca_bundle: str | None = None  # system roots + clerkmock's CA (replaces a client's trust store)
    ca_cert: str | None = None  # clerkmock's CA alone (added to Node's roots)


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    value: Callable[[Target], str | None]
    modes: tuple[Mode, ...] = MODES


def publishable_key(frontend_host: str, *, production: bool = False) -> str:
    """``CLERK_PUBLISHABLE_KEY``: ``pk_test_`` (``pk_live_`` for a production instance) + the FAPI host."""
    return tokens.publishable_key(frontend_host, live=production)


def jwt_key(signing_key_pem: str) -> str:
    """``CLERK_JWT_KEY``: the PEM public key, on one line (both Clerk SDKs strip a PEM's line breaks)."""
    return "".join(tokens.public_key_pem(signing_key_pem).splitlines())


VARIABLES: tuple[Variable, ...] = (
    # Forward proxy (docs/proxy.md): HTTPS_PROXY; NO_PROXY keeps loopback traffic off it; SSL_CERT_FILE
    # (OpenSSL, httpx, the Clerk Python SDK), REQUESTS_CA_BUNDLE (requests) and CURL_CA_BUNDLE (curl ignores
    # SSL_CERT_FILE) replace the trust store, so they get the combined bundle; NODE_EXTRA_CA_CERTS adds to
    # Node's roots, so it gets the CA alone; NODE_USE_ENV_PROXY=1 makes Node >= 22.21/24 honour HTTPS_PROXY.
    Variable("HTTPS_PROXY", lambda t: t.proxy_url, ("proxy",)),
    Variable("NO_PROXY", lambda t: LOOPBACK_HOSTS, ("proxy",)),
    Variable("SSL_CERT_FILE", lambda t: t.ca_bundle, ("proxy",)),
    Variable("REQUESTS_CA_BUNDLE", lambda t: t.ca_bundle, ("proxy",)),
    Variable("CURL_CA_BUNDLE", lambda t: t.ca_bundle, ("proxy",)),
    Variable("NODE_EXTRA_CA_CERTS", lambda t: t.ca_cert, ("proxy",)),
    Variable("NODE_USE_ENV_PROXY", lambda t: "1", ("proxy",)),
    # The app's Clerk configuration.  Behind the proxy the app keeps https://api.clerk.com: no CLERK_API_URL.
    Variable("CLERK_API_URL", lambda t: t.api_url, ("base",)),
    Variable("CLERK_SECRET_KEY", lambda t: t.secret_key),
    Variable("CLERK_PUBLISHABLE_KEY",
             lambda t: t.frontend_host and publishable_key(t.frontend_host, production=t.production)),
    Variable("CLERK_JWT_KEY", lambda t: t.signing_key and jwt_key(t.signing_key)),
    Variable("CLERK_WEBHOOK_SIGNING_SECRET", lambda t: t.webhook_secret),
    # Server SDKs (@clerk/express, @clerk/fastify …) send telemetry to Clerk from development instances: offline
    # there is nowhere to send it.
    Variable("CLERK_TELEMETRY_DISABLED", lambda t: "1"),
    # The browser side (docs/browser.md): clerk-js reaches the Frontend API through the proxy URL, and loads itself
    # and Clerk's UI from clerkmock's bundle cache.  An absolute proxy URL makes clerk-js build https bundle URLs,
    # so they are given explicitly.  Behind the forward proxy the page uses the real hosts: none of these.
    Variable("CLERK_PROXY_URL", lambda t: t.api_url and t.api_url + FAPI_PREFIX, ("base",)),
    Variable("CLERK_JS_URL", lambda t: t.api_url and bundle_url(t.api_url, "@clerk/clerk-js"), ("base",)),
    Variable("CLERK_UI_URL", lambda t: t.api_url and bundle_url(t.api_url, "@clerk/ui"), ("base",)),
)

# `clerkmock env --next` / `--vite`: the names the framework's Clerk SDK reads, besides the plain ones (which its
# server side reads).  Checked in the packages: @clerk/nextjs 7.9 reads NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
# _PROXY_URL, _JS_URL, _UI_URL and _TELEMETRY_DISABLED; @clerk/react 6.18 reads VITE_CLERK_PUBLISHABLE_KEY (or
# CLERK_PUBLISHABLE_KEY) only, and a Vite app passes the others to <ClerkProvider> itself (proxyUrl,
# __internal_clerkJSUrl, __internal_clerkUIUrl) from import.meta.env, where Vite exposes only VITE_* names.
FRAMEWORKS = ("next", "vite")
_BROWSER_NAMES = ("CLERK_PUBLISHABLE_KEY", "CLERK_PROXY_URL", "CLERK_JS_URL", "CLERK_UI_URL")
_FRAMEWORK_PREFIX = {"next": "NEXT_PUBLIC_", "vite": "VITE_"}
# Telemetry off: @clerk/nextjs reads the NEXT_PUBLIC_ name (browser and server), Next itself NEXT_TELEMETRY_DISABLED.
_FRAMEWORK_EXTRA = {"next": {"NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED": "1", "NEXT_TELEMETRY_DISABLED": "1"}, "vite": {}}
# Where @clerk/nextjs sends signed-out users (auth.protect(), redirectToSignIn()): clerkmock's Account Portal pages
# on the base URL (engine/fapi/portal.py).  Names checked in @clerk/nextjs 7.9.17's dist.  Without them Next
# sends the browser to https://<slug>.accounts.dev, reachable only through the forward proxy.
_PORTAL_PAGES = {"next": {"NEXT_PUBLIC_CLERK_SIGN_IN_URL": "/sign-in", "NEXT_PUBLIC_CLERK_SIGN_UP_URL": "/sign-up"},
                 "vite": {}}


def variables(target: Target, mode: Mode = "base", framework: str | None = None) -> dict[str, str]:
    """The variables of ``mode`` for ``target``, in print order; with ``framework`` (next, vite) also the names
    that framework's Clerk SDK reads in the browser."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "proxy" and target.proxy_url is None:
        raise ValueError("no forward proxy: start the server with --proxy-port (ClerkMock(proxy_port=0))")
    values = ((v.name, v.value(target)) for v in VARIABLES if mode in v.modes)
    found = {name: value for name, value in values if value is not None}
    return found if framework is None else for_framework(found, framework)


def for_framework(values: dict[str, str], framework: str) -> dict[str, str]:
    """``values`` plus the browser-side ones under ``framework``'s names (NEXT_PUBLIC_…, VITE_…)."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, not {framework!r}")
    prefix = _FRAMEWORK_PREFIX[framework]
    named = {prefix + name: values[name] for name in _BROWSER_NAMES if name in values}
    proxy = values.get("CLERK_PROXY_URL")  # the pages live beside the Frontend API, under /__clerk
    pages = {name: proxy + page for name, page in _PORTAL_PAGES[framework].items()} if proxy else {}
    return {**values, **named, **pages, **_FRAMEWORK_EXTRA[framework]}


def bundle_url(api_url: str, package: str) -> str:
    """Where a page loads ``package``'s browser bundle from clerkmock: the major of the version tested, which
    resolves to the newest cached version of that major (clerkmock/assets/)."""
    from clerkmock.assets import DEFAULT_VERSIONS

    major = DEFAULT_VERSIONS[package].split(".")[0]
    entry = "ui.browser.js" if package == "@clerk/ui" else "clerk.browser.js"
    return f"{api_url}{FAPI_PREFIX}/npm/{package}@{major}/dist/{entry}"


def all_variables(target: Target) -> dict[str, str]:
    """What `serve` prints: the base-URL variables, then the proxy's when it has one."""
    base = variables(target, "base")
    return base if target.proxy_url is None else {**base, **variables(target, "proxy")}


def url_of(host: str, port: int) -> str:
    """``http://host:port`` as a client reaches a listener bound to ``host`` (wildcards -> loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def with_proxy(target: Target, proxy_url: str, config_dir: str | os.PathLike[str] | None) -> Target:
    """``target`` plus a forward proxy and clerkmock's CA files (they may not exist yet: `proxy.ca.ensure_ca`)."""
    from clerkmock.proxy.ca import ca_files  # cheap: clerkmock.proxy loads mitmproxy lazily

    files = ca_files(config_dir)
    return replace(target, proxy_url=proxy_url, ca_bundle=str(files.bundle), ca_cert=str(files.cert))


def target_of(mock: Served) -> Target:
    """The Target of a `ClerkMock` as it is now: its listeners (if started), keys and instance."""
    from clerkmock.engine.resources.auth.common import signing_key

    state = mock.engine.state
    target = Target(
        secret_key=mock.secret_key,
        frontend_host=state.instance.frontend_host,
        production=state.instance.environment == "production",
        signing_key=signing_key(state),
        webhook_secret=mock.webhooks.signing_secret,
        api_url=mock.url if mock.running else None,
    )
    if mock.running and mock.proxy_port is not None:
        target = with_proxy(target, mock.proxy_url, mock.config_dir)
    return target
