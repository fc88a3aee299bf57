"""End to end: an app that syncs users into SQLite from webhooks (tests/webhook_app/app.py), a served
clerkmock, and the official Python SDK making the changes.  The rows follow creates, updates and deletes,
including when the app answered 500 once and the delivery was retried, and when a delivery came twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clerk_backend_api import Clerk

from clerkmock import ClerkMock
from tests.webhook_app.app import WebhookApp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[ClerkMock]:
    with ClerkMock(port=0, webhook_retry_schedule=[0.05, 0.2, 0.5]) as mock:
        yield mock


@pytest.fixture
def app(served: ClerkMock, tmp_path: Path) -> Iterator[WebhookApp]:
    # the app gets the secret the way a deployed one would: CLERK_WEBHOOK_SIGNING_SECRET, from `clerkmock env`
    webhook_app = WebhookApp(str(tmp_path / "app.sqlite"), served.env()["CLERK_WEBHOOK_SIGNING_SECRET"]).start()
    served.webhooks.add(webhook_app.url, events=["user.*"])
    yield webhook_app
    webhook_app.stop()


def test_rows_follow_creates_updates_and_deletes(served: ClerkMock, app: WebhookApp) -> None:
    clerk = Clerk(bearer_auth=served.secret_key, server_url=served.api_url)
    ada = clerk.users.create(email_address=["ada@acme.test"], first_name="Ada")
    bob = clerk.users.create(email_address=["bob@acme.test"], first_name="Bob")
    assert served.webhooks.flush(10)
    assert app.rows() == sorted([(ada.id, "ada@acme.test", "Ada", None), (bob.id, "bob@acme.test", "Bob", None)])

    clerk.users.update(user_id=ada.id, last_name="Lovelace")
    extra = clerk.email_addresses.create(request={"user_id": ada.id, "email_address": "ada@lovelace.test",
                                                  "verified": True})
    clerk.users.update(user_id=ada.id, primary_email_address_id=extra.id)
    clerk.users.delete(user_id=bob.id)
    assert served.webhooks.flush(10)
    assert app.rows() == [(ada.id, "ada@lovelace.test", "Ada", "Lovelace")]


def test_a_delivery_the_app_refused_with_500_is_retried(served: ClerkMock, app: WebhookApp) -> None:
    clerk = Clerk(bearer_auth=served.secret_key, server_url=served.api_url)
    app.outage = 1  # the database is down for the next request
    ada = clerk.users.create(email_address=["ada@acme.test"], first_name="Ada")
    clerk.users.update(user_id=ada.id, first_name="Augusta")
    assert served.webhooks.flush(10)
    assert app.rows() == [(ada.id, "ada@acme.test", "Augusta", None)]
    created, updated = served.webhooks.deliveries()
    assert [a.status_code for a in created.attempts] == [500, 200]
    assert [a.status_code for a in updated.attempts] == [200]  # in order: it waited for the retry


def test_a_duplicate_delivery_is_applied_once(served: ClerkMock, app: WebhookApp) -> None:
    (endpoint,) = served.webhooks.endpoints
    served.webhooks.update(endpoint.id, {"faults": [{"duplicate": True}]})
    clerk = Clerk(bearer_auth=served.secret_key, server_url=served.api_url)
    ada = clerk.users.create(email_address=["ada@acme.test"], first_name="Ada")
    clerk.users.delete(user_id=ada.id)
    assert served.webhooks.flush(10)
    assert app.rows() == []  # the repeated user.created did not bring Ada back
    assert all(len(d.attempts) == 2 for d in served.webhooks.deliveries())
    assert app.db.execute("SELECT count(*) FROM processed_webhooks").fetchone() == (2,)


def test_the_docs_show_the_app_verbatim() -> None:
    doc = (ROOT / "docs" / "webhooks.md").read_text()
    app = (ROOT / "tests" / "webhook_app" / "app.py").read_text()
    assert app.strip() in doc


def test_the_readme_example_runs(tmp_path: Path) -> None:
    """The README's webhooks example, with its app import pointed at tests/webhook_app."""
    doc = (ROOT / "README.md").read_text()
    code = next(block.split("```", 1)[0] for block in doc.split("```python\n")[1:]
                if "from myapp.webhooks import WebhookApp" in block)
    assert "from myapp.webhooks import WebhookApp" in code
    namespace: dict[str, object] = {}
    exec(compile(code.replace("from myapp.webhooks import", "from tests.webhook_app.app import"),  # noqa: S102
                 "README.md", "exec"), namespace)
    namespace["test_users_follow_clerk"](tmp_path)  # type: ignore[operator]
