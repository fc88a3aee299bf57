"""The offline bundle cache: npm tarballs of the browser packages clerk-js loads, kept per user, never committed.

Layout, under ``<cache dir>/npm`` (the cache dir is ``--cache-dir`` > ``$CLERKMOCK_CACHE_DIR`` >
``$XDG_CACHE_HOME/clerkmock`` > ``~/.cache/clerkmock``)::

    @clerk/clerk-js/6.40.0.tgz      the tarball as npm packed it
    @clerk/clerk-js/6.40.0/dist/…   its dist/ unpacked: what the server serves (the directory appears by an atomic
                                    rename, so its existence means "complete")

A version spec is an exact version (``6.40.0``), a major (``6``), a major.minor (``6.40``) or ``latest``.  Anything
but an exact version resolves to the newest *cached* version that matches (a release over a pre-release), so a
filled cache answers offline and the same way every time; only when nothing cached matches is npm asked.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clerkmock.assets import npm

ENV_CACHE_DIR = "CLERKMOCK_CACHE_DIR"
# The browser packages a page loads from clerkmock, and the versions clerkmock is tested with: what
# `clerkmock assets fetch` fetches when no version is given (clerk-js 6 needs @clerk/ui 1 for its components).
PACKAGES = ("@clerk/clerk-js", "@clerk/ui")
DEFAULT_VERSIONS = {"@clerk/clerk-js": "6.40.0", "@clerk/ui": "1.36.0"}
# After npm failed for a spec, ask again only after this long: a page asks for dozens of chunks at once.
RETRY_AFTER_S = 30.0

_EXACT = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")
_PARTIAL = re.compile(r"^(\d+)(?:\.(\d+))?$")


class AssetError(Exception):
    """A bundle the cache cannot give: ``status`` is the HTTP status to answer, ``code`` a short error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def default_cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit`` > $CLERKMOCK_CACHE_DIR > $XDG_CACHE_HOME/clerkmock > ~/.cache/clerkmock."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path("~/.cache").expanduser()) / "clerkmock"


def version_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key: numeric parts, then a release above any of its pre-releases."""
    m = _EXACT.match(version)
    if m is None:
        return (-1, -1, -1, -1, version)
    major, minor, patch, pre = m.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")


def check_spec(spec: str) -> str:
    """``spec`` if it is a version spec the cache understands, else an `AssetError` saying which are."""
    if spec == "latest" or _EXACT.match(spec) or _PARTIAL.match(spec):
        return spec
    raise AssetError(400, "asset_version_invalid",
                     f"version {spec!r} is not understood: give an exact version (6.40.0), a major (6), "
                     "a major.minor (6.40) or latest")


def _matches(version: str, spec: str) -> bool:
    if spec == version:
        return True
    m = _EXACT.match(version)
    if m is None or m.group(4):  # a pre-release answers only to its exact name
        return False
    if spec == "latest":
        return True
    p = _PARTIAL.match(spec)
    return p is not None and p.group(1) == m.group(1) and (p.group(2) is None or p.group(2) == m.group(2))


@dataclass(frozen=True, slots=True)
class CachedPackage:
    name: str
    version: str
    root: Path  # the unpacked package: root / "dist" / …

    @property
    def dist(self) -> Path:
        return self.root / "dist"


class AssetCache:
    """The npm bundle cache.  ``auto_fetch``: fill a miss from npm (the server does, on first use) instead of
    refusing it.  ``fetcher`` packs one ``name@spec`` into a directory (npm.pack; tests pass their own)."""

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        auto_fetch: bool = True,
        fetcher: Callable[[str, str, Path], npm.Packed] | None = None,
    ) -> None:
        self.root = default_cache_dir(cache_dir) / "npm"
        self.auto_fetch = auto_fetch
        self.fetcher = fetcher or npm.pack
        self._lock = threading.Lock()  # one fill at a time: a page's parallel requests must not pack twice
        self._failed: dict[tuple[str, str], tuple[float, str]] = {}  # (name, spec) -> (monotonic, reason)

    # -- reading -----------------------------------------------------------------------------------------------

    def versions(self, name: str) -> list[str]:
        """Cached versions of ``name``, oldest first."""
        base = self.root / name
        try:
            found = [p.name for p in base.iterdir() if p.is_dir() and _EXACT.match(p.name)]
        except OSError:
            return []
        return sorted(found, key=version_key)

    def find(self, name: str, spec: str) -> CachedPackage | None:
        """The newest cached version of ``name`` matching ``spec``, or None."""
        check_spec(spec)
        for version in reversed(self.versions(name)):
            if _matches(version, spec):
                return CachedPackage(name, version, self.root / name / version)
        return None

    def resolve(self, name: str, spec: str) -> CachedPackage:
        """Like `find`, filling a miss from npm when ``auto_fetch`` allows; else an `AssetError` (503) that names
        the command to run."""
        if name not in PACKAGES:
            raise AssetError(404, "asset_package_unknown",
                             f"clerkmock serves only {' and '.join(PACKAGES)}, not {name}")
        found = self.find(name, spec)
        if found is not None:
            return found
        command = f"clerkmock assets fetch {_flag(name)} {spec}"
        if not self.auto_fetch:
            raise AssetError(503, "asset_not_cached",
                             f"{name}@{spec} is not in clerkmock's bundle cache ({self.root}); run: {command}")
        with self._lock:
            found = self.find(name, spec)  # another request may have filled it meanwhile
            if found is not None:
                return found
            failed = self._failed.get((name, spec))
            if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER_S:
                reason = failed[1]
            else:
                try:
                    return self._fill(name, spec)
                except npm.NpmError as exc:
                    reason = str(exc)
                    self._failed[(name, spec)] = (time.monotonic(), reason)
        raise AssetError(503, "asset_not_cached",
                         f"{name}@{spec} is not in clerkmock's bundle cache ({self.root}) and npm could not "
                         f"fetch it ({reason}); run, where the npm registry is reachable: {command}")

    # -- filling -----------------------------------------------------------------------------------------------

    def fetch(self, name: str, spec: str) -> CachedPackage:
        """Put ``name@spec`` in the cache from npm (even when a cached version matches a range: `assets fetch`
        asks npm which version is current).  Raises `npm.NpmError`."""
        if name not in PACKAGES:
            raise npm.NpmError(f"clerkmock serves only {' and '.join(PACKAGES)}, not {name}")
        check_spec(spec)
        with self._lock:
            if _EXACT.match(spec) and (found := self.find(name, spec)) is not None:
                return found  # an exact version never changes: no need to ask npm
            return self._fill(name, spec)

    def _fill(self, name: str, spec: str) -> CachedPackage:
        base = self.root / name
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=base) as tmp:
            packed = self.fetcher(name, spec, Path(tmp))
            if packed.name != name or not _EXACT.match(packed.version):
                raise npm.NpmError(f"npm packed {packed.name}@{packed.version}, not a version of {name}")
            target = base / packed.version
            if not target.is_dir():
                staging = Path(tmp) / "unpacked"
                _unpack_dist(packed.tarball, staging)
                shutil.move(packed.tarball, base / f"{packed.version}.tgz")
                try:
                    os.rename(staging, target)  # atomic: a reader sees all of dist/ or none of it
                except OSError:
                    if not target.is_dir():  # not a concurrent fill by another process: a real failure
                        raise
        return CachedPackage(name, packed.version, target)


def _unpack_dist(tarball: Path, dest: Path) -> None:
    """Unpack the tarball's ``package/dist/`` (and package.json) into ``dest``.  The "data" filter refuses
    absolute paths, ``..``, and links that leave the tree: a tarball cannot write outside ``dest``."""
    dest.mkdir()
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) == 2 and (parts[1] == "package.json" or parts[1].startswith("dist/")):
                member.name = parts[1]
                members.append(member)
        if not any(m.name.startswith("dist/") for m in members):
            raise npm.NpmError(f"{tarball.name} has no dist/ directory")
        tar.extractall(dest, members=members, filter="data")


def _flag(name: str) -> str:
    return "--ui" if name == "@clerk/ui" else "--clerk-js"
