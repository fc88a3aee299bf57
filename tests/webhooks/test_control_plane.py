"""Webhooks over the wire: the control plane's ``/__clerkmock/webhooks`` routes on a served ClerkMock, endpoints
from a scenario (with and without ``webhooks_on_seed``), and ``clerkmock serve --webhook``."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from clerkmock import ClerkMock
from clerkmock.webhooks.signing import generated_secret
from tests.webhooks.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = generated_secret("clerkmock")


@pytest.fixture
def served() -> Iterator[ClerkMock]:
    with ClerkMock(port=0, webhook_retry_schedule=[0.02, 0.05]) as mock:
        yield mock


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with Receiver(SECRET) as receiver:
        yield receiver


def control(mock: ClerkMock) -> httpx.Client:
    return httpx.Client(base_url=mock.url + "/__clerkmock", timeout=10, trust_env=False)


def sdk(mock: ClerkMock) -> Clerk:
    return Clerk(bearer_auth=mock.secret_key, server_url=mock.api_url)


def test_endpoints_and_the_delivery_log_over_http(served: ClerkMock, rx: Receiver) -> None:
    c = control(served)
    rx.script = [500]
    r = c.post("/webhooks", json={"url": rx.url, "events": ["user.*"]})
    assert r.status_code == 200, r.text
    endpoint = r.json()
    assert endpoint["id"].startswith("ep_") and endpoint["secret"] == SECRET and endpoint["events"] == ["user.*"]
    assert endpoint["retry_schedule"] == [0.02, 0.05] and endpoint["source"] == "control"
    user = sdk(served).users.create(email_address=["ada@acme.test"])
    r = c.post("/webhooks/flush", json={"timeout": 5})
    assert r.json() == {"done": True, "pending": 0}
    listing = c.get("/webhooks").json()
    assert listing["idle"] and [e["id"] for e in listing["endpoints"]] == [endpoint["id"]]
    (d,) = listing["deliveries"]
    assert d["event_type"] == "user.created" and d["status"] == "succeeded"
    assert [a["status_code"] for a in d["attempts"]] == [500, 200] and d["event_id"] == rx.received[0].msg_id
    assert rx.ok()[0].payload["data"]["id"] == user.id
    one = c.get(f"/webhooks/{endpoint['id']}").json()
    assert one["deliveries"] == listing["deliveries"]
    # narrow it down, then remove it
    r = c.patch(f"/webhooks/{endpoint['id']}", json={"events": ["organization.created"]})
    assert r.status_code == 200 and r.json()["events"] == ["organization.created"]
    sdk(served).users.create(email_address=["bob@acme.test"])
    assert c.post("/webhooks/flush").json()["done"]
    assert rx.types() == ["user.created"]
    assert c.get("/webhooks", params={"type": "user.*", "status": "succeeded"}).json()["total_count"] == 1
    assert c.delete(f"/webhooks/{endpoint['id']}").json() == {"id": endpoint["id"], "deleted": True}
    assert c.get(f"/webhooks/{endpoint['id']}").status_code == 404
    assert c.delete(f"/webhooks/{endpoint['id']}").json()["errors"][0]["code"] == "resource_not_found"


@pytest.mark.parametrize("body, param", [
    ({"url": "not a url"}, "url"),
    ({"url": "http://127.0.0.1:9/x", "events": ["user.nope"]}, "events.0"),
    ([{"url": "http://127.0.0.1:9/x"}, {"url": "http://127.0.0.1:9/y", "secret": "x"}], "[1].secret"),
    ({"url": "http://127.0.0.1:9/x", "faults": [{"drop": True, "times": 0}]}, "faults.0.times"),
])
def test_bad_endpoints_are_a_422_naming_the_key(served: ClerkMock, body: Any, param: str) -> None:
    c = control(served)
    r = c.post("/webhooks", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["meta"]["param_name"] == param
    assert c.get("/webhooks").json()["endpoints"] == []  # all or nothing


def test_flush_reports_pending_deliveries_when_its_timeout_passes(served: ClerkMock, rx: Receiver) -> None:
    c = control(served)
    c.post("/webhooks", json={"url": rx.url, "retry_schedule": [30]})
    rx.script = [503]
    sdk(served).users.create(email_address=["ada@acme.test"])
    rx.wait_for(1)
    assert c.post("/webhooks/flush", json={"timeout": 0.1}).json() == {"done": False, "pending": 1}
    assert c.post("/webhooks/flush", json={"timeout": 5, "retry_now": True}).json() == {"done": True, "pending": 0}
    assert c.post("/webhooks/flush", json={"wait": 1}).status_code == 422


def test_waiting_never_blocks_the_app_calling_back(served: ClerkMock, rx: Receiver) -> None:
    """The app's handler looks the user up in "Clerk" before answering, as real handlers do.  While a test
    waits for deliveries (flush, or GET ?wait=), clerkmock must keep answering it."""
    looked_up: list[int] = []

    def handler(item: Any) -> None:
        user_id = item.payload["data"]["id"]
        r = httpx.get(f"{served.api_url}/users/{user_id}", headers={"authorization": f"Bearer {served.secret_key}"},
                      timeout=5, trust_env=False)
        looked_up.append(r.status_code)

    rx.on_request = handler
    c = control(served)
    c.post("/webhooks", json={"url": rx.url, "events": ["user.created"]})
    clerk = sdk(served)
    for i in range(3):
        clerk.users.create(email_address=[f"u{i}@acme.test"])
    started = time.monotonic()
    assert c.post("/webhooks/flush", json={"timeout": 8}).json()["done"]
    clerk.users.create(email_address=["u3@acme.test"])
    listing = c.get("/webhooks", params={"wait": 8}).json()
    assert time.monotonic() - started < 5
    assert listing["idle"] and looked_up == [200] * 4


def test_reset_returns_to_the_baseline_endpoints(rx: Receiver) -> None:
    """Like fault rules: endpoints configured at start (serve --webhook, the scenario) stay, endpoints added
    later through the control plane go; the delivery log is cleared."""
    with Receiver(SECRET) as other, ClerkMock(port=0, webhooks=[rx.url]) as mock:
        c = control(mock)
        added = c.post("/webhooks", json={"url": other.url}).json()
        sdk(mock).users.create(email_address=["ada@acme.test"])
        assert c.post("/webhooks/flush").json()["done"]
        assert len(c.get("/webhooks").json()["deliveries"]) == 2
        assert c.post("/reset").status_code == 200
        listing = c.get("/webhooks").json()
        assert [e["url"] for e in listing["endpoints"]] == [rx.url] and listing["deliveries"] == []
        assert c.get(f"/webhooks/{added['id']}").status_code == 404
        # a baseline taken after adding it keeps it
        c.post("/webhooks", json={"url": other.url, "id": "ep_other"})
        c.post("/seed?baseline=true", content="{}")
        c.post("/reset")
        assert [e["id"] for e in c.get("/webhooks").json()["endpoints"]][1:] == ["ep_other"]


def test_scenario_endpoints_and_seeding_on_request(tmp_path: Path, rx: Receiver) -> None:
    pinned = "whsec_" + "c2NlbmFyaW8tc2VjcmV0LWZvci10ZXN0cw=="
    rx.secret = pinned
    path = tmp_path / "scenario.yaml"
    path.write_text(f"""
webhooks:
  - url: {rx.url}
    secret: {pinned}
    events: [user.created, organization.created]
    retry_schedule: [0.01]
webhooks_on_seed: true
users:
  - email_address: ada@acme.test
  - email_address: bob@acme.test
organizations:
  - name: Acme
    created_by: ada@acme.test
""")
    mock = ClerkMock(scenario=path)
    (endpoint,) = mock.webhooks.endpoints
    assert endpoint.source == "scenario" and endpoint.retry_schedule == (0.01,)
    assert mock.webhooks.flush(5)
    assert rx.types() == ["user.created", "user.created", "organization.created"]
    # a reset returns to the seeded state without replaying the seed's events
    mock.reset()
    assert mock.webhooks.flush(5) and len(rx.received) == 3


def test_scenario_seeding_is_silent_unless_asked(tmp_path: Path, rx: Receiver) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"webhooks: [{rx.url}]\nusers:\n  - email_address: ada@acme.test\n")
    mock = ClerkMock(scenario=path)
    assert mock.webhooks.flush(5) and rx.received == []
    Clerk(bearer_auth="sk", server_url="http://x/v1", client=httpx.Client(transport=mock.transport())) \
        .users.create(email_address=["bob@acme.test"])
    assert mock.webhooks.flush(5) and rx.types() == ["user.created"]


def test_seeding_through_the_control_plane(served: ClerkMock, rx: Receiver) -> None:
    c = control(served)
    doc = {"webhooks": [{"url": rx.url, "events": ["user.*"]}], "webhooks_on_seed": True,
           "users": [{"email_address": "ada@acme.test"}]}
    r = c.post("/seed", content=json.dumps(doc))
    assert r.status_code == 200, r.text
    assert c.post("/webhooks/flush").json()["done"]
    assert rx.types() == ["user.created"]
    bad = c.post("/seed", content=json.dumps({"webhooks": [{"url": rx.url, "evnts": []}]}))
    assert bad.status_code == 422 and "evnts" in bad.text


def test_async_transport_flush_runs_off_the_event_loop(rx: Receiver) -> None:
    mock = ClerkMock(webhooks=[rx.url])

    async def run() -> None:
        async with httpx.AsyncClient(transport=mock.async_transport(), base_url="http://clerkmock") as client:
            r = await client.post("/v1/users", json={"email_address": ["ada@acme.test"]},
                                  headers={"authorization": "Bearer sk"})
            assert r.status_code == 200
            r = await client.post("/__clerkmock/webhooks/flush", json={"timeout": 5})
            assert r.json() == {"done": True, "pending": 0}

    asyncio.run(run())
    assert rx.types() == ["user.created"]


def test_serve_with_webhook_flags(tmp_path: Path, rx: Receiver) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERKMOCK_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("CLERKMOCK_SECRET_KEYS", None)
    secret = generated_secret("cli")
    rx.secret = secret
    proc = subprocess.Popen(
        [sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--seed", "cli", "--webhook", rx.url,
         "--webhook-retry-schedule", "0.02,0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        values = _read_env(proc, "CLERK_WEBHOOK_SIGNING_SECRET")
        assert values["CLERK_WEBHOOK_SIGNING_SECRET"] == secret
        # `clerkmock env --seed cli` prints the same secret
        nobody = socket.socket()  # a port nothing listens on: `env` prints its defaults, derived from --seed
        nobody.bind(("127.0.0.1", 0))
        free = str(nobody.getsockname()[1])
        nobody.close()
        printed = subprocess.run([sys.executable, "-m", "clerkmock", "env", "--seed", "cli", "--port", free], env=env,
                                 capture_output=True, text=True, timeout=30, cwd=tmp_path).stdout
        assert f"CLERK_WEBHOOK_SIGNING_SECRET={secret}" in printed
        rx.script = [500]
        r = httpx.post(values["CLERK_API_URL"] + "/v1/users", json={"email_address": ["ada@acme.test"]},
                       headers={"authorization": "Bearer sk_test"}, timeout=5, trust_env=False)
        assert r.status_code == 200
        flushed = httpx.post(values["CLERK_API_URL"] + "/__clerkmock/webhooks/flush", timeout=10, trust_env=False)
        assert flushed.json()["done"]
        assert rx.types() == ["user.created"] and [x.status for x in rx.received] == [500, 200]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_serve_refuses_a_bad_webhook_flag(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERKMOCK_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-m", "clerkmock", "serve", "--port", "0", "--webhook", "nope"],
                          env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode == 1 and "url must be an http(s) URL" in proc.stderr


def _read_env(proc: subprocess.Popen[str], last: str, timeout: float = 20.0) -> dict[str, str]:
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    out: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while last not in out:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        name, _, value = line.strip().partition("=")
        out[name] = value
    return out


def test_flush_over_the_mitmproxy_listener(rx: Receiver) -> None:
    with ClerkMock(port=0, listener="mitmproxy", webhooks=[rx.url]) as mock:
        rx.on_request = lambda item: httpx.get(f"{mock.api_url}/users", trust_env=False, timeout=5,
                                               headers={"authorization": "Bearer sk"}).raise_for_status()
        sdk(mock).users.create(email_address=["ada@acme.test"])
        assert control(mock).post("/webhooks/flush", json={"timeout": 8}).json() == {"done": True, "pending": 0}
    assert rx.types() == ["user.created"]
