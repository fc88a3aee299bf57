"""The emulator: pure, synchronous, no I/O.  See docs/architecture.md."""

from clerkmock.engine.clock import Clock
from clerkmock.engine.engine import Engine
from clerkmock.engine.errors import ClerkError
from clerkmock.engine.state import State
from clerkmock.engine.types import Json, Request, Response

__all__ = ["Clock", "ClerkError", "Engine", "Json", "Request", "Response", "State"]
