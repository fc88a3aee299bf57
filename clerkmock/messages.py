"""The emails and SMS the Frontend API "sent" (one-time codes), for tests::

    import clerkmock
    code = clerkmock.messages.last(to="bob@example.com").code

Reads the pytest plugin's server of the running test (or else the ClerkMock created last in this process, a
``with ClerkMock()``), ``mock=`` a given one, or a server by URL (``url=`` or ``CLERKMOCK_URL``) through
``GET /__clerkmock/messages``.  Newest first.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    kind: str  # email | sms
    to: str
    code: str | None
    subject: str
    body: str
    created_at: int
    links: list[str] = field(default_factory=list)
    slug: str = "verification_code"
    user_id: str | None = None


class NoMessage(LookupError):
    """No message was sent (to that address)."""


def all(to: str | None = None, *, url: str | None = None, mock: Any = None) -> list[Message]:  # noqa: A001
    """Every message kept (at most the newest 500), newest first; ``to`` filters by address or phone."""
    url = url or (None if mock is not None else os.environ.get("CLERKMOCK_URL"))
    if url:
        query = urllib.parse.urlencode({"to": to, "limit": 500} if to else {"limit": 500})
        with urllib.request.urlopen(f"{url.rstrip('/')}/__clerkmock/messages?{query}", timeout=10) as resp:
            data = json.load(resp)["data"]
        return [Message(**{k: v for k, v in m.items() if k != "object"}) for m in data]
    if mock is None:
        from clerkmock.mock import ClerkMock

        mock = ClerkMock.latest
        if mock is None:
            raise NoMessage("no ClerkMock in this process: pass url= (or set CLERKMOCK_URL)")
    with mock.pipeline.lock:
        kept = list(mock.pipeline.engine.state.fapi.messages)
    want = to.lower() if to else None
    return [Message(m.id, m.kind, m.to, m.code, m.subject, m.body, m.created_at, list(m.links), m.slug, m.user_id)
            for m in reversed(kept) if want is None or m.to.lower() == want]


def last(to: str | None = None, *, url: str | None = None, mock: Any = None) -> Message:
    """The newest message (to ``to``); raises `NoMessage` when there is none."""
    found = all(to, url=url, mock=mock)
    if not found:
        raise NoMessage(f"no message was sent{' to ' + to if to else ''}")
    return found[0]
