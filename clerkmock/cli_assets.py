"""`clerkmock assets fetch|list`: the offline bundle cache (clerkmock/assets/).  Thin: parse, call, print."""

from __future__ import annotations

import sys

import click

from clerkmock.assets import DEFAULT_VERSIONS, PACKAGES, AssetCache, AssetError
from clerkmock.assets.npm import NpmError

CACHE_DIR_HELP = "Default: $CLERKMOCK_CACHE_DIR, $XDG_CACHE_HOME/clerkmock or ~/.cache/clerkmock."


@click.group()
def assets() -> None:
    """The browser bundles (clerk-js, @clerk/ui) served at /__clerk/npm/…, kept offline in a cache."""


@assets.command("fetch")
@click.option("--clerk-js", "clerk_js", default=DEFAULT_VERSIONS["@clerk/clerk-js"], show_default=True,
              metavar="VERSION", help="@clerk/clerk-js version: exact, a major (6), major.minor or latest.")
@click.option("--ui", default=DEFAULT_VERSIONS["@clerk/ui"], show_default=True, metavar="VERSION",
              help="@clerk/ui version (the UI components clerk-js 6 loads).")
@click.option("--cache-dir", type=click.Path(file_okay=False), metavar="DIR", help=CACHE_DIR_HELP)
def assets_fetch(clerk_js: str, ui: str, cache_dir: str | None) -> None:
    """Fill the cache with `npm pack` (npm's own registry and proxy settings apply).  An exact version already
    cached is not fetched again."""
    cache = AssetCache(cache_dir)
    failed = False
    for name, spec in zip(PACKAGES, (clerk_js, ui), strict=True):
        try:
            got = cache.fetch(name, spec)
        except (NpmError, AssetError, OSError) as exc:
            failed = True
            click.echo(f"clerkmock: cannot fetch {name}@{spec}: {exc}", err=True)
        else:
            click.echo(f"{name}@{got.version}  {got.root}")
    if failed:
        sys.exit(1)


@assets.command("list")
@click.option("--cache-dir", type=click.Path(file_okay=False), metavar="DIR", help=CACHE_DIR_HELP)
def assets_list(cache_dir: str | None) -> None:
    """The cached versions, newest last, and where they are."""
    cache = AssetCache(cache_dir)
    click.echo(f"cache: {cache.root}")
    for name in PACKAGES:
        versions = cache.versions(name)
        click.echo(f"{name}: {', '.join(versions) if versions else '(none: clerkmock assets fetch)'}")


COMMANDS = (assets,)
