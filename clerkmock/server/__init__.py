"""The request pipeline every way in shares (control plane, engine; later faults and the journal)."""

from clerkmock.server.pipeline import CONTROL_PREFIX, Pipeline

__all__ = ["CONTROL_PREFIX", "Pipeline"]
