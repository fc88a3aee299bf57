"""`ScenarioError`: a scenario problem as ``file:line: message`` (one or several)."""

from __future__ import annotations


class ScenarioError(ValueError):
    """One or more scenario problems.  ``str()`` is the first as ``file:line: message`` (plus a count);
    ``problems`` holds each as its own `ScenarioError`."""

    def __init__(self, source: str, line: int | None, message: str,
                 problems: list[ScenarioError] | None = None) -> None:
        self.source, self.line, self.message = source, line, message
        self.problems: list[ScenarioError] = problems if problems else [self]
        text = f"{source}:{line}: {message}" if line else f"{source}: {message}"
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more problem{'s' if len(self.problems) > 2 else ''})"
        super().__init__(text)

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def lines(self) -> list[str]:
        """Every problem as ``file:line: message``."""
        return [f"{p.location}: {p.message}" for p in self.problems]

    @classmethod
    def collect(cls, problems: list[ScenarioError]) -> ScenarioError:
        first = problems[0]
        return cls(first.source, first.line, first.message, problems)
