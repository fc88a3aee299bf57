"""The request pipeline every way in shares (control plane, engine; later faults and the journal)."""

from clerkmock.server.control import CONTROL_PREFIX
from clerkmock.server.pipeline import Pipeline

__all__ = ["CONTROL_PREFIX", "Pipeline"]
