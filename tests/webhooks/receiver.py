"""A webhook receiver for tests: a loopback HTTP server that verifies every delivery with the official ``svix``
library and validates its payload against the webhook spec, then answers as scripted.

    with Receiver(secret) as rx:                      # rx.url -> http://127.0.0.1:<port>/webhooks
        rx.script = [500, 200]                         # answers to the next requests (then 200)
        ...
        assert rx.types() == ["user.created", ...]
    # leaving the block raises if any delivery failed verification or validation
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from svix.webhooks import Webhook, WebhookVerificationError

from tests.webhooks import webhook_spec


@dataclass
class Received:
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic()
    status: int  # what the receiver answered
    path: str

    @property
    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result

    @property
    def type(self) -> str:
        return str(self.payload["type"])

    @property
    def msg_id(self) -> str:
        return self.headers["svix-id"]


class Receiver:
    def __init__(self, secret: str | None = None, *, path: str = "/webhooks") -> None:
        self.secret = secret
        self.path = path
        self.received: list[Received] = []
        self.problems: list[str] = []
        self.script: list[int] = []  # statuses for the next requests; 200 once empty
        self.on_request: Callable[[Received], None] | None = None  # called before answering
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._check(headers, body)
                with receiver._lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                item = Received(headers, body, time.monotonic(), status, self.path)
                if receiver.on_request is not None:
                    receiver.on_request(item)
                with receiver._cond:  # recorded before answering: once clerkmock has the answer, it is here
                    receiver.received.append(item)
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def _check(self, headers: dict[str, str], body: bytes) -> None:
        for name in ("svix-id", "svix-timestamp", "svix-signature"):
            if name not in headers:
                self.problems.append(f"missing header {name}")
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)  # the official library; raises on a bad signature
            except WebhookVerificationError as exc:
                self.problems.append(f"svix verification failed: {exc}")
        try:
            webhook_spec.validate(json.loads(body))
        except (AssertionError, ValueError) as exc:
            self.problems.append(str(exc))

    # -- reading ----------------------------------------------------------------------------------------------

    def ok(self) -> list[Received]:
        """What the receiver accepted (answered 2xx), in arrival order."""
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def types(self, *, accepted_only: bool = True) -> list[str]:
        items = self.ok() if accepted_only else list(self.received)
        return [r.type for r in items]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
                self._cond.wait(remaining)
            return list(self.received)

    def assert_clean(self) -> None:
        assert not self.problems, self.problems

    # -- lifecycle --------------------------------------------------------------------------------------------

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        if exc[0] is None:
            self.assert_clean()
