"""One line on the server's log for the first request whose Bearer key does not look like a secret key.

Without ``--secret-key`` any non-empty key is accepted (apps and CI use placeholders such as
``sk_test_dummy``), so a miswired app -- a publishable key, a key from another variable -- would otherwise
only fail against real Clerk.  Machine secret keys (``ak_…``) are real keys for the M2M endpoints.
"""

from __future__ import annotations

import logging

from clerkmock.engine import Request

log = logging.getLogger("clerkmock")

SECRET_PREFIXES = ("sk_", "ak_")


class KeyNotice:
    def __init__(self) -> None:
        self.noticed = False

    def check(self, request: Request, strict: bool) -> None:
        if self.noticed or strict:
            return
        if request.headers.get("authorization", "").startswith("Bearer sk_"):  # the common case, first
            return
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or key.startswith(SECRET_PREFIXES):
            return
        self.noticed = True  # once: a notice, not a flood
        what = "a publishable key (refused with 401)" if key.startswith("pk_") else "accepted, as any key is here"
        log.warning("clerkmock: %s %s used the key %r..., which is not a secret key (sk_...): %s; real Clerk "
                    "accepts only the instance's secret key (this is said once)", request.method, request.path,
                    key[:8], what)
