"""clerkmock: a stateful emulator of Clerk's Backend API v1 (no account, no network, no cost).

`ClerkMock` is imported lazily so `import clerkmock` stays cheap (the proxy side pulls in mitmproxy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # single source: pyproject.toml reads it (tool.setuptools.dynamic)

if TYPE_CHECKING:
    from clerkmock.mock import ClerkMock

__all__ = ["ClerkMock", "__version__", "messages"]


def __getattr__(name: str) -> Any:
    if name == "ClerkMock":
        from clerkmock.mock import ClerkMock

        return ClerkMock
    if name == "messages":
        import clerkmock.messages as messages

        return messages
    raise AttributeError(f"module 'clerkmock' has no attribute {name!r}")
