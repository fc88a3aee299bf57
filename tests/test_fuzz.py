"""Spec-driven fuzzing over every implemented operation (issue 8, "Bad input and load").

schemathesis generates requests from the vendored spec (positive, negative, seeded path ids, plausible values;
see tests/fuzzing.py) and sends them over HTTP to a live ClerkMock; every response must be < 500 and valid
against the spec for its operation and status, and the server must stay up.  Bounded for the suite: 10
derandomized cases per operation (~10 s for all 140).  ``make fuzz`` runs 100 per operation
(``bench/fuzz.py --examples N``); CLERKMOCK_FUZZ_EXAMPLES overrides the count here.

The regression tests at the bottom pin what the fuzz run found.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

pytest.importorskip("schemathesis")

import fuzzing  # tests/ is on sys.path

from clerkmock.engine import Engine, Request

EXAMPLES = int(os.environ.get("CLERKMOCK_FUZZ_EXAMPLES", "10"))
OPERATIONS = [op_id for op_id, _, _ in fuzzing.implemented_operations()]


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fuzzing.Fuzzer]:
    mock, seeded = fuzzing.start_mock(str(tmp_path_factory.mktemp("fuzz-config")))
    f = fuzzing.Fuzzer(mock, seeded)
    try:
        yield f
    finally:
        f.close()
        mock.stop()


def test_every_implemented_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) == len(set(OPERATIONS)) > 100
    assert set(OPERATIONS) <= set(fuzzing.api_operations())


def test_seeding_gives_existing_ids_for_the_common_path_parameters(fuzzer: fuzzing.Fuzzer) -> None:
    for name in ("user_id", "email_address_id", "phone_number_id", "organization_id", "invitation_id",
                 "session_id", "template_id", "machine_id", "apiKeyID"):
        assert name in fuzzer.seeded, name


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_fuzz(fuzzer: fuzzing.Fuzzer, operation_id: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="clerkmock"):  # a 500's traceback is in the failure instead
        report = fuzzer.run_operation(operation_id, EXAMPLES)
    assert report.cases == EXAMPLES
    assert not report.failures, f"{len(report.failures)} of {report.cases} cases broke a property:\n" + "\n".join(
        str(f) for f in report.failures[:5]
    )


def test_server_answers_after_the_run(fuzzer: fuzzing.Fuzzer) -> None:
    response = fuzzer.session.get(fuzzer.mock.url + "/__clerkmock/health", timeout=5)
    assert response.status_code == 200


# -- regressions found by the fuzz run -------------------------------------------------------------------------


def _call(engine: Engine, method: str, url: str, json: object = None) -> tuple[int, dict]:
    response = engine.handle(Request.make(method, url, headers={"Authorization": "Bearer sk_test_x"}, json=json))
    return response.status, response.json()


@pytest.mark.parametrize("kind,value", [("email_address", "ann@example.com"), ("phone_number", "+447700900123")])
def test_prepare_verification_of_a_real_identifier(kind: str, value: str) -> None:
    """POST /email_addresses/{id}/prepare_verification for a non-test address was a 500 (``int(token, 62)``:
    base 62 is not a base int() knows); now a verification with a deterministic six-digit code."""
    engine = Engine()
    status, user = _call(engine, "POST", "/v1/users", {kind: [value]})
    assert status == 200, user
    plural = "email_addresses" if kind == "email_address" else "phone_numbers"
    idn = user[plural][0]["id"]
    status, body = _call(engine, "POST", f"/v1/{plural}/{idn}/prepare_verification")
    assert status == 200, body
    assert body["object"] == "verification" and body["status"] == "unverified"
    code = engine.state.pending_verifications[body["id"]][1].code
    assert len(code) == 6 and code.isdigit()
    vid = body["id"]
    wrong = "000000" if code != "000000" else "111111"
    status, body = _call(engine, "POST", f"/v1/{plural}/{idn}/attempt_verification",
                         {"verification_id": vid, "code": wrong})
    assert (status, body["status"], body["attempts"]) == (200, "unverified", 1), body
    status, body = _call(engine, "POST", f"/v1/{plural}/{idn}/attempt_verification",
                         {"verification_id": vid, "code": code})
    assert (status, body["status"]) == (200, "verified"), body
