"""clerkmock's benchmark: every figure measured in ONE run on this machine, next to same-run baselines.

    .venv/bin/python bench/run.py              # full run (3 rounds per row, ~8 minutes)
    .venv/bin/python bench/run.py --quick      # 1 short round per row, a smoke test of the script
    .venv/bin/python bench/run.py --only scale # one section: baselines | base | proxy | inprocess | scale | startup
    .venv/bin/python bench/run.py --only base --before 47c2070 --before main   # earlier commits, same run

Needs `wrk` and `hey` (Debian: apt-get install wrk hey) for the HTTP rows, `node` for the Node baseline.  Servers
run as subprocesses pinned to CPU 0, the load generator to CPU 1 (`taskset`), loopback only; every load run is
bounded in time (wrk -d / hey -z) and killed by a timeout.  Each row is the median of the rounds, with the spread
(min-max).  The base section runs its rows interleaved -- round 1 of every row, then round 2 ... -- with all its
servers up at once, so a change in the machine's load (it is shared) moves a row and its baselines together and
the ratios stay meaningful even when the absolute figures do not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
AUTH = "Bearer sk_test_bench"


# -- helpers ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60.0) -> None:  # generous: a shared, loaded machine starts slowly
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def pinned(cpu: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else argv  # noqa: E501


class Server:
    def __init__(self, argv: list[str], port: int, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        self.port = port
        self.proc = subprocess.Popen(pinned(0, argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})}, cwd=cwd)
        wait_port(port)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def http_json(port: int, method: str, path: str, body: dict | None = None) -> dict | list:
    import httpx

    r = httpx.request(method, f"http://127.0.0.1:{port}{path}", json=body, headers={"authorization": AUTH})
    r.raise_for_status()
    return r.json()


FAPI_ORIGIN = "http://localhost:5173"
FAPI_VERSION = "2026-08-20"


def fapi_session(port: int) -> dict[str, str] | None:
    """A browser signed in through the Frontend API (Alice of scenarios/basic.yaml, by password): its dev-browser
    token and session id; None when this clerkmock has no Frontend API."""
    import httpx

    base, hdrs = f"http://127.0.0.1:{port}/__clerk", {"origin": FAPI_ORIGIN}
    db = httpx.post(f"{base}/v1/dev_browser", headers=hdrs)
    if db.status_code != 200:
        return None
    q = {"__clerk_db_jwt": db.json()["id"], "__clerk_api_version": FAPI_VERSION}
    si = httpx.post(f"{base}/v1/client/sign_ins", params=q, headers=hdrs, data={
        "strategy": "password", "identifier": "alice@example.com", "password": "correct-horse-battery"})
    si.raise_for_status()
    return {"query": "&".join(f"{k}={v}" for k, v in q.items()), "session": si.json()["response"]["created_session_id"]}


@dataclass
class Row:
    section: str
    name: str
    concurrency: int
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def med(self, values: list[float]) -> float:
        """The median of the rounds that measured it (a round without a latency line gives nan: one such round
        must not make the median nan, or, sorted among numbers, a wrong one)."""
        values = [v for v in values if v == v]
        return statistics.median(values) if values else float("nan")

    @property
    def median_rps(self) -> float:
        return self.med(self.rps)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(url: str, conc: int, seconds: float, lua: str | None = None,
            headers: tuple[str, ...] = ()) -> tuple[float, float, float, int]:
    argv = ["wrk", "-t1", f"-c{conc}", f"-d{max(1, round(seconds))}s", "--latency", "-H", f"Authorization: {AUTH}"]
    for header in headers:
        argv += ["-H", header]
    if lua:
        argv += ["-s", lua]
    out = subprocess.run(pinned(1, [*argv, url]), capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errs.groups())) if errs else 0)
    return rps, p50, p99, bad


def run_hey(url: str, conc: int, seconds: float, proxy: str, ca: str,
            method: str = "GET", body: str | None = None) -> tuple[float, float, float, int]:
    argv = ["hey", "-z", f"{seconds}s", "-c", str(conc), "-x", proxy, "-H", f"Authorization: {AUTH}", "-m", method]
    if body is not None:
        argv += ["-T", "application/json", "-d", body]
    env = {**os.environ, "SSL_CERT_FILE": ca, "GOMAXPROCS": "1"}
    out = subprocess.run(pinned(1, [*argv, url]), capture_output=True, text=True, timeout=seconds + 30,
                         env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # no latency distribution when no request succeeded (an overloaded machine): nan, and the errors say why
    p50 = float(m.group(1)) * 1000 if (m := re.search(r"50%+ in ([\d.]+) secs", out)) else float("nan")
    p99 = float(m.group(1)) * 1000 if (m := re.search(r"99%+ in ([\d.]+) secs", out)) else float("nan")
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    bad = sum(int(n) for c, n in codes.items() if not c.startswith("2"))
    bad += sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get|\[(\d+)\]\s+Post", out) if n and n.isdigit())
    return rps, p50, p99, bad


def create_script(directory: Path) -> Path:
    """A fresh wrk script of `POST /v1/users`: every run (and round) creates users no earlier run created, so a
    create row measures creates, not 422 duplicates."""
    nonce = time.time_ns()
    path = directory / f"create-{nonce}.lua"
    path.write_text(
        'counter = 0\nrequest = function()\n  counter = counter + 1\n'
        f'  local body = string.format(\'{{"email_address":["bench{nonce}-%d@example.com"]}}\', counter)\n'
        # headers given to wrk.format replace wrk's -H ones: repeat the key here
        f'  return wrk.format("POST", nil, {{["Content-Type"]="application/json", ["Authorization"]="{AUTH}"}}, body)'
        '\nend\n'
    )
    return path


# -- sections ---------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, rounds: int, seconds: float) -> None:
        self.rounds, self.seconds = rounds, seconds
        self.rows: list[Row] = []
        self.notes: dict[str, object] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="clerkmock-bench-"))
        self.lua_post_empty = self.tmp / "post.lua"
        self.lua_post_empty.write_text(
            'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'
        )
        self.lua_post_form = self.tmp / "post-form.lua"  # clerk-js posts forms, here an empty one
        self.lua_post_form.write_text(
            'wrk.method = "POST"\nwrk.body = ""\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        )
        self.before: list[str] = []  # earlier commits (--before) measured in the base and proxy sections too

    def lua_create(self) -> str:
        return str(create_script(self.tmp))

    def measure(self, section: str, name: str, conc: int, fn: Callable[[], tuple[float, float, float, int]]) -> Row:
        return self.interleaved([(section, name, conc, fn)])[0]

    def interleaved(self, specs: list[tuple[str, str, int, Callable[[], tuple[float, float, float, int]]]]
                    ) -> list[Row]:
        """Round 1 of every row, then round 2 ...: a row and its baselines see the same machine."""
        rows = [Row(section, name, conc) for section, name, conc, _ in specs]
        for i in range(self.rounds):
            if len(specs) > 1:
                print(f"  round {i + 1}/{self.rounds} of {len(specs)} rows", flush=True)
            for row, (*_, fn) in zip(rows, specs, strict=True):
                rps, p50, p99, bad = fn()
                row.rps.append(rps)
                row.p50_ms.append(p50)
                row.p99_ms.append(p99)
                row.errors += bad
        for row in rows:
            self.rows.append(row)
            print(f"  {row.section:10} {row.name:42} c={row.concurrency:<3} {row.median_rps:>9,.0f} req/s  "
                  f"p50 {row.med(row.p50_ms):.2f} ms  p99 {row.med(row.p99_ms):.2f} ms"
                  + (f"  ({row.errors} non-2xx/errors)" if row.errors else ""), flush=True)
        return rows

    # (b) reverse; (a) and (n) are measured in the base section, (b) forward in the proxy section, interleaved
    # with the rows they are the ceiling of
    def baselines(self) -> None:
        port = free_port()
        srv = Server([PY, "bench/baselines.py", "mitm-reverse", str(port), str(self.tmp / "mitm")], port)
        try:
            for c in (1, 32):
                self.measure("baseline", "(b) mitmproxy reverse constant", c,
                             lambda c=c: run_wrk(f"http://127.0.0.1:{port}/v1/users/x", c, self.seconds))
        finally:
            srv.stop()

    def _clerkmock(self, extra: list[str] | None = None, cwd: Path = ROOT) -> tuple[Server, dict[str, str]]:
        port = free_port()
        argv = [PY, "-m", "clerkmock", "serve", "--port", str(port), "--scenario", "scenarios/basic.yaml",
                "--config-dir", str(self.tmp / "cfg"), *(extra or [])]
        srv = Server(argv, port, cwd=cwd)
        users = http_json(port, "GET", "/v1/users?limit=1&order_by=created_at")
        user = users[0]  # type: ignore[index]
        ids = {"user": user["id"], "email": user["email_addresses"][0]["email_address"]}
        try:
            sess = http_json(port, "POST", "/v1/sessions", {"user_id": user["id"]})
            ids["session"] = sess["id"]  # type: ignore[index]
        except Exception:  # sessions not available
            pass
        return srv, ids

    def calls(self, ids: dict[str, str]) -> list[tuple[str, str, str | None]]:
        out = [
            ("GET /v1/users/{id}", f"/v1/users/{ids['user']}", None),
            ("GET /v1/users?limit=10", "/v1/users?limit=10", None),
            ("GET /v1/users?email_address=…", f"/v1/users?email_address={ids['email']}", None),
            ("POST /v1/users", "/v1/users", "create"),
        ]
        if "session" in ids:
            out.append(("POST /v1/sessions/{id}/tokens", f"/v1/sessions/{ids['session']}/tokens", "post"))
        return out

    def _checkout(self, rev: str) -> Path:
        """An earlier commit's tree (git archive), served with this venv: `python -m clerkmock` from its folder."""
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True,
                             check=True).stdout.strip()
        dest = self.tmp / f"rev-{sha}"
        if not dest.exists():
            dest.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
            subprocess.run([PY, "-m", "compileall", "-q", str(dest / "clerkmock")], check=True)  # start-up as usual
        return dest

    def base(self) -> None:
        servers: list[Server] = []
        specs: list[tuple[str, str, int, Callable[[], tuple[float, float, float, int]]]] = []
        warmups: list[str] = []  # the GET rows' URLs

        def wrk_row(section: str, name: str, url: str, kind: str | None = None,
                    headers: tuple[str, ...] = ()) -> None:
            for c in (1, 32):
                def once(c: int = c) -> tuple[float, float, float, int]:
                    lua = {"create": self.lua_create, "post": lambda: str(self.lua_post_empty),
                           "form": lambda: str(self.lua_post_form)}[kind]() if kind else None
                    return run_wrk(url, c, self.seconds, lua, headers)

                specs.append((section, name, c, once))
            if kind is None:
                warmups.append(url)

        try:
            for kind, name in (("asyncio", "(a) asyncio constant JSON"), ("node", "(n) Node http constant JSON")):
                if kind == "node" and not shutil.which("node"):
                    print("  (n) skipped: no `node` on PATH")
                    continue
                port = free_port()
                servers.append(Server([PY, "bench/baselines.py", kind, str(port)], port))
                wrk_row("baseline", name, f"http://127.0.0.1:{port}/v1/users/x")
            srv, ids = self._clerkmock()
            servers.append(srv)
            url = f"http://127.0.0.1:{srv.port}"
            for name, path, kind in self.calls(ids):
                wrk_row("base URL", name, url + path, kind)
            fapi = fapi_session(srv.port)
            if fapi is not None:
                origin = (f"Origin: {FAPI_ORIGIN}",)
                wrk_row("base URL", "FAPI GET /v1/client", f"{url}/__clerk/v1/client?{fapi['query']}",
                        headers=origin)
                wrk_row("base URL", "FAPI POST /v1/client/sessions/{id}/tokens",
                        f"{url}/__clerk/v1/client/sessions/{fapi['session']}/tokens?{fapi['query']}", "form",
                        origin)
            for rev in self.before:
                old, old_ids = self._clerkmock(cwd=self._checkout(rev))
                servers.append(old)
                for name, path, kind in self.calls(old_ids)[:4]:
                    wrk_row("before", f"{name} @ {rev}", f"http://127.0.0.1:{old.port}{path}", kind)
            for url in dict.fromkeys(warmups):  # JITs (node), caches and pools warm before round 1
                run_wrk(url, 32, 1)
            self.interleaved(specs)
        finally:
            for server in servers:
                server.stop()

    def proxy(self) -> None:
        """Interleaved like the base section: (b)'s forward constant, clerkmock's forward proxy (and, with
        --before, an earlier commit's GET /v1/users/{id} through its proxy) all up at once, round by round."""
        servers: list[Server] = []
        specs: list[tuple[str, str, int, Callable[[], tuple[float, float, float, int]]]] = []
        warmups: list[tuple[str, str, str]] = []  # (url, proxy, ca)

        def hey_row(section: str, name: str, url: str, proxy: str, ca: str, method: str = "GET",
                    body: str | None = None) -> None:
            for c in (1, 32):
                specs.append((section, name, c, lambda c=c: run_hey(url, c, self.seconds, proxy, ca, method, body)))
            if method == "GET":
                warmups.append((url, proxy, ca))

        def proxied(cwd: Path = ROOT) -> tuple[str, dict[str, str]] | None:
            help_text = subprocess.run([PY, "-m", "clerkmock", "serve", "--help"], capture_output=True, text=True,
                                       cwd=cwd).stdout
            if "--proxy-port" not in help_text:
                print(f"  proxy: skipped {cwd} (no --proxy-port)")
                return None
            pport = free_port()
            srv, ids = self._clerkmock(["--proxy-port", str(pport)], cwd=cwd)
            servers.append(srv)
            wait_port(pport)
            return f"http://127.0.0.1:{pport}", ids

        try:
            port = free_port()
            confdir = self.tmp / "mitm-fwd"
            servers.append(Server([PY, "bench/baselines.py", "mitm-forward", str(port), str(confdir)], port))
            hey_row("baseline", "(b) mitmproxy forward HTTPS constant", "https://api.clerk.com/v1/users/x",
                    f"http://127.0.0.1:{port}", str(confdir / "mitmproxy-ca-cert.pem"))
            ca = str(self.tmp / "cfg" / "mitmproxy-ca-cert.pem")  # every clerkmock here shares the config dir
            if (current := proxied()) is not None:
                proxy, ids = current
                for name, path, kind in self.calls(ids):
                    if kind == "create":
                        continue  # hey cannot vary the body; the create path is measured over the base URL
                    method, body = ("POST", "{}") if kind == "post" else ("GET", None)
                    hey_row("fwd proxy", name, f"https://api.clerk.com{path}", proxy, ca, method, body)
            for rev in self.before:
                if (old := proxied(self._checkout(rev))) is not None:
                    proxy, ids = old
                    name, path, _ = self.calls(ids)[0]
                    hey_row("before", f"fwd proxy {name} @ {rev}", f"https://api.clerk.com{path}", proxy, ca)
            for url, proxy, ca_file in warmups:  # TLS sessions, caches and pools warm before round 1
                run_hey(url, 32, 1, proxy, ca_file)
            self.interleaved(specs)
        finally:
            for server in servers:
                server.stop()

    def inprocess(self) -> None:
        import httpx

        from clerkmock import ClerkMock
        from clerkmock.engine import Request

        mock = ClerkMock(scenario=str(ROOT / "scenarios/basic.yaml"), config_dir=self.tmp / "cfg")
        client = httpx.Client(transport=mock.transport(), base_url="http://clerkmock",
                              headers={"authorization": AUTH})
        user = client.get("/v1/users?limit=1&order_by=created_at").json()[0]
        ids = {"user": user["id"], "email": user["email_addresses"][0]["email_address"]}
        sess = client.post("/v1/sessions", json={"user_id": user["id"]})
        if sess.status_code == 200:
            ids["session"] = sess.json()["id"]
        n = max(500, int(4000 * self.seconds))
        for name, path, kind in self.calls(ids):
            def via_httpx(path: str = path, kind: str | None = kind) -> tuple[float, float, float, int]:
                lat = []
                bad = 0
                for i in range(n):
                    t = time.perf_counter()
                    if kind == "create":
                        r = client.post(path, json={"email_address": [f"inproc{i}-{time.perf_counter_ns()}@x.io"]})
                    elif kind == "post":
                        r = client.post(path, json={})
                    else:
                        r = client.get(path)
                    lat.append(time.perf_counter() - t)
                    bad += r.status_code != 200
                return _summ(lat, bad)

            self.measure("in-process", f"httpx transport: {name}", 1, via_httpx)

        engine = mock.engine
        hdrs = {"authorization": AUTH}
        req = Request.make("GET", f"/v1/users/{ids['user']}", headers=hdrs)

        def engine_calls() -> tuple[float, float, float, int]:
            lat = []
            for _ in range(n * 5):
                t = time.perf_counter()
                engine.handle(req)
                lat.append(time.perf_counter() - t)
            return _summ(lat, 0)

        self.measure("in-process", "Engine.handle: GET /v1/users/{id}", 1, engine_calls)

        # What a session token's RS256 signature costs alone (the tokens rows minus this is clerkmock's part).
        from clerkmock.engine import tokens

        pem, kid = tokens.default_private_key_pem(), "ins_bench"
        claims = {"sub": ids["user"], "sid": ids.get("session", "sess_x"), "iat": 1, "exp": 61, "nbf": 1}

        def signatures() -> tuple[float, float, float, int]:
            lat = []
            for _ in range(max(100, n // 10)):
                t = time.perf_counter()
                tokens.sign(claims, pem, kid)
                lat.append(time.perf_counter() - t)
            return _summ(lat, 0)

        self.measure("in-process", "RS256 signature alone (tokens.sign)", 1, signatures)
        blob_reset = []
        for _ in range(200):
            t = time.perf_counter()
            mock.reset()
            blob_reset.append(time.perf_counter() - t)
        self.notes["reset_basic_ms"] = statistics.median(blob_reset) * 1000

    def startup(self) -> None:
        times = []
        for _ in range(max(3, self.rounds)):
            port = free_port()
            t = time.perf_counter()
            proc = subprocess.Popen([PY, "-m", "clerkmock", "serve", "--port", str(port), "--scenario",
                                     "scenarios/basic.yaml", "--config-dir", str(self.tmp / "cfg")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                        # a loopback Host: the control guard refuses others (server/control_guard.py)
                        s.sendall(b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        if b" 200 " in s.recv(200):
                            break
                except OSError:
                    time.sleep(0.002)
                if time.perf_counter() - t > 20:
                    break
            times.append(time.perf_counter() - t)
            proc.terminate()
            proc.wait(5)
        self.notes["first_answer_s"] = statistics.median(times)
        print(f"  startup    serve -> first answer: {statistics.median(times):.3f} s (median of {len(times)})")

    def scale(self) -> None:
        out = subprocess.run([PY, __file__, "--scale-child"], capture_output=True, text=True, timeout=600, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr)
            raise RuntimeError("scale child failed")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        self.notes["scale"] = result
        print(f"  scale      seeded {result['users']:,} users in {result['seed_s']:.2f} s, "
              f"peak RSS {result['rss_mb']:.0f} MB")
        for name, (small, big) in result["calls_us"].items():
            print(f"  scale      {name:42} {small:8.1f} µs at 100  {big:8.1f} µs at {result['users']:,}  "
                  f"ratio {big / small:.2f}")

    # -- report ----------------------------------------------------------------------------------------------

    def report(self) -> None:
        def find(name: str, c: int) -> Row | None:
            return next((r for r in self.rows if r.name == name and r.concurrency == c), None)

        def ratio(r: Row, base: Row | None) -> str:
            return f"{r.median_rps / base.median_rps:.2f}" if base and r.section != "in-process" else ""

        print("\n| section | call | c | req/s (median, min-max) | p50 ms | p99 ms | vs (a) | vs (n) | vs (b) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in self.rows:
            b_name = ("(b) mitmproxy forward HTTPS constant" if r.section == "fwd proxy" or "fwd proxy" in r.name
                      else "(b) mitmproxy reverse constant")
            ra = ratio(r, find("(a) asyncio constant JSON", r.concurrency))
            rn = ratio(r, find("(n) Node http constant JSON", r.concurrency))
            rb = ratio(r, find(b_name, r.concurrency))
            spread = f"{min(r.rps):,.0f}-{max(r.rps):,.0f}"
            print(f"| {r.section} | {r.name} | {r.concurrency} | {r.median_rps:,.0f} ({spread}) | "
                  f"{r.med(r.p50_ms):.3f} | {r.med(r.p99_ms):.3f} | {ra} | {rn} | {rb} |")
        self.paired_report(find)
        self.targets_report()
        if self.notes:
            print("\n" + json.dumps(self.notes, indent=2, default=str))

    def paired_report(self, find: Callable[[str, int], Row | None]) -> None:
        """Interleaved rows' round i ran next to their baselines' round i: the ratio of each such pair, then
        the median (min-max) of those.  On a machine whose speed drifts from second to second this follows the
        drift better than the ratio of the medians above (rounds far apart are never compared)."""
        lines = []
        for r in self.rows:
            if r.section == "before" or r.section == "in-process" or r.section == "baseline":
                continue
            if r.section == "fwd proxy":  # the proxy section's own rotation
                bases = [("(b)", "(b) mitmproxy forward HTTPS constant")]
                bases += [(f"@ {rev}", f"fwd proxy {r.name} @ {rev}") for rev in self.before]
            else:  # the base section's
                bases = [("(a)", "(a) asyncio constant JSON"), ("(n)", "(n) Node http constant JSON")]
                bases += [(f"@ {rev}", f"{r.name} @ {rev}") for rev in self.before]
            cells = []
            for label, name in bases:
                pairs = _round_ratios(r, find(name, r.concurrency))
                if pairs:
                    cells.append(f"vs {label} {statistics.median(pairs):.2f} ({min(pairs):.2f}-{max(pairs):.2f})")
            if cells:
                lines.append(f"| {r.section} | {r.name} | {r.concurrency} | {'; '.join(cells)} |")
        if lines:
            print("\nPer-round ratios (a row's round i over its baseline's round i), median (min-max):\n")
            print("| section | call | c | paired ratios |\n|---|---|---:|---|")
            print("\n".join(lines))

    def targets_report(self) -> None:
        """Issue 16's targets, each judged from this run alone: the ratio of the medians and the median of the
        per-round ratios must both reach it.  The 2x rows need the commit before issue 16 (aa9af74, what
        `make bench` serves beside this tree) among the ``--before`` commits."""
        def paired(row: Row | None, base: Row | None) -> tuple[float, float] | None:
            pairs = _round_ratios(row, base)
            if row is None or base is None or not pairs or not base.median_rps:
                return None
            return row.median_rps / base.median_rps, statistics.median(pairs)

        def find(section: str, name: str, c: int) -> Row | None:
            return next((r for r in self.rows if (r.section, r.name, r.concurrency) == (section, name, c)), None)

        lines: list[tuple[str, str, bool | None]] = []

        def judge(target: str, got: tuple[float, float] | None, bar: float) -> None:
            if got is None:
                lines.append((target, "not measured in this run", None))
            else:
                lines.append((target, f"{got[0]:.2f}x (per round {got[1]:.2f}x)", min(got) >= bar))

        get, before = "GET /v1/users/{id}", "aa9af74"
        for c, bar in ((1, 0.75), (32, 0.5)):
            judge(f"`{get}` c={c} >= {bar}x (a)",
                  paired(find("base URL", get, c), find("baseline", "(a) asyncio constant JSON", c)), bar)
        for name in ("GET /v1/users?limit=10", "POST /v1/users"):
            judge(f"`{name}` c=32 >= 2x {before}",
                  paired(find("base URL", name, 32), find("before", f"{name} @ {before}", 32)), 2.0)
        for c in (1, 32):
            judge(f"forward proxy `{get}` c={c} >= 0.8x (b)",
                  paired(find("fwd proxy", get, c), find("baseline", "(b) mitmproxy forward HTTPS constant", c)), 0.8)
        if "first_answer_s" in self.notes:
            lines.append(("start-up < 1 s", f"{self.notes['first_answer_s']:.2f} s", self.notes["first_answer_s"] < 1))
        if "reset_basic_ms" in self.notes:
            lines.append(("reset < 1 ms", f"{self.notes['reset_basic_ms']:.2f} ms", self.notes["reset_basic_ms"] < 1))
        if "scale" in self.notes:
            worst = max(big / small for small, big in self.notes["scale"]["calls_us"].values())
            lines.append(("100k-user ratios <= 2x", f"worst {worst:.2f}", worst <= 2))
        if not any(verdict is not None for _, _, verdict in lines):
            return
        print("\nIssue 16's targets in this run (the ratio of medians and the per-round median both count):\n")
        print("| target | this run | met |\n|---|---|---|")
        for target, got, verdict in lines:
            print(f"| {target} | {got} | {'-' if verdict is None else 'yes' if verdict else '**no**'} |")


def _round_ratios(row: Row | None, base: Row | None) -> list[float]:
    """Round i of ``row`` over round i of ``base`` (interleaved rows ran side by side); none when they cannot be
    paired."""
    if row is None or base is None or not row.rps or len(row.rps) != len(base.rps):
        return []
    return [mine / theirs for mine, theirs in zip(row.rps, base.rps, strict=True) if theirs]


def _summ(lat: list[float], bad: int) -> tuple[float, float, float, int]:
    lat.sort()
    total = sum(lat)
    return len(lat) / total, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000, bad


def scale_child(n_users: int = 100_000) -> None:
    """In a fresh process: per-call latency at 100 users, then seed up to n_users and measure again."""
    sys.path.insert(0, str(ROOT))
    from clerkmock.engine import Engine, Request

    hdrs = {"authorization": AUTH}
    engine = Engine()

    def seed(start: int, stop: int) -> None:
        for i in range(start, stop):
            r = engine.handle(Request.make("POST", "/v1/users", headers=hdrs, json={
                "email_address": [f"user{i}@example.com"], "external_id": f"ext-{i}", "first_name": f"F{i}",
            }), trusted=True)
            assert r.status == 200, r.body

    org = None
    seed(0, 100)
    r = engine.handle(Request.make("POST", "/v1/organizations", headers=hdrs, json={"name": "Scale Org",
                                                                                    "slug": "scale-org"}))
    if r.status == 200:
        org = "scale-org"
    calls = {
        "GET /v1/users?limit=10": "/v1/users?limit=10",
        "GET /v1/users?email_address=…": "/v1/users?email_address=user42@example.com",
        "GET /v1/users?external_id=…": "/v1/users?external_id=ext-42",
        "GET /v1/users/count": "/v1/users/count",
    }
    if org:
        calls["GET /v1/organizations/{slug}"] = f"/v1/organizations/{org}"

    def timed(path: str) -> float:
        req = Request.make("GET", path, headers=hdrs)
        for _ in range(200):
            engine.handle(req)
        lat = []
        for _ in range(2000):
            t = time.perf_counter()
            engine.handle(req)
            lat.append(time.perf_counter() - t)
        return statistics.median(lat) * 1e6

    small = {name: timed(path) for name, path in calls.items()}
    t = time.perf_counter()
    seed(100, n_users)
    seed_s = (time.perf_counter() - t) * n_users / (n_users - 100)
    big = {name: timed(path) for name, path in calls.items()}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"users": n_users, "seed_s": seed_s, "rss_mb": rss_mb,
                      "calls_us": {k: [small[k], big[k]] for k in calls}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s per row")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--only", choices=["baselines", "base", "proxy", "inprocess", "scale", "startup"],
                        action="append")
    parser.add_argument("--before", action="append", default=[], metavar="REV",
                        help="also serve this earlier commit (git archive) in the base and proxy sections, interleaved")
    parser.add_argument("--scale-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child()
        return
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    for tool in ("wrk", "hey"):
        if not shutil.which(tool):
            sys.exit(f"bench: `{tool}` not found (Debian: apt-get install wrk hey)")
    for rev in args.before:
        known = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                               capture_output=True)
        if known.returncode != 0:
            sys.exit(f"bench: --before {rev}: not a commit of this repository (a shallow clone? `git fetch "
                     "--unshallow`; or, from make, `make bench BENCH_BEFORE=` to measure without it)")
    bench = Bench(args.rounds, args.seconds)
    bench.before = args.before
    sections = args.only or ["baselines", "base", "proxy", "inprocess", "startup", "scale"]
    print(f"clerkmock bench: {args.rounds} round(s) x {args.seconds:g} s per row; "
          f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for name in sections:
        getattr(bench, name)()
    bench.report()
    print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
