"""The built wheel works outside this repository: bundled scenarios are package data, found by name by the
pytest marker and by `clerkmock serve --scenario`."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

TEST_FILE = '''
import pytest

@pytest.mark.clerkmock(scenario="basic.yaml")
def test_bundled_scenario_by_name(clerkmock):
    import clerkmock as package
    assert "site-packages" in package.__file__  # the installed wheel, not a checkout
    assert len(clerkmock.engine.state.users) > 0
'''


def _env() -> dict[str, str]:
    """No PYTHONPATH: nothing but the installed wheel may provide clerkmock."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
                   check=True, cwd=work, capture_output=True, timeout=600, env=_env())
    (wheel,) = (work / "dist").glob("clerkmock-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=600, env=_env())
    # The dependencies (mitmproxy, pytest ...) come from this environment's site-packages, added as a plain
    # path: its .pth files (the editable install of the checkout) are not processed.
    site = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True, env=_env()).stdout.strip()
    Path(purelib, "zz_dependencies.pth").write_text(site + "\n")
    return env_dir


def test_the_pytest_marker_finds_a_bundled_scenario_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(TEST_FILE)
    out = subprocess.run([str(wheel_venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "test_app.py"], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout


def test_serve_finds_a_bundled_scenario_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([str(wheel_venv / "bin" / "clerkmock"), "serve", "--port", "0", "--scenario", "b2b.yaml",
                             "--config-dir", str(tmp_path)], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("CLERK_API_URL="), line + (proc.stderr.read() if proc.poll() is not None else "")
        health = httpx.get(line.split("=", 1)[1] + "/__clerkmock/health", timeout=10).json()
        assert health["users"] > 0
    finally:
        proc.terminate()
        proc.wait(10)
