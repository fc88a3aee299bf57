"""Wire details the SDK hides, checked with plain httpx against ``mock_server.url`` (responses still go through
the spec check): exact Content-Type, auth errors, API-version negotiation, bare arrays, unknown params."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

AUTH = {"Authorization": "Bearer sk_test_raw"}
V_OLD = {"Clerk-API-Version": "2025-11-10"}  # what the Python SDK sends
V_NEW = {"Clerk-API-Version": "2026-05-12"}  # what @clerk/backend sends


def create_user(raw: httpx.Client, **body: Any) -> dict[str, Any]:
    response = raw.post("/v1/users", headers=AUTH, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def first_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body["errors"], list) and len(body["errors"]) >= 1
    return body["errors"][0]


def test_content_type_is_exactly_application_json(raw: httpx.Client) -> None:
    created = raw.post("/v1/users", headers=AUTH, json={"email_address": ["ct@example.com"]})
    assert created.status_code == 200  # creates answer 200, not 201
    listed = raw.get("/v1/users", headers=AUTH)
    missing = raw.get("/v1/users/user_missing", headers=AUTH)
    invalid = raw.post("/v1/users", headers=AUTH, json={"email_address": ["nope"]})
    assert (listed.status_code, missing.status_code, invalid.status_code) == (200, 404, 422)
    for response in (created, listed, missing, invalid):
        assert response.headers["content-type"] == "application/json"  # no charset suffix


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}, {"Authorization": "sk_test_no_scheme"}],
)
def test_bad_or_missing_authorization_is_401_with_clerk_envelope(raw: httpx.Client, headers: dict[str, str]) -> None:
    response = raw.get("/v1/users", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) <= {"errors", "meta", "clerk_trace_id"} and isinstance(body.get("clerk_trace_id"), str)
    error = first_error(response)
    assert {"message", "long_message", "code"} <= set(error)
    assert error["code"] in ("authorization_header_format_invalid", "authentication_invalid")


def test_patch_user_metadata_depends_on_api_version(raw: httpx.Client) -> None:
    user = create_user(raw, email_address=["meta@example.com"], public_metadata={"a": 1},
                       private_metadata={"p": 1})
    url = f"/v1/users/{user['id']}"
    # 2026-05-12 removed the metadata fields from PATCH /users/{id}
    new = raw.patch(url, headers={**AUTH, **V_NEW}, json={"public_metadata": {"b": 2}})
    assert new.status_code == 422
    error = first_error(new)
    assert error["code"] == "form_param_unknown" and error["meta"]["param_name"] == "public_metadata"
    assert raw.get(url, headers=AUTH).json()["public_metadata"] == {"a": 1}  # nothing changed
    # …but 2026-05-12 still updates everything else
    renamed = raw.patch(url, headers={**AUTH, **V_NEW}, json={"first_name": "Newer"})
    assert renamed.status_code == 200 and renamed.json()["first_name"] == "Newer"
    # 2025-11-10 (the Python SDK's version) accepts metadata in PATCH /users/{id}: it replaces, not merges
    old = raw.patch(url, headers={**AUTH, **V_OLD},
                    json={"public_metadata": {"b": 2}, "unsafe_metadata": {"u": True}})
    assert old.status_code == 200, old.text
    assert old.json()["public_metadata"] == {"b": 2}
    assert old.json()["unsafe_metadata"] == {"u": True}
    assert old.json()["private_metadata"] == {"p": 1}
    assert raw.get(url, headers=AUTH).json()["public_metadata"] == {"b": 2}


@pytest.mark.parametrize("version", ["2021-02-05", "2024-10-01", "2025-04-10", "2025-11-10", "2026-05-12"])
def test_known_api_versions_accepted(raw: httpx.Client, version: str) -> None:
    assert raw.get("/v1/users", headers={**AUTH, "Clerk-API-Version": version}).status_code == 200
    assert raw.get("/v1/users", headers=AUTH, params={"__clerk_api_version": version}).status_code == 200


def test_missing_api_version_accepted(raw: httpx.Client) -> None:
    assert raw.get("/v1/users", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Clerk-API-Version": "2099-01-01"}, {}),
        ({"Clerk-API-Version": "latest"}, {}),
        ({}, {"__clerk_api_version": "1999-12-31"}),
        ({"Clerk-API-Version": "2025-11-10"}, {"__clerk_api_version": "2026-05-12"}),  # both at once
    ],
)
def test_unknown_or_conflicting_api_version_is_400(raw: httpx.Client, headers: dict[str, str],
                                                     params: dict[str, str]) -> None:
    response = raw.get("/v1/users", headers={**AUTH, **headers}, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert first_error(response)["code"]


def test_lists_are_bare_arrays(raw: httpx.Client) -> None:
    alice = create_user(raw, email_address=["alice@example.com"])
    bob = create_user(raw, email_address=["bob@example.com"])
    users = raw.get("/v1/users", headers=AUTH).json()
    assert isinstance(users, list) and [u["id"] for u in users] == [bob["id"], alice["id"]]
    banned = raw.post("/v1/users/ban", headers=AUTH, json={"user_ids": [alice["id"]]}).json()
    assert isinstance(banned, list) and banned[0]["banned"] is True
    unbanned = raw.post("/v1/users/unban", headers=AUTH, json={"user_ids": [alice["id"]]}).json()
    assert isinstance(unbanned, list) and unbanned[0]["banned"] is False
    tokens = raw.get(f"/v1/users/{alice['id']}/oauth_access_tokens/oauth_google", headers=AUTH).json()
    assert tokens == []
    # …while these are objects
    assert raw.get("/v1/users/count", headers=AUTH).json() == {"object": "total_count", "total_count": 2}
    devices = raw.get(f"/v1/users/{alice['id']}/trusted_devices", headers=AUTH).json()
    assert devices == {"data": [], "total_count": 0}
    memberships = raw.get(f"/v1/users/{alice['id']}/organization_memberships", headers=AUTH).json()
    assert memberships == {"data": [], "total_count": 0}


def test_array_filters_are_repeated_keys(raw: httpx.Client) -> None:
    a = create_user(raw, email_address=["a@example.com"], external_id="ext-a")
    b = create_user(raw, email_address=["b@example.com"], external_id="ext-b")
    create_user(raw, email_address=["c@example.com"], external_id="ext-c")
    both = raw.get("/v1/users?email_address=a@example.com&email_address=b@example.com&order_by=created_at",
                   headers=AUTH).json()
    assert [u["id"] for u in both] == [a["id"], b["id"]]
    excluded = raw.get("/v1/users?external_id=-ext-a&external_id=-ext-c", headers=AUTH).json()
    assert [u["id"] for u in excluded] == [b["id"]]
    count = raw.get("/v1/users/count?external_id=%2Bext-a&external_id=%2Bext-b", headers=AUTH).json()
    assert count["total_count"] == 2


def test_only_the_first_order_by_counts(raw: httpx.Client) -> None:
    zed = create_user(raw, username="zed_user", created_at="2024-01-01T00:00:00Z")
    amy = create_user(raw, username="amy_user", created_at="2024-01-02T00:00:00Z")
    users = raw.get("/v1/users?order_by=username&order_by=-created_at", headers=AUTH).json()
    assert [u["id"] for u in users] == [amy["id"], zed["id"]]
    users = raw.get("/v1/users?order_by=-username&order_by=created_at", headers=AUTH).json()
    assert [u["id"] for u in users] == [zed["id"], amy["id"]]


def test_unknown_body_param_is_422(raw: httpx.Client) -> None:
    response = raw.post("/v1/users", headers=AUTH,
                        json={"email_address": ["x@example.com"], "favourite_colour": "blue"})
    assert response.status_code == 422
    error = first_error(response)
    assert error["code"] == "form_param_unknown" and error["meta"]["param_name"] == "favourite_colour"
    assert raw.get("/v1/users/count", headers=AUTH).json()["total_count"] == 0  # nothing was created
    user = create_user(raw, email_address=["y@example.com"])
    for method, url, body in [
        ("PATCH", f"/v1/users/{user['id']}", {"first_name": "Y", "nickname": "why"}),
        ("PATCH", f"/v1/users/{user['id']}/metadata", {"public_metadata": {}, "secret_metadata": {}}),
        ("POST", "/v1/email_addresses", {"user_id": user["id"], "email_address": "z@example.com", "x": 1}),
        ("POST", "/v1/phone_numbers", {"user_id": user["id"], "phone_number": "+15555550199", "x": 1}),
    ]:
        response = raw.request(method, url, headers=AUTH, json=body)
        assert response.status_code == 422, (method, url, response.text)
        assert first_error(response)["code"] == "form_param_unknown"


def test_missing_required_body_param_is_422(raw: httpx.Client) -> None:
    user = create_user(raw, email_address=["req@example.com"])
    response = raw.post("/v1/email_addresses", headers=AUTH, json={"user_id": user["id"]})
    assert response.status_code == 422
    error = first_error(response)
    assert error["code"] == "form_param_missing" and error["meta"]["param_name"] == "email_address"
