"""Bad input over real HTTP to the lean base-URL listener (issue 8, "Bad input and load"): oversized bodies,
deep nesting, invalid UTF-8, wrong content types, absurd query values, odd paths and headers, HTTP garbage.
Each gets a Clerk-shaped 4xx (the ``ClerkErrors`` envelope of the vendored spec), quickly, and the server stays
up; resident memory stays bounded under a burst of 5 MB bodies (a server in a subprocess, RSS from /proc)."""

from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_transport import FakeTransport  # tests/ is on sys.path
from sdk import spec_check

from clerkmock import ClerkMock
from clerkmock.engine.engine import MAX_BODY_BYTES, MAX_UPLOAD_BYTES

AUTH = {"Authorization": "Bearer sk_test_bad_input"}
AUTH_LINE = b"Authorization: Bearer sk_test_bad_input\r\n"
QUICK = 2.0  # seconds: "quickly", generous for a loaded CI machine; loopback answers take milliseconds
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClerkMock]:
    with ClerkMock(port=0, config_dir=tmp_path_factory.mktemp("cfg")) as m:
        yield m


@pytest.fixture(scope="module")
def client(mock: ClerkMock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=10) as c:
        yield c


@pytest.fixture(autouse=True)
def _reset_and_check_alive(mock: ClerkMock) -> Iterator[None]:
    mock.reset()
    yield
    with httpx.Client(timeout=5) as c:  # whatever the test sent, the server still answers
        assert c.get(mock.url + "/__clerkmock/health").status_code == 200


@pytest.fixture(scope="module")
def user_id(mock: ClerkMock) -> str:
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=10) as c:
        r = c.post("/v1/users", json={"username": "bad_input_user"})
        assert r.status_code == 200, r.text
    mock.pipeline.set_baseline()
    return str(r.json()["id"])


def clerk_error(status: int, body: bytes, headers: Any, *, code: str | None = None) -> dict[str, Any]:
    """Assert a Clerk-shaped error: a 4xx, JSON, the spec's ClerkErrors envelope; return the first error."""
    assert 400 <= status < 500, (status, body[:300])
    assert headers.get("content-type", "").split(";")[0] == "application/json", headers
    data = json.loads(body)
    spec_check.validate_schema(spec_check.CLERK_ERRORS_POINTER, data)
    first = data["errors"][0]
    if code is not None:
        assert first["code"] == code, data
    return first


def check(response: httpx.Response, status: int | None = None, code: str | None = None) -> dict[str, Any]:
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text[:300])
    return clerk_error(response.status_code, response.content, response.headers, code=code)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def raw(mock: ClerkMock, data: bytes, *, timeout: float = 5.0, shutdown: bool = False) -> tuple[int, dict, bytes]:
    """Send bytes, read to the close; return (status, lower-cased headers, body) of the first response."""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=timeout) as s:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    out = b"".join(chunks)
    head, _, rest = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", len(rest)))
    return int(lines[0].split(" ")[1]), headers, rest[:length]


def raw_request(method: str, target: str, body: bytes = b"", extra: bytes = b"") -> bytes:
    return (f"{method} {target} HTTP/1.1\r\nHost: x\r\n".encode() + AUTH_LINE + extra
            + (b"Content-Length: %d\r\n" % len(body) if body else b"") + b"Connection: close\r\n\r\n" + body)


# -- oversized bodies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 5_000_000, 12 * 1024 * 1024])
def test_oversized_json_body_is_a_quick_413(client: httpx.Client, size: int) -> None:
    """Refused from the head (Content-Length) without buffering the body; the rest of the body is read and
    dropped, so even a client that sends it all before reading gets the 413 (12 MiB was a connection reset)."""
    body = b'{"first_name":"' + b"x" * (size - 17) + b'"}'
    response, elapsed = timed(client.post, "/v1/users", content=body, headers={"Content-Type": "application/json"})
    first = check(response, 413, "request_body_too_large")
    assert str(MAX_BODY_BYTES) in first["long_message"]
    assert elapsed < QUICK * 2


def test_each_413_gets_its_own_trace_id(client: httpx.Client) -> None:
    """Issue 12.9: three 413s in a row (refused by the listener, before the engine) had the same id."""
    body = b'{"first_name":"' + b"x" * MAX_BODY_BYTES + b'"}'
    ids = [check(client.post("/v1/users", content=body, headers={"Content-Type": "application/json"}), 413)
           and client.post("/v1/users", content=body).json()["clerk_trace_id"] for _ in range(3)]
    assert len(set(ids)) == 3


def test_body_at_the_limit_is_read(client: httpx.Client) -> None:
    body = b'{"first_name":"' + b"x" * (MAX_BODY_BYTES - 17) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    check(client.post("/v1/users", content=body, headers={"Content-Type": "application/json"}), 422)


def test_oversized_body_with_expect_continue_is_refused_before_it_is_sent(mock: ClerkMock) -> None:
    head = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Content-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: 5000000\r\n\r\n")
    (status, headers, body), elapsed = timed(raw, mock, head)  # the body is never sent; the server closes
    clerk_error(status, body, headers, code="request_body_too_large")
    assert status == 413 and headers.get("connection") == "close" and elapsed < QUICK


def test_oversized_chunked_body_is_413_without_buffering(mock: ClerkMock) -> None:
    """A chunk whose declared size passes the limit is refused at its size line."""
    data = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nffffffffffff\r\n" + b"x" * 1000)
    (status, headers, body), elapsed = timed(raw, mock, data)
    clerk_error(status, body, headers, code="request_body_too_large")
    assert elapsed < QUICK


def test_upload_limit_is_10_mib(client: httpx.Client, user_id: str) -> None:
    url = f"/v1/users/{user_id}/profile_image"
    big = client.post(url, files={"file": ("a.png", PNG + b"\x00" * (MAX_UPLOAD_BYTES + 1000), "image/png")})
    assert str(MAX_UPLOAD_BYTES) in check(big, 413, "request_body_too_large")["long_message"]
    ok = client.post(url, files={"file": ("a.png", PNG + b"\x00" * 2_000_000, "image/png")})
    assert ok.status_code == 200, ok.text[:300]


# -- deep nesting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"email_address":["deep@example.com"],"public_metadata":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001,
    # under orjson's own limit (1024), over the engine's 64 for free-form values
    b'{"email_address":["deep@example.com"],"public_metadata":{"a":' + b"[" * 100 + b"]" * 100 + b"}}",
    b'{"email_address":["deep@example.com"],"unsafe_metadata":{"a":' + b"[" * 70 + b"]" * 70 + b"}}",
], ids=["array-10k", "object-10k", "metadata-10k", "metadata-100", "metadata-71"])
def test_deep_json_nesting_is_a_400(client: httpx.Client, body: bytes) -> None:
    response, elapsed = timed(client.post, "/v1/users", content=body, headers={"Content-Type": "application/json"})
    check(response, 400, "request_body_invalid")
    assert elapsed < QUICK


def test_deep_json_says_it_is_nested_too_deeply(client: httpx.Client) -> None:
    """Issue 12.9: 5,000-deep JSON was reported as "the body is not valid JSON"."""
    body = b"[" * 5000 + b"]" * 5000
    message = check(client.post("/v1/users", content=body, headers={"Content-Type": "application/json"}), 400,
                    "request_body_invalid")["long_message"]
    assert "nested too deeply" in message and "64" in message and "not valid JSON" not in message


def test_deep_nesting_in_a_form_field_and_a_patch(client: httpx.Client, user_id: str) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    check(client.post("/v1/users", content=f"public_metadata={deep}",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}), 400, "request_body_invalid")
    check(client.patch(f"/v1/users/{user_id}/metadata", content=b'{"public_metadata":' + deep.encode() + b"}",
                       headers={"Content-Type": "application/json"}), 400, "request_body_invalid")


def test_deeply_nested_multipart_is_not_a_recursion_error(client: httpx.Client, user_id: str) -> None:
    """Found while hardening: the stdlib email parser recursed into nested multiparts (3,000 levels in ~100 KB
    was a RecursionError, so a 500); form data is parsed flat now."""
    depth = 3000
    head = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(depth))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    inner = b'--b%d\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nx\r\n--b%d--' % (depth, depth)
    response, elapsed = timed(client.post, f"/v1/users/{user_id}/profile_image", content=head + inner + tail,
                              headers={"Content-Type": "multipart/form-data; boundary=b0"})
    check(response, 422, "form_param_missing")  # the nested part is not a field of the form
    assert elapsed < QUICK


def test_multipart_with_many_parts_is_refused_quickly(client: httpx.Client, user_id: str) -> None:
    """100k tiny parts (6 MB) took ~20 s in the email parser, holding the pipeline lock; now a quick 400."""
    parts = b"".join(b'--bnd\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(100_000))
    response, elapsed = timed(client.post, f"/v1/users/{user_id}/profile_image", content=parts + b"--bnd--\r\n",
                              headers={"Content-Type": "multipart/form-data; boundary=bnd"})
    check(response, 400, "request_body_invalid")
    assert elapsed < QUICK


@pytest.mark.parametrize("ctype,body", [
    ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),  # no boundary parameter
    ("multipart/form-data; boundary=x", b"no delimiter at all"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc'),  # no end
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=file" + b"x" * 5000),
    ("multipart/form-data; boundary=" + "y" * 300, b"--" + b"y" * 300 + b"--\r\n"),
])
def test_malformed_multipart_is_a_400(client: httpx.Client, user_id: str, ctype: str, body: bytes) -> None:
    check(client.post(f"/v1/users/{user_id}/profile_image", content=body, headers={"Content-Type": ctype}),
          400, "request_body_invalid")


def test_multipart_odd_but_valid_parts(client: httpx.Client, user_id: str) -> None:
    body = (b"preamble\r\n--x  \r\n"  # transport padding after the delimiter
            b'Content-Disposition: form-data; name="note"\r\n\r\n\xff\xfe\r\n'  # invalid UTF-8 in a field
            b"--x\r\n\r\nheaderless part\r\n"  # no headers, so no name: ignored
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="\xc3\xa9.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--x--\r\nepilogue")
    r = client.post(f"/v1/users/{user_id}/profile_image", content=body,
                    headers={"Content-Type": 'multipart/form-data; boundary="x"'})
    assert r.status_code == 200, r.text[:300]


# -- invalid UTF-8, wrong content types ---------------------------------------------------------------------------


@pytest.mark.parametrize("ctype,body", [
    ("application/json", b'{"first_name":"\xff\xfe"}'),
    ("application/json", b'{"first_name":"\\ud800"}'),  # a lone surrogate escape
    ("application/json", b"\xef\xbb\xbf" + b'{"username":"bom_user"}'),  # a UTF-8 BOM
    ("application/json", b'{"username":"nan_user","first_name":NaN}'),
    ("application/json", b'{"public_metadata":{"n":1' + b"0" * 400 + b"}}"),  # an integer beyond 64 bits
    ("application/x-www-form-urlencoded", b"username=\xff\xfe"),
    ("text/plain", b"\x00\x01\x02"),
])
def test_undecodable_bodies_are_a_400(client: httpx.Client, ctype: str, body: bytes) -> None:
    check(client.post("/v1/users", content=body, headers={"Content-Type": ctype}), 400, "request_body_invalid")


@pytest.mark.parametrize("ctype,status,code", [
    ("application/xml", 415, "unsupported_content_type"),
    ("image/png", 415, "unsupported_content_type"),
    ("multipart/form-data; boundary=x", 415, "unsupported_content_type"),
    ("application/x-www-form-urlencoded", 422, "form_param_unknown"),  # {"a": 1} as a form: key '{"a": 1}'
])
def test_wrong_content_type_for_a_json_operation(client: httpx.Client, ctype: str, status: int, code: str) -> None:
    check(client.post("/v1/users", content=b'{"a": 1}', headers={"Content-Type": ctype}), status, code)


def test_json_to_an_upload_operation_is_a_415(client: httpx.Client, user_id: str) -> None:
    check(client.post(f"/v1/users/{user_id}/profile_image", json={"file": "x"}), 415, "unsupported_content_type")


@pytest.mark.parametrize("body", [b"[1, 2]", b'"a string"', b"42", b"null", b"{", b"{}}", b"\x00"])
def test_non_object_json_bodies_are_a_400(client: httpx.Client, body: bytes) -> None:
    check(client.post("/v1/users", content=body, headers={"Content-Type": "application/json"}),
          400, "request_body_invalid")


@pytest.mark.parametrize("value", [b"1e300", b"-1e300", b"9223372036854775808", b"18446744073709551615"])
def test_integers_beyond_int64_in_a_body_are_a_422(client: httpx.Client, user_id: str, value: bytes) -> None:
    """They were stored and echoed (1e300 as a float where the spec says integer; an arithmetic handler could
    overflow on them); Clerk's integers are Go int64s."""
    r = client.patch(f"/v1/users/{user_id}", content=b'{"create_organizations_limit":' + value + b"}",
                     headers={"Content-Type": "application/json", "Clerk-API-Version": "2025-11-10"})
    assert "64-bit" in check(r, 422, "form_param_value_invalid")["long_message"]
    ok = client.patch(f"/v1/users/{user_id}", json={"create_organizations_limit": 9223372036854775807},
                      headers={"Clerk-API-Version": "2025-11-10"})
    assert ok.json()["create_organizations_limit"] == 9223372036854775807


# -- absurd query values, paths and headers -------------------------------------------------------------------------


@pytest.mark.parametrize("query,status,code", [
    ("limit=99999999999999999999", 400, "invalid_query_parameter_value"),  # beyond int64 (Clerk's Go ints)
    ("limit=501", 422, "form_param_value_invalid"),
    ("limit=-1", 422, "form_param_value_invalid"),
    ("offset=-5", 422, "form_param_value_invalid"),
    ("offset=99999999999999999999", 400, "invalid_query_parameter_value"),
    ("offset=9223372036854775807", 200, None),
    ("offset=" + "9" * 5000, 400, "invalid_query_parameter_value"),  # int() refuses 4,300+ digits itself
    ("limit=1_0", 400, "invalid_query_parameter_value"),  # int() would take these three
    ("limit=%D9%A3", 400, "invalid_query_parameter_value"),  # an Arabic-Indic 3
    ("limit=%205", 400, "invalid_query_parameter_value"),
    ("limit=1e3", 400, "invalid_query_parameter_value"),
    ("limit=%ZZ", 400, "invalid_query_parameter_value"),
    ("order_by=" + "x" * 10240, 422, "form_param_value_invalid"),
    ("order_by=-" + "%00" * 100, 422, "form_param_value_invalid"),
    ("&".join(f"email_address=u{i}@example.com" for i in range(1000)), 400, "invalid_query_parameter_value"),
    ("&".join(f"user_id=user_{i}" for i in range(101)), 400, "invalid_query_parameter_value"),
    ("&".join("limit=5" for _ in range(1000)), 200, None),
    ("query=a%00b", 200, None),
    ("query=%ZZ%FF%FE", 200, None),
    ("email_address=%ZZ", 200, None),
    ("last_active_at_since=99999999999999999999999999", 400, "invalid_query_parameter_value"),
    ("last_active_at_since=9223372036854775807", 200, None),
    ("banned=maybe", 400, "invalid_query_parameter_value"),
    ("x" * 20000 + "=1", 200, None),
    ("&".join(f"k{i}=v" for i in range(5000)), 200, None),
])
def test_absurd_query_values(client: httpx.Client, query: str, status: int, code: str | None) -> None:
    response, elapsed = timed(client.get, "/v1/users?" + query)
    assert response.status_code == status, (response.status_code, response.text[:300])
    if status >= 400:
        check(response, status, code)
    else:
        spec_check.validate("GET", "/v1/users", 200, response.json())
    assert elapsed < QUICK


@pytest.mark.parametrize("target,status", [
    ("/v1/users/%00", 404),
    ("/v1/users/user_%00x", 404),
    ("/v1/users/%ZZ", 404),
    ("/v1/users/%FF%FE", 404),
    ("/v1/users/" + "a" * 20000, 404),
    ("/v1/users/%2F..%2Fcount", 404),
    ("/v1//users", 200),  # empty segments at the ends are ignored, as the router strips them
    ("/v1/users/../users/count", 404),
    ("/v1/%ZZ", 404),
    ("/v2/users", 404),
    ("/v1/users/count/", 200),
    ("*", 404),
    ("http://api.clerk.com/v1/users/count", 200),
])
def test_odd_paths(mock: ClerkMock, target: str, status: int) -> None:
    (got, headers, body), elapsed = timed(raw, mock, raw_request("GET", target))
    assert got == status, (got, body[:300])
    if got >= 400:
        clerk_error(got, body, headers)
    assert elapsed < QUICK


@pytest.mark.parametrize("extra,status,code", [
    (b"X-Big: " + b"a" * 100_000 + b"\r\n", 431, "request_header_too_large"),
    (b"".join(b"X-H%d: v\r\n" % i for i in range(4000)), 200, None),  # many, but under 64 KiB
    (b"Clerk-API-Version: \x00\xff\r\n", 400, "invalid_api_version"),
    (b"Clerk-API-Version: " + b"9" * 10000 + b"\r\n", 400, "invalid_api_version"),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "bad_request"),
    (b"Content-Length: -1\r\n", 400, "bad_request"),
    (b"Content-Length: 1e3\r\n", 400, "bad_request"),
    (b"Header without a colon\r\n", 400, "bad_request"),
    (b"Transfer-Encoding: chunked\r\n", 400, "bad_request"),  # then no valid chunk: "Connection..." is not hex
])
def test_absurd_headers(mock: ClerkMock, extra: bytes, status: int, code: str | None) -> None:
    (got, headers, body), elapsed = timed(raw, mock, raw_request("GET", "/v1/users/count", extra=extra),
                                          shutdown=True)
    assert got == status, (got, body[:300])
    if status >= 400:
        clerk_error(got, body, headers, code=code)
    assert elapsed < QUICK


@pytest.mark.parametrize("auth,status", [
    (b"\xff\xfe", 401), (b"Bearer", 401), (b"Bearer    ", 401), (b"Basic abc", 401),
    (b"Bearer \x00", 200), (b"Bearer " + b"k" * 30000, 200),  # any non-empty key, in permissive mode
])
def test_authorization_header_oddities(mock: ClerkMock, auth: bytes, status: int) -> None:
    data = b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + b"\r\nConnection: close\r\n\r\n"
    got, headers, body = raw(mock, data)
    assert got == status, (got, body[:200])
    if status == 401:
        clerk_error(got, body, headers, code="authorization_header_format_invalid")


# -- HTTP garbage on the socket ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("data,status", [
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)), 400),  # a TLS ClientHello, no CRLF
    (b"\x00\x01\x02 / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),  # HTTP/0.9
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),  # the HTTP/2 preface
    (b"GET /v1/users HTTP/3\r\n\r\n", 400),
    (b"GET /v1/users SMTP/1.0\r\n\r\n", 400),
    (b"G\xc3\x89T /v1/users HTTP/1.1\r\n\r\n", 400),
    (b"GET /v1/users HTTP/1.1 \r\n", 400),  # refused at the end of the line, before any blank line
    (b"A" * 100, 400),  # no space in 32 bytes: not a method
    (b"GET /" + b"a" * 70_000, 431),  # a request line that never ends
    (b"\r\n\r\n\r\nGET /v1/users/count HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Connection: close\r\n\r\n", 200),
    (b"POST /v1/users HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + AUTH_LINE + b"\r\n5\r\nabcdeXX", 400),
    (b"POST /v1/users HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + AUTH_LINE + b"\r\n" + b"1" * 5000, 400),
])
def test_http_garbage_gets_a_quick_clerk_shaped_answer(mock: ClerkMock, data: bytes, status: int) -> None:
    """Without waiting for the client to close or send a blank line it may never send."""
    (got, headers, body), elapsed = timed(raw, mock, data)
    assert got == status, (got, body[:300])
    if status >= 400:
        clerk_error(got, body, headers)
        assert headers.get("connection") == "close"
    assert elapsed < QUICK


def test_chunked_bodies_are_decoded_once_however_they_arrive(mock: ClerkMock) -> None:
    """A chunked body in many small reads was re-decoded from its start on every read (quadratic, blocking the
    event loop); now progress is kept.  60 KB in 1-byte chunks, written in small pieces."""
    body = b'{"username":"chunky_' + b"a" * 40 + b'","external_id":"' + b"x" * 60_000 + b'"}'
    wire = b"".join(b"1\r\n%s\r\n" % body[i:i + 1] for i in range(len(body))) + b"0\r\nX-Trailer: 1\r\n\r\n"
    head = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head)
        for i in range(0, len(wire), 1400):
            s.sendall(wire[i : i + 1400])
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200"), out[:300]
    assert b'"external_id":"' + b"x" * 60_000 + b'"' in out  # the whole body arrived, in order
    assert time.perf_counter() - started < 10


def test_chunked_body_in_many_reads_is_linear(mock: ClerkMock) -> None:
    """The protocol object fed 60-byte reads: 20k one-byte chunks took ~20 M chunk-header parses before (each read
    re-decoded from the start); now each chunk is decoded once."""
    from clerkmock.server.http import BaseUrlServer, _Connection

    body = b'{"username":"linear_user","external_id":"' + b"x" * 20_000 + b'"}'
    wire = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"".join(b"1\r\n%s\r\n" % body[i:i + 1] for i in range(len(body))) + b"0\r\n\r\n")
    transport = FakeTransport()
    conn = _Connection(BaseUrlServer(mock.pipeline))  # not started: only its pipeline is used
    conn.connection_made(transport)
    started = time.perf_counter()
    for i in range(0, len(wire), 60):
        conn.data_received(wire[i : i + 60])
    elapsed = time.perf_counter() - started
    conn.connection_lost(None)
    assert transport.out.startswith(b"HTTP/1.1 200"), bytes(transport.out[:300])
    assert b"x" * 20_000 in transport.out and transport.closed
    assert elapsed < QUICK, f"{elapsed:.1f}s"


def test_a_client_that_does_not_read_is_not_answered_until_it_does(mock: ClerkMock) -> None:
    """Flow control: while the transport's write buffer is over its high-water mark (pause_writing), pipelined
    requests wait in the (paused) read side instead of piling answers up in memory."""
    from clerkmock.server.http import BaseUrlServer, _Connection

    transport = FakeTransport()
    conn = _Connection(BaseUrlServer(mock.pipeline))
    conn.connection_made(transport)
    request = b"GET /v1/users/count HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"\r\n"
    conn.pause_writing()
    conn.data_received(request * 50)
    assert transport.out == b""
    conn.resume_writing()
    assert transport.out.count(b"HTTP/1.1 200 OK") == 50
    conn.connection_lost(None)


def test_too_many_chunks_is_a_400(mock: ClerkMock) -> None:
    wire = b"1\r\na\r\n" * 100_001 + b"0\r\n\r\n"
    head = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    (status, headers, body), elapsed = timed(raw, mock, head + wire)
    assert "chunks" in clerk_error(status, body, headers, code="bad_request")["long_message"]
    assert elapsed < QUICK * 2


# -- resident memory ----------------------------------------------------------------------------------------------------

_SERVER = """
import sys
from clerkmock import ClerkMock
mock = ClerkMock(port=0, config_dir=sys.argv[1]).start()
print(mock.port, flush=True)
sys.stdin.read()  # until the test closes our stdin
mock.stop()
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_memory_stays_bounded_under_big_bodies(tmp_path: Path) -> None:
    """50 × 5 MB JSON bodies (refused from the head), 20 × 5 MB uploads (read and parsed) and a client that
    pipelines requests without reading the answers: the server's RSS grows by less than 200 MB."""
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers=AUTH, timeout=30) as c:
            uid = c.post("/v1/users", json={"username": "rss_user"}).json()["id"]
            for _ in range(20):  # warm up: imports, caches, a few of each request
                c.get("/v1/users")
        before = _rss_mb(server.pid)
        json_body = b'{"first_name":"' + b"x" * 5_000_000 + b'"}'
        upload = PNG + b"\x00" * 5_000_000

        def burst(i: int) -> int:
            with httpx.Client(base_url=url, headers=AUTH, timeout=30) as c:
                if i < 50:
                    r = c.post("/v1/users", content=json_body, headers={"Content-Type": "application/json"})
                    assert r.status_code == 413, r.text[:200]
                else:
                    r = c.post(f"/v1/users/{uid}/profile_image", files={"file": ("a.png", upload, "image/png")})
                    assert r.status_code == 200, r.text[:200]
                return r.status_code

        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(burst, range(70)))
        assert statuses.count(413) == 50 and statuses.count(200) == 20

        # pipelining 20k requests without reading a byte: flow control stops reading until answers drain
        flood = b"GET /v1/users HTTP/1.1\r\nHost: x\r\n" + AUTH_LINE + b"\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.setblocking(False)
            sent = 0
            for _ in range(20_000):
                try:
                    sent += s.send(flood)
                except BlockingIOError:
                    break
            time.sleep(0.5)
        after = _rss_mb(server.pid)
        with httpx.Client(timeout=5) as c:
            assert c.get(url + "/__clerkmock/health").status_code == 200
        assert after - before < 200, f"RSS grew from {before:.0f} MB to {after:.0f} MB"
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
