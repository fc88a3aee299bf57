"""JWT templates at engine level: CRUD, validation, shortcodes, custom signing keys, tokens from templates."""

from __future__ import annotations

import jwt
import pytest

from clerkmock.engine import tokens
from clerkmock.engine.resources.auth.shortcodes import render

from .auth_helpers import fails, good, session, user, verify
from .helpers import T0, make_engine

SECRET = "a-template-secret-of-at-least-32-bytes"
CLAIMS = {
    "aud": "https://api.example.com",
    "name": "{{user.first_name}}",
    "surname": "{{user.last_name}}",
    "full": "{{user.first_name}} {{user.last_name}}",
    "email": "{{user.primary_email_address}}",
    "verified": "{{user.email_verified}}",
    "plan": "{{user.public_metadata.plan}}",
    "meta": "{{user.public_metadata}}",
    "nested": {"ids": ["{{user.id}}", 7, None]},
    "missing": "{{user.nothing.here}}",
    "fallback": "{{user.public_metadata.tier || 'bronze'}}",
    "org": "{{org.id}}",
    "static": True,
}


def _template(e, **body):  # type: ignore[no-untyped-def]
    return good(e, "POST", "/v1/jwt_templates", {"name": "hasura", "claims": CLAIMS, **body})


def test_crud_and_defaults() -> None:
    e = make_engine()
    t = _template(e)
    assert t["id"].startswith("jtmp_") and t["object"] == "jwt_template"
    assert (t["lifetime"], t["allowed_clock_skew"], t["custom_signing_key"], t["signing_algorithm"]) == (
        60, 5, False, "RS256")
    assert t["claims"] == CLAIMS and t["created_at"] == t["updated_at"] == T0
    assert good(e, "GET", f"/v1/jwt_templates/{t['id']}") == t
    e.clock.advance(seconds=1)
    t2 = good(e, "POST", "/v1/jwt_templates", {"name": "other", "claims": {}, "lifetime": 300, "allowed_clock_skew": 0})
    assert [x["id"] for x in good(e, "GET", "/v1/jwt_templates")] == [t2["id"], t["id"]]
    page = good(e, "GET", "/v1/jwt_templates?paginated=true&limit=1")
    assert page["total_count"] == 2 and page["data"][0]["id"] == t2["id"]
    updated = good(e, "PATCH", f"/v1/jwt_templates/{t['id']}", {"name": "renamed", "claims": {"a": 1}, "lifetime": 90})
    assert (updated["name"], updated["claims"], updated["lifetime"], updated["updated_at"]) == (
        "renamed", {"a": 1}, 90, T0 + 1000)
    assert good(e, "DELETE", f"/v1/jwt_templates/{t['id']}") == {"object": "jwt_template", "id": t["id"],
                                                                   "deleted": True}
    fails(e, "GET", f"/v1/jwt_templates/{t['id']}", status=404, code="resource_not_found")
    fails(e, "DELETE", f"/v1/jwt_templates/{t['id']}", status=404, code="resource_not_found")
    # the name is free again
    good(e, "POST", "/v1/jwt_templates", {"name": "renamed", "claims": {}})


def test_validation() -> None:
    e = make_engine()
    _template(e)
    fails(e, "POST", "/v1/jwt_templates", {"name": "hasura", "claims": {}}, status=422, code="form_identifier_exists")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x"}, status=422, code="form_param_missing")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {"sub": "me"}}, status=400,
          code="jwt_template_reserved_claim")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "lifetime": 10}, status=422,
          code="form_param_value_invalid")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "allowed_clock_skew": 301}, status=422,
          code="form_param_value_invalid")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": "nope"}, status=422, code="form_param_type_invalid")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "custom_signing_key": True}, status=422,
          code="form_conditional_param_missing")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "custom_signing_key": True,
                                           "signing_algorithm": "HS256"}, status=422,
          code="form_conditional_param_missing")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "custom_signing_key": True,
                                           "signing_algorithm": "none", "signing_key": "k"}, status=422,
          code="form_param_value_invalid")
    fails(e, "POST", "/v1/jwt_templates", {"name": "x", "claims": {}, "custom_signing_key": True,
                                           "signing_algorithm": "RS256", "signing_key": "not a pem"}, status=422,
          code="form_param_value_invalid")
    fails(e, "PATCH", "/v1/jwt_templates/jtmp_nope", {"name": "x", "claims": {}}, status=404,
          code="resource_not_found")


def test_token_from_template_renders_shortcodes() -> None:
    e = make_engine()
    u = user(e, first_name="Ann")
    good(e, "PATCH", f"/v1/users/{u['id']}/metadata", {"public_metadata": {"plan": "pro"}})
    s = session(e, u["id"])
    _template(e, lifetime=120, allowed_clock_skew=30)
    token = good(e, "POST", f"/v1/sessions/{s['id']}/tokens/hasura", headers={"origin": "https://app.example.com"})
    claims = verify(e, token["jwt"], verify_aud=False)
    assert jwt.get_unverified_header(token["jwt"])["kid"] == e.state.instance.id
    t0 = T0 // 1000
    assert claims == {
        "aud": "https://api.example.com", "name": "Ann", "surname": None, "full": "Ann ",
        "email": "ann@example.com", "verified": True, "plan": "pro", "meta": {"plan": "pro"},
        "nested": {"ids": [u["id"], 7, None]}, "missing": None, "fallback": "bronze", "org": None, "static": True,
        "azp": "https://app.example.com", "exp": t0 + 120, "iat": t0, "iss": "https://clerkmock.clerk.accounts.dev",
        "jti": claims["jti"], "nbf": t0 - 30, "sid": s["id"], "sub": u["id"],
    }
    shorter = verify(e, good(e, "POST", f"/v1/sessions/{s['id']}/tokens/hasura", {"expires_in_seconds": 30})["jwt"],
                     verify_aud=False)
    assert shorter["exp"] - shorter["iat"] == 30


def test_custom_signing_keys() -> None:
    e = make_engine()
    s = session(e, user(e)["id"])
    t = good(e, "POST", "/v1/jwt_templates", {"name": "hs", "claims": {"role": "authenticated"},
                                              "custom_signing_key": True, "signing_algorithm": "HS256",
                                              "signing_key": SECRET})
    assert t["custom_signing_key"] is True and t["signing_algorithm"] == "HS256" and "signing_key" not in t
    value = good(e, "POST", f"/v1/sessions/{s['id']}/tokens/hs")["jwt"]
    claims = jwt.decode(value, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["role"] == "authenticated"
    pem = tokens.generate_private_key_pem()
    good(e, "POST", "/v1/jwt_templates", {"name": "rs", "claims": {}, "custom_signing_key": True,
                                          "signing_algorithm": "RS256", "signing_key": pem})
    value = good(e, "POST", f"/v1/sessions/{s['id']}/tokens/rs")["jwt"]
    jwt.decode(value, tokens.public_key_pem(pem), algorithms=["RS256"], options={"verify_exp": False})
    with pytest.raises(jwt.InvalidSignatureError):
        verify(e, value)
    # updating without repeating the key keeps it; turning custom keys off returns to the instance key
    good(e, "PATCH", f"/v1/jwt_templates/{t['id']}", {"name": "hs", "claims": {"x": 1}, "custom_signing_key": True})
    jwt.decode(good(e, "POST", f"/v1/sessions/{s['id']}/tokens/hs")["jwt"], SECRET, algorithms=["HS256"],
               options={"verify_exp": False})
    off = good(e, "PATCH", f"/v1/jwt_templates/{t['id']}", {"name": "hs", "claims": {}})
    assert (off["custom_signing_key"], off["signing_algorithm"]) == (False, "RS256")
    verify(e, good(e, "POST", f"/v1/sessions/{s['id']}/tokens/hs")["jwt"])


def test_org_shortcodes_read_the_organization_tables() -> None:
    e = make_engine()
    uid = user(e)["id"]
    org = good(e, "POST", "/v1/organizations", {"name": "Acme", "slug": "acme", "created_by": uid,
                                                 "public_metadata": {"tier": "gold"}})
    s = session(e, uid, active_organization_id=org["id"])
    good(e, "POST", "/v1/jwt_templates", {"name": "o", "claims": {
        "org": "{{org.id}}", "slug": "{{org.slug}}", "role": "{{org.role}}", "tier": "{{org.public_metadata.tier}}",
        "orgs": "{{user.organizations}}", "name": "{{org.name}}"}})
    claims = verify(e, good(e, "POST", f"/v1/sessions/{s['id']}/tokens/o")["jwt"])
    assert (claims["org"], claims["slug"], claims["role"], claims["tier"], claims["orgs"], claims["name"]) == (
        org["id"], "acme", "org:admin", "gold", {org["id"]: "org:admin"}, "Acme")


def test_render_rules() -> None:
    scope = {"user": {"first_name": "Ann", "last_name": None, "n": 3, "meta": {"a": [1]}}}
    assert render("{{user.first_name}}", scope) == "Ann"
    assert render("  {{ user.n }} ", scope) == 3
    assert render("Hi {{user.first_name}} ({{user.n}})", scope) == "Hi Ann (3)"
    assert render("{{user.last_name}}", scope) is None
    assert render("x{{user.last_name}}y", scope) == "xy"
    assert render("{{user.meta}}", scope) == {"a": [1]}
    assert render("{{user.last_name || user.first_name}}", scope) == "Ann"
    assert render('{{user.last_name || "none"}}', scope) == "none"
    assert render("{{user.last_name || 5}}", scope) == 5
    assert render("{{user.last_name || false}}", scope) is False
    assert render("{{}}", scope) is None
    assert render("{{user.first_name", scope) == "{{user.first_name"
    assert render(["{{user.n}}", {"k": "{{user.n}}"}], scope) == [3, {"k": 3}]
