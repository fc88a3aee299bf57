"""Delivery (clerkmock/webhooks/): Svix signatures the official library accepts, each message on its own schedule, retries
with backoff, filters, delivery faults, the log, flush and reset.  Every delivery in these tests is verified
by the ``svix`` library and validated against the webhook spec by the receiver (tests/webhooks/receiver.py).
Retry schedules are tens of milliseconds; nothing leaves 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from clerkmock import ClerkMock
from clerkmock.webhooks import WebhookConfigError
from clerkmock.webhooks.signing import generated_secret, signature, verify
from tests.webhooks.receiver import Receiver

FAST = [0.02, 0.05]  # retry schedule for tests: two retries, quickly


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with Receiver(generated_secret("clerkmock")) as receiver:
        yield receiver


def make(rx: Receiver | None = None, **kwargs: Any) -> ClerkMock:
    kwargs.setdefault("webhook_retry_schedule", FAST)
    mock = ClerkMock(webhooks=[rx.url] if rx is not None else (), **kwargs)
    return mock


def sdk(mock: ClerkMock) -> Clerk:
    return Clerk(bearer_auth="sk_test_clerkmock", server_url="http://clerkmock.invalid/v1",
                 client=httpx.Client(transport=mock.transport()))


def create_users(mock: ClerkMock, n: int) -> list[str]:
    clerk = sdk(mock)
    start = len(mock.engine.state.users)
    return [clerk.users.create(email_address=[f"u{start + i}@acme.test"]).id for i in range(n)]


def test_deliveries_are_svix_signed_and_carry_the_event(rx: Receiver) -> None:
    mock = make(rx)
    clerk = sdk(mock)
    user = clerk.users.create(email_address=["ada@acme.test"], first_name="Ada")
    clerk.users.update(user_id=user.id, last_name="Lovelace")
    clerk.users.delete(user_id=user.id)
    assert mock.webhooks.flush(5)
    got = rx.ok()
    assert [r.type for r in got] == ["user.created", "user.updated", "user.deleted"]
    assert [r.payload["data"]["id"] for r in got] == [user.id] * 3
    assert got[1].payload["data"]["last_name"] == "Lovelace"
    for r in got:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["svix-id"].startswith("msg_") and r.headers["svix-signature"].startswith("v1,")
        assert abs(int(r.headers["svix-timestamp"]) - time.time()) < 60
        assert verify(mock.webhooks.signing_secret, r.headers, r.body)
    assert len({r.msg_id for r in got}) == 3
    log = mock.webhooks.deliveries()
    assert [d.event.id for d in log] == [r.msg_id for r in got]
    assert all(d.status == "succeeded" and [a.status_code for a in d.attempts] == [200] for d in log)


def test_signature_matches_the_svix_reference_vector() -> None:
    # the example from Svix's docs (docs.svix.com/receiving/verifying-payloads/how-manual)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_failed_delivery_is_retried_with_the_same_id_and_a_fresh_signature(rx: Receiver) -> None:
    rx.script = [500, 503]
    mock = make(rx)
    create_users(mock, 1)
    assert mock.webhooks.flush(5)
    first, second, third = rx.received
    assert [r.status for r in rx.received] == [500, 503, 200]
    assert first.msg_id == second.msg_id == third.msg_id and first.body == third.body
    assert second.at - first.at >= FAST[0] * 0.9 and third.at - second.at >= FAST[1] * 0.9
    (d,) = mock.webhooks.deliveries()
    assert d.status == "succeeded" and [a.status_code for a in d.attempts] == [500, 503, 200]


def test_a_delivery_fails_for_good_after_the_schedule_and_the_others_go_on(rx: Receiver) -> None:
    rx.script = [500, 500, 500]
    mock = make(rx)
    create_users(mock, 1)
    assert mock.webhooks.flush(5)
    create_users(mock, 1)
    assert mock.webhooks.flush(5)
    failed, delivered = mock.webhooks.deliveries()
    assert failed.status == "failed" and len(failed.attempts) == 3 and failed.next_attempt_at_ms is None
    assert delivered.status == "succeeded"
    assert [r.status for r in rx.received] == [500, 500, 500, 200]


def test_a_failing_message_does_not_hold_back_the_others(rx: Receiver) -> None:
    """Issue 12.7: one failed delivery stalled every later event to that endpoint until its retry (5 minutes
    on Svix's schedule).  Svix attempts each message on its own schedule."""
    rx.script = [500]  # the first event's first attempt fails; its retry is a long way off
    mock = make(rx, webhook_retry_schedule=[300])
    ids = create_users(mock, 4)
    rx.wait_for(4)  # the failed attempt, then the three others
    assert [r.payload["data"]["id"] for r in rx.ok()] == ids[1:]  # first attempts in the order events happened
    deadline = time.monotonic() + 5  # the receiver has answered; the dispatcher records it right after
    while mock.webhooks.pending() > 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert mock.webhooks.pending() == 1 and not mock.webhooks.flush(0.05)
    (waiting,) = [d for d in mock.webhooks.deliveries() if d.status != "succeeded"]
    assert waiting.status == "retrying" and waiting.event.body == rx.received[0].body
    assert mock.webhooks.flush(5, retry_now=True)
    assert [r.payload["data"]["id"] for r in rx.ok()] == [*ids[1:], ids[0]]  # the retried one arrives last
    assert rx.received[0].msg_id == rx.received[-1].msg_id


def test_the_log_shows_the_next_retry_while_waiting(rx: Receiver) -> None:
    rx.script = [500]
    mock = make(rx, webhook_retry_schedule=[30])
    create_users(mock, 1)
    rx.wait_for(1)
    deadline = time.monotonic() + 5
    while mock.webhooks.deliveries()[0].status != "retrying" and time.monotonic() < deadline:
        time.sleep(0.005)
    (d,) = mock.webhooks.deliveries()
    body = d.to_json()
    assert body["status"] == "retrying" and body["attempts"][0]["status_code"] == 500
    assert body["next_attempt_at"] >= int(time.time() * 1000) + 25_000
    assert not mock.webhooks.flush(0.05)  # still pending: flush says so when its timeout passes
    assert mock.webhooks.flush(5, retry_now=True)  # ... or tries at once
    assert mock.webhooks.deliveries()[0].status == "succeeded"


def test_connection_errors_are_retried() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mock = ClerkMock(webhooks=[f"http://127.0.0.1:{port}/hook"], webhook_retry_schedule=[0.01])
    create_users(mock, 1)
    assert mock.webhooks.flush(5)
    (d,) = mock.webhooks.deliveries()
    assert d.status == "failed" and len(d.attempts) == 2
    assert all(a.status_code is None and a.error for a in d.attempts)


def test_each_endpoint_gets_the_events_it_asked_for() -> None:
    secret = generated_secret("clerkmock")
    with Receiver(secret) as users_rx, Receiver(secret) as orgs_rx, Receiver(secret) as all_rx:
        mock = make()
        mock.webhooks.add(users_rx.url, events=["user.created", "user.deleted"])
        mock.webhooks.add(orgs_rx.url, events=["organization*.*"])
        mock.webhooks.add(all_rx.url)
        clerk = sdk(mock)
        user = clerk.users.create(email_address=["ada@acme.test"])
        clerk.users.update(user_id=user.id, first_name="Ada")
        clerk.organizations.create(request={"name": "Acme", "created_by": user.id})
        assert mock.webhooks.flush(5)
        assert users_rx.types() == ["user.created"]
        assert orgs_rx.types() == ["organization.created", "organizationMembership.created"]
        assert all_rx.types() == ["user.created", "user.updated", "organization.created",
                                  "organizationMembership.created"]
        assert len({r.msg_id for r in users_rx.ok() + all_rx.ok()}) == 4  # the same event has one id everywhere


def test_drop_fault_loses_the_event(rx: Receiver) -> None:
    mock = make()
    mock.webhooks.add(rx.url, faults=[{"drop": True, "events": ["user.created"], "times": 1}])
    ids = create_users(mock, 2)
    assert mock.webhooks.flush(5)
    assert [r.payload["data"]["id"] for r in rx.ok()] == ids[1:]
    dropped = mock.webhooks.deliveries(status="dropped")
    assert len(dropped) == 1 and dropped[0].faults == ["wf_1"] and dropped[0].attempts == []


def test_delay_fault_delivers_that_message_late_and_the_others_go_ahead(rx: Receiver) -> None:
    mock = make()
    mock.webhooks.add(rx.url, faults=[{"delay": {"ms": 30_000}, "times": 1}])
    ids = create_users(mock, 3)
    assert [r.payload["data"]["id"] for r in rx.wait_for(2)] == ids[1:]
    (late,) = mock.webhooks.deliveries(status="queued")
    assert late.next_attempt_at_ms is not None and late.next_attempt_at_ms >= late.created_at_ms + 30_000
    assert mock.webhooks.flush(5, retry_now=True)
    assert [r.payload["data"]["id"] for r in rx.ok()] == [*ids[1:], ids[0]]  # the late first one comes last


def test_duplicate_fault_sends_the_same_message_again(rx: Receiver) -> None:
    mock = make()
    mock.webhooks.add(rx.url, faults=[{"duplicate": {"copies": 2}, "after": 1, "times": 1}])
    create_users(mock, 2)
    assert mock.webhooks.flush(5)
    got = rx.ok()
    assert len(got) == 4
    assert got[1].msg_id == got[2].msg_id == got[3].msg_id != got[0].msg_id
    assert got[1].body == got[3].body
    d = mock.webhooks.deliveries()[1]
    assert [a.duplicate for a in d.attempts] == [False, True, True]


def test_probability_faults_draw_from_the_seed(rx: Receiver) -> None:
    def dropped(seed: str) -> list[int]:
        mock = ClerkMock(seed=seed)
        mock.webhooks.add(rx.url, secret=generated_secret("clerkmock"),
                          faults=[{"drop": True, "probability": 0.5}])
        create_users(mock, 12)
        mock.webhooks.flush(5)
        return [i for i, d in enumerate(mock.webhooks.deliveries()) if d.status == "dropped"]

    first = dropped("s1")
    assert first == dropped("s1") and 0 < len(first) < 12


def test_reset_drops_undelivered_events_and_the_log_but_keeps_endpoints(rx: Receiver) -> None:
    rx.script = [500]
    mock = make(rx, webhook_retry_schedule=[30])
    create_users(mock, 2)
    rx.wait_for(1)
    mock.reset()
    assert mock.webhooks.idle() and mock.webhooks.deliveries() == []
    assert len(mock.webhooks.endpoints) == 1
    ids = create_users(mock, 1)  # the same id as before the reset, a new event id
    assert mock.webhooks.flush(5)
    assert rx.ok()[-1].payload["data"]["id"] == ids[0]
    assert rx.ok()[-1].msg_id != rx.received[0].msg_id


def test_no_endpoint_no_event_work() -> None:
    mock = make()
    create_users(mock, 1)
    assert not mock.engine.outbox.enabled and mock.webhooks.deliveries() == []


def test_an_endpoint_sees_only_what_happens_after_it_is_added(rx: Receiver) -> None:
    mock = make()
    create_users(mock, 1)
    mock.webhooks.add(rx.url)
    ids = create_users(mock, 1)
    assert mock.webhooks.flush(5)
    assert [r.payload["data"]["id"] for r in rx.ok()] == ids


def test_removing_an_endpoint_cancels_what_it_had_queued(rx: Receiver) -> None:
    rx.script = [500]
    mock = make(rx, webhook_retry_schedule=[30])
    create_users(mock, 2)
    rx.wait_for(1)
    (endpoint,) = mock.webhooks.endpoints
    assert mock.webhooks.remove(endpoint.id)
    assert mock.webhooks.flush(1) and not mock.engine.outbox.enabled
    assert {d.status for d in mock.webhooks.deliveries()} == {"cancelled"}


def test_pinned_secrets_and_ids(rx: Receiver) -> None:
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    rx.secret = secret
    mock = make()
    endpoint = mock.webhooks.add({"url": rx.url, "secret": secret, "id": "ep_app"})
    assert endpoint.id == "ep_app" and mock.webhooks.signing_secret == secret
    assert mock.env()["CLERK_WEBHOOK_SIGNING_SECRET"] if mock.running else True
    create_users(mock, 1)
    assert mock.webhooks.flush(5) and rx.types() == ["user.created"]
    again = mock.webhooks.add({"url": rx.url + "?v=2", "id": "ep_app"})  # the same id replaces it
    assert [e.id for e in mock.webhooks.endpoints] == ["ep_app"] and again.secret == mock.webhooks.default_secret


@pytest.mark.parametrize("bad, where", [
    ({"url": "ftp://x"}, ("url",)),
    ({"url": "http://127.0.0.1:1/x", "events": ["user.create"]}, ("events", 0)),
    ({"url": "http://127.0.0.1:1/x", "secret": "nope"}, ("secret",)),
    ({"url": "http://127.0.0.1:1/x", "secret": "whsec_%%%"}, ("secret",)),
    ({"url": "http://127.0.0.1:1/x", "retry": [1]}, ("retry",)),
    ({"url": "http://127.0.0.1:1/x", "faults": [{"drop": True, "delay": 3}]}, ("faults", 0)),
    ({"url": "http://127.0.0.1:1/x", "faults": [{"explode": True}]}, ("faults", 0, "explode")),
    ({"url": "http://127.0.0.1:1/x", "retry_schedule": [-1]}, ("retry_schedule",)),
])
def test_bad_endpoint_configuration_is_refused_at_once(bad: dict[str, Any], where: tuple[Any, ...]) -> None:
    with pytest.raises(WebhookConfigError) as err:
        ClerkMock().webhooks.add(bad)
    assert err.value.path == where


def test_default_secret_derives_from_the_seed_or_is_pinned() -> None:
    assert ClerkMock(seed="a").webhooks.default_secret == generated_secret("a") != generated_secret("b")
    pinned = generated_secret("elsewhere")
    assert ClerkMock(webhook_secret=pinned).webhooks.default_secret == pinned
    with pytest.raises(ValueError):
        ClerkMock(webhook_secret="whsec_short")


def test_idle_delivery_threads_end_and_come_back(rx: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from clerkmock.webhooks import dispatcher

    monkeypatch.setattr(dispatcher, "IDLE_EXIT_S", 0.05)
    mock = make(rx)
    create_users(mock, 1)
    assert mock.webhooks.flush(5)
    (endpoint,) = mock.webhooks.endpoints
    deadline = time.monotonic() + 5
    while endpoint.worker is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert endpoint.worker is None
    create_users(mock, 1)
    assert mock.webhooks.flush(5) and len(rx.ok()) == 2


def test_stop_ends_the_delivery_threads(rx: Receiver) -> None:
    with ClerkMock(port=0, webhooks=[rx.url]) as mock:
        create_users(mock, 1)
        assert mock.webhooks.flush(5)
        (endpoint,) = mock.webhooks.endpoints
    assert endpoint.worker is None
    create_users(mock, 1)  # the in-process transport still works after stop(): delivery resumes on demand
    assert mock.webhooks.flush(5) and len(rx.ok()) == 2
