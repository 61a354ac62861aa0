"""Errors that name the problem and where it is.

Every problem found in a scenario is a :class:`Problem` (file, line, column, key path, message);
a :class:`ScenarioError` carries all the problems of one file so that the user sees them at once.
Only the command line turns them into text on stderr and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a scenario, located as precisely as the source allows."""

    line: int
    col: int
    path: str
    message: str
    file: str = "<scenario>"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {where}{self.message}"


class ScenarioError(ValueError):
    """A scenario (or an override of one) is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class MoveError(ValueError):
    """A move cannot be made: unknown, not allowed for this actor, bad target or parameter."""
