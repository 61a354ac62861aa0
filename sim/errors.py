"""Errors that name the problem and where it is.

Every problem found in a scenario is a :class:`Problem` (file, line, column, key path, message);
a :class:`ScenarioError` carries all the problems of one file so that the user sees them at once.
Only the command line turns them into text on stderr and an exit code; a bad command-line
argument is a :class:`UsageError`, raised by every command (``sim.cli`` and the sweep and
classroom commands) and reported there.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# what a terminal acts on instead of showing (docs/security.md): controls (C0, C1, DEL: ESC
# sequences, carriage returns, bells), format characters (the bidirectional overrides and
# isolates U+202A-202E and U+2066-2069, zero-width characters), line and paragraph separators,
# and lone surrogates (which cannot even be encoded)
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def escape(text: str) -> str:
    """``text`` safe to print on a terminal: every character a terminal would act on instead of
    showing (see ``_UNSAFE``) is written as its Python escape (``\\x1b``, ``\\n``,
    ``\\u202e``); everything else is kept. Everything the command line prints from a file
    (names, paths, messages) goes through here."""
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) in _UNSAFE else ch for ch in text)


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
