"""OAuth applications at engine level: create/get/list/update/delete, the secret shown only on create and rotate,
public clients, scopes and redirect URIs, discovery URLs, logos, token revocation.  Every response is checked
against the vendored spec (orgs_helpers.Api)."""

from __future__ import annotations

from clerkmock.engine.resources.auth import oauth_tokens

from .helpers import T0
from .orgs_helpers import Api, ids
from .test_orgs_organizations import PNG, multipart

HOST = "https://clerkmock.clerk.accounts.dev"


def _app(api: Api, name: str = "Acme CLI", **body: object) -> dict:
    return api("POST", "/v1/oauth_applications", {"name": name, **body})


def test_create_shape_and_secret_only_on_create() -> None:
    api = Api()
    a = _app(api, redirect_uris=["myapp://callback", "https://acme.com/cb"])
    assert a["object"] == "oauth_application" and a["id"].startswith("oa_") and len(a["id"]) == 30
    assert len(a["client_id"]) == 16 and len(a["client_secret"]) == 32
    assert a["instance_id"] == api.state.instance.id
    assert (a["scopes"], a["consent_screen_enabled"], a["pkce_required"], a["public"]) == ("profile email", True,
                                                                                           False, False)
    assert a["redirect_uris"] == ["myapp://callback", "https://acme.com/cb"] and a["callback_url"] == "myapp://callback"
    assert (a["client_uri"], a["client_image_url"], a["dynamically_registered"]) == (None, None, False)
    assert a["authorize_url"] == f"{HOST}/oauth/authorize" and a["token_fetch_url"] == f"{HOST}/oauth/token"
    assert a["user_info_url"] == f"{HOST}/oauth/userinfo"
    assert a["discovery_url"] == f"{HOST}/.well-known/oauth-authorization-server"
    assert a["token_introspection_url"] == f"{HOST}/oauth/token_info"
    assert a["created_at"] == a["updated_at"] == T0
    got = api("GET", f"/v1/oauth_applications/{a['id']}")
    assert "client_secret" not in got and got == {k: v for k, v in a.items() if k != "client_secret"}
    assert "client_secret" not in api("GET", "/v1/oauth_applications")["data"][0]


def test_discovery_urls_follow_the_frontend_host() -> None:
    api = Api()
    api.state.instance.frontend_host = "clerk.example.com"
    a = _app(api)
    assert a["authorize_url"] == "https://clerk.example.com/oauth/authorize"


def test_validation() -> None:
    api = Api()
    api("POST", "/v1/oauth_applications", {}, status=422, code="form_param_missing")
    api("POST", "/v1/oauth_applications", {"name": "  "}, status=422, code="form_param_missing")
    api("POST", "/v1/oauth_applications", {"name": "x" * 257}, status=422, code="form_param_max_length_exceeded")
    api("POST", "/v1/oauth_applications", {"name": "a", "scopes": "profile admin"}, status=422,
        code="form_param_value_invalid")
    api("POST", "/v1/oauth_applications", {"name": "a", "redirect_uris": ["not a url"]}, status=422,
        code="form_param_format_invalid")
    api("POST", "/v1/oauth_applications", {"name": "a", "bogus": 1}, status=422, code="form_param_unknown")
    assert api("GET", "/v1/oauth_applications")["total_count"] == 0  # the refused requests wrote nothing
    a = _app(api, scopes="email  profile email public_metadata", callback_url="https://acme.com/cb")
    assert a["scopes"] == "email profile public_metadata" and a["redirect_uris"] == ["https://acme.com/cb"]
    assert _app(api, scopes=None, consent_screen_enabled=None)["scopes"] == "profile email"


def test_public_client_has_no_secret() -> None:
    api = Api()
    a = _app(api, public=True, pkce_required=True)
    assert a["public"] is True and a["client_secret"] == ""
    assert api("POST", f"/v1/oauth_applications/{a['id']}/rotate_secret")["client_secret"] == ""
    # turning it confidential gives it a secret, shown on the next rotation
    api("PATCH", f"/v1/oauth_applications/{a['id']}", {"public": False})
    assert len(api("POST", f"/v1/oauth_applications/{a['id']}/rotate_secret")["client_secret"]) == 32


def test_update_keeps_absent_and_null_fields() -> None:
    api = Api()
    a = _app(api, scopes="profile", redirect_uris=["https://a.com/cb"])
    api.tick()
    u = api("PATCH", f"/v1/oauth_applications/{a['id']}", {"name": "Renamed", "scopes": None,
                                                            "consent_screen_enabled": False})
    assert (u["name"], u["scopes"], u["consent_screen_enabled"], u["redirect_uris"]) == ("Renamed", "profile", False,
                                                                                         ["https://a.com/cb"])
    assert u["updated_at"] == T0 + 1000 and u["created_at"] == T0 and "client_secret" not in u
    u = api("PATCH", f"/v1/oauth_applications/{a['id']}", {"redirect_uris": ["x://1", "x://2"]})
    assert u["callback_url"] == "x://1"
    api("PATCH", f"/v1/oauth_applications/{a['id']}", {"scopes": "nope"}, status=422, code="form_param_value_invalid")
    api("PATCH", "/v1/oauth_applications/oa_missing", {"name": "x"}, status=404, code="resource_not_found")
    assert api("GET", f"/v1/oauth_applications/{a['id']}")["name"] == "Renamed"


def test_rotate_secret() -> None:
    api = Api()
    a = _app(api)
    r = api("POST", f"/v1/oauth_applications/{a['id']}/rotate_secret")
    assert r["client_secret"] != a["client_secret"] and len(r["client_secret"]) == 32
    assert r["client_id"] == a["client_id"]
    api("POST", "/v1/oauth_applications/oa_missing/rotate_secret", status=404, code="resource_not_found")


def test_list_order_query_and_pagination() -> None:
    api = Api()
    made = []
    for name in ("Charlie", "alpha", "Bravo"):
        made.append(_app(api, name))
        api.tick()
    page = api("GET", "/v1/oauth_applications")
    assert ids(page) == [m["id"] for m in made] and page["total_count"] == 3  # +created_at by default
    assert [a["name"] for a in api("GET", "/v1/oauth_applications?order_by=name")["data"]] == ["alpha", "Bravo",
                                                                                               "Charlie"]
    assert ids(api("GET", "/v1/oauth_applications?order_by=-created_at")) == [m["id"] for m in reversed(made)]
    assert ids(api("GET", "/v1/oauth_applications?name_query=RAV")) == [made[2]["id"]]
    assert ids(api("GET", f"/v1/oauth_applications?name_query={made[0]['client_id']}")) == [made[0]["id"]]
    page = api("GET", "/v1/oauth_applications?limit=1&offset=1")
    assert ids(page) == [made[1]["id"]] and page["total_count"] == 3
    api("GET", "/v1/oauth_applications?order_by=secret", status=422, code="form_param_value_invalid")


def test_delete_revokes_tokens() -> None:
    api = Api()
    a = _app(api)
    user = api.user("ann@example.com")
    t = oauth_tokens.issue(api.state, user["id"], a["client_id"], T0)
    assert api("DELETE", f"/v1/oauth_applications/{a['id']}") == {"object": "oauth_application", "id": a["id"],
                                                                   "deleted": True}
    assert t.revoked
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/rotate_secret")):
        api(method, f"/v1/oauth_applications/{a['id']}{suffix}", status=404, code="resource_not_found")
    assert api("GET", f"/v1/oauth_applications?name_query={a['client_id']}")["total_count"] == 0


def test_logo_upload() -> None:
    api = Api()
    a = _app(api)
    ann = api.user("ann@example.com")
    body, headers = multipart({"file": ("logo.png", "image/png", PNG), "uploader_user_id": ann["id"]})
    u = api("PUT", f"/v1/oauth_applications/{a['id']}/logo", body=body, headers=headers)
    assert u["client_image_url"].startswith("https://img.clerk.com/") and "client_secret" not in u
    assert api("GET", f"/v1/oauth_applications/{a['id']}")["client_image_url"] == u["client_image_url"]
    body, headers = multipart({"file": ("notes.txt", "text/plain", b"hello")})
    api("PUT", f"/v1/oauth_applications/{a['id']}/logo", body=body, headers=headers, status=422,
        code="form_param_format_invalid")
    body, headers = multipart({"uploader_user_id": ann["id"]})
    api("PUT", f"/v1/oauth_applications/{a['id']}/logo", body=body, headers=headers, status=422)
    body, headers = multipart({"file": ("logo.png", "image/png", PNG)})
    api("PUT", "/v1/oauth_applications/oa_missing/logo", body=body, headers=headers, status=404)


def test_revoke_token() -> None:
    api = Api()
    a, b = _app(api, "A"), _app(api, "B")
    user = api.user("ann@example.com")
    t1 = oauth_tokens.issue(api.state, user["id"], a["client_id"], T0)
    t2 = oauth_tokens.issue(api.state, user["id"], a["client_id"], T0)
    other = oauth_tokens.issue(api.state, user["id"], b["client_id"], T0)
    verify = "/oauth_applications/access_tokens/verify"
    assert api("POST", verify, {"access_token": t1.secret})["subject"] == user["id"]
    # another application's token is not this one's to revoke
    assert api("POST", f"/v1/oauth_applications/{a['id']}/revoke_token", {"token": other.secret}, status=204) is None
    assert not other.revoked
    api("POST", f"/v1/oauth_applications/{a['id']}/revoke_token", {"token": t1.secret}, status=204)
    assert t1.revoked and t2.revoked  # the whole grant
    api("POST", verify, {"access_token": t1.secret}, status=404)
    # unknown tokens are ignored (RFC 7009); JWTs cannot be revoked
    api("POST", f"/v1/oauth_applications/{a['id']}/revoke_token", {"token": "oat_unknown"}, status=204)
    api("POST", f"/v1/oauth_applications/{a['id']}/revoke_token", {"token": "eyJa.eyJb.sig"}, status=400,
        code="bad_request")
    api("POST", f"/v1/oauth_applications/{a['id']}/revoke_token", {}, status=422, code="form_param_missing")
    api("POST", "/v1/oauth_applications/oa_missing/revoke_token", {"token": "x"}, status=404)
