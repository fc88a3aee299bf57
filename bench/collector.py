"""What the cyclic garbage collector costs per request in `clerkmock serve`, and the server's CPU per request:
the measurement behind `server/gc_policy.py` (docs/performance.md, "The collector and reused answers").

    .venv/bin/python bench/collector.py create                 # POST /v1/users at c=32 (wrk)
    .venv/bin/python bench/collector.py proxy                  # GET /v1/users/{id} through --proxy-port at c=1
                                                               # (hey -x), baseline (b) measured beside it
    .venv/bin/python bench/collector.py proxy --conc 32 --rounds 3 --seconds 4 --thresholds 50000,20,100

Each server runs pinned to CPU 0 (the load generator to CPU 1) with a probe installed before anything else:
`gc.callbacks` times every collection by generation, and the totals are written to a file every 0.2 s.  After
a warm-up, each round reads the totals and `/proc/PID/stat` before and after a bounded load run; the figures
are per request.  ``--thresholds`` replaces `gc_policy.THRESHOLDS` in clerkmock's process (not in (b)'s,
which keeps CPython's, as mitmproxy does).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import AUTH, PY, ROOT, create_script, free_port, pinned, wait_port  # noqa: E402

PROBE = """
import gc, json, os, threading, time
_totals = {"seconds": [0.0, 0.0, 0.0], "count": [0, 0, 0]}
_start = [0.0]
def _timed(phase, info):
    if phase == "start":
        _start[0] = time.perf_counter()
    else:
        g = info["generation"]
        _totals["seconds"][g] += time.perf_counter() - _start[0]
        _totals["count"][g] += 1
gc.callbacks.append(_timed)
def _write(path=os.environ["CLERKMOCK_GC_PROBE"]):
    while True:
        time.sleep(0.2)
        with open(path + ".tmp", "w") as f:
            json.dump(_totals, f)
        os.replace(path + ".tmp", path)
threading.Thread(target=_write, daemon=True).start()
"""
SERVE = PROBE + """
import runpy, sys
thresholds = os.environ.get("CLERKMOCK_GC_THRESHOLDS")
if thresholds:
    from clerkmock.server import gc_policy
    gc_policy.THRESHOLDS = tuple(int(x) for x in thresholds.split(","))
sys.argv = ["clerkmock", *sys.argv[1:]]
runpy.run_module("clerkmock", run_name="__main__")
"""
BASELINE = PROBE + """
import runpy, sys
sys.argv = ["baselines.py", *sys.argv[1:]]
runpy.run_path(os.path.join(os.environ["CLERKMOCK_BENCH"], "baselines.py"), run_name="__main__")
"""


class Probed:
    """A server process with the probe; ``totals()`` reads what it wrote last."""

    def __init__(self, code: str, args: list[str], port: int, env: dict[str, str], tmp: Path) -> None:
        self.file = tmp / f"gc-{port}.json"
        self.proc = subprocess.Popen(pinned(0, [PY, "-c", code, *args]), cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     env={**os.environ, **env, "CLERKMOCK_GC_PROBE": str(self.file),
                                          "CLERKMOCK_BENCH": str(Path(__file__).resolve().parent)})
        wait_port(port)

    def totals(self) -> tuple[list[float], list[int], float]:
        time.sleep(0.5)  # the probe writes every 0.2 s
        data = json.loads(self.file.read_text())
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return data["seconds"], data["count"], cpu

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def measure(name: str, server: Probed, load: Callable[[], int]) -> None:
    seconds0, count0, cpu0 = server.totals()
    requests = load()
    seconds1, count1, cpu1 = server.totals()
    per_gen = ", ".join(f"gen {g}: {count1[g] - count0[g]} x, {(seconds1[g] - seconds0[g]) / requests * 1e6:.1f} µs"
                        for g in range(3))
    print(f"  {name:34} {requests:7,} requests   CPU {(cpu1 - cpu0) / requests * 1e6:7.0f} µs a request   "
          f"collections ({per_gen} a request)", flush=True)


def wrk_creates(port: int, seconds: float, conc: int, tmp: Path) -> int:
    lua = create_script(tmp)
    out = subprocess.run(pinned(1, ["wrk", "-t1", f"-c{conc}", f"-d{max(1, round(seconds))}s", "-s", str(lua),
                                    f"http://127.0.0.1:{port}/v1/users"]),
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    return int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]


def hey_gets(proxy_port: int, url: str, ca: Path, seconds: float, conc: int) -> int:
    out = subprocess.run(pinned(1, ["hey", "-z", f"{seconds}s", "-c", str(conc), "-x", f"http://127.0.0.1:{proxy_port}",
                                    "-H", f"Authorization: {AUTH}", url]),
                         capture_output=True, text=True, timeout=seconds + 30,
                         env={**os.environ, "SSL_CERT_FILE": str(ca), "GOMAXPROCS": "1"}).stdout
    return sum(int(n) for n in re.findall(r"\[\d{3}\]\s+(\d+) responses", out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("load", choices=["create", "proxy"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--conc", type=int, help="connections (default: 32 for create, 1 for proxy)")
    parser.add_argument("--thresholds", help="clerkmock's collector thresholds, e.g. 50000,20,100")
    args = parser.parse_args()
    conc = args.conc or (32 if args.load == "create" else 1)
    env = {"CLERKMOCK_GC_THRESHOLDS": args.thresholds} if args.thresholds else {}
    with tempfile.TemporaryDirectory(prefix="clerkmock-gc-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        serve = ["serve", "--port", str(port), "--scenario", "scenarios/basic.yaml", "--config-dir", str(tmp / "cfg")]
        servers: list[Probed] = []
        try:
            if args.load == "create":
                clerkmock = Probed(SERVE, serve, port, env, tmp)
                servers.append(clerkmock)
                rounds = [("clerkmock POST /v1/users", clerkmock,
                           lambda: wrk_creates(port, args.seconds, conc, tmp))]
            else:
                proxy_port, b_port = free_port(), free_port()
                clerkmock = Probed(SERVE, [*serve, "--proxy-port", str(proxy_port)], port, env, tmp)
                servers.append(clerkmock)
                wait_port(proxy_port)
                baseline = Probed(BASELINE, ["mitm-forward", str(b_port), str(tmp / "b")], b_port, {}, tmp)
                servers.append(baseline)
                req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/users?limit=1&order_by=created_at",
                                             headers={"Authorization": AUTH})
                user = json.load(urllib.request.urlopen(req, timeout=30))[0]["id"]
                rounds = [
                    ("(b) mitmproxy forward constant", baseline,
                     lambda: hey_gets(b_port, "https://api.clerk.com/v1/users/x", tmp / "b" / "mitmproxy-ca-cert.pem",
                                      args.seconds, conc)),
                    ("clerkmock GET /v1/users/{id}", clerkmock,
                     lambda: hey_gets(proxy_port, f"https://api.clerk.com/v1/users/{user}",
                                      tmp / "cfg" / "mitmproxy-ca-cert.pem", args.seconds, conc)),
                ]
            for _, _, load in rounds:  # warm-up: certificates, caches, the journal's first entries
                load()
            print(f"collector bench: {args.load}, c={conc}, {args.rounds} round(s) x {args.seconds:g} s; clerkmock's "
                  f"thresholds {args.thresholds or 'gc_policy.THRESHOLDS'}", flush=True)
            for _ in range(args.rounds):
                for name, server, load in rounds:
                    measure(name, server, load)
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
