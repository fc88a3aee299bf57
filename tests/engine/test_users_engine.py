"""Users, email addresses and phone numbers at engine level: filters, ordering, paging, claims, flows."""

from __future__ import annotations

import pyotp
import pytest

from clerkmock.engine.resources.users import delete_user

from .helpers import T0, call, create, error_code, make_engine, ok


def _world():
    e = make_engine()
    users = []
    for i, (first, last, email) in enumerate(
        [("Ann", "Zed", "ann@example.com"), ("bob", "Young", "bob@corp.io"), ("Cid", None, "cid@example.com")]
    ):
        e.clock.advance(ms=1000)
        users.append(create(e, email_address=[email], first_name=first, last_name=last, username=f"user_{first}",
                            external_id=f"ext-{i}", phone_number=[f"+1555555010{i}"]))
    return e, users


def emails(result):
    return [u["email_addresses"][0]["email_address"] for u in result]


def test_default_order_is_newest_first_and_paging_edges() -> None:
    e, _ = _world()
    assert emails(ok(e, "GET", "/v1/users")) == ["cid@example.com", "bob@corp.io", "ann@example.com"]
    assert emails(ok(e, "GET", "/v1/users?order_by=created_at")) == ["ann@example.com", "bob@corp.io",
                                                                      "cid@example.com"]
    assert emails(ok(e, "GET", "/v1/users?limit=1&offset=1")) == ["bob@corp.io"]
    assert ok(e, "GET", "/v1/users?offset=10") == []
    assert len(ok(e, "GET", "/v1/users?limit=500")) == 3


def test_order_by_fields() -> None:
    e, _ = _world()
    assert emails(ok(e, "GET", "/v1/users?order_by=first_name")) == ["ann@example.com", "bob@corp.io",
                                                                      "cid@example.com"]
    assert emails(ok(e, "GET", "/v1/users?order_by=-email_address")) == ["cid@example.com", "bob@corp.io",
                                                                          "ann@example.com"]
    # users without a last name sort last in both directions
    assert emails(ok(e, "GET", "/v1/users?order_by=last_name"))[-1] == "cid@example.com"
    assert emails(ok(e, "GET", "/v1/users?order_by=-last_name"))[-1] == "cid@example.com"
    for field in ("updated_at", "phone_number", "username", "web3wallet", "last_active_at", "last_sign_in_at"):
        assert len(ok(e, "GET", f"/v1/users?order_by=+{field}")) == 3


def test_filters_and_count_agree() -> None:
    e, users = _world()
    ann, bob, cid = users
    cases = {
        "email_address=ANN@example.com": [ann],
        "email_address=ann@example.com&email_address=bob@corp.io": [bob, ann],
        "phone_number=%2B15555550101": [bob],
        "username=user_Cid": [cid],
        "external_id=ext-0&external_id=ext-2": [cid, ann],
        "external_id=-ext-0": [cid, bob],
        f"user_id={ann['id']}&user_id={bob['id']}": [bob, ann],
        f"user_id=-{ann['id']}": [cid, bob],
        f"user_id=%2B{cid['id']}": [cid],
        f"user_id=+{cid['id']}": [cid],  # an unencoded + arrives as a space
        "query=corp": [bob],
        "query=zed": [ann],
        "query=5550102": [cid],
        "email_address_query=EXAMPLE": [cid, ann],
        "phone_number_query=0101": [bob],
        "username_query=BOB": [bob],
        "name_query=ann%20zed": [ann],
        "banned=false": [cid, bob, ann],
        "banned=true": [],
        f"created_at_after={T0 + 1500}": [cid, bob],
        f"created_at_before={T0 + 1500}": [ann],
        "last_sign_in_at_after=0": [],
        "email_address=nobody@example.com": [],
    }
    for query, expected in cases.items():
        got = ok(e, "GET", f"/v1/users?{query}")
        assert [u["id"] for u in got] == [u["id"] for u in expected], query
        count = ok(e, "GET", f"/v1/users/count?{query}")
        assert count == {"object": "total_count", "total_count": len(expected)}, query


def test_starting_after_cursor() -> None:
    e, (ann, bob, cid) = _world()
    assert [u["id"] for u in ok(e, "GET", f"/v1/users?starting_after={cid['id']}")] == [bob["id"], ann["id"]]
    r = call(e, "GET", f"/v1/users?starting_after={cid['id']}&order_by=first_name")
    assert r.status == 422
    r = call(e, "GET", f"/v1/users?starting_after={cid['id']}&offset=1")
    assert r.status == 422


def test_provider_filter_needs_both_params() -> None:
    e, _ = _world()
    assert call(e, "GET", "/v1/users?provider=oauth_google").status == 400
    assert ok(e, "GET", "/v1/users?provider=oauth_google&provider_user_id=123") == []


def test_identifier_uniqueness_is_case_insensitive_and_atomic() -> None:
    e, _ = _world()
    for body, param in (
        ({"email_address": ["ANN@example.com"]}, "email_address"),
        ({"phone_number": ["+15555550100"]}, "phone_number"),
        ({"username": "USER_ann"}, "username"),
        ({"email_address": ["new@example.com"], "external_id": "ext-1"}, "external_id"),
    ):
        r = call(e, "POST", "/v1/users", body)
        assert r.status == 422 and error_code(r) == "form_identifier_exists", body
        assert r.json()["errors"][0]["meta"]["param_name"] == param
    assert len(ok(e, "GET", "/v1/users")) == 3
    # a failure half-way through the identifiers leaves nothing behind
    r = call(e, "POST", "/v1/users", {"email_address": ["fresh@example.com"], "phone_number": ["+15555550100"]})
    assert r.status == 422
    assert ok(e, "GET", "/v1/users?email_address=fresh@example.com") == []
    assert create(e, email_address=["fresh@example.com"])


def test_metadata_merge_and_replace() -> None:
    e = make_engine()
    u = create(e, email_address=["m@example.com"], public_metadata={"a": {"b": 1, "c": 2}, "keep": True},
               private_metadata={"secret": 1})
    merged = ok(e, "PATCH", f"/v1/users/{u['id']}/metadata",
                {"public_metadata": {"a": {"b": None, "d": 3}, "new": [1]}})
    assert merged["public_metadata"] == {"a": {"c": 2, "d": 3}, "keep": True, "new": [1]}
    assert merged["private_metadata"] == {"secret": 1}
    replaced = ok(e, "PUT", f"/v1/users/{u['id']}/metadata", {"public_metadata": {"only": 1}})
    assert replaced["public_metadata"] == {"only": 1} and replaced["private_metadata"] == {"secret": 1}


def test_update_user_rules() -> None:
    e = make_engine()
    u = create(e, email_address=["p@example.com"], username="pat_user")
    other = create(e, email_address=["o@example.com"])
    second = ok(e, "POST", "/v1/email_addresses", {"user_id": u["id"], "email_address": "p2@example.com"})
    assert second["verification"] is None  # unverified and never prepared, as Clerk shows it
    r = call(e, "PATCH", f"/v1/users/{u['id']}", {"primary_email_address_id": second["id"]})
    assert r.status == 422
    r = call(e, "PATCH", f"/v1/users/{u['id']}", {"primary_email_address_id": other["primary_email_address_id"]})
    assert r.status == 422
    ok(e, "PATCH", f"/v1/email_addresses/{second['id']}", {"verified": True})
    updated = ok(e, "PATCH", f"/v1/users/{u['id']}", {"primary_email_address_id": second["id"], "username": ""})
    assert updated["primary_email_address_id"] == second["id"] and updated["username"] is None
    # the username is free again
    assert create(e, username="pat_user")["username"] == "pat_user"


def test_delete_user_frees_identifiers() -> None:
    e = make_engine()
    u = create(e, email_address=["d@example.com"], username="dee_user", external_id="x1")
    assert ok(e, "DELETE", f"/v1/users/{u['id']}") == {"object": "user", "id": u["id"], "deleted": True}
    assert call(e, "GET", f"/v1/users/{u['id']}").status == 404
    assert call(e, "GET", f"/v1/email_addresses/{u['primary_email_address_id']}").status == 404
    create(e, email_address=["d@example.com"], username="dee_user", external_id="x1")


def test_passwords_are_hashed_and_verified() -> None:
    e = make_engine()
    u = create(e, email_address=["pw@example.com"], password="correct-horse-battery")
    assert u["password_enabled"] is True
    stored = e.state.users[u["id"]].password_hash
    assert stored and "correct-horse-battery" not in stored
    assert ok(e, "POST", f"/v1/users/{u['id']}/verify_password", {"password": "correct-horse-battery"}) == {
        "verified": True}
    wrong = call(e, "POST", f"/v1/users/{u['id']}/verify_password", {"password": "nope-nope-nope"})
    assert wrong.status == 422 and error_code(wrong) == "incorrect_password"
    assert call(e, "POST", "/v1/users", {"email_address": ["s@example.com"], "password": "short"}).status == 422
    pwned = call(e, "POST", "/v1/users", {"email_address": ["s@example.com"], "password": "password123"})
    assert error_code(pwned) == "form_password_pwned"
    assert call(e, "POST", "/v1/users", {"email_address": ["s@example.com"], "password": "short",
                                         "skip_password_checks": True}).status == 200
    ok(e, "POST", f"/v1/users/{u['id']}/remove_password")
    none = call(e, "POST", f"/v1/users/{u['id']}/verify_password", {"password": "correct-horse-battery"})
    assert none.status == 400 and error_code(none) == "no_password_set"


def test_imported_password_digest() -> None:
    import hashlib

    e = make_engine()
    digest = hashlib.sha256(b"imported-secret").hexdigest()
    u = create(e, email_address=["i@example.com"], password_digest=digest, password_hasher="sha256")
    assert ok(e, "POST", f"/v1/users/{u['id']}/verify_password", {"password": "imported-secret"})["verified"]
    missing = call(e, "POST", "/v1/users", {"email_address": ["j@example.com"], "password_digest": digest})
    assert error_code(missing) == "form_conditional_param_missing"


def test_totp_and_backup_codes_follow_the_clock() -> None:
    e = make_engine()
    secret = pyotp.random_base32()
    u = create(e, email_address=["mfa@example.com"], totp_secret=secret, backup_codes=["alpha123", "beta4567"])
    assert u["totp_enabled"] and u["backup_code_enabled"] and u["two_factor_enabled"]
    code = pyotp.TOTP(secret).at(e.clock.now_s())
    assert ok(e, "POST", f"/v1/users/{u['id']}/verify_totp", {"code": code}) == {"verified": True,
                                                                                "code_type": "totp"}
    e.clock.advance(seconds=300)
    stale = call(e, "POST", f"/v1/users/{u['id']}/verify_totp", {"code": code})
    assert stale.status == 422 and error_code(stale) == "totp_incorrect_code"
    assert ok(e, "POST", f"/v1/users/{u['id']}/verify_totp", {"code": "alpha123"})["code_type"] == "backup_code"
    assert call(e, "POST", f"/v1/users/{u['id']}/verify_totp", {"code": "alpha123"}).status == 422
    assert ok(e, "DELETE", f"/v1/users/{u['id']}/mfa") == {"user_id": u["id"]}
    after = ok(e, "GET", f"/v1/users/{u['id']}")
    assert not (after["totp_enabled"] or after["backup_code_enabled"] or after["two_factor_enabled"])
    assert after["mfa_disabled_at"] == e.clock.now_ms()
    disabled = call(e, "POST", f"/v1/users/{u['id']}/verify_totp", {"code": "beta4567"})
    assert disabled.status == 400 and error_code(disabled) == "totp_disabled"


def test_email_verification_flow_with_test_code() -> None:
    e = make_engine()
    u = create(e, username="verifier")
    idn = ok(e, "POST", "/v1/email_addresses", {"user_id": u["id"], "email_address": "me+clerk_test@example.com"})
    assert idn["verification"] is None
    prep = ok(e, "POST", f"/v1/email_addresses/{idn['id']}/prepare_verification")
    assert prep["status"] == "unverified" and prep["strategy"] == "email_code"
    # a wrong code is reported through the status (the spec), not as an error
    bad = ok(e, "POST", f"/v1/email_addresses/{idn['id']}/attempt_verification",
             {"verification_id": prep["id"], "code": "000000"})
    assert (bad["status"], bad["attempts"]) == ("unverified", 1)
    good = ok(e, "POST", f"/v1/email_addresses/{idn['id']}/attempt_verification",
              {"verification_id": prep["id"], "code": "424242"})
    assert good["status"] == "verified"
    assert ok(e, "GET", f"/v1/email_addresses/{idn['id']}")["verification"]["status"] == "verified"


def test_codes_expire_and_fail_after_attempts() -> None:
    e = make_engine()
    u = create(e, username="phoner")
    idn = ok(e, "POST", "/v1/phone_numbers", {"user_id": u["id"], "phone_number": "+15555550150"})
    prep = ok(e, "POST", f"/v1/phone_numbers/{idn['id']}/prepare_verification")
    assert prep["channel"] == "sms"
    e.clock.advance(seconds=601)
    expired = ok(e, "POST", f"/v1/phone_numbers/{idn['id']}/attempt_verification",
                 {"verification_id": prep["id"], "code": "424242"})
    assert expired["status"] == "expired"
    prep = ok(e, "POST", f"/v1/phone_numbers/{idn['id']}/prepare_verification")
    for _ in range(3):
        call(e, "POST", f"/v1/phone_numbers/{idn['id']}/attempt_verification",
             {"verification_id": prep["id"], "code": "111111"})
    failed = ok(e, "POST", f"/v1/phone_numbers/{idn['id']}/attempt_verification",
                {"verification_id": prep["id"], "code": "424242"})
    assert failed["status"] == "failed"
    assert ok(e, "GET", f"/v1/phone_numbers/{idn['id']}")["verification"]["status"] != "verified"


def test_unverified_addresses_do_not_claim() -> None:
    e = make_engine()
    a, b = create(e, username="holder_a"), create(e, username="holder_b")
    ok(e, "POST", "/v1/email_addresses", {"user_id": a["id"], "email_address": "shared@example.com"})
    second = ok(e, "POST", "/v1/email_addresses", {"user_id": b["id"], "email_address": "shared@example.com"})
    ok(e, "PATCH", f"/v1/email_addresses/{second['id']}", {"verified": True})
    third = call(e, "POST", "/v1/users", {"email_address": ["shared@example.com"]})
    assert error_code(third) == "form_identifier_exists"
    dup = call(e, "POST", "/v1/email_addresses", {"user_id": b["id"], "email_address": "SHARED@example.com"})
    assert error_code(dup) == "form_identifier_exists"


def test_primary_rules_and_delete_promotes() -> None:
    e = make_engine()
    u = create(e, email_address=["one@example.com"])
    two = ok(e, "POST", "/v1/email_addresses", {"user_id": u["id"], "email_address": "two@example.com",
                                                "verified": True})
    assert ok(e, "GET", f"/v1/users/{u['id']}")["primary_email_address_id"] == u["primary_email_address_id"]
    ok(e, "DELETE", f"/v1/email_addresses/{u['primary_email_address_id']}")
    assert ok(e, "GET", f"/v1/users/{u['id']}")["primary_email_address_id"] == two["id"]
    r = call(e, "POST", "/v1/email_addresses", {"user_id": u["id"], "email_address": "three@example.com",
                                                "primary": True})
    assert r.status == 422  # only a verified address can become primary


def test_replace_email_address() -> None:
    e = make_engine()
    u = create(e, email_address=["old@example.com", "older@example.com"])
    new = ok(e, "PUT", f"/v1/users/{u['id']}/email_address", {"email_address": "new@example.com"})
    user = ok(e, "GET", f"/v1/users/{u['id']}")
    assert [x["email_address"] for x in user["email_addresses"]] == ["new@example.com"]
    assert user["primary_email_address_id"] == new["id"]
    assert create(e, email_address=["old@example.com"])  # freed


def test_bulk_ban_and_flags() -> None:
    e, users = _world()
    ids = [u["id"] for u in users[:2]]
    banned = ok(e, "POST", "/v1/users/ban", {"user_ids": ids})
    assert [u["banned"] for u in banned] == [True, True]
    assert ok(e, "GET", "/v1/users/count?banned=true")["total_count"] == 2
    assert call(e, "POST", "/v1/users/ban", {"user_ids": []}).status == 422
    # unknown ids are skipped (no 404 in the spec): the answer lists the users acted on
    skipped = ok(e, "POST", "/v1/users/unban", {"user_ids": ["user_nope", ids[1], ids[1]]})
    assert [u["id"] for u in skipped] == [ids[1]] and skipped[0]["banned"] is False
    assert ok(e, "POST", "/v1/users/ban", {"user_ids": ["user_nope"]}) == []
    locked = ok(e, "POST", f"/v1/users/{ids[0]}/lock")
    assert locked["locked"] is True and locked["lockout_expires_in_seconds"] is None
    assert ok(e, "POST", f"/v1/users/{ids[0]}/unlock")["locked"] is False


def test_profile_image_multipart() -> None:
    e = make_engine()
    u = create(e, email_address=["img@example.com"])
    assert u["has_image"] is False and u["image_url"].startswith("https://img.clerk.com/")
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + b"\x89PNG\r\n\x1a\nDATA" + f"\r\n--{boundary}--\r\n".encode()
    r = call(e, "POST", f"/v1/users/{u['id']}/profile_image",
             headers={"content-type": f"multipart/form-data; boundary={boundary}"}, body=body)
    assert r.status == 200, r.body
    assert r.json()["has_image"] is True and r.json()["image_url"] != u["image_url"]
    assert ok(e, "DELETE", f"/v1/users/{u['id']}/profile_image")["has_image"] is False
    json_instead = call(e, "POST", f"/v1/users/{u['id']}/profile_image", {"file": "x"})
    assert json_instead.status == 415
    # the spec allows an empty form ({}): clients send it with no body and no content type; it names the
    # missing file instead of a 415
    empty = call(e, "POST", f"/v1/users/{u['id']}/profile_image")
    assert (empty.status, error_code(empty)) == (422, "form_param_missing"), empty.body


def test_web3_wallet_delete_and_missing_subresources() -> None:
    e = make_engine()
    wallet = "0x" + "ab" * 20
    u = create(e, web3_wallet=[wallet])
    assert u["primary_web3_wallet_id"]
    wid = u["web3_wallets"][0]["id"]
    assert ok(e, "DELETE", f"/v1/users/{u['id']}/web3_wallets/{wid}") == {"object": "web3_wallet", "id": wid,
                                                                          "deleted": True}
    assert ok(e, "GET", f"/v1/users/{u['id']}")["primary_web3_wallet_id"] is None
    for path in ("passkeys/idn_x", f"web3_wallets/{wid}", "external_accounts/eac_x", "trusted_devices/td_x"):
        assert call(e, "DELETE", f"/v1/users/{u['id']}/{path}").status == 404, path
    assert ok(e, "GET", f"/v1/users/{u['id']}/trusted_devices") == {"data": [], "total_count": 0}
    assert ok(e, "GET", f"/v1/users/{u['id']}/oauth_access_tokens/oauth_google") == []
    assert ok(e, "GET", f"/v1/users/{u['id']}/oauth_access_tokens/google?paginated=true") == {"data": [],
                                                                                             "total_count": 0}
    assert ok(e, "GET", f"/v1/users/{u['id']}/organization_memberships") == {"data": [], "total_count": 0}


def test_indexed_default_listing_matches_the_sorted_one() -> None:
    """The kept-sorted created_at index must page exactly like a full sort (same clock ms ties, past dates)."""
    e = make_engine()
    for i in range(12):
        body = {"username": f"idx_user_{i}"}
        if i % 4 == 0:
            body["created_at"] = f"2020-01-0{1 + i // 4}T00:00:00Z"
        if i % 3 == 0:
            e.clock.advance(ms=5)
        create(e, **body)
    victim = ok(e, "GET", "/v1/users?limit=1&offset=3")[0]
    ok(e, "DELETE", f"/v1/users/{victim['id']}")
    moved = ok(e, "GET", "/v1/users?limit=1&offset=5")[0]
    ok(e, "PATCH", f"/v1/users/{moved['id']}", {"created_at": "2019-06-01T00:00:00Z"},
       headers={"clerk-api-version": "2025-11-10"})
    for order in ("", "&order_by=created_at", "&order_by=-created_at", "&order_by=%2Bcreated_at"):
        for limit, offset in ((5, 0), (5, 5), (10, 3), (500, 0), (3, 20)):
            fast = ok(e, "GET", f"/v1/users?limit={limit}&offset={offset}{order}")
            slow = ok(e, "GET", f"/v1/users?limit={limit}&offset={offset}{order}&banned=false")
            assert [u["id"] for u in fast] == [u["id"] for u in slow], (order, limit, offset)
    assert ok(e, "GET", "/v1/users/count")["total_count"] == 11


def test_metadata_is_limited_to_8kb() -> None:
    e = make_engine()
    u = create(e, username="meta_big")
    big = {"blob": "x" * 8200}
    for method, path, body in (
        ("POST", "/v1/users", {"username": "meta_big2", "public_metadata": big}),
        ("PATCH", f"/v1/users/{u['id']}/metadata", {"private_metadata": big}),
        ("PUT", f"/v1/users/{u['id']}/metadata", {"unsafe_metadata": big}),
    ):
        r = call(e, method, path, body)
        assert r.status == 422 and error_code(r) == "form_param_value_too_large", path
    assert ok(e, "PATCH", f"/v1/users/{u['id']}/metadata", {"public_metadata": {"blob": "x" * 8000}})


def test_deleting_a_user_of_a_state_no_engine_installed_fails_loudly() -> None:
    """The cascades (sessions, memberships, directories) come with the engine: a bare State must not delete
    a user half-way."""
    e = make_engine()
    u = create(e, email_address=["bare@example.com"])
    bare = e.state.copy()
    with pytest.raises(RuntimeError, match="cascades"):
        delete_user(bare, bare.users[u["id"]])
