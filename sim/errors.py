"""Errors that name the problem and where it is.

Every problem found in a scenario is a :class:`Problem` (file, line, column, key path, message);
a :class:`ScenarioError` carries all the problems of one file so that the user sees them at once.
Only the command line turns them into text on stderr and an exit code; a bad command-line
argument is a :class:`UsageError`, raised by every command (``sim.cli`` and the sweep and
classroom commands) and reported there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder a terminal line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """``text`` with control characters shown as escapes, safe to print on a terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a scenario, located as precisely as the source allows."""

    line: int
    col: int
    path: str
    message: str
    file: str = "<scenario>"

    def __str__(self) -> str:
        where = f"{escape(self.path)}: " if self.path else ""
        return f"{escape(self.file)}:{self.line}:{self.col}: {where}{escape(self.message)}"


class ScenarioError(ValueError):
    """A scenario (or an override of one) is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class MoveError(ValueError):
    """A move cannot be made: unknown, not allowed for this actor, bad target or parameter."""


class UsageError(Exception):
    """A bad command-line argument (not located in a file)."""


class OutputError(OSError):
    """An output file cannot be written; the message names the path and the reason."""

    def __init__(self, path: object, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot write {escape(self.path)}: {escape(reason)}")

    def __str__(self) -> str:
        return str(self.args[0])
