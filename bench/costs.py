"""Per-request cost of the base-URL listener's path without sockets or an event loop, independent of load.

    .venv/bin/python bench/costs.py                    # top ten functions by self time (cProfile)
    .venv/bin/python bench/costs.py --callgrind        # instructions per request (needs valgrind)
    ROOT=/path/to/other/checkout .venv/bin/python bench/costs.py ...   # an earlier tree (git archive)

Feeds the listener's protocol object (`server/http.py` `_Connection`) wrk's `GET /v1/users/{id}` (or, with
``--list``, `GET /v1/users?limit=10`) through a fake transport: head parsing, the pipeline, the engine and the
rendering are all measured; the event loop and the syscalls are not.  Instruction counts do not move with the
machine's load, which wall-clock figures on a shared machine do (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("ROOT") or Path(__file__).resolve().parent.parent)
GET = (b"GET /v1/users/user_2basicAlice0000000000000000 HTTP/1.1\r\nHost: 127.0.0.1:1234\r\n"
       b"Authorization: Bearer sk_test_bench\r\n\r\n")
LIST = b"GET /v1/users?limit=10 HTTP/1.1\r\nHost: 127.0.0.1:1234\r\nAuthorization: Bearer sk_test_bench\r\n\r\n"


class _Transport(asyncio.Transport):
    def write(self, data: Any) -> None: ...

    def close(self) -> None: ...

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def connection() -> Any:
    sys.path.insert(0, str(ROOT))
    from clerkmock import ClerkMock
    from clerkmock.server.http import BaseUrlServer, _Connection

    mock = ClerkMock(scenario=str(ROOT / "scenarios/basic.yaml"), config_dir=tempfile.mkdtemp())
    conn = _Connection(BaseUrlServer(mock.pipeline))
    conn.connection_made(_Transport())
    return conn


def top_ten(raw: bytes, n: int) -> None:
    conn = connection()
    for _ in range(2000):  # warm: caches, the journal at its steady size
        conn.data_received(raw)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        conn.data_received(raw)
    prof.disable()
    stats: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    print("| function | calls/request | self % |\n|---|---:|---:|")
    for (file, line, fn), (_, calls, self_time, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:10]:
        where = fn if file == "~" else f"{file.split(str(ROOT) + '/')[-1].split('site-packages/')[-1]}:{line} `{fn}`"
        print(f"| {where} | {calls / n:g} | {self_time / total * 100:.1f} |")
    print(f"\n{sum(v[1] for v in stats.values()) / n:.0f} Python-level calls per request")


def callgrind_child(raw: bytes, n: int) -> None:
    """Run under valgrind with instrumentation off; the parent turns it on only around the measured loop."""
    conn = connection()
    for _ in range(200):
        conn.data_received(raw)
    print("READY", flush=True)
    sys.stdin.readline()
    for _ in range(n):
        conn.data_received(raw)
    print("DONE", flush=True)


def callgrind(raw_arg: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        err = Path(tmp) / "err"
        with err.open("w") as errf:
            proc = subprocess.Popen(
                ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/out",
                 sys.executable, __file__, "--callgrind-child", raw_arg, str(n)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf, text=True, env=os.environ)
            assert proc.stdin is not None and proc.stdout is not None
            if proc.stdout.readline().strip() != "READY":
                proc.kill()
                sys.exit(f"costs: the child did not start (see valgrind's output)\n{err.read_text()[-2000:]}")
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], capture_output=True, check=True,
                           timeout=60)
            proc.stdin.write("go\n")
            proc.stdin.flush()
            proc.stdout.readline()
            proc.stdin.close()
            proc.wait(600)
        collected = next(int(line.rsplit(":", 1)[1]) for line in err.read_text().splitlines()
                         if "Collected :" in line)
        print(f"{collected / n:,.0f} instructions per request ({n} requests, {ROOT})")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--callgrind-child"]:
        callgrind_child(LIST if args[1] == "list" else GET, int(args[2]))
        return
    which = "list" if "--list" in args else "get"
    if "--callgrind" in args:
        callgrind(which, 1000 if which == "list" else 2000)
    else:
        top_ten(LIST if which == "list" else GET, 20000)


if __name__ == "__main__":
    main()
