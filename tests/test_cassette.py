"""Cassettes, pure: the YAML format (version, byte-exact bodies, crash safety) and secret/PII scrubbing.

The central promise: a secret injected everywhere a request or response can carry one never reaches the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clerkmock.cassette import (
    CassetteError,
    CassetteWriter,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    Scrubber,
    load_cassette,
)
from clerkmock.cassette.format import detect_json_format, encode_json
from clerkmock.engine.types import Request

B62 = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def _jwt(tag: str) -> str:
    import jwt

    return jwt.encode({"sub": f"user_{tag}", "sid": "sess_x", "tag": tag}, "k" * 32, algorithm="HS256")


# One of every kind the issue names, each a distinct value so a leak names its kind.
PATTERN_SECRETS = {
    "secret key": "sk_live_" + B62,
    "test secret key": "sk_test_" + B62[::-1],
    "publishable key": "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k",
    "session token": _jwt("session"),
    "sign-in token": _jwt("signin"),
    "actor token": _jwt("actor"),
    "m2m jwt": _jwt("m2m"),
    "m2m opaque token": "mt_" + B62[:30],
    "api key secret": "ak_" + B62[3:27],
    "machine secret key": "ak_" + B62[5:30],
    "oauth access token": "oat_" + B62[2:32],
    "webhook secret": "whsec_" + B62,
    "testing token": "1713456789-c_" + B62[:20],
}
NAMED_SECRETS = {  # secret by the name they travel under, whatever they look like
    "password": "correct horse battery staple",
    "new_password": "Tr0ub4dor&3 again",
    "totp_secret": "JBSWY3DPEHPK3PXP",
    "client_secret": "opaque client secret value",
    "backup_codes": "backup-code-12345",
    "ticket": "opaque-ticket-value",
    "__clerk_testing_token": "opaque testing token",
}
COOKIE_SECRET = "opaque-cookie-value-9f8e7d"


def _everywhere() -> Interaction:
    """An interaction carrying every secret in every place: headers, cookies, query, path, JSON (nested, in
    lists, inside URLs and free text), form bodies, response headers."""
    values = list(PATTERN_SECRETS.values())
    body = {
        "plain": values,
        "nested": {"deeper": [{"note": f"token {v} inside text"} for v in values]},
        "url": "https://accounts.example.com/v1/tickets/accept?ticket=" + PATTERN_SECRETS["sign-in token"],
        **{name: value for name, value in NAMED_SECRETS.items() if name != "backup_codes"},
        "backup_codes": [NAMED_SECRETS["backup_codes"], NAMED_SECRETS["backup_codes"] + "b"],
    }
    request = RecordedRequest.from_request(
        Request(
            "POST",
            f"/v1/things/{PATTERN_SECRETS['session token']}/verify",
            {"q": values, **{k: [v] for k, v in NAMED_SECRETS.items()}},
            {
                "authorization": f"Bearer {PATTERN_SECRETS['secret key']}",
                "cookie": f"__session={PATTERN_SECRETS['session token']}; __client={COOKIE_SECRET}",
                "x-clerk-extra": PATTERN_SECRETS["api key secret"],
                "x-custom-secret": COOKIE_SECRET + "-header",  # not a kept header: dropped unread
                "content-type": "application/json",
            },
            json.dumps(body).encode(),
        )
    )
    response = RecordedResponse.from_parts(
        200,
        {
            "content-type": "application/json",
            # two Set-Cookie lines, kept one a line (cassette/format.py SET_COOKIE_SEPARATOR)
            "set-cookie": f"__client={COOKIE_SECRET}; Path=/; HttpOnly\n__session={COOKIE_SECRET}x; Path=/",
            "x-clerk-token": PATTERN_SECRETS["m2m jwt"],
            "x-other": PATTERN_SECRETS["webhook secret"],  # dropped
        },
        json.dumps({**body, "object": "token", "jwt": PATTERN_SECRETS["session token"],
                    "secret": PATTERN_SECRETS["api key secret"]}).encode(),
    )
    return Interaction(request, response)


def _all_secrets() -> dict[str, str]:
    return {**PATTERN_SECRETS, **NAMED_SECRETS, "cookie": COOKIE_SECRET}


def test_a_secret_injected_everywhere_never_reaches_the_file(tmp_path: Path) -> None:
    inter = _everywhere()
    before = json.dumps(inter.to_dict())
    path = tmp_path / "c.yaml"
    writer = CassetteWriter(path, {"upstream": "https://api.clerk.com"}, Scrubber())
    writer.append(inter)
    writer.close()
    text = path.read_text()
    leaks = {kind: value for kind, value in _all_secrets().items() if value in text}
    assert leaks == {}, f"secrets in the cassette: {leaks}"
    # ... nor any recognisable piece of one (a JWT's signature, a key's body)
    for value in PATTERN_SECRETS.values():
        assert value.split("_", 1)[-1][-12:] not in text
    assert json.dumps(inter.to_dict()) == before  # the live objects were not touched: a copy was scrubbed
    # and the file still reads as a cassette with placeholders where the secrets were
    rec = load_cassette(path).interactions[0]
    assert rec.request.headers["authorization"] == "Bearer <secret_key:1>"
    assert rec.request.body["password"] == "<password:1>"
    assert rec.response.body["jwt"] == rec.request.path.split("/")[3]  # same token -> same placeholder
    assert "x-custom-secret" not in rec.request.headers and "x-other" not in rec.response.headers
    first, second = rec.response.headers["set-cookie"].split("\n")  # each cookie scrubbed on its own line
    assert first.startswith("__client=<") and first.endswith("; Path=/; HttpOnly") and second.startswith("__session=<")


@pytest.mark.parametrize("kind", sorted(PATTERN_SECRETS))
def test_every_secret_kind_is_recognised_on_its_own(kind: str) -> None:
    value = PATTERN_SECRETS[kind]
    s = Scrubber()
    for text in (value, f"prefix {value} suffix", f"https://x.example/?a={value}&b=1", f'{{"k":"{value}"}}'):
        out = s.text(text)
        assert value not in out, (kind, text, out)
        assert "<" in out


def test_ids_are_not_secrets() -> None:
    s = Scrubber()
    for ident in ("ak_" + "0123456789abcdef" * 2, "mt_" + "fedcba9876543210" * 2, "oat_" + "a1" * 16,
                  "user_2abcdefghijklmnopqrstuvwxyz0", "sess_2ZZZZZZZZZZZZZZZZZZZZZZZZZZ"):  # fmt: skip
        assert s.text(ident) == ident


def test_placeholders_are_stable_within_a_cassette() -> None:
    s = Scrubber()
    a, b = PATTERN_SECRETS["session token"], PATTERN_SECRETS["actor token"]
    assert s.text(a) == s.text(a) == "<jwt:1>"
    assert s.text(b) == "<jwt:2>"
    assert s.header("authorization", f"Bearer {a}") == "Bearer <jwt:1>"
    assert s.json({"token": a, "other": [b]}) == {"token": "<jwt:1>", "other": ["<jwt:2>"]}
    assert s.text("<jwt:1>") == "<jwt:1>"  # scrubbing twice changes nothing


def test_pii_is_replaced_consistently_and_stays_well_formed() -> None:
    s = Scrubber(pii=True)
    body = {
        "email_address": ["alice@example.org", "bob@corp.example"],
        "phone_number": ["+14155550123"],
        "first_name": "Alice",
        "last_name": "Liddell",
        "username": "alice",
        "note": "write to alice@example.org",
    }
    out = s.json(body)
    assert out["email_address"] == ["email1@example.com", "email2@example.com"]
    assert out["note"] == "write to email1@example.com"  # the same input -> the same placeholder
    assert out["phone_number"] == ["+15550100001"]
    assert (out["first_name"], out["last_name"], out["username"]) == ("First1", "Last1", "user1")
    assert s.json(out) == out  # idempotent
    assert s.query({"email_address": ["alice@example.org"], "query": ["Alice"]}) == {
        "email_address": ["email1@example.com"], "query": ["<search:1>"]}  # fmt: skip
    assert Scrubber().json(body) == body  # PII is kept unless asked


def test_matching_normalisation_equates_real_and_scrubbed_values() -> None:
    from clerkmock.cassette.replay import normalise

    real = RecordedRequest.from_request(
        Request.make("POST", "/v1/api_keys/verify?x=" + PATTERN_SECRETS["session token"],
                     json={"secret": PATTERN_SECRETS["api key secret"], "password": "hunter2"})
    )
    recorded = real.scrubbed(Scrubber())
    other_secret = RecordedRequest.from_request(
        Request.make("POST", "/v1/api_keys/verify?x=" + PATTERN_SECRETS["actor token"],
                     json={"secret": "ak_" + "Z" * 24, "password": "different"})
    )
    assert normalise(recorded, pii=False) == normalise(real, pii=False) == normalise(other_secret, pii=False)
    changed = RecordedRequest.from_request(Request.make("POST", "/v1/api_keys/verify", json={"secret": "x", "a": 1}))
    assert normalise(changed, pii=False) != normalise(real, pii=False)


# -- format ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"b":[true,null,"x"],"u":"\xc3\xa9"}',
        b'{"a":1}\n',
        b'{"html":"\\u003cb\\u003e \\u0026"}',  # Go's encoding/json (real Clerk)
        b'{\n  "a": 1\n}',
        b"[]",
    ],
)
def test_json_bodies_round_trip_byte_for_byte(raw: bytes) -> None:
    value = json.loads(raw)
    fmt = detect_json_format(raw, value)
    assert encode_json(value, fmt) == raw
    resp = RecordedResponse.from_parts(200, {"content-type": "application/json"}, raw)
    again = RecordedResponse.from_dict(resp.to_dict())
    assert again.body_bytes() == raw


def test_bodies_of_every_kind_round_trip(tmp_path: Path) -> None:
    cases = [
        ({"content-type": "application/x-www-form-urlencoded"}, b"a=1&a=2&b=x+y", "form"),
        ({"content-type": "text/plain"}, "héllo".encode(), "text"),
        ({"content-type": "image/png"}, bytes(range(256)), "base64"),
        ({}, b"", None),
    ]
    path = tmp_path / "kinds.yaml"
    w = CassetteWriter(path, {}, Scrubber())
    for headers, raw, _ in cases:
        req = RecordedRequest.from_request(Request("POST", "/v1/x", {}, headers, raw))
        w.append(Interaction(req, RecordedResponse.from_parts(204, {}, b"")))
    w.close()
    loaded = load_cassette(path).interactions
    for (_headers, raw, kind), inter in zip(cases, loaded, strict=True):
        assert inter.request.body_kind == kind
        if kind != "form":
            assert inter.request.body_bytes() == raw
        else:
            assert inter.request.body == {"a": ["1", "2"], "b": ["x y"]}


def test_a_cassette_needs_a_known_version(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("interactions: []\n")
    with pytest.raises(CassetteError, match="no top-level `version:`"):
        load_cassette(p)
    p.write_text("version: 2\ninteractions: []\n")
    with pytest.raises(CassetteError, match="newer clerkmock: upgrade"):
        load_cassette(p)
    p.write_text("version: 0\ninteractions: []\n")
    with pytest.raises(CassetteError, match="re-record it"):
        load_cassette(p)
    p.write_text("version: 1\ninteractions:\n")
    assert load_cassette(p).interactions == []


def test_each_interaction_is_on_disk_as_soon_as_it_completes(tmp_path: Path) -> None:
    """A recorder killed mid-run (SIGKILL: no cleanup at all) leaves every completed interaction readable."""
    path = tmp_path / "crash.yaml"
    script = f"""
import os, signal
from clerkmock.cassette import CassetteWriter, Scrubber, Interaction, RecordedRequest, RecordedResponse
from clerkmock.engine.types import Request
w = CassetteWriter({str(path)!r}, {{}}, Scrubber())
for i in range(3):
    w.append(Interaction(RecordedRequest.from_request(Request.make("GET", f"/v1/users/{{i}}")),
                         RecordedResponse.from_parts(200, {{"content-type": "application/json"}}, b'{{"i":%d}}' % i)))
w._fh.write("- id: 4\\n  request:\\n    method: GE")  # the one in flight, half written
w._fh.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == -9, proc.stderr
    cassette = load_cassette(path)
    assert [i.response.body for i in cassette.interactions] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert cassette.incomplete_tail


def test_the_file_is_readable_yaml_with_the_version_first(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    w = CassetteWriter(path, {"upstream": "https://api.clerk.com", "scrubbed": {"secrets": True, "pii": False}},
                       Scrubber())  # fmt: skip
    w.append(Interaction(RecordedRequest.from_request(Request.make("GET", "/v1/users?limit=2",
                                                                   headers={"Clerk-API-Version": "2025-11-10"})),
                         RecordedResponse.from_parts(200, {"content-type": "application/json"}, b"[]"),
                         duration_ms=12.34, api_version="2025-11-10"))  # fmt: skip
    w.close()
    text = path.read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "version: 1"
    assert "  api_version: '2025-11-10'" in text and "duration_ms: 12.3" in text
    assert "      limit:\n      - '2'" in text
    assert os.stat(path).st_size == len(text.encode())
