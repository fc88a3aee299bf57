"""`clerkmock` command line.  Thin: parse options, call the library, print."""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NoReturn

import click

from clerkmock.config import DEFAULT_PORT, DEFAULT_PROXY_PORT, DEFAULT_TRANSPARENT_PORT
from clerkmock.version import __version__
from clerkmock.control_token import ENV_CONTROL_TOKEN, token_path

ENV_SECRET_KEYS = "CLERKMOCK_SECRET_KEYS"
ENV_PORT = "CLERKMOCK_PORT"  # the base-URL port when --port is not given (serve, env, record, replay)
FORMATS = ("export", "dotenv", "json", "fish")  # of `clerkmock env`


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clerkmock")
def main() -> None:
    """clerkmock: a local emulator of Clerk's Backend API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), envvar=ENV_PORT,
              help=f"0 = any free port (default also from ${ENV_PORT}).")
@click.option("--scenario", type=click.Path(dir_okay=False),
              help="YAML scenario to seed: a path, or a bundled one by name (basic.yaml, scenarios/b2b.yaml …).")
@click.option(
    "--secret-key",
    "secret_keys",
    multiple=True,
    help=f"Accept only these keys (repeatable; also ${ENV_SECRET_KEYS}). Default: any key.",
)
@click.option(
    "--config-dir", type=click.Path(file_okay=False), help="Default: $CLERKMOCK_CONFIG_DIR or ~/.config/clerkmock."
)
@click.option("--seed", default="clerkmock", show_default=True, help="Seed for deterministic ids.")
@click.option(
    "--signing-key",
    type=click.Path(exists=True, dir_okay=False),
    help="RSA-2048 private key PEM for session tokens. Default: <config dir>/signing_key.pem (created once).",
)
@click.option(
    "--listener",
    type=click.Choice(["asyncio", "mitmproxy"]),
    default="asyncio",
    show_default=True,
    help="Base-URL listener: the lean asyncio server, or a mitmproxy reverse proxy (the interception path).",
)
@click.option(
    "--rate-limit",
    type=click.Choice(["off", "development", "production"]),
    default="off",
    show_default=True,
    help="Clerk's rate limit per secret key: development 100 / 10 s, production 1000 / 10 s (GET /v1/jwks exempt). "
    "A scenario's rate_limit also turns it on.",
)
@click.option(
    "--proxy-port",
    type=click.IntRange(0, 65535),
    help="Also listen as a forward HTTPS proxy (e.g. 4819) for apps that keep https://api.clerk.com: "
    'eval "$(clerkmock env --proxy)".',
)
@click.option(
    "--intercept-host",
    "intercept_hosts",
    multiple=True,
    help="Another host to answer as the Clerk API on the proxy listeners, besides api.clerk.com and api.clerk.dev "
    "(repeatable).",
)
@click.option(
    "--passthrough", is_flag=True, help="Let other hosts through the proxy (default: refuse them with a 502)."
)
@click.option("--transparent", is_flag=True, help="Also listen as a transparent proxy (iptables: docs/proxy.md).")
@click.option(
    "--transparent-port", default=DEFAULT_TRANSPARENT_PORT, show_default=True, type=click.IntRange(0, 65535),
    help="Port of the --transparent listener.",
)  # fmt: skip
@click.option(
    "--webhook", "webhooks", multiple=True, metavar="URL",
    help="Deliver Svix-signed webhook events to URL (repeatable; docs/webhooks.md).",
)
@click.option(
    "--webhook-secret", metavar="whsec_…",
    help="Signing secret for webhook endpoints without their own. Default: derived from --seed "
    "(what `clerkmock env` prints as CLERK_WEBHOOK_SIGNING_SECRET).",
)
@click.option(
    "--webhook-retry-schedule", metavar="SECONDS",
    help="Seconds before each webhook retry, comma-separated (e.g. 1,5,30). Default: Svix's 5s,5m,30m,2h,5h,10h,10h.",
)  # fmt: skip
@click.option(
    "--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
    help="Another name the control plane (/__clerkmock/…) may be addressed by in the Host header, besides "
    "localhost, loopback addresses and --host (repeatable; * = any). docs/security.md.",
)
@click.option(
    "--control-token", envvar=ENV_CONTROL_TOKEN, metavar="TOKEN",
    help=f"Require Authorization: Bearer TOKEN on the control plane (also ${ENV_CONTROL_TOKEN}). Default: a token "
    "kept in <config dir>/control_token, required when --host is not loopback or in strict mode.",
)
@click.option(
    "--control-open", is_flag=True,
    help="Turn the control plane's guard off (no Host, cross-site or token checks): anyone who reaches the port "
    "can steer the server.",
)
@click.option(
    "--state-file", type=click.Path(dir_okay=False), metavar="PATH",
    help="Load state from PATH at start (if it exists) and keep it written there, atomically, at most ~100 ms "
    "after changes and on shutdown (docs/persistence.md).",
)  # fmt: skip
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
    help="Bundle cache for /__clerk/npm/… (clerk-js, @clerk/ui). Default: $CLERKMOCK_CACHE_DIR, "
    "$XDG_CACHE_HOME/clerkmock or ~/.cache/clerkmock.",
)  # fmt: skip
def serve(
    host: str,
    port: int,
    scenario: str | None,
    secret_keys: tuple[str, ...],
    config_dir: str | None,
    seed: str,
    signing_key: str | None,
    listener: str,
    rate_limit: str,
    proxy_port: int | None,
    intercept_hosts: tuple[str, ...],
    passthrough: bool,
    transparent: bool,
    transparent_port: int,
    webhooks: tuple[str, ...],
    webhook_secret: str | None,
    webhook_retry_schedule: str | None,
    state_file: str | None,
    cache_dir: str | None,
    allowed_hosts: tuple[str, ...],
    control_token: str | None,
    control_open: bool,
) -> None:
    """Serve the emulator until Ctrl-C / SIGTERM; prints the env an app needs."""
    _log_to_stderr()
    from clerkmock.mock import ClerkMock
    from clerkmock.server import gc_policy
    from clerkmock.server.http import ListenError  # not via proxy/: mitmproxy's import costs ~0.5 s

    keys = [*secret_keys, *(k for k in re.split(r"[,\s]+", os.environ.get(ENV_SECRET_KEYS, "")) if k)]
    _check_distinct_ports(port, proxy_port, transparent_port if transparent else None)
    if scenario is not None:
        from clerkmock.scenario import find as find_scenario

        try:
            scenario = str(find_scenario(scenario))
        except FileNotFoundError as exc:
            _fail(str(exc).removeprefix("clerkmock: "))
    status = _Status()
    if scenario is not None:
        status(f"loading {scenario} …")
    gc_policy.tune()
    try:
        mock = ClerkMock(port, host, dict.fromkeys(keys), scenario, seed, config_dir=config_dir,
                         signing_key=signing_key, listener=listener, proxy_port=proxy_port,
                         transparent_port=transparent_port if transparent else None,
                         intercept_hosts=intercept_hosts, passthrough=passthrough, webhooks=webhooks,
                         webhook_secret=webhook_secret, webhook_retry_schedule=webhook_retry_schedule,
                         state_file=state_file, cache_dir=cache_dir, allowed_hosts=allowed_hosts,
                         control_token=control_token or None, control_open=control_open,
                         progress=status.counter("seeding"))
        status("")
        if rate_limit != "off":
            from clerkmock.faults import compile_rate_limit

            mock.pipeline.faults.set_rate_limit(compile_rate_limit(rate_limit))
            mock.pipeline.set_baseline()  # reset keeps it
        mock.start()
        gc_policy.settle()
    except ListenError as exc:
        _fail(f"{exc}" + _listen_hint(exc, port, proxy_port, transparent_port if transparent else None))
    except (OSError, ValueError) as exc:  # a bad scenario, an unreadable config dir ...
        status("")
        _fail(str(exc))

    stop = threading.Event()
    # mitmproxy runs in its own thread; signals arrive in this one.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from clerkmock import appenv

    click.echo(format_env(appenv.all_variables(appenv.target_of(mock)), "dotenv"), nl=False)
    if mock.transparent_port is not None:
        click.echo(f"CLERKMOCK_TRANSPARENT_PORT={mock.transparent_port}")
    if mock.control_token_required:  # printed once, here; clients on this machine also find it in the file
        click.echo(f"{ENV_CONTROL_TOKEN}={mock.control_token}")
    sys.stdout.flush()  # a parent process waits for these lines through a pipe
    if mock.state_file is not None:
        verb = "loaded from" if mock.state_loaded else "writing to"
        click.echo(f"clerkmock: state {verb} {mock.state_file.path}", err=True)
    if control_open:
        click.echo(f"clerkmock: WARNING --control-open: the control plane ({mock.url}/__clerkmock/…) answers "
                   "anyone who can reach this port, from any site: state with secrets, reset, seed, faults, clock",
                   err=True)
    elif mock.control_token_required:
        click.echo(f"clerkmock: the control plane requires Authorization: Bearer ${ENV_CONTROL_TOKEN}"
                   + ("" if control_token else f" (kept in {token_path(mock.config_dir)})"), err=True)
    click.echo(f"clerkmock {__version__}: serving {mock.api_url} (Ctrl-C to stop)", err=True)
    click.echo(f"clerkmock: dashboard {mock.url}/__clerkmock/ui", err=True)
    stop.wait()
    mock.stop()
    click.echo("clerkmock: stopped", err=True)


@main.command()
@click.option("--missing", "show", flag_value="missing", help="Only operations clerkmock lacks.")
@click.option("--implemented", "show", flag_value="implemented", help="Only operations clerkmock serves.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--fapi", is_flag=True, help="The Frontend API (what clerk-js calls) instead of the Backend API.")
def routes(show: str | None, as_json: bool, fapi: bool) -> None:
    """List the Clerk Backend API (or, with --fapi, Frontend API) operations and whether clerkmock implements
    each."""
    from clerkmock.engine import Engine
    from clerkmock.engine.spec import all_operations, fapi_operations, undocumented_operations

    engine = Engine()
    router = engine.fapi.router if fapi else engine.router
    served = {(r.method, r.template): r.name for r in router.routes}
    prefix = "" if fapi else "/v1"
    ops = (sorted(fapi_operations().values(), key=lambda o: (o.tags[0] if o.tags else "", o.path, o.method))
           if fapi else all_operations())

    def as_row(op: Any) -> dict[str, Any]:
        return {
            "method": op.method,
            "path": prefix + op.path,
            "operation_id": op.operation_id,
            "tag": op.tags[0] if op.tags else "(untagged)",
            "deprecated": op.deprecated,
            "implemented": (op.method, op.path) in served,
            "route": served.get((op.method, op.path)),
        }

    def wanted(r: dict[str, Any]) -> bool:
        return show is None or r["implemented"] == (show == "implemented")

    rows = [as_row(op) for op in ops]
    # Operations Clerk's SDKs call that the published spec leaves empty (spec/undocumented.yml): listed apart,
    # so the coverage figure stays a figure about Clerk's spec.
    extra = [] if fapi else [as_row(op) for op in sorted(undocumented_operations().values(), key=lambda o: o.path)]
    total, done = len(rows), sum(r["implemented"] for r in rows)
    shown = [r for r in rows if wanted(r)]
    shown_extra = [r for r in extra if wanted(r)]
    if as_json:
        import json

        out: dict[str, Any] = {"implemented": done, "total": total, "operations": shown}
        if not fapi:
            out["not_in_spec"] = shown_extra
        click.echo(json.dumps(out, indent=2))
        return
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in shown:
        groups[row["tag"]].append(row)
    width = max((len(r["path"]) for r in shown + shown_extra), default=0)

    def line(r: dict[str, Any], note: str = "") -> None:
        mark = "x" if r["implemented"] else " "
        note = note or ("  (deprecated)" if r["deprecated"] else "")
        click.echo(f"  [{mark}] {r['method']:<6} {r['path']:<{width}}  {r['operation_id']}{note}")

    for tag in sorted(groups):
        members = [r for r in rows if r["tag"] == tag]
        click.echo(f"{tag} ({sum(r['implemented'] for r in members)}/{len(members)})")
        for r in groups[tag]:
            line(r)
    if shown_extra:
        click.echo(f"Not in Clerk's spec: called by Clerk's SDKs, written out in clerkmock/spec/undocumented.yml "
                   f"({sum(r['implemented'] for r in extra)}/{len(extra)})")
        for r in shown_extra:
            line(r, "  (not in Clerk's spec)")
    click.echo(f"implemented {done} / {total} {'FAPI ' if fapi else ''}operations")


@main.command()
@click.option("--url", metavar="URL",
              help="The server to ask (default: http://HOST:PORT).  When none answers, the defaults are printed.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where `clerkmock serve` listens.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), envvar=ENV_PORT,
              help=f"Where `clerkmock serve` listens (default also from ${ENV_PORT}).")
@click.option(
    "--proxy", is_flag=True,
    help="For an unmodified app behind `serve --proxy-port`: HTTPS_PROXY and the CA trust variables "
    "instead of CLERK_API_URL.",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="export", show_default=True,
              help="export: `export NAME='value'` lines for eval; dotenv: bare NAME=value lines (.env files, "
              "docker --env-file); json: one object; fish: `set -gx` lines.")
@click.option("--fish", "fmt", flag_value="fish", help="Same as --format fish.")
@click.option("--proxy-port", default=DEFAULT_PROXY_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="With --proxy, when no server answers: where `serve --proxy-port` will listen.")
@click.option(
    "--config-dir", type=click.Path(file_okay=False), help="Default: $CLERKMOCK_CONFIG_DIR or ~/.config/clerkmock."
)
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False), help="As for `serve`.")
@click.option("--seed", default="clerkmock", show_default=True,
              help="As for `serve` (the webhook signing secret derives from it).")
@click.option("--webhook-secret", metavar="whsec_…", help="As for `serve`.")
@click.option("--next", "framework", flag_value="next",
              help="Also the NEXT_PUBLIC_CLERK_… names @clerk/nextjs reads (key, proxy URL, bundle URLs, telemetry off).")
@click.option("--vite", "framework", flag_value="vite",
              help="Also the VITE_CLERK_… names a Vite app sees (@clerk/react reads VITE_CLERK_PUBLISHABLE_KEY).")
def env(
    url: str | None, host: str, port: int, proxy: bool, fmt: str, proxy_port: int, config_dir: str | None,
    signing_key: str | None, seed: str, webhook_secret: str | None, framework: str | None,
) -> None:
    """Print the variables an app needs, as shell exports: eval "$(clerkmock env)".

    A running server (--url, or --host/--port) is asked for its own values (GET /__clerkmock/env), so its
    ports, keys and secrets are the ones printed.  With no server there, the defaults are printed (stderr
    says so); --proxy-port, --config-dir, --signing-key, --seed and --webhook-secret then say what `serve`
    will be started with.

    CLERK_JWT_KEY is the public half of the key `serve` signs session tokens with, on one line: both Clerk
    SDKs strip a PEM's line breaks before use.  CLERK_WEBHOOK_SIGNING_SECRET is what `serve` signs webhooks with
    (--webhook-secret, or derived from --seed: give both commands the same).

    --proxy: the app keeps calling https://api.clerk.com; HTTPS_PROXY sends it to `serve --proxy-port`, and
    SSL_CERT_FILE / REQUESTS_CA_BUNDLE (system roots + clerkmock's CA) and NODE_EXTRA_CA_CERTS make it trust
    clerkmock's certificate.

    The browser side (docs/browser.md): CLERK_PROXY_URL is the Frontend API on the base URL, CLERK_JS_URL and
    CLERK_UI_URL the clerk-js and @clerk/ui bundles served from clerkmock's cache; --next / --vite add the names
    those frameworks read.
    """
    from clerkmock import appenv, control_client

    base_url = url.rstrip("/") if url else appenv.url_of(host, port)
    mode = "proxy" if proxy else "base"
    try:
        values = control_client.get_json(base_url, f"/env?mode={mode}", config_dir=config_dir)  # + control token
    except control_client.Unreachable:
        click.echo(f"clerkmock: no server answers at {base_url}; printing the defaults "
                   "(start one with `clerkmock serve`, or point --url at it)", err=True)
        values = _default_env(base_url, mode, proxy_port, config_dir, signing_key, seed, webhook_secret)
    except control_client.ControlError as exc:
        hint = " (is it clerkmock, and as new as this one?)" if exc.status == 404 else ""
        _fail(f"{base_url}: {exc.message}{hint}")
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        _fail(f"{base_url}/__clerkmock/env did not answer an object of strings")
    if framework is not None:
        values = appenv.for_framework(values, framework)
    click.echo(format_env(values, fmt), nl=False)


def format_env(values: dict[str, str], fmt: str) -> str:
    """``values`` as text in ``fmt`` (one of FORMATS), safely quoted for any value."""
    import json
    import shlex

    if fmt == "json":
        return json.dumps(values, indent=2) + "\n"
    if fmt == "dotenv":
        bad = [name for name, value in values.items() if "\n" in value or "\r" in value]
        if bad:  # a bare line cannot carry a line break
            _fail(f"--format dotenv cannot hold the line break in {', '.join(bad)}")
        return "".join(f"{name}={value}\n" for name, value in values.items())
    if fmt == "fish":  # fish's single quotes: only \\ and \' are escapes
        quote = lambda v: "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"  # noqa: E731
        return "".join(f"set -gx {name} {quote(value)};\n" for name, value in values.items())
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def _default_env(
    base_url: str, mode: str, proxy_port: int, config_dir: str | None, signing_key: str | None, seed: str,
    webhook_secret: str | None,
) -> dict[str, str]:
    """What a server started with these options will answer (no server is running to ask)."""
    from urllib.parse import urlsplit

    from clerkmock import appenv
    from clerkmock.engine import State
    from clerkmock.keys import load_or_create_signing_key
    from clerkmock.mock import DEFAULT_SECRET_KEY
    from clerkmock.webhooks.signing import check_secret, generated_secret

    try:
        key = load_or_create_signing_key(config_dir, pinned=signing_key)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    if webhook_secret is not None:
        try:
            check_secret(webhook_secret)
        except ValueError as exc:
            _fail(f"--webhook-secret: {exc}")
    keys = [k for k in re.split(r"[,\s]+", os.environ.get(ENV_SECRET_KEYS, "")) if k]
    instance = State().instance
    if mode == "proxy":
        from clerkmock.proxy.ca import ensure_ca

        try:
            ensure_ca(config_dir)  # the files the trust variables name must exist
        except OSError as exc:
            _fail(f"cannot create the CA: {exc}")
    target = appenv.Target(
        secret_key=keys[0] if keys else DEFAULT_SECRET_KEY,
        frontend_host=instance.frontend_host,
        production=instance.environment == "production",
        signing_key=key,
        webhook_secret=webhook_secret or generated_secret(seed),
        api_url=base_url,
    )
    if mode == "proxy":
        proxy_url = appenv.url_of(urlsplit(base_url).hostname or "127.0.0.1", proxy_port)
        target = appenv.with_proxy(target, proxy_url, config_dir)
    return appenv.variables(target, "proxy" if mode == "proxy" else "base")


@main.group()
def scenario() -> None:
    """Check scenario files and print their JSON Schema."""


@scenario.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def scenario_validate(files: tuple[str, ...]) -> None:
    """Load each FILE into a throw-away engine; print `file:line: message` per problem, exit 1 if any."""
    from clerkmock.scenario import ScenarioError, validate

    failed = False
    for path in files:
        try:
            validate(path)
        except ScenarioError as exc:
            failed = True
            for line in exc.lines():
                click.echo(line, err=True)
        else:
            click.echo(f"{path}: ok")
    if failed:
        sys.exit(1)


@scenario.command("schema")
def scenario_schema() -> None:
    """Print the scenario format's JSON Schema (for editors: yaml-language-server's $schema)."""
    import json

    from clerkmock.scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


PORT_OPTIONS = ("--port", "--proxy-port", "--transparent-port")


def _check_distinct_ports(*ports: int | None) -> None:
    """Two listeners cannot share a port: say which options collide before trying (0 = any free port)."""
    given = [(option, p) for option, p in zip(PORT_OPTIONS, ports, strict=True) if p]
    for i, (option, p) in enumerate(given):
        for other, q in given[i + 1 :]:
            if p == q:
                _fail(f"{option} and {other} are both {p}: each listener needs its own port")


def _listen_hint(exc: Any, *ports: int | None) -> str:
    """Name the option whose port could not be bound, and how to pick another for this command."""
    if exc.reason != "address already in use":
        return ""
    option = next((o for o, p in zip(PORT_OPTIONS, ports, strict=True) if p is not None and p == exc.port),
                  PORT_OPTIONS[0])
    if os.environ.get("CLERKMOCK_MAKE"):  # started by `make serve`: say it in make's terms
        how = "PORT=…" if option == "--port" else f"ARGS='{option} …'"
        return f" (pick another: make serve {how}; 0 = any free port)"
    return f" (try another {option}; 0 = any free port)"


def _default_url() -> str:
    """$CLERK_API_URL, else the local server on $CLERKMOCK_PORT (like `serve`), else on the default port."""
    return os.environ.get("CLERK_API_URL") or f"http://127.0.0.1:{os.environ.get(ENV_PORT) or DEFAULT_PORT}"


@scenario.command("export")
@click.option("--url", default=_default_url, show_default=f"$CLERK_API_URL or http://127.0.0.1:${ENV_PORT} "
              f"(default {DEFAULT_PORT})", help="The running clerkmock to export.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (default: stdout).")
@click.option("--secrets", is_flag=True,
              help="Include password hashes, TOTP secrets, signing keys and secret keys (left out by default; "
                   "needs the control token, which is picked up as for every command).")
def scenario_export(url: str, output: str | None, secrets: bool) -> None:
    """Write a running server's state as a scenario file that `serve --scenario` loads back (same ids)."""
    from clerkmock.control_client import ControlError, Unreachable, get_json
    from clerkmock.scenario.export import to_yaml

    status = _Status()
    status(f"exporting {url} …")
    query = "?format=json" + ("&secrets=1" if secrets else "")
    try:  # with --secrets the control token goes along (control_client picks it up)
        doc = get_json(url, "/scenario" + query, timeout=600)
    except (ControlError, Unreachable) as exc:
        _fail(f"scenario export: {exc}")
    _write(to_yaml(doc, status.counter("writing")), output)
    counts = ", ".join(f"{len(v)} {k}" for k, v in doc.items() if isinstance(v, list))
    status(f"exported {counts or 'an empty instance'}" + (f" to {output}" if output else ""), done=True)


@scenario.command("pull")
@click.option("--from", "upstream", required=True, metavar="URL",
              help="The Clerk Backend API to read (https://api.clerk.com, or another clerkmock).")
@click.option("--secret-key", envvar="CLERK_SECRET_KEY", required=True, metavar="sk_test_…",
              help="The instance's secret key (default: $CLERK_SECRET_KEY).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (default: stdout).")
@click.option("--limit", type=click.IntRange(1), help="At most N users (and N organizations among theirs).")
@click.option("--scrub-pii", is_flag=True,
              help="Replace emails, phone numbers, names and usernames with consistent stand-ins.")
def scenario_pull(upstream: str, secret_key: str, output: str | None, limit: int | None, scrub_pii: bool) -> None:
    """Read a Clerk instance's users, organizations, memberships, roles and settings into a scenario file.
    Passwords cannot be read from Clerk: pulled users have none."""
    import time

    from clerkmock.scenario.export import to_yaml
    from clerkmock.scenario.pull import PullError, Puller

    status = _Status()

    def progress(what: str, done: int, total: int | None) -> None:
        status(f"{what}: {done}" + (f"/{total} {_bar(done, total)}" if total else ""))

    def sleep(seconds: float) -> None:
        status(f"rate limited: waiting {seconds:g} s")
        time.sleep(seconds)

    puller = Puller(upstream, secret_key, limit=limit, scrub_pii=scrub_pii, sleep=sleep, progress=progress)
    try:
        doc = puller.run()
    except PullError as exc:
        _fail(str(exc))
    _write(to_yaml(doc).replace("# clerkmock scenario export", f"# clerkmock scenario pull from {upstream}", 1)
           + "# Passwords cannot be read from Clerk: these users have none (skip_password_requirement).\n", output)
    counts = ", ".join(f"{len(v)} {k}" for k, v in doc.items() if isinstance(v, list))
    waited = f"; waited {sum(puller.waits):g} s for {len(puller.waits)} rate limit(s)" if puller.waits else ""
    status(f"pulled {counts or 'nothing'}{waited}" + (f" to {output}" if output else ""), done=True)


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = min(width, width * done // max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


class _Status:
    """One line of progress on stderr, rewritten in place -- only on a terminal (quiet in CI and pipes)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, text: str, *, done: bool = False) -> None:
        if self.tty:
            click.echo(f"\r\x1b[2K{text}", err=True, nl=done)

    def counter(self, verb: str) -> Callable[[str, int, int], None] | None:
        """A ``progress(section, done, total)`` that shows ``seeding users: 1500/5000 [#####……]`` (as `pull`
        does), redrawn about 100 times per section; None off a terminal, so nothing is even computed."""
        if not self.tty:
            return None

        def progress(section: str, done: int, total: int) -> None:
            if done == total or done % max(1, total // 100) == 0:
                self(f"{verb} {section}: {done}/{total} {_bar(done, total)}")

        return progress


def _write(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")


def _log_to_stderr() -> None:
    # Only clerkmock's own logger: mitmproxy's records (e.g. a failed bind) are turned into our one-line errors.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
    logger = logging.getLogger("clerkmock")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _fail(message: str) -> NoReturn:
    click.echo(f"clerkmock: {message}", err=True)
    sys.exit(1)


# ca, record, replay, verify (interception and cassettes) live in cli_proxy.py; assets in cli_assets.py.
from clerkmock import cli_assets as _cli_assets  # noqa: E402
from clerkmock import cli_proxy as _cli_proxy  # noqa: E402

for _command in (*_cli_proxy.COMMANDS, *_cli_assets.COMMANDS):
    main.add_command(_command)

if __name__ == "__main__":
    main()
