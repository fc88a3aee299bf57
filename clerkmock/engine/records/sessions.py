"""Session-side records and their tables (filled in by the sessions/tokens API group)."""

from __future__ import annotations


class AuthTables:
    def __init__(self) -> None:
        pass
