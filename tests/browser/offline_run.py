"""Run a browser script against `clerkmock serve`, both inside this process's network namespace.

    unshare -n python tests/browser/offline_run.py SCRIPT [--netns]

With --netns (a fresh namespace from ``unshare -n``: only loopback, and it starts down) it brings ``lo`` up first.
It starts ``python -m clerkmock serve --port 0`` with a private config dir, reads the variables serve prints (the
same as ``eval "$(clerkmock env)"`` gives), runs SCRIPT with them and prints one JSON line:
``{"returncode", "stdout", "stderr", "serve_stderr"}``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main() -> None:
    script = sys.argv[1]
    if "--netns" in sys.argv and shutil.which("ip"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
    config = tempfile.mkdtemp(prefix="clerkmock-offline-")
    serve = subprocess.Popen([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--config-dir", config],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    env = dict(os.environ)
    try:
        deadline = time.monotonic() + 60
        assert serve.stdout is not None
        while time.monotonic() < deadline:  # serve prints NAME=value lines, then its banner on stderr
            line = serve.stdout.readline()
            if not line:
                break
            name, _, value = line.rstrip("\n").partition("=")
            env[name] = value
            if name == "CLERK_UI_URL":  # the last line we need
                break
        missing = {"CLERK_API_URL", "CLERK_PUBLISHABLE_KEY", "CLERK_PROXY_URL", "CLERK_JS_URL"} - set(env)
        if missing:
            raise SystemExit(f"serve did not print {sorted(missing)}")
        run = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=240)
    finally:
        serve.terminate()
        try:
            _, serve_err = serve.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
            _, serve_err = serve.communicate()
    print(json.dumps({"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr[-4000:],
                      "serve_stderr": serve_err[-2000:]}))


if __name__ == "__main__":
    main()
