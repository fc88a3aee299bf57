"""Per-request cost of the base-URL listener's path without sockets or an event loop, independent of load.

    .venv/bin/python bench/costs.py                    # top ten functions by self time (cProfile; TOP_ROWS=N for more)
    .venv/bin/python bench/costs.py --callgrind        # instructions per request (needs valgrind)
    .venv/bin/python bench/costs.py --callgrind --list # ... of GET /v1/users?limit=10 (--post: POST /v1/users)
    .venv/bin/python bench/costs.py --tree --post      # instructions per request in each Python function, callees included
    TREE_ROWS=120 .venv/bin/python bench/costs.py --tree --post   # ... its first 120 rows (default 40)
    ROOT=/path/to/other/checkout .venv/bin/python bench/costs.py ...   # an earlier tree (git archive)

Feeds the listener's protocol object (`server/http.py` `_Connection`) wrk's `GET /v1/users/{id}` (or, with
``--list``, `GET /v1/users?limit=10`; with ``--post``, `POST /v1/users`) through a fake transport: head parsing, the pipeline, the engine and the
rendering are all measured; the event loop and the syscalls are not.  Instruction counts do not move with the
machine's load, which wall-clock figures on a shared machine do (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import bisect
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("ROOT") or Path(__file__).resolve().parent.parent)
GET = (b"GET /v1/users/user_2basicAlice0000000000000000 HTTP/1.1\r\nHost: 127.0.0.1:1234\r\n"
       b"Authorization: Bearer sk_test_bench\r\n\r\n")
LIST = b"GET /v1/users?limit=10 HTTP/1.1\r\nHost: 127.0.0.1:1234\r\nAuthorization: Bearer sk_test_bench\r\n\r\n"


def post(i: int) -> bytes:
    """A `POST /v1/users` with an email address of its own, as `bench/run.py`'s create row sends (a repeated
    one would be a 422), every one of the same length."""
    body = b'{"email_address":["bench-%07d@example.com"]}' % i
    return (b"POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1:1234\r\nAuthorization: Bearer sk_test_bench\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def requests(which: str, n: int, start: int = 0) -> list[bytes]:
    """``n`` requests of a kind: the same bytes for the reads, a new user each for the create."""
    if which == "post":
        return [post(start + i) for i in range(n)]
    return [LIST if which == "list" else GET] * n


class _Transport(asyncio.Transport):
    last = b""

    def write(self, data: Any) -> None:
        self.last = data  # kept so a run can check it measured 200s, not errors

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

    try:  # the collector's settings of `clerkmock serve` (an earlier tree may not have them)
        from clerkmock.server import gc_policy
    except ImportError:
        gc_policy = None
    if gc_policy is not None:
        gc_policy.tune()
    mock = ClerkMock(scenario=str(ROOT / "scenarios/basic.yaml"), config_dir=tempfile.mkdtemp())
    if gc_policy is not None:
        gc_policy.settle()
    conn = _Connection(BaseUrlServer(mock.pipeline))
    conn.connection_made(_Transport())
    return conn


def warm(conn: Any, raws: list[bytes]) -> None:
    for raw in raws:  # caches, the journal at its steady size
        conn.data_received(raw)
    answer = conn.transport.last
    if not answer.startswith(b"HTTP/1.1 200"):
        sys.exit(f"costs: the request is not answered 200: {answer[:300]!r}")


def top_ten(which: str, n: int) -> None:
    conn = connection()
    warm(conn, requests(which, 2000))
    raws = requests(which, n, 2000)
    prof = cProfile.Profile()
    prof.enable()
    for raw in raws:
        conn.data_received(raw)
    prof.disable()
    stats: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    print("| function | calls/request | self % |\n|---|---:|---:|")
    for (file, line, fn), (_, calls, self_time, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:int(os.environ.get("TOP_ROWS", "10"))]:
        where = fn if file == "~" else f"{file.split(str(ROOT) + '/')[-1].split('site-packages/')[-1]}:{line} `{fn}`"
        print(f"| {where} | {calls / n:g} | {self_time / total * 100:.1f} |")
    print(f"\n{sum(v[1] for v in stats.values()) / n:.0f} Python-level calls per request")


def callgrind_child(which: str, n: int) -> None:
    """Run under valgrind with instrumentation off; the parent turns it on only around the measured loop."""
    conn = connection()
    warm(conn, requests(which, 200))
    raws = requests(which, n, 200)
    print("READY", flush=True)
    sys.stdin.readline()
    for raw in raws:
        conn.data_received(raw)
    print("DONE", flush=True)
    sys.stdin.readline()  # exit only once instrumentation is off: the interpreter's teardown is not a request's


def callgrind(raw_arg: str, n: int, tree: int = 0) -> None:
    """Instructions per request; with ``tree``, also the ``tree`` Python functions with the most instructions per
    request, callees included.  For that the child runs with ``-X perf``: CPython 3.12 then enters every Python
    function through a trampoline of its own, which callgrind counts as a function, and names them all in
    /tmp/perf-PID.map (the trampolines add ~10 % to the total)."""
    python = [sys.executable, "-X", "perf"] if tree else [sys.executable]
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"] + (["--smc-check=all"] if tree else [])
    with tempfile.TemporaryDirectory() as tmp:
        err = Path(tmp) / "err"
        with err.open("w") as errf:
            proc = subprocess.Popen(
                [*valgrind, f"--callgrind-out-file={tmp}/out", *python, __file__, "--callgrind-child", raw_arg,
                 str(n)],
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
            subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], capture_output=True, check=True,
                           timeout=60)
            proc.stdin.close()
            proc.wait(600)
        collected = next(int(line.rsplit(":", 1)[1]) for line in err.read_text().splitlines()
                         if "Collected :" in line)
        print(f"{collected / n:,.0f} instructions per request ({n} requests, {ROOT})")
        if tree:
            perf_map = Path(f"/tmp/perf-{proc.pid}.map")  # valgrind runs the child in its own process
            try:
                print_tree(Path(tmp) / "out", perf_map, n, tree)
            finally:
                perf_map.unlink(missing_ok=True)


def print_tree(out: Path, perf_map: Path, n: int, top: int) -> None:
    """Callgrind's inclusive count of each trampoline, named by the perf map: a Python function's instructions,
    its callees' included (a function called at several depths: the largest)."""
    entries = sorted((int(start, 16), int(size, 16), name.removeprefix("py::"))
                     for start, size, name in (line.rstrip("\n").split(" ", 2) for line in perf_map.open()))
    starts = [e[0] for e in entries]
    report = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)],
                            capture_output=True, text=True, check=True).stdout
    totals: dict[str, int] = {}
    for count, address in re.findall(r"^\s*([\d,]+) \([^)]*\)\s+\?\?\?:0x([0-9a-f]+) \[\?\?\?\]", report, re.M):
        i = bisect.bisect_right(starts, int(address, 16)) - 1
        if i >= 0 and entries[i][0] <= int(address, 16) < entries[i][0] + entries[i][1]:
            name = entries[i][2]
            for prefix in (str(ROOT), sys.prefix, sys.base_prefix):  # the repository's paths, the venv's, stdlib's
                name = name.replace(prefix + "/", "")
            totals[name] = max(totals.get(name, 0), int(count.replace(",", "")))
    print("\n| instructions per request, callees included | function |\n|---:|---|")
    for name, count in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {count / n:,.0f} | `{name}` |")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--callgrind-child"]:
        callgrind_child(args[1], int(args[2]))
        return
    which = "list" if "--list" in args else "post" if "--post" in args else "get"
    if "--callgrind" in args or "--tree" in args:
        callgrind(which, 2000 if which == "get" else 1000, tree=int(os.environ.get("TREE_ROWS", "40")) if "--tree" in args else 0)
    else:
        top_ten(which, 20000 if which == "get" else 5000)


if __name__ == "__main__":
    main()
