"""A small FastAPI app that uses Clerk through the official Python SDK -- the kind of app clerkmock is for.

- ``POST /signup`` creates a user.  Clerk rate-limits (429 ``too_many_requests`` with ``Retry-After``), so the
  app waits as long as Clerk asks and tries again, a few times at most.
- ``GET /users/{user_id}`` shows a profile.  When Clerk cannot be reached (connection reset, timeout) it shows
  an error page with 503 instead of a stack trace.

tests/app/test_app.py drives both with scripted clerkmock faults.  ``sleep`` is injectable so a test does not
wait for real (it advances clerkmock's clock instead).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
from clerk_backend_api import Clerk, models
from clerk_backend_api.utils import BackoffStrategy, RetryConfig
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

# The SDK would retry 5xx and network errors for up to an hour by default; the app decides itself.
NO_SDK_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)


def clerk_from_env(client: httpx.Client | None = None) -> Clerk:
    """CLERK_SECRET_KEY and CLERK_API_URL (clerkmock's url; the SDK wants /v1 appended)."""
    api_url = os.environ.get("CLERK_API_URL", "https://api.clerk.com")
    return Clerk(bearer_auth=os.environ["CLERK_SECRET_KEY"], server_url=api_url.rstrip("/") + "/v1",
                 client=client, retry_config=NO_SDK_RETRIES)


def _status(exc: Exception) -> int | None:
    if isinstance(exc, models.SDKError):
        return exc.status_code
    raw = getattr(exc, "raw_response", None)
    return raw.status_code if raw is not None else None


def _retry_after(exc: Exception) -> float:
    raw = getattr(exc, "raw_response", None)
    try:
        return float(raw.headers.get("retry-after", "1")) if raw is not None else 1.0
    except ValueError:
        return 1.0


def with_rate_limit_retries[T](call: Callable[[], T], sleep: Callable[[float], None], attempts: int = 3) -> T:
    """Call; on 429 wait ``Retry-After`` seconds and call again, at most ``attempts`` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (models.ClerkErrors, models.SDKError) as exc:
            if _status(exc) != 429 or attempt == attempts:
                raise
            sleep(_retry_after(exc))
    raise AssertionError("unreachable")


class Signup(BaseModel):
    email: str
    first_name: str | None = None


def create_app(clerk: Clerk, *, sleep: Callable[[float], None] = time.sleep, attempts: int = 3) -> FastAPI:
    app = FastAPI()

    @app.post("/signup", status_code=201)
    def signup(form: Signup) -> Any:
        try:
            user = with_rate_limit_retries(
                lambda: clerk.users.create(email_address=[form.email], first_name=form.first_name), sleep, attempts)
        except (models.ClerkErrors, models.SDKError) as exc:
            if _status(exc) == 429:
                return JSONResponse({"error": "busy, try again later"}, status_code=503,
                                    headers={"Retry-After": str(int(_retry_after(exc)))})
            return JSONResponse({"error": "sign-up refused"}, status_code=422)
        return {"id": user.id}

    @app.get("/users/{user_id}", response_class=HTMLResponse)
    def profile(user_id: str) -> Any:
        try:
            user = clerk.users.get(user_id=user_id)
        except httpx.TransportError:
            return HTMLResponse(
                "<h1>Sign-in is temporarily unavailable</h1><p>We could not reach our identity provider. "
                "Please try again in a minute.</p>", status_code=503)
        except (models.ClerkErrors, models.SDKError) as exc:
            if _status(exc) == 404:
                return HTMLResponse("<h1>No such user</h1>", status_code=404)
            raise
        name = " ".join(p for p in (user.first_name, user.last_name) if p) or user.id
        return HTMLResponse(f"<h1>{html.escape(name)}</h1>")

    return app
