"""Every ``sh`` command block of the README and docs/ runs verbatim in a fresh shell, and does what the text says.

Each document is one shell session (a walkthrough defines ``$CM`` in one block and uses it in the next), run in
a temporary directory that holds what the docs assume: the bundled ``scenarios/``, the files a doc shows as a
``# path`` YAML block (``scenarios/acme.yaml``), and ``.venv`` (``source .venv/bin/activate`` works as printed).
Only the ports change: clerkmock's documented 4818 / 4819 / 4820 become free ports (``CLERKMOCK_PORT`` carries
the first to commands that do not name it), so runs do not collide.  A server a block starts (``clerkmock
serve``, in the background or not) is waited for, and stopped at the end.

A block that cannot run here says so just above its fence, visibly to readers of the source only::

    <!-- doc-test: skip - real Clerk upstream -->

and a block can name what its output must contain::

    <!-- doc-test: expect "reset":true -->
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!--\s*doc-test:\s*(skip|expect)\b\s*-?\s*(.*?)\s*-->")
SERVER = re.compile(r"^\s*clerkmock\s+(serve|replay|record)\b")
BLOCK_TIMEOUT_S = 60


@dataclass
class Block:
    doc: Path
    line: int  # of the opening fence
    lang: str
    text: str
    skip: str | None = None
    expect: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        name = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc.name
        return f"{name}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of ``doc`` with the doc-test markers just above each."""
    lines = doc.read_text().splitlines()
    found: list[Block] = []
    markers: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        marker = MARKER.search(stripped)
        if marker:
            markers.append((marker.group(1), marker.group(2)))
        elif stripped.startswith("```") and len(stripped) > 3:
            indent = len(lines[i]) - len(lines[i].lstrip())
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            body = "\n".join(line[indent:] for line in lines[i + 1 : end])
            block = Block(doc, i + 1, stripped[3:].strip(), body)
            for kind, value in markers:
                if kind == "skip":
                    block.skip = value or "marked"
                else:
                    block.expect.append(value)
            found.append(block)
            markers = []
            i = end
        elif stripped:
            markers = [] if not stripped.startswith("<!--") else markers
        i += 1
    return found


def sh_blocks(doc: Path) -> list[Block]:
    return [b for b in blocks(doc) if b.lang in ("sh", "bash", "shell")]


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def script_for(doc: Path, ports: dict[str, int]) -> tuple[str, list[Block]]:
    """One bash script running every runnable block of ``doc`` in order, each announced on stdout."""
    parts = [
        "set -eo pipefail",
        # a server started by a block: wait until its port accepts connections (bounded), stop it at the end
        "__wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; "
        "sleep 0.1; done; echo \"doc-test: nothing listens on $1\" >&2; return 1; }",
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
    ]
    run: list[Block] = []
    for block in sh_blocks(doc):
        if block.skip:
            continue
        run.append(block)
        parts.append(f"printf '\\n::doc-test {block.where}\\n'")  # on a line of its own, whatever came before
        for line in _ported(block.text, ports).splitlines():
            parts.append(_background(line, ports))
    return "\n".join(parts) + "\n", run


def _ported(text: str, ports: dict[str, int]) -> str:
    for documented, port in ports.items():
        text = re.sub(rf"\b{documented}\b", str(port), text)
    return text


def _background(line: str, ports: dict[str, int]) -> str:
    """``clerkmock serve …`` (with or without ``&``): run it in the background, then wait for its port."""
    if not SERVER.match(line):
        return line
    command = line.split(" #", 1)[0].rstrip().removesuffix("&").rstrip()
    port = re.search(r"--port\s+(\d+)", command)
    wait = port.group(1) if port else str(ports["4818"])
    log = f"/tmp/doc-test-{os.getpid()}-{wait}.log"
    return f"{command} > {log} 2>&1 &\n__wait_port {wait} || {{ cat {log} >&2; exit 1; }}"


def _materialize(doc: Path, workdir: Path) -> None:
    """Files the doc shows as YAML blocks starting with ``# path`` (e.g. ``# scenarios/acme.yaml``)."""
    for block in blocks(doc):
        first = block.text.splitlines()[0] if block.text else ""
        m = re.match(r"#\s*(\S+\.ya?ml)\s*$", first)
        if block.lang in ("yaml", "yml") and m and not block.skip:
            target = workdir / m.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text + "\n")


def workdir_for(tmp_path: Path, doc: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "scenarios", work / "scenarios")
    (work / ".venv").symlink_to(Path(sys.prefix))
    _materialize(doc, work)
    return work


RUNNABLE = [d for d in DOCS if any(b.skip is None for b in sh_blocks(d))]  # docs with a block to run


@pytest.mark.parametrize("doc", RUNNABLE, ids=[str(d.relative_to(ROOT)) for d in RUNNABLE])
def test_every_sh_block_runs_verbatim(doc: Path, tmp_path: Path) -> None:
    documented = ("4818", "4819", "4820")
    ports = dict(zip(documented, free_ports(3), strict=True))
    script, run = script_for(doc, ports)
    work = workdir_for(tmp_path, doc)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLERK", "PYTEST", "VIRTUAL_ENV")) and not k.upper().endswith("_PROXY")}
    env.update({
        "HOME": str(tmp_path / "home"),  # nothing written to the real home (config dir, caches)
        "CLERKMOCK_CONFIG_DIR": str(tmp_path / "config"),
        "CLERKMOCK_PORT": str(ports["4818"]),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    })  # fmt: skip
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=BLOCK_TIMEOUT_S * len(run), check=False)  # fmt: skip
    outputs = _split(proc.stdout)
    failed_at = next(reversed(outputs), None) if proc.returncode else None
    assert proc.returncode == 0, f"{failed_at or doc.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    for block in run:
        for expected in block.expect:
            assert expected in outputs.get(block.where, ""), (
                f"{block.where}: output lacks {expected!r}:\n{outputs.get(block.where, '')[-2000:]}")


def _split(stdout: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("::doc-test "):
            current = line.removeprefix("::doc-test ")
            outputs[current] = ""
        elif current is not None:
            outputs[current] += line + "\n"
    return outputs


def test_every_skipped_block_says_why() -> None:
    for doc in DOCS:
        for block in sh_blocks(doc):
            assert block.skip is None or len(block.skip) > 3, f"{block.where}: say why it cannot run here"


def test_the_runner_runs_a_walkthrough_with_a_server(tmp_path: Path) -> None:
    """The runner itself: a server block in one fence, curl in the next, markers honoured."""
    doc = tmp_path / "walk.md"
    doc.write_text("```sh\nclerkmock serve &\nCM=http://127.0.0.1:4818/__clerkmock\n```\n\n"
                   "<!-- doc-test: expect \"status\":\"ok\" -->\n```sh\ncurl -s $CM/health\n```\n\n"
                   "<!-- doc-test: skip - needs real Clerk -->\n```sh\nexit 1\n```\n")
    found = sh_blocks(doc)
    assert [b.skip for b in found] == [None, None, "needs real Clerk"] and found[1].expect == ['"status":"ok"']
    ports = dict(zip(("4818", "4819", "4820"), free_ports(3), strict=True))
    script, run = script_for(doc, ports)
    assert len(run) == 2 and str(ports["4818"]) in script and "4818" not in script.replace(str(ports["4818"]), "")
