"""The SSR handshake on the engine: ``GET /v1/client/handshake`` (FAPI) and ``GET /v1/clients/handshake_payload``
(the Backend API), in dev-browser and cookie mode.  The end-to-end run through Clerk's own ``authenticateRequest``
is tests/test_handshake_node.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import yaml
from jsonschema import Draft4Validator

import clerkmock
from clerkmock.engine import Engine, Request, Response, tokens
from clerkmock.engine.fapi.handshake import NONCE_LIFETIME_MS, cookie_suffix, publishable_key
from clerkmock.engine.resources.auth.common import signing_key
from engine.helpers import AUTH, ok
from tests.fapi import spec_check
from tests.fapi.helpers import Browser

APP = "http://localhost:3000"
PASSWORD = "correct-horse-battery"
UNDOCUMENTED = Path(clerkmock.__file__).resolve().parent / "spec" / "undocumented.yml"


def handshake(engine: Engine, *, cookie: str | None = None, **query: str) -> Response:
    query.setdefault("redirect_url", f"{APP}/dashboard")
    headers = {"cookie": cookie} if cookie else {}
    resp = engine.handle(Request.make("GET", f"/__clerk/v1/client/handshake?{urlencode(query)}", headers=headers))
    spec_check.validate("GET", "/v1/client/handshake", resp.status, resp.json())
    return resp


def back(resp: Response) -> dict[str, str]:
    assert resp.status == 307, resp.body
    assert resp.headers["cache-control"] == "no-store"
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["location"]).query).items()}


def payload(engine: Engine, nonce: str) -> Response:
    return engine.handle(Request.make("GET", f"/v1/clients/handshake_payload?{urlencode({'nonce': nonce})}",
                                      headers=AUTH))


def cookies(directives: list[str]) -> dict[str, str]:
    out = {}
    for line in directives:
        name, _, rest = line.partition("=")
        out[name] = rest.split(";", 1)[0]
    return out


def check_payload_shape(body: Any) -> None:
    spec = yaml.safe_load(UNDOCUMENTED.read_text())
    ref = spec["paths"]["/clients/handshake_payload"]["get"]["responses"]["200"]["content"]["application/json"]
    name = ref["schema"]["$ref"].rsplit("/", 1)[-1]
    Draft4Validator(spec["components"]["schemas"][name]).validate(body)


def claims_of(engine: Engine, jwt: str) -> dict[str, Any]:
    return tokens.decode(jwt, signing_key(engine.state), now_s=engine.clock.now_ms() // 1000)


def signed_in(engine: Engine, email: str = "hana@example.com") -> tuple[Browser, str]:
    ok(engine, "POST", "/v1/users", {"email_address": [email], "password": PASSWORD})
    b = Browser(engine)
    sid = b.call("POST", "/v1/client/sign_ins", {"identifier": email, "password": PASSWORD,
                                                 "strategy": "password"})["created_session_id"]
    return b, sid


def test_a_missing_or_unknown_dev_browser_gets_a_new_one(engine: Engine) -> None:
    for query in ({}, {"__clerk_db_jwt": "dvb_nobodyknowsthisone"}):
        params = back(handshake(engine, format="nonce", __clerk_hs_reason="dev-browser-missing", **query))
        token = params["__clerk_db_jwt"]
        assert token.startswith("dvb_") and token != query.get("__clerk_db_jwt")
        assert token in engine.state.fapi.dev_browsers
        body = payload(engine, params["__clerk_handshake_nonce"]).json()
        check_payload_shape(body)
        sfx = cookie_suffix(publishable_key(engine.state))
        assert cookies(body["directives"]) == {
            "__session": "", f"__session_{sfx}": "", "__client_uat": "0", f"__client_uat_{sfx}": "0",
            "__clerk_db_jwt": token, f"__clerk_db_jwt_{sfx}": token}
        assert all("Path=/" in d and "SameSite=Lax" in d and "Secure" not in d for d in body["directives"])
        assert [d for d in body["directives"] if d.startswith("__session")] == [
            "__session=; Path=/; Max-Age=0; SameSite=Lax", f"__session_{sfx}=; Path=/; Max-Age=0; SameSite=Lax"]


def test_the_cookie_suffix_is_clerk_shareds() -> None:
    # what @clerk/shared's getCookieSuffix answers for these keys (Node 20; tests/test_handshake_node.py checks
    # the live agreement)
    assert cookie_suffix("pk_test_Y2xlcmttb2NrLmNsZXJrLmFjY291bnRzLmRldiQ=") == "QyPmcdX7"
    assert cookie_suffix("pk_live_Y2xlcmttb2NrLmNsZXJrLmFjY291bnRzLmRldiQ=") == "BWbhNIKF"
    assert cookie_suffix("pk_test_Y2xlcmttb2NrLmNsZXJrLmFjY291bnRzLmRldiQ") == "hsOCwahL"


def test_a_signed_in_dev_browser_gets_a_fresh_token_and_its_client_uat(engine: Engine) -> None:
    b, sid = signed_in(engine)
    engine.clock.advance(ms=5_000)
    params = back(handshake(engine, format="nonce", __clerk_db_jwt=b.token, redirect_url=f"{APP}/a?x=1"))
    assert params["x"] == "1" and params["__clerk_db_jwt"] == b.token
    jar = cookies(payload(engine, params["__clerk_handshake_nonce"]).json()["directives"])
    claims = claims_of(engine, jar["__session"])
    client = engine.state.auth.clients[engine.state.fapi.dev_browsers[b.token].client_id]
    assert claims["sid"] == sid and claims["azp"] == APP
    assert int(jar["__client_uat"]) == client.updated_at // 1000 <= claims["iat"]
    assert claims["iat"] == engine.clock.now_ms() // 1000  # minted now, never before __client_uat


def test_a_nonce_is_single_use_and_short_lived(engine: Engine) -> None:
    nonce = back(handshake(engine, format="nonce"))["__clerk_handshake_nonce"]
    assert payload(engine, nonce).status == 200
    again = payload(engine, nonce)
    assert again.status == 404 and again.json()["errors"][0]["code"] == "resource_not_found"
    late = back(handshake(engine, format="nonce"))["__clerk_handshake_nonce"]
    engine.clock.advance(ms=NONCE_LIFETIME_MS)
    assert payload(engine, late).status == 404
    never_fetched = back(handshake(engine, format="nonce"))["__clerk_handshake_nonce"]
    engine.clock.advance(ms=NONCE_LIFETIME_MS)
    back(handshake(engine, format="nonce"))
    assert never_fetched not in engine.state.fapi.handshakes  # expired ones are dropped by the next handshake
    missing = engine.handle(Request.make("GET", "/v1/clients/handshake_payload", headers=AUTH))
    assert missing.status == 400  # nonce is required
    unauthenticated = engine.handle(Request.make("GET", "/v1/clients/handshake_payload?nonce=x"))
    assert unauthenticated.status == 401


def test_format_token_carries_the_directives_in_a_signed_jwt(engine: Engine) -> None:
    b, _ = signed_in(engine)
    params = back(handshake(engine, __clerk_db_jwt=b.token))  # format defaults to token (the spec)
    assert "__clerk_handshake_nonce" not in params
    claims = claims_of(engine, params["__clerk_handshake"])
    jar = cookies(claims["handshake"])
    assert jar["__clerk_db_jwt"] == b.token and jar["__session"].count(".") == 2


def test_organization_id_activates_a_membership_and_nothing_else(engine: Engine) -> None:
    b, sid = signed_in(engine)
    user_id = engine.state.auth.sessions[sid].user_id
    org = ok(engine, "POST", "/v1/organizations", {"name": "Acme", "slug": "acme", "created_by": user_id})
    other = ok(engine, "POST", "/v1/organizations", {"name": "Other", "slug": "other",
                                                     "created_by": ok(engine, "POST", "/v1/users", {
                                                         "email_address": ["ole@example.com"]})["id"]})

    def org_claim(**query: str) -> Any:
        params = back(handshake(engine, format="nonce", __clerk_db_jwt=b.token, **query))
        jar = cookies(payload(engine, params["__clerk_handshake_nonce"]).json()["directives"])
        return claims_of(engine, jar["__session"]).get("o", {}).get("id")

    assert org_claim(organization_id="acme") == org["id"]
    assert org_claim() == org["id"]  # it stays active
    assert org_claim(organization_id=other["id"]) == org["id"]  # not a member: unchanged (spec)
    assert org_claim(organization_id="no-such-org") == org["id"]
    assert org_claim(organization_id="") is None  # the personal account


def test_cookie_mode_reads_the_client_cookie_and_sets_no_dev_browser(engine: Engine) -> None:
    engine.state.instance.environment = "production"
    ok(engine, "POST", "/v1/users", {"email_address": ["ida@example.com"], "password": PASSWORD})
    form = urlencode({"identifier": "ida@example.com", "password": PASSWORD, "strategy": "password"}).encode()
    signin = engine.handle(Request.make("POST", "/__clerk/v1/client/sign_ins", body=form,
                                        headers={"content-type": "application/x-www-form-urlencoded"}))
    client_cookie, client_uat = signin.set_cookies  # a production key: FAPI sets __client_uat itself
    client = next(iter(engine.state.auth.clients.values()))
    assert client_uat.startswith(f"__client_uat={client.updated_at // 1000}; ")
    resp = handshake(engine, format="nonce", cookie=client_cookie.split(";", 1)[0],
                     redirect_url="https://localhost:3000/?tab=1")
    assert back(resp) == {"tab": "1"}  # cookie mode: the URL stays clean ...
    [nonce_cookie] = resp.set_cookies  # ... the nonce is a cookie for the app's site (FAPI is on it)
    assert nonce_cookie.startswith("__clerk_handshake_nonce=") and "HttpOnly" in nonce_cookie
    directives = payload(engine, cookies([nonce_cookie])["__clerk_handshake_nonce"]).json()["directives"]
    assert all(d.endswith("; Secure") for d in directives)  # an https app
    jar = cookies(directives)
    assert not any(name.startswith("__clerk_db_jwt") for name in jar)
    assert jar["__clerk_handshake_nonce"] == "" and "__clerk_handshake_nonce=; Path=/; Max-Age=0" in directives[-2]
    sfx = cookie_suffix(publishable_key(engine.state))
    assert publishable_key(engine.state).startswith("pk_live_") and jar[f"__session_{sfx}"] == jar["__session"]
    assert claims_of(engine, jar["__session"])["sub"].startswith("user_")
    stranger = cookies(handshake(engine, format="nonce").set_cookies)["__clerk_handshake_nonce"]
    assert cookies(payload(engine, stranger).json()["directives"])["__client_uat"] == "0"
    assert engine.state.fapi.dev_browsers == {}


def test_a_bad_redirect_url_is_a_clerk_error(engine: Engine) -> None:
    for query, status, code in (
        ({"redirect_url": ""}, 400, "missing_query_parameter"),
        ({"redirect_url": "javascript:alert(1)"}, 422, "form_param_format_invalid"),
        ({"redirect_url": "/dashboard"}, 422, "form_param_format_invalid"),
        ({"redirect_url": "https://evil.example/steal"}, 422, "form_param_value_invalid"),
        ({"format": "cookie"}, 400, "invalid_query_parameter_value"),
    ):
        resp = handshake(engine, **query)
        assert (resp.status, resp.json()["errors"][0]["code"]) == (status, code), (query, resp.json())
    assert engine.state.fapi.dev_browsers == {}  # refused before anything was written
