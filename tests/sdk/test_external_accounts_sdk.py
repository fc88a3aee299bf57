"""The external accounts social sign-in creates (engine/fapi/social.py), as the official Python SDK reads them, over
real HTTP and in-process, every body validated against the spec: a user seeded with ``external_accounts`` (the same
records the fake OAuth provider's callback creates), its provider access token, and deleting the account."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import SdkHandle

SCENARIO = {"users": [{"email_address": "alice@example.com", "external_accounts": [
    {"provider": "google", "provider_user_id": "1001", "first_name": "Alice", "last_name": "Liddell"},
    {"provider": "github", "email": "alice@users.github.example", "provider_user_id": "gh-1", "username": "alice"},
]}]}


def seed(handle: SdkHandle, scenario: dict[str, Any]) -> None:
    resp = httpx.post(f"{handle.mock.url}/__clerkmock/seed", json=scenario)
    assert resp.status_code == 200, resp.text


def test_the_sdk_reads_external_accounts_and_their_tokens(sdk_handle: SdkHandle) -> None:
    seed(sdk_handle, SCENARIO)
    clerk = sdk_handle.clerk
    alice = clerk.users.list(request={"email_address": ["alice@example.com"]})[0]
    accounts = {a.provider: a for a in clerk.users.get(user_id=alice.id).external_accounts}
    assert set(accounts) == {"oauth_google", "oauth_github"}
    google = accounts["oauth_google"]
    assert (google.provider_user_id, google.email_address, google.first_name) == ("1001", "alice@example.com",
                                                                                "Alice")
    assert accounts["oauth_github"].email_address == "alice@users.github.example"
    tokens = clerk.users.get_o_auth_access_token(user_id=alice.id, provider="oauth_google")
    assert [(t.external_account_id, t.provider_user_id) for t in tokens] == [(google.id, "1001")]
    assert tokens[0].token and tokens[0].token.startswith("oat_")
    assert clerk.users.get_o_auth_access_token(user_id=alice.id, provider="oauth_microsoft") == []
    # the (provider, provider_user_id) filter of GET /users finds her by either account
    found = clerk.users.list(request={"provider": "oauth_github", "provider_user_id": ["gh-1"]})
    assert [u.id for u in found] == [alice.id]
    clerk.users.delete_external_account(user_id=alice.id, external_account_id=google.id)
    assert [a.provider for a in clerk.users.get(user_id=alice.id).external_accounts] == ["oauth_github"]
    assert clerk.users.get_o_auth_access_token(user_id=alice.id, provider="oauth_google") == []
