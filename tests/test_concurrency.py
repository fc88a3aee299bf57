"""Invariants under concurrent clients over real HTTP to the lean base-URL listener (issue 8, "Bad input and
load"): 32 clients at once, each on its own keep-alive connection.

* the same email from 32 clients at once: exactly one 200, 31 × 422 ``form_identifier_exists``, one row;
* distinct users created while others read the count: every create answered once with its own user,
  ``/users/count`` equals the rows listed afterwards, no external id twice, counts never go down;
* pipelined requests on many connections: every request answered exactly once, in order.

Bounded: a few hundred requests per test, every client with a timeout, every thread joined with one.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from clerkmock import ClerkMock

CLIENTS = 32
AUTH = {"Authorization": "Bearer sk_test_concurrency"}
TIMEOUT = 15.0


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    with ClerkMock(port=0, config_dir=tmp_path_factory.mktemp("cfg")) as m:
        yield m


@pytest.fixture(autouse=True)
def _fresh(mock: ClerkMock) -> None:
    mock.reset()


def run_clients(mock: ClerkMock, n: int, work: Callable[[int, httpx.Client, threading.Barrier], Any], *,
                in_process: Callable[[int], bool] = lambda i: False) -> list[Any]:
    """Run ``work(i, client, barrier)`` in n threads, each with its own keep-alive HTTP client (or, where
    ``in_process(i)``, a client on the in-process transport, which shares the pipeline); return the results in
    client order.  An exception in a client fails the test."""
    barrier = threading.Barrier(n, timeout=TIMEOUT)
    results: list[Any] = [None] * n
    failures: list[BaseException] = []

    def target(i: int) -> None:
        try:
            if in_process(i):
                client = httpx.Client(transport=mock.transport(), base_url="http://clerkmock", headers=AUTH)
            else:
                client = httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT)
            with client:
                client.get("/__clerkmock/health")  # connect before the barrier: the burst is the requests
                results[i] = work(i, client, barrier)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 4)
    assert not any(t.is_alive() for t in threads), "a client did not finish"
    if failures:
        raise failures[0]
    return results


def all_users(client: httpx.Client) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/users", params={"limit": 500, "offset": len(rows)})
        assert page.status_code == 200, page.text
        rows += page.json()
        if len(page.json()) < 500:
            return rows


@pytest.mark.parametrize("round_", range(4))
def test_same_email_from_32_clients_exactly_one_wins(mock: ClerkMock, round_: int) -> None:
    """Rounds 0-2 over HTTP only; round 3 with every other client on the in-process transport (one pipeline,
    two ways in)."""
    email = f"race{round_}@example.com"

    def create(i: int, client: httpx.Client, barrier: threading.Barrier) -> tuple[int, Any]:
        barrier.wait()
        r = client.post("/v1/users", json={"email_address": [email], "external_id": f"race-{round_}-{i}"})
        return r.status_code, r.json()

    results = run_clients(mock, CLIENTS, create, in_process=lambda i: round_ == 3 and i % 2 == 1)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 422: CLIENTS - 1}, statuses
    for status, body in results:
        if status == 422:
            assert body["errors"][0]["code"] == "form_identifier_exists", body
            assert body["errors"][0]["meta"]["param_name"] == "email_address", body
    winner = next(body for status, body in results if status == 200)
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT) as client:
        found = client.get("/v1/users", params={"email_address": email}).json()
        assert [u["id"] for u in found] == [winner["id"]]
        assert client.get("/v1/users/count").json()["total_count"] == 1


def test_distinct_creates_and_count_reads_agree(mock: ClerkMock) -> None:
    per_client = 8

    def work(i: int, client: httpx.Client, barrier: threading.Barrier) -> dict[str, Any]:
        barrier.wait()
        created, counts = [], []
        for k in range(per_client):
            ext = f"c{i}-{k}"
            r = client.post("/v1/users", json={"external_id": ext, "email_address": [f"{ext}@example.com"]})
            assert r.status_code == 200, r.text
            assert r.json()["external_id"] == ext  # this request's answer, not a neighbour's
            created.append(r.json()["id"])
            c = client.get("/v1/users/count")
            assert c.status_code == 200, c.text
            counts.append(c.json()["total_count"])
        return {"created": created, "counts": counts}

    results = run_clients(mock, CLIENTS, work)
    total = CLIENTS * per_client
    for r in results:
        assert r["counts"] == sorted(r["counts"]), "a count went down"
        # the client's own k-th create is done before its k-th read
        assert all(c >= k + 1 for k, c in enumerate(r["counts"])), r["counts"]
        assert all(c <= total for c in r["counts"]), r["counts"]
    ids = [user_id for r in results for user_id in r["created"]]
    assert len(set(ids)) == total
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT) as client:
        rows = all_users(client)
        count = client.get("/v1/users/count").json()["total_count"]
    assert count == len(rows) == total
    externals = Counter(u["external_id"] for u in rows)
    assert externals == Counter({f"c{i}-{k}": 1 for i in range(CLIENTS) for k in range(per_client)})
    assert {u["id"] for u in rows} == set(ids)


def test_concurrent_updates_to_one_user_are_each_answered_once(mock: ClerkMock) -> None:
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT) as client:
        user = client.post("/v1/users", json={"username": "shared_user"}).json()

    def work(i: int, client: httpx.Client, barrier: threading.Barrier) -> list[int]:
        barrier.wait()
        seen = []
        for k in range(4):
            r = client.patch(f"/v1/users/{user['id']}/metadata",
                             json={"private_metadata": {f"c{i}": k}})
            assert r.status_code == 200, r.text
            assert r.json()["private_metadata"][f"c{i}"] == k  # our own write is in our answer
            seen.append(r.status_code)
        return seen

    results = run_clients(mock, CLIENTS, work)
    assert sum(len(r) for r in results) == CLIENTS * 4
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT) as client:
        final = client.get(f"/v1/users/{user['id']}").json()["private_metadata"]
    assert final == {f"c{i}": 3 for i in range(CLIENTS)}  # every merge landed, none lost


def test_pipelined_requests_on_many_connections_are_answered_once_in_order(mock: ClerkMock) -> None:
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=TIMEOUT) as client:
        ids = [client.post("/v1/users", json={"username": f"pipe_user_{i}"}).json()["id"] for i in range(5)]
    depth = 10

    def work(i: int, client: httpx.Client, barrier: threading.Barrier) -> list[str]:
        order = [ids[(i + k) % len(ids)] for k in range(depth)]
        wire = b"".join(
            f"GET /v1/users/{uid} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk\r\n\r\n".encode() for uid in order
        ) + b"GET /__clerkmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        barrier.wait()
        with socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT) as s:
            s.sendall(wire)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        data = b"".join(chunks)
        assert data.count(b"HTTP/1.1 ") == depth + 1, data[:500]
        got = [part.split(b'"', 1)[0].decode() for part in data.split(b'{"id":"')[1:]]
        assert got == order
        return got

    results = run_clients(mock, CLIENTS, work)
    assert len(results) == CLIENTS and all(len(r) == depth for r in results)
