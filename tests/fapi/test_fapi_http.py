"""The Frontend API over real HTTP through the shared pipeline: the /__clerk prefix, CORS for the page's origin,
preflights, the journal and fault rules naming FAPI routes, the messages control plane and helper."""

from __future__ import annotations

import httpx
import pytest

import clerkmock
from clerkmock import ClerkMock
from tests.fapi import spec_check

PAGE = "http://localhost:5173"
PASSWORD = "correct-horse-battery"


def fapi(mock: ClerkMock, method: str, path: str, token: str | None = None, *, origin: str = PAGE,
         form: dict | None = None, **query: str) -> httpx.Response:
    q = {"__clerk_api_version": "2026-08-20", **query}
    if token:
        q["__clerk_db_jwt"] = token
    if method in ("PATCH", "PUT", "DELETE"):
        q["_method"], method = method, "POST"
    return httpx.request(method, f"{mock.url}/__clerk{path}", params=q, data=form, headers={"origin": origin})


@pytest.fixture()
def token(mock_server: ClerkMock) -> str:
    resp = fapi(mock_server, "POST", "/v1/dev_browser")
    assert resp.status_code == 200
    return resp.json()["id"]


def test_cors_echoes_loopback_origins_only(mock_server: ClerkMock, token: str) -> None:
    resp = fapi(mock_server, "GET", "/v1/client", token)
    assert resp.headers["access-control-allow-origin"] == PAGE
    assert resp.headers["access-control-allow-credentials"] == "true"
    assert resp.headers["content-type"] == "application/json"
    other = fapi(mock_server, "GET", "/v1/client", token, origin="https://evil.example")
    assert "access-control-allow-origin" not in other.headers
    pre = httpx.options(f"{mock_server.url}/__clerk/v1/client/sign_ins",
                        headers={"origin": PAGE, "access-control-request-method": "POST",
                                 "access-control-request-headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == PAGE
    assert "POST" in pre.headers["access-control-allow-methods"]


def test_allowed_origins_of_the_instance_are_echoed(mock_server: ClerkMock, token: str) -> None:
    auth = {"authorization": f"Bearer {mock_server.secret_key}"}
    assert httpx.patch(f"{mock_server.url}/v1/instance", json={"allowed_origins": ["https://app.example.com"]},
                       headers=auth).status_code in (200, 204)
    resp = fapi(mock_server, "GET", "/v1/client", token, origin="https://app.example.com")
    assert resp.headers["access-control-allow-origin"] == "https://app.example.com"


def test_journal_and_faults_see_fapi_routes(mock_server: ClerkMock, token: str) -> None:
    control = f"{mock_server.url}/__clerkmock"
    rule = {"match": {"path": "fapi.createSignIn"}, "respond": 503,
            "times": 1}
    assert httpx.post(f"{control}/faults", json=rule).status_code == 200
    resp = fapi(mock_server, "POST", "/v1/client/sign_ins", token, form={"identifier": "x@example.com"})
    assert resp.status_code == 503
    assert resp.headers["access-control-allow-origin"] == PAGE  # a faulted answer still reaches the page
    entries = httpx.get(f"{control}/requests").json()["data"]
    assert any(e["route"] == "fapi.createSignIn" and e["fault"] for e in entries)
    assert any(e["route"] == "fapi.createDevBrowser" for e in entries)


def test_messages_control_plane_and_helper(mock_server: ClerkMock, token: str) -> None:
    httpx.post(f"{mock_server.url}/v1/users", headers={"authorization": f"Bearer {mock_server.secret_key}"},
               json={"email_address": ["bob@example.com"], "password": PASSWORD}).raise_for_status()
    si = fapi(mock_server, "POST", "/v1/client/sign_ins", token, form={"identifier": "bob@example.com",
                                                                      "strategy": "email_code"})
    assert si.status_code == 200, si.text
    spec_check.validate("POST", "/v1/client/sign_ins", 200, si.json())
    listed = httpx.get(f"{mock_server.url}/__clerkmock/messages", params={"to": "bob@example.com"}).json()
    assert listed["total_count"] == 1 and listed["data"][0]["code"]
    code = clerkmock.messages.last(to="bob@example.com").code
    assert code == listed["data"][0]["code"]
    assert clerkmock.messages.last(to="bob@example.com", url=mock_server.url).code == code
    done = fapi(mock_server, "POST", f"/v1/client/sign_ins/{si.json()['response']['id']}/attempt_first_factor",
                token, form={"strategy": "email_code", "code": code})
    assert done.json()["response"]["status"] == "complete"


def test_strict_keys_refuse_unknown_testing_tokens() -> None:
    with ClerkMock(port=0, secret_keys=["sk_test_strict"]) as mock:
        tok = fapi(mock, "POST", "/v1/dev_browser").json()["id"]
        bad = fapi(mock, "GET", "/v1/client", tok, __clerk_testing_token="1700000000-c_nope")
        assert (bad.status_code, bad.json()["errors"][0]["code"]) == (401, "testing_token_invalid")
        issued = httpx.post(f"{mock.url}/v1/testing_tokens", headers={"authorization": "Bearer sk_test_strict"})
        good = fapi(mock, "GET", "/v1/client", tok, __clerk_testing_token=issued.json()["token"])
        assert good.status_code == 200


def test_the_forward_proxy_answers_the_publishable_keys_host(tmp_path: object) -> None:
    """An unmodified page loads ``https://<pk host>/v1/…`` through the proxy: the same surface as ``/__clerk``."""
    import ssl

    with ClerkMock(port=0, proxy_port=0, config_dir=tmp_path) as mock:  # type: ignore[arg-type]
        host = mock.pipeline.engine.state.instance.frontend_host
        verify = ssl.create_default_context(cafile=mock.proxy_env()["SSL_CERT_FILE"])
        with httpx.Client(proxy=mock.proxy_url, verify=verify, timeout=10) as c:
            created = c.post(f"https://{host}/v1/dev_browser", headers={"origin": PAGE})
            assert created.status_code == 200, created.text
            client = c.get(f"https://{host}/v1/client", params={"__clerk_db_jwt": created.json()["id"]},
                           headers={"origin": PAGE})
            assert client.json() == {"response": None, "client": None}
            assert client.headers["access-control-allow-origin"] == PAGE
        entries = httpx.get(f"{mock.url}/__clerkmock/requests").json()["data"]
        assert {e["route"] for e in entries} >= {"fapi.createDevBrowser", "fapi.getClient"}
