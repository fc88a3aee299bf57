"""Instructions per request through the forward HTTPS proxy, clerkmock's and baseline (b)'s, independent of load.

    .venv/bin/python bench/proxycost.py                 # both, 1000 requests on one keep-alive connection
    .venv/bin/python bench/proxycost.py --conc 32 -n 1600   # 32 connections: their TLS handshakes included
    ROOT=/path/to/other/checkout .venv/bin/python bench/proxycost.py --only clerkmock   # an earlier tree

Each server runs under `valgrind --tool=callgrind --instr-atstart=no` (pinned to CPU 0, `hey` to CPU 1, as in
bench/run.py).  After a warm-up batch of hey's `GET https://api.clerk.com/v1/users/{id}` through the proxy
(TLS session, certificate, caches), instrumentation is switched on (`callgrind_control -i on`) for a batch of
``-n`` requests and dumped; the count divided by ``-n`` is the figure.  Every thread of the process is counted
(the shared loop thread included); the kernel's share (syscalls, TCP) is not.  Slow: ~70 s per 1000 requests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import AUTH, PY, free_port, pinned, wait_port  # noqa: E402

ROOT = Path(os.environ.get("ROOT") or Path(__file__).resolve().parent.parent)


def hey(n: int, conc: int, proxy: str, ca: str, url: str) -> str:
    env = {**os.environ, "SSL_CERT_FILE": ca, "GOMAXPROCS": "1"}
    out = subprocess.run(pinned(1, ["hey", "-n", str(n), "-c", str(conc), "-x", proxy, "-H", f"Authorization: {AUTH}",
                                    url]), capture_output=True, text=True, env=env, timeout=3600).stdout
    if f"[200]\t{n} responses" not in out:
        sys.exit(f"proxycost: not every request was answered 200:\n{out[-1500:]}")
    return out


def measure(kind: str, n: int, conc: int) -> float:
    with tempfile.TemporaryDirectory(prefix="proxycost-") as tmp:
        pport = free_port()
        if kind == "b":
            argv = [PY, str(Path(__file__).resolve().parent / "baselines.py"), "mitm-forward", str(pport), tmp]
        else:
            port = free_port()
            argv = [PY, "-m", "clerkmock", "serve", "--port", str(port), "--proxy-port", str(pport),
                    "--scenario", "scenarios/basic.yaml", "--config-dir", tmp]
        out = f"{tmp}/callgrind.out"
        with open(f"{tmp}/stderr", "w") as err:
            proc = subprocess.Popen(
                pinned(0, ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *argv]),
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_port(pport, 300)
            path = "/v1/users/x"
            if kind != "b":
                wait_port(port, 300)
                req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/users?limit=1&order_by=created_at",
                                             headers={"Authorization": AUTH})
                path = f"/v1/users/{json.load(urllib.request.urlopen(req, timeout=60))[0]['id']}"
            url, proxy, ca = f"https://api.clerk.com{path}", f"http://127.0.0.1:{pport}", f"{tmp}/mitmproxy-ca-cert.pem"
            hey(200, 1, proxy, ca, url)  # warm: CA and certificate, caches, the journal's first entries
            # taskset execs valgrind: proc.pid is the process callgrind_control talks to
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], capture_output=True, check=True,
                           timeout=120)
            hey(n, conc, proxy, ca, url)
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True, timeout=120)
            time.sleep(0.5)
            dump = next(p for p in sorted(Path(tmp).glob("callgrind.out*")) if p.name != "callgrind.out")
            total = next(int(line.split()[1]) for line in dump.read_text().splitlines() if line.startswith("totals:"))
        finally:
            proc.terminate()
            proc.wait(60)
        return total / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="requests measured")
    parser.add_argument("--conc", type=int, default=1, help="hey's concurrency (connections)")
    parser.add_argument("--only", choices=["b", "clerkmock"])
    args = parser.parse_args()
    figures = {}
    for kind in [args.only] if args.only else ["b", "clerkmock"]:
        figures[kind] = measure(kind, args.n, args.conc)
        print(f"{kind}: {figures[kind]:,.0f} instructions per request (n={args.n}, c={args.conc}, {ROOT})",
              flush=True)
    if len(figures) == 2:
        print(f"clerkmock / (b): {figures['clerkmock'] / figures['b']:.2f}x the instructions, "
              f"{figures['b'] / figures['clerkmock']:.2f}x (b)'s requests per instruction")


if __name__ == "__main__":
    main()
