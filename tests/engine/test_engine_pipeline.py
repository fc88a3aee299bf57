"""The pipeline stages every request goes through: auth, version, routing, params, error envelope."""

from __future__ import annotations

import pytest

from clerkmock.engine import Engine, Request
from clerkmock.engine.ids import ALPHABET, ID_LENGTH, IdGenerator, base62, base62_python

from .helpers import call, create, error_code, make_engine, ok


def test_error_envelope_shape() -> None:
    r = call(make_engine(), "GET", "/v1/users/user_missing")
    assert r.status == 404
    body = r.json()
    assert set(body) == {"errors", "clerk_trace_id"}
    err = body["errors"][0]
    assert err == {"message": "not found", "long_message": "No user was found with id user_missing",
                   "code": "resource_not_found"}
    assert r.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer "}, {"authorization": "Basic abc"}, {"authorization": "sk_test_x"}],
)
def test_missing_or_malformed_auth_is_401(headers: dict[str, str]) -> None:
    r = make_engine().handle(Request.make("GET", "/v1/users", headers=headers))
    assert r.status == 401
    assert error_code(r) == "authorization_header_format_invalid"


def test_any_key_accepted_by_default_strict_mode_rejects_others() -> None:
    assert call(make_engine(), "GET", "/v1/users", headers={"authorization": "Bearer whatever"}).status == 200
    strict = make_engine(secret_keys=["sk_test_good"])
    assert call(strict, "GET", "/v1/users", headers={"authorization": "Bearer sk_test_good"}).status == 200
    bad = call(strict, "GET", "/v1/users", headers={"authorization": "Bearer sk_test_other"})
    assert bad.status == 401 and error_code(bad) == "clerk_key_invalid"


def test_api_versions() -> None:
    e = make_engine()
    for version in ("2021-02-05", "2024-10-01", "2025-11-10", "2026-05-12"):
        assert call(e, "GET", "/v1/users", headers={"clerk-api-version": version}).status == 200
    unknown = call(e, "GET", "/v1/users", headers={"clerk-api-version": "2030-01-01"})
    assert unknown.status == 400 and error_code(unknown) == "invalid_api_version"
    assert "2030-01-01" in unknown.json()["errors"][0]["long_message"]
    assert call(e, "GET", "/v1/users?__clerk_api_version=2026-05-12").status == 200
    both = call(e, "GET", "/v1/users?__clerk_api_version=2026-05-12", headers={"clerk-api-version": "2025-11-10"})
    assert both.status == 400


def test_metadata_in_patch_user_depends_on_version() -> None:
    e = make_engine()
    user = create(e, email_address=["v@example.com"])
    old = call(e, "PATCH", f"/v1/users/{user['id']}", {"public_metadata": {"a": 1}},
               headers={"clerk-api-version": "2025-11-10"})
    assert old.status == 200 and old.json()["public_metadata"] == {"a": 1}
    new = call(e, "PATCH", f"/v1/users/{user['id']}", {"public_metadata": {"a": 2}},
               headers={"clerk-api-version": "2026-05-12"})
    assert new.status == 422 and error_code(new) == "form_param_unknown"
    assert new.json()["errors"][0]["meta"] == {"param_name": "public_metadata"}
    # the rejected request changed nothing
    assert ok(e, "GET", f"/v1/users/{user['id']}")["public_metadata"] == {"a": 1}


def test_unknown_and_unimplemented_routes_are_clerk_404s() -> None:
    e = make_engine()
    r = call(e, "GET", "/v1/no_such_thing")
    assert r.status == 404 and error_code(r) == "resource_not_found"
    outside = call(e, "GET", "/users")
    assert outside.status == 404
    method = call(e, "PUT", "/v1/users/count")
    assert method.status == 405


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "request_body_invalid"),
        (b"[1, 2]", 400, "request_body_invalid"),
        (b'"text"', 400, "request_body_invalid"),
        (b"\xff\xfe\x00", 400, "request_body_invalid"),
        (b'{"first_name": 5, "email_address": ["x@example.com"]}', 422, "form_param_type_invalid"),
        (b'{"email_address": "x@example.com"}', 422, "form_param_type_invalid"),
        (b'{"email_address": ["x@example.com"], "nope": 1}', 422, "form_param_unknown"),
        (b'{"email_address": ["x@example.com"], "email_address_identification_status": ["maybe"]}', 422,
         "form_param_value_invalid"),
        (b'{"username": "nully", "email_address": null}', 422, "form_param_nil"),
        (b'{"email_address": ["not-an-email"]}', 422, "form_param_format_invalid"),
        (b'{"phone_number": ["5555550100"]}', 422, "form_param_format_invalid"),
        (b'{"first_name": "Nobody"}', 422, "form_data_missing"),
    ],
)
def test_bad_bodies_get_clerk_4xx(body: bytes, status: int, code: str) -> None:
    e = make_engine()
    r = call(e, "POST", "/v1/users", headers={"content-type": "application/json"}, body=body)
    assert (r.status, error_code(r)) == (status, code), r.body
    assert e.state.users == {}


def test_missing_required_param() -> None:
    e = make_engine()
    user = create(e, email_address=["m@example.com"], password="correct-horse-battery")
    r = call(e, "POST", f"/v1/users/{user['id']}/verify_password", {})
    assert r.status == 422 and error_code(r) == "form_param_missing"
    assert r.json()["errors"][0]["meta"] == {"param_name": "password"}


def test_deep_nesting_and_huge_bodies() -> None:
    e = make_engine()
    deep = b'{"email_address":["d@example.com"],"public_metadata":' + b'{"a":' * 200 + b"1" + b"}" * 201
    r = call(e, "POST", "/v1/users", headers={"content-type": "application/json"}, body=deep)
    assert r.status == 400
    huge = b'{"email_address":["h@example.com"],"first_name":"' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = call(e, "POST", "/v1/users", headers={"content-type": "application/json"}, body=huge)
    assert r.status == 413 and error_code(r) == "request_body_too_large"


def test_wrong_content_type_is_415_and_form_bodies_work() -> None:
    e = make_engine()
    r = call(e, "POST", "/v1/users", headers={"content-type": "application/xml"}, body=b"<user/>")
    assert r.status == 415
    form = call(e, "POST", "/v1/users", headers={"content-type": "application/x-www-form-urlencoded"},
                body=b"email_address=f%40example.com&first_name=Form&banned=true")
    assert form.status == 200, form.body
    assert form.json()["banned"] is True and form.json()["first_name"] == "Form"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc", "banned=maybe",
                                   "order_by=shoe_size", "created_at_after=yesterday"])
def test_bad_query_values(query: str) -> None:
    r = call(make_engine(), "GET", f"/v1/users?{query}")
    assert 400 <= r.status < 500, r.body
    assert r.json()["errors"][0]["code"] in {"form_param_value_invalid", "invalid_query_parameter_value"}


def test_ids_are_deterministic_and_well_formed() -> None:
    def run() -> list[str]:
        e = make_engine()
        return [create(e, email_address=[f"u{i}@example.com"])["id"] for i in range(5)]

    first, second = run(), run()
    assert first == second
    assert first == sorted(first), "ids sort in creation order"
    for uid in first:
        prefix, _, rest = uid.partition("_")
        assert prefix == "user" and len(rest) == ID_LENGTH and set(rest) <= set(ALPHABET)
    assert len(set(ALPHABET)) == 62
    other_seed = Engine(seed="other")
    assert create(other_seed, email_address=["u0@example.com"])["id"] != first[0]


def test_ids_are_the_same_as_ever() -> None:
    """The generated ids are part of what a user sees (fixtures, exported scenarios): pinned from the first
    implementation, before base62 went to GMP (docs/performance.md)."""
    gen = IdGenerator("clerkmock")
    assert [gen.new("user"), gen.new("user"), gen.new("idn")] == [
        "user_00000C2N9mbT74SvnPoLQKiA41I", "user_00000Hjq42Iq3Dysef9j4hCWy6a", "idn_00000QPvgechZQv7VwCrTdBaDRf"]
    assert gen.token() == "1Q4auosxJbJ7kZMixCtCYfeB7F3l52buG" and gen.token(8) == "A9zs3KqMbmh"


def test_base62_agrees_with_the_python_reference() -> None:
    import random

    rng = random.Random(7)
    numbers = [0, 1, 61, 62, 3843, 3844, 2**160 - 1, 62**27 - 1] + [rng.getrandbits(rng.choice((8, 64, 128, 160)))
                                                                    for _ in range(20_000)]
    for n in numbers:
        for width in (0, ID_LENGTH):
            assert base62(n, width) == base62_python(n, width), (n, width)


def test_id_generator_helpers() -> None:
    gen = IdGenerator("s")
    assert gen.hex("ak").startswith("ak_") and len(gen.hex("ak")) == 3 + 32
    assert gen.token() != gen.token()


def test_snapshot_and_restore() -> None:
    e = make_engine()
    create(e, email_address=["keep@example.com"])
    blob = e.state.snapshot()
    create(e, email_address=["gone@example.com"])
    from clerkmock.engine import State

    e.state = State.restore(blob)
    assert [u["email_addresses"][0]["email_address"] for u in ok(e, "GET", "/v1/users")] == ["keep@example.com"]
    # the id generator rewound with it: the next id is the one "gone" got
    again = create(e, email_address=["again@example.com"])
    e2 = make_engine()
    create(e2, email_address=["keep@example.com"])
    assert again["id"] == create(e2, email_address=["gone@example.com"])["id"]


def test_clock_drives_timestamps() -> None:
    e = make_engine()
    user = create(e, email_address=["t@example.com"])
    assert user["created_at"] == user["updated_at"] == e.clock.now_ms()
    e.clock.advance(seconds=60)
    updated = ok(e, "PATCH", f"/v1/users/{user['id']}", {"first_name": "T"})
    assert updated["updated_at"] == user["created_at"] + 60_000


def test_public_interstitial_needs_no_auth_and_is_html() -> None:
    e = make_engine()
    r = e.handle(Request.make("GET", "/v1/public/interstitial?publishable_key=pk_test_abc&sign_in_url=/sign-in"))
    assert r.status == 200 and r.headers["content-type"] == "text/html"
    page = r.body.decode()
    assert "clerk.browser.js" in page and 'data-clerk-publishable-key="pk_test_abc"' in page
    # everything else still needs a key
    assert e.handle(Request.make("GET", "/v1/users")).status == 401


def test_default_avatar_url_is_the_json_clerk_encodes() -> None:
    """The avatar URL's payload is built without the json encoder when nothing needs escaping
    (resources/users.py); it must be what `json.dumps` writes for every input, escaped ones included."""
    import base64
    import json

    from clerkmock.engine.resources.users import _default_image_url

    for iid, rid, initials in [("ins_1", "user_2", "AB"), ("ins_1", "user_2", ""), ("ins_1", "user_2", "É"),
                               ("ins_1", "user_2", '"'), ("ins_1", "user_2", "\\"), ("ins_1", "user_2", "\x7f"),
                               ("ins_1", "user_2", "\n"), ("ins_ü", "user_2", "Z"), ("ins_1", "user_2", "日本")]:
        raw = json.dumps({"type": "default", "iid": iid, "rid": rid, "initials": initials}, separators=(",", ":"))
        expected = "https://img.clerk.com/" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        _default_image_url.cache_clear()
        assert _default_image_url(iid, rid, initials) == expected, (iid, rid, initials)


def test_router_remembers_static_paths_and_forgets_on_add() -> None:
    """Router._known skips the trie walk for paths matched without parameters; adding a route clears it."""
    from clerkmock.engine.router import Route, Router

    router = Router()
    router.add(Route("GET", "/users", lambda ctx: None, "users.list"))
    router.add(Route("GET", "/users/{user_id}", lambda ctx: None, "users.get"))
    assert router.match("GET", "/users")[0].name == "users.list"  # type: ignore[union-attr]
    assert router.match("GET", "/users")[0].name == "users.list"  # type: ignore[union-attr]  # from _known
    route, params, exists = router.match("POST", "/users")
    assert route is None and params == {} and exists
    assert router.match("GET", "/users/count")[1] == {"user_id": "count"}
    router.add(Route("GET", "/users/count", lambda ctx: None, "users.count"))
    route, params, _ = router.match("GET", "/users/count")
    assert route is not None and route.name == "users.count" and params == {}
    first = router.match("GET", "/users")[1]
    first["x"] = "y"  # a caller writing into the params it got never changes the next answer
    assert router.match("GET", "/users")[1] == {}


def test_user_json_sets_every_attribute_the_shape_leaves_null() -> None:
    """`user_json` copies a shape of defaults and sets what differs: every attribute a user may have must reach
    its key when present (distinct values here), and the keys keep Clerk's order whatever is set."""
    from clerkmock import ClerkMock
    from clerkmock.engine.resources.users import _USER_SHAPE, user_json

    mock = ClerkMock(scenario="basic.yaml")
    st = mock.engine.state
    user = next(iter(st.users.values()))
    plain = user_json(st, user)
    attrs = {"external_id": "ext-1", "primary_phone_number_id": "idn_p", "primary_web3_wallet_id": "idn_w",
             "username": "u1", "first_name": "F", "last_name": "L", "locale": "fr-FR", "mfa_enabled_at": 11,
             "mfa_disabled_at": 12, "password_last_updated_at": 13, "last_sign_in_at": 14,
             "create_organizations_limit": 15, "last_active_at": 16, "legal_accepted_at": 17}
    for name, value in attrs.items():
        setattr(user, name, value)
    user.locked, user.lockout_expires_at = True, 90_000
    full = user_json(st, user, now=30_000)
    assert list(plain) == list(full) == list(_USER_SHAPE)
    for name, value in attrs.items():
        assert full[name] == value, name
    assert full["lockout_expires_in_seconds"] == 60 and full["locked"] is True
    assert full["saml_accounts"] == [] and full["saml_accounts"] is not user_json(st, user)["saml_accounts"]
