"""`clerkmock ca`, `record`, `replay` and `verify`: the interception and cassette commands (registered on the
`clerkmock` group in cli.py).  Thin: parse options, call the library, print."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import NoReturn

import click

CONFIG_DIR_HELP = "Where the CA lives. Default: $CLERKMOCK_CONFIG_DIR or ~/.config/clerkmock."
PROXY_PORT_HELP = "Forward-proxy listener: apps keep https://api.clerk.com and set HTTPS_PROXY (see `clerkmock env --proxy`)."


def _fail(message: str) -> NoReturn:
    click.echo(f"clerkmock: {message}", err=True)
    sys.exit(1)


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
    logger = logging.getLogger("clerkmock")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # mitmproxy runs in its own thread; signals arrive in this one
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def _print_env(host: str, bound: dict[str, int], config_dir: str | None) -> None:
    """The lines an app needs, like `serve` prints them (a parent process may read them through a pipe)."""
    from clerkmock import appenv

    target = appenv.Target(
        api_url=appenv.url_of(host, bound["base"]) if "base" in bound else None,
        proxy_url=appenv.url_of(host, bound["proxy"]) if "proxy" in bound else None,
        **(appenv.ca_paths(config_dir) if "proxy" in bound else {}),
    )
    for name, value in appenv.all_variables(target).items():
        click.echo(f"{name}={value}")
    if "transparent" in bound:
        click.echo(f"CLERKMOCK_TRANSPARENT_PORT={bound['transparent']}")
    sys.stdout.flush()


_listen_options = [
    click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on."),
    click.option("--intercept-host", "intercept_hosts", multiple=True,
                 help="Another host to treat as the Clerk API on the proxy listener (repeatable)."),
    click.option("--passthrough", is_flag=True,
                 help="Let other hosts through the proxy to the network (default: refuse them with a 502)."),
    click.option("--config-dir", type=click.Path(file_okay=False), help=CONFIG_DIR_HELP),
]  # fmt: skip


def listen_options(f):  # type: ignore[no-untyped-def]
    for option in reversed(_listen_options):
        f = option(f)
    return f


# -- ca --------------------------------------------------------------------------------------------------------


@click.command()
@click.option("--pem", is_flag=True, help="Print the certificate itself (PEM) instead of its path.")
@click.option("--bundle", is_flag=True, help="Print the path of the combined bundle (system roots + this CA).")
@click.option("--config-dir", type=click.Path(file_okay=False), help=CONFIG_DIR_HELP)
def ca(pem: bool, bundle: bool, config_dir: str | None) -> None:
    """Print the path of clerkmock's CA certificate (created once, private key mode 0600).

    Apps that reach Clerk through `serve --proxy-port` must trust it: `clerkmock env --proxy` prints the
    variables, or e.g. `curl --cacert "$(clerkmock ca)"`.
    """
    from clerkmock.proxy.ca import ensure_ca

    try:
        files = ensure_ca(config_dir)
    except OSError as exc:
        _fail(f"cannot create the CA in {config_dir or 'the config dir'}: {exc}")
    if pem:
        click.echo(files.cert.read_text(), nl=False)
    else:
        click.echo(str(files.bundle if bundle else files.cert))


# -- record ----------------------------------------------------------------------------------------------------


@click.command()
@click.option("--upstream", required=True, help="Where requests go: https://api.clerk.com, or another server root.")
@click.option("--port", type=click.IntRange(0, 65535),
              help="Base-URL listener (apps set CLERK_API_URL). Default 4818 unless only --proxy-port is given.")
@click.option("--proxy-port", type=click.IntRange(0, 65535), help=PROXY_PORT_HELP)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The cassette to write, e.g. cassettes/NAME.yaml (replaced if it exists).")
@click.option("--scrub-pii", is_flag=True,
              help="Also replace emails, phone numbers and names (consistently within the cassette).")
@listen_options
def record(
    upstream: str, port: int | None, proxy_port: int | None, output: str, scrub_pii: bool, host: str,
    intercept_hosts: tuple[str, ...], passthrough: bool, config_dir: str | None,
) -> None:  # fmt: skip
    """Forward Clerk API traffic to UPSTREAM and record it to a scrubbed YAML cassette until Ctrl-C.

    Every interaction is written as it completes; secrets (keys, tokens, cookies, passwords ...) never reach
    the file.  Point your app at the printed CLERK_API_URL, or at the proxy (HTTPS_PROXY ...).
    """
    _log_to_stderr()
    import datetime

    from clerkmock import __version__
    from clerkmock.cassette import CassetteWriter, Scrubber
    from clerkmock.proxy.listeners import Listeners, start_record
    from clerkmock.proxy.record import parse_upstream
    from clerkmock.server.http import ListenError

    try:
        parse_upstream(upstream)
        listeners = Listeners(port if port is not None or proxy_port is not None else 4818, proxy_port, None,
                              intercept_hosts, passthrough)
    except ValueError as exc:
        _fail(str(exc))
    meta = {
        "recorded_with": f"clerkmock {__version__}",
        "upstream": upstream,
        "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "scrubbed": {"secrets": True, "pii": scrub_pii},
    }
    try:
        writer = CassetteWriter(output, meta, Scrubber(pii=scrub_pii))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    try:
        runner, bound = start_record(writer, upstream, listeners, host=host, config_dir=config_dir)
    except ListenError as exc:
        _fail(str(exc))
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    _print_env(host, bound, config_dir)
    click.echo(f"clerkmock: recording {upstream} to {output} (Ctrl-C to stop)", err=True)
    _wait_for_signal()
    runner.stop()
    writer.close()
    click.echo(f"clerkmock: recorded {writer.count} interaction(s) to {output}", err=True)


# -- replay ----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("cassettes", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--port", default=4818, show_default=True, type=click.IntRange(0, 65535),
              help="Base-URL listener (apps set CLERK_API_URL); 0 = any free port.")
@click.option("--proxy-port", type=click.IntRange(0, 65535), help=PROXY_PORT_HELP)
@click.option("--strict", is_flag=True,
              help="Only exact matches, each recording served once; anything else gets a Clerk-shaped 404 naming "
                   "the closest recorded request.")
@listen_options
def replay(
    cassettes: tuple[str, ...], port: int, proxy_port: int | None, strict: bool, host: str,
    intercept_hosts: tuple[str, ...], passthrough: bool, config_dir: str | None,
) -> None:  # fmt: skip
    """Answer Clerk API requests from CASSETTES (no emulator state) until Ctrl-C.

    Requests match on method, path, query and body (secrets and, for --scrub-pii cassettes, PII normalised);
    repeated requests get their recordings in order.  Without --strict a request with no exact match gets the
    closest recording of the same method and path.
    """
    _log_to_stderr()
    from clerkmock.cassette import CassetteError, load_replayer
    from clerkmock.proxy.listeners import Listeners, start_replay
    from clerkmock.server.http import ListenError

    try:
        replayer = load_replayer(cassettes, strict=strict)
    except CassetteError as exc:
        _fail(str(exc))
    for c in replayer.cassettes:
        if c.incomplete_tail:
            click.echo(f"clerkmock: {c.path}: skipped a half-written last interaction", err=True)
    try:
        runner, bound = start_replay(
            replayer, Listeners(port, proxy_port, None, intercept_hosts, passthrough), host=host,
            config_dir=config_dir,
        )  # fmt: skip
    except ListenError as exc:
        _fail(str(exc))
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    _print_env(host, bound, config_dir)
    n = len(replayer.entries)
    click.echo(f"clerkmock: replaying {n} interaction(s) from {len(cassettes)} cassette(s) (Ctrl-C to stop)", err=True)
    _wait_for_signal()
    runner.stop()
    click.echo(
        f"clerkmock: stopped; {n - len(replayer.unplayed)}/{n} recordings served, {len(replayer.misses)} miss(es)",
        err=True,
    )


# -- verify ----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("cassette", type=click.Path(exists=True, dir_okay=False))
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False),
              help="Seed the fresh emulator first (the state the recording started from).")
@click.option("--min-score", type=click.FloatRange(0, 100),
              help="Exit 1 when the score (0-100) is below this: for CI.")
@click.option("--differences-only", is_flag=True, help="List only the interactions that differ.")
@click.option("--config-dir", type=click.Path(file_okay=False), help="As for `serve` (the signing key).")
def verify(
    cassette: str, scenario: str | None, min_score: float | None, differences_only: bool, config_dir: str | None
) -> None:
    """Replay CASSETTE's requests against a fresh emulator and print where its responses differ.

    Per interaction: status, missing and extra fields, type and value differences (ids and timestamps are
    compared by shape), then a summary score.  This measures the emulator against real Clerk.
    """
    from clerkmock.cassette import CassetteError, load_cassette
    from clerkmock.cassette.compare import verify as run_verify
    from clerkmock.mock import ClerkMock, ScenarioUnavailable

    try:
        recorded = load_cassette(cassette)
        mock = ClerkMock(scenario=scenario, config_dir=config_dir)
    except (CassetteError, ScenarioUnavailable, OSError, ValueError) as exc:
        _fail(str(exc))
    report = run_verify(recorded, mock.pipeline.handle, mock.secret_key)
    for line in report.lines(only_differences=differences_only):
        click.echo(line)
    if min_score is not None and report.score < min_score:
        _fail(f"score {report.score:.1f}% is below --min-score {min_score:g}")


COMMANDS = (ca, record, replay, verify)
