"""Keep a `users` table in SQLite in step with Clerk, from Clerk's webhooks (stdlib + the `svix` library).

    CLERK_WEBHOOK_SIGNING_SECRET=whsec_... python app.py users.sqlite 8000   # POST /webhooks/clerk

Verifies every request with svix, applies user.created / user.updated / user.deleted, and is idempotent on
the svix-id (Clerk retries, and may deliver twice).  While the database is unavailable it answers 500, so
Clerk -- or clerkmock -- retries later.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from svix.webhooks import Webhook, WebhookVerificationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT,
                                  updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS processed_webhooks (svix_id TEXT PRIMARY KEY);
"""


class WebhookApp:
    def __init__(self, db_path: str, signing_secret: str | None = None, port: int = 0) -> None:
        self.db = sqlite3.connect(db_path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.webhook = Webhook(signing_secret or os.environ["CLERK_WEBHOOK_SIGNING_SECRET"])
        self.lock = threading.Lock()
        self.outage = 0  # requests still to fail with 500, as if the database were down
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = app.receive(dict(self.headers), body) if self.path == "/webhooks/clerk" else 404
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/clerk"

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        try:
            self.webhook.verify(body, headers)  # raises unless signed with our secret, recently
        except WebhookVerificationError:
            return 400
        msg_id = {k.lower(): v for k, v in headers.items()}["svix-id"]
        event = json.loads(body)
        with self.lock, self.db:  # one transaction: the change and the svix-id, or neither
            if self.outage > 0:
                self.outage -= 1
                return 500
            if self.db.execute("SELECT 1 FROM processed_webhooks WHERE svix_id = ?", (msg_id,)).fetchone():
                return 200  # a retry or a duplicate of something already applied
            self.apply(event["type"], event["data"])
            self.db.execute("INSERT INTO processed_webhooks VALUES (?)", (msg_id,))
        return 200

    def apply(self, kind: str, user: dict) -> None:
        if kind in ("user.created", "user.updated"):
            primary = next((e["email_address"] for e in user["email_addresses"]
                            if e["id"] == user["primary_email_address_id"]), None)
            self.db.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET email = excluded.email,"
                " first_name = excluded.first_name, last_name = excluded.last_name,"
                " updated_at = excluded.updated_at WHERE excluded.updated_at >= users.updated_at",
                (user["id"], primary, user["first_name"], user["last_name"], user["updated_at"]))
        elif kind == "user.deleted":
            self.db.execute("DELETE FROM users WHERE id = ?", (user["id"],))

    def rows(self) -> list[tuple[str, str | None, str | None, str | None]]:
        with self.lock:
            return self.db.execute("SELECT id, email, first_name, last_name FROM users ORDER BY id").fetchall()

    def start(self) -> WebhookApp:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.db.close()


if __name__ == "__main__":
    WebhookApp(sys.argv[1], port=int(sys.argv[2])).server.serve_forever()
