"""Helpers shared by the SDK conformance tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from clerk_backend_api import Clerk, models

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a4f9b1a10000000049454e44ae426082"
)
TEST_CODE = "424242"  # Clerk's test-mode code for +clerk_test emails and +1 XXX 555 01YY phones


@dataclass
class ApiError:
    """What a failed SDK call carried: filled in when the ``raises_api_error`` block exits."""

    status: int = 0
    code: str = ""
    error: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    exc: Exception | None = None

    @property
    def param(self) -> str | None:
        return (self.error.get("meta") or {}).get("param_name")


@contextmanager
def raises_api_error(
    status: int,
    code: str | None = None,
    *,
    param: str | None = None,
    sdk_type: type[Exception] | None = models.ClerkErrors,
) -> Iterator[ApiError]:
    """Expect an API error with this status (and code / meta.param_name).

    ``sdk_type`` is the exception class the Python SDK raises for it: ``ClerkErrors`` where the spec declares
    a ClerkErrors body for the status, ``SDKError`` where it does not (the SDK then leaves the body unparsed).
    None skips that check.  The envelope itself is always checked from the raw body.
    """
    out = ApiError()
    with pytest.raises(models.ClerkBaseError) as info:
        yield out
    exc = info.value
    out.exc = exc
    out.status = exc.status_code
    body = json.loads(exc.body)
    out.body = body
    assert isinstance(body.get("errors"), list) and body["errors"], f"no errors[] in {exc.body}"
    out.error = body["errors"][0]
    out.code = out.error.get("code", "")
    assert (out.status, out.code) == (status, code or out.code), f"got {out.status} {exc.body}"
    if param is not None:
        assert out.param == param, f"meta.param_name is {out.param!r}, expected {param!r}: {exc.body}"
    if sdk_type is not None:
        assert isinstance(exc, sdk_type), f"the SDK raised {type(exc).__name__}, expected {sdk_type.__name__}"
    if isinstance(exc, models.ClerkErrors):
        assert exc.data.errors[0].code == out.code


_serial = itertools.count(1)


def new_user(sdk: Clerk, **kwargs: Any) -> models.User:
    """Create a user through the SDK; without any identifier in ``kwargs`` it gets a fresh email address."""
    if not any(k in kwargs for k in ("email_address", "phone_number", "username", "web3_wallet",
                                     "skip_user_requirement")):
        kwargs["email_address"] = [f"user{next(_serial)}@example.com"]
    return sdk.users.create(**kwargs)


def ids(users: list[models.User]) -> list[str]:
    return [u.id for u in users]
