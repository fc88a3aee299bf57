"""Self-tests of the response validator: it must reject what the spec forbids, loudly and with a JSON path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clerkmock.engine import Engine, Request

from . import spec_check

AUTH = {"authorization": "Bearer sk_test_spec_check"}


@pytest.fixture(scope="module")
def user() -> dict[str, Any]:
    """A real engine-produced user with an email, a phone and a web3 wallet (all nested schemas in play)."""
    engine = Engine()
    body = {"email_address": ["spec@example.com"], "phone_number": ["+15555550142"],
            "web3_wallet": ["0x" + "ab" * 20], "first_name": "Spec"}
    response = engine.handle(Request.make("POST", "/v1/users", headers=AUTH, json=body))
    assert response.status == 200, response.body
    return response.json()


def rejects(method: str, path: str, status: int, body: Any, *fragments: str) -> str:
    with pytest.raises(AssertionError) as info:
        spec_check.validate(method, path, status, body)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def mutated(user: dict[str, Any], fn: Any) -> dict[str, Any]:
    body = copy.deepcopy(user)
    fn(body)
    return body


def test_engine_user_is_valid(user: dict[str, Any]) -> None:
    op = spec_check.validate("GET", f"/v1/users/{user['id']}", 200, user)
    assert op.operation_id == "GetUser"
    spec_check.validate("GET", "/v1/users", 200, [user, user])


def test_missing_required_id(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.pop("id")), "$: 'id' is a required property")


def test_wrong_object_enum(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.update(object="usr")),
            "$.object: 'usr' is not one of ['user']")


def test_wrong_type(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.update(banned="no")),
            "$.banned: 'no' is not of type 'boolean'")
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.update(created_at=1.5)), "$.created_at")


def test_null_where_not_nullable(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.update(public_metadata=None)),
            "$.public_metadata")


def test_nullable_fields_accept_null(user: dict[str, Any]) -> None:
    body = mutated(user, lambda b: b.update(first_name=None, private_metadata=None, scim=None))
    spec_check.validate("GET", "/v1/users/u", 200, body)  # scim is `nullable` + allOf: the rewrite handles it


def test_unknown_property_rejected(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 200, mutated(user, lambda b: b.update(surprise=1)), "'surprise' was unexpected")


def test_nested_enum_violation_has_deep_path(user: dict[str, Any]) -> None:
    def bad(b: dict[str, Any]) -> None:
        b["email_addresses"][0]["verification"]["status"] = "bogus"

    rejects("GET", "/v1/users/u", 200, mutated(user, bad), "$.email_addresses[0].verification.status", "'bogus'")


def test_discriminated_verification_needs_known_object(user: dict[str, Any]) -> None:
    def bad(b: dict[str, Any]) -> None:
        b["phone_numbers"][0]["verification"]["object"] = "verification_nonsense"

    rejects("GET", "/v1/users/u", 200, mutated(user, bad), "$.phone_numbers[0].verification")


def test_list_items_are_checked(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users", 200, [user, {"id": 1}], "$[1]")
    rejects("GET", "/v1/users", 200, user, "$: ")  # GetUserList is a bare array, not an object


def test_error_envelope_checked() -> None:
    spec_check.validate("GET", "/v1/users/x", 404,
                        {"errors": [{"message": "not found", "long_message": "x", "code": "resource_not_found"}]})
    rejects("GET", "/v1/users/x", 404, {"errors": [{"message": "m", "code": "c"}]},
            "$.errors[0]: 'long_message' is a required property")
    rejects("GET", "/v1/users/x", 404, {"error": "not found"}, "'errors' is a required property")


def test_undeclared_error_status_uses_clerk_errors_and_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_check, "UNDECLARED", {})  # keep the session's real findings clean
    envelope = {"errors": [{"message": "m", "long_message": "l", "code": "c"}]}
    spec_check.validate("GET", "/v1/users/count", 401, envelope)  # GetUsersCount declares only 200 and 422
    assert spec_check.UNDECLARED[("GET", "/users/count", 401)] == "status not declared"
    rejects("GET", "/v1/users/count", 401, {"oops": 1}, "'errors' is a required property")
    # VerifyPassword declares 422 without any body schema: still held to the envelope
    spec_check.validate("POST", "/v1/users/u/verify_password", 422, envelope)
    assert spec_check.UNDECLARED[("POST", "/users/{user_id}/verify_password", 422)].startswith("declared without")


def test_undeclared_success_status_rejected(user: dict[str, Any]) -> None:
    rejects("GET", "/v1/users/u", 201, user, "status 201 is not declared")


def test_operation_lookup_static_beats_parameter() -> None:
    find = spec_check.find_operation
    assert find("GET", "/v1/users/count").operation_id == "GetUsersCount"
    assert find("GET", "/v1/users/user_1").operation_id == "GetUser"
    assert find("POST", "/v1/users/ban").operation_id == "UsersBan"
    assert find("POST", "/v1/users/user_1/ban").operation_id == "BanUser"
    assert find("PUT", "/v1/users/user_1/email_address").operation_id == "ReplaceUserEmailAddress"
    assert find("GET", "/users/user_1/oauth_access_tokens/oauth_google?x=1").operation_id == "GetOAuthAccessToken"
    assert find("POST", "/v1/users/u/password/set_compromised").operation_id == "SetUserPasswordCompromised"
    with pytest.raises(AssertionError, match="no operation"):
        find("GET", "/v1/nonexistent/thing")
    with pytest.raises(AssertionError, match="no operation"):
        find("PUT", "/v1/users/count")


def test_spec_parsed_once() -> None:
    assert spec_check.spec() is spec_check.spec()
    assert spec_check.spec()["openapi"].startswith("3.0")


# -- the response hook the `sdk` fixture installs ---------------------------------------------------------------


def _sdk_answering(body: bytes, content_type: str = "application/json", status: int = 200) -> tuple[Any, Any]:
    import httpx
    from clerk_backend_api import Clerk

    from .conftest import NO_RETRY, SpecHook

    hook = SpecHook("selftest")
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body,
                                                                    headers={"content-type": content_type}))
    client = httpx.Client(transport=transport, event_hooks={"response": [hook]})
    return Clerk(bearer_auth="sk_test_x", server_url="http://fake/v1", client=client, retry_config=NO_RETRY), hook


def test_hook_fails_the_sdk_call_on_a_bad_body() -> None:
    clerk, hook = _sdk_answering(b'{"id": "user_1", "object": "user"}')
    with pytest.raises(AssertionError, match="'username' is a required property"):
        clerk.users.get(user_id="user_1")
    assert len(hook.violations) == 1 and "GetUser" in hook.violations[0]


def test_hook_requires_exact_json_content_type(user: dict[str, Any]) -> None:
    import json

    clerk, hook = _sdk_answering(json.dumps(user).encode(), content_type="application/json; charset=utf-8")
    with pytest.raises(AssertionError, match="Content-Type"):
        clerk.users.get(user_id=user["id"])
    clerk, hook = _sdk_answering(json.dumps(user).encode())
    assert clerk.users.get(user_id=user["id"]).id == user["id"]
    assert hook.seen == [("GET", "/users/{user_id}", 200)] and hook.violations == []


def test_hook_checks_error_bodies_too() -> None:
    clerk, hook = _sdk_answering(b'{"errors": [{"code": "resource_not_found"}]}', status=404)
    with pytest.raises(AssertionError, match="'message' is a required property"):
        clerk.users.get(user_id="user_1")
