"""Running npm to get a package tarball.  npm reads the user's own configuration (registry, proxy, auth), so no
registry address appears in clerkmock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 300.0


class NpmError(Exception):
    """npm is missing, failed, or said something we cannot use: the message says which, in one line."""


@dataclass(frozen=True, slots=True)
class Packed:
    name: str
    version: str
    tarball: Path


def pack(name: str, spec: str, dest: Path) -> Packed:
    """``npm pack name@spec`` into ``dest``: npm resolves the spec (a range, a dist-tag) to one version."""
    exe = shutil.which("npm")
    if exe is None:
        raise NpmError("npm is not installed (it comes with Node.js)")
    # cwd = dest: npm must not pick up a package.json or .npmrc of whatever directory the server runs in.
    try:
        done = subprocess.run(
            [exe, "pack", f"{name}@{spec}", "--json", "--pack-destination", str(dest)],
            cwd=dest, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
            env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
        )
    except subprocess.TimeoutExpired:
        raise NpmError(f"npm pack {name}@{spec} did not finish in {TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise NpmError(f"cannot run npm: {exc.strerror}") from None
    if done.returncode != 0:
        raise NpmError(f"npm pack {name}@{spec} failed: {_reason(done.stderr)}")
    try:
        info = json.loads(done.stdout)[0]
        tarball = dest / info["filename"]
        packed = Packed(info["name"], info["version"], tarball)
    except (ValueError, LookupError, TypeError):
        raise NpmError(f"npm pack {name}@{spec}: unexpected output {done.stdout[:200]!r}") from None
    if not tarball.is_file():
        raise NpmError(f"npm pack {name}@{spec} wrote no {tarball.name}")
    return packed


def _reason(stderr: str) -> str:
    """npm's own error lines ("npm error code E404", "npm error 404 Not Found …"), joined; not its log path."""
    lines = [ln.removeprefix("npm error").removeprefix("npm ERR!").strip() for ln in stderr.splitlines()
             if ln.startswith(("npm error", "npm ERR!"))]
    lines = [ln for ln in lines if ln and "complete log of this run" not in ln and not ln.startswith("/")]
    return "; ".join(lines[:3]) or (stderr.strip().splitlines() or ["no message"])[-1]
