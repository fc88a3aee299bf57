"""The generated spec index must match the vendored YAML (regenerate with tools/gen_spec_index.py)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from clerkmock.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
VENDORED_SHA256 = {
    "2026-05-12.yml": "75df3a43fcb2d9fc4467a23c717714f5228aa3267b0930ba34612728365fd8f2",
    "2025-11-10.yml": "9c094882e00b013ca7150434434255d4af04bfe8918e0f0bbd49e7f243ab0359",
}


def test_vendored_specs_are_unmodified() -> None:
    for name, digest in VENDORED_SHA256.items():
        assert hashlib.sha256((ROOT / "clerkmock" / "spec" / name).read_bytes()).hexdigest() == digest, name


def test_index_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_spec_index.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_engine_route_is_a_spec_operation() -> None:
    for route in Engine().router.routes:
        assert route.operation_id, f"{route.method} {route.template} is not in the vendored spec"


def test_routes_are_compiled_per_engine_from_their_declarations() -> None:
    first, second = Engine(), Engine()
    route = next(r for r in first.router.routes if r.operation_id == "GetUser")
    assert (route.method, route.template, route.name) == ("GET", "/users/{user_id}", "users.get")
    assert set(route.ops) == {"2025-11-10", "2026-05-12"} and all(op.operation_id == "GetUser" for op in route.ops.values())
    assert route is not next(r for r in second.router.routes if r.operation_id == "GetUser")  # nothing shared


def test_machine_routes_say_so_by_attribute() -> None:
    routes = {r.operation_id: r for r in Engine().router.routes}
    assert routes["verifyM2MToken"].machine_auth and routes["verifyM2MToken"].unversioned
    assert routes["verifyM2MToken"].prepare is not None
    assert routes["verifyApiKey"].unversioned and not routes["verifyApiKey"].machine_auth
    assert routes["GetPublicInterstitial"].public and not routes["GetUser"].public
    assert not any(r.unversioned or r.machine_auth for r in routes.values() if r.name.startswith("users."))
