"""One-time codes and the messages that carry them.

Clerk's test mode: ``+clerk_test`` emails and ``+1 XXX 555 01YY`` phones take ``424242``; every other code comes
from the engine's seeded id generator (deterministic per scenario and request sequence, different per attempt).
Each code "sent" is kept in ``st.fapi.messages`` (``GET /__clerkmock/messages``, newest first) and fires
``email.created`` / ``sms.created`` like the Backend API's verifications do.
"""

from __future__ import annotations

from clerkmock.engine import events
from clerkmock.engine.records.fapi import Factor
from clerkmock.engine.resources import messages
from clerkmock.engine.resources.identifications import CODE_TTL_MS, TEST_CODE, TEST_PHONE_RE, _random_code
from clerkmock.engine.state import State

def is_test_identifier(kind: str, value: str) -> bool:
    if kind == "email_address":
        return "+clerk_test@" in value.lower()
    return bool(TEST_PHONE_RE.match(value))


def new_code(st: State, kind: str, value: str) -> str:
    return TEST_CODE if is_test_identifier(kind, value) else _random_code(st)


def send(st: State, factor: Factor, kind: str, to: str, now: int, *, user_id: str | None = None,
         identification_id: str | None = None, slug: str = "verification_code") -> None:
    """Give ``factor`` a fresh code, valid ten minutes, and "send" it to ``to``."""
    code = new_code(st, kind, to)
    factor.code, factor.status, factor.attempts, factor.expire_at = code, "unverified", 0, now + CODE_TTL_MS
    if kind == "email_address":
        payload = messages.verification_email_json(st, to=to, code=code, email_address_id=identification_id or "",
                                                   user_id=user_id, now=now)
        payload["slug"] = slug
        messages.keep_email(st, payload, now, code)
        events.emit(st, "email.created", payload, now)
    else:
        payload = messages.verification_sms_json(st, to=to, code=code, phone_number_id=identification_id or "",
                                                 user_id=user_id, now=now)
        payload["slug"] = slug
        messages.keep_sms(st, payload, now, code)
        events.emit(st, "sms.created", payload, now)


def check(factor: Factor, code: str, now: int) -> str:
    """Attempt ``code``: "verified", or why not ("incorrect", "failed" after three tries, "expired")."""
    if factor.status in ("failed", "expired"):
        return factor.status
    if factor.expire_at is not None and now > factor.expire_at:
        factor.status = "expired"
        return "expired"
    factor.attempts += 1
    if code.strip() != factor.code:
        if factor.attempts >= MAX_ATTEMPTS:
            factor.status = "failed"
            return "failed"
        return "incorrect"
    factor.status = "verified"
    return "verified"


MAX_ATTEMPTS = 3
