"""Dotted paths into a scenario document (``--set``, ``--vary``, ``parameters:``).

One walker, :func:`walk`, follows a path to its parent mapping (events addressed by ``id``);
setting a value (:func:`set_path`), checking that a path can be set (:func:`resolve_path`) and
reading the value written there (:func:`get_path`) all go through it. A key holding a dot is
written in double quotes (``countries."St. Lucia".strategy``, docs/scenarios.md, "Paths"):
:func:`split_path` reads a path, :func:`join_path` writes one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario import yamlio

Loc = tuple[Any, ...]


_KEY = re.compile(r'"((?:[^"]|"")*)"|([^."]*)')


def split_path(path: str) -> list[str]:
    """The keys of a dotted path: ``countries."St. Lucia".strategy`` → ``["countries",
    "St. Lucia", "strategy"]`` (in quotes, ``""`` stands for one ``"``).

    Raises:
        ValueError: a quote that is not closed, or not at a key's ends.
    """
    keys: list[str] = []
    at = 0
    while True:
        m = _KEY.match(path, at)
        assert m is not None  # the second branch matches the empty string
        quoted, plain = m.groups()
        keys.append(quoted.replace('""', '"') if quoted is not None else plain)
        at = m.end()
        if at == len(path):
            return keys
        if path[at] != ".":
            raise ValueError('a quote not closed, or not around a whole key (a key '
                             'holding a dot: countries."St. Lucia".strategy)')
        at += 1


def join_path(*keys: str) -> str:
    """A dotted path of ``keys``, quoting those :func:`split_path` needs quoted."""
    return ".".join('"' + k.replace('"', '""') + '"' if "." in k or '"' in k else k
                    for k in keys)


def display_loc(loc: Loc) -> str:
    """A document location as a dotted key path (``firms.ZTE.bom``, list items ``[2]``),
    written as :func:`split_path` reads it."""
    out = ""
    for part in loc:
        out += (f"[{part}]" if isinstance(part, int) else
                f".{join_path(str(part))}" if out else join_path(str(part)))
    return out


def position(positions: yamlio.Positions, loc: Loc) -> tuple[int, int]:
    """Line and column of ``loc`` in the file, or of its nearest enclosing node."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in positions:
            return positions[loc[:n]]
    return (1, 1)


@dataclass(frozen=True)
class Walked:
    """Where a path leads: its parent mapping and last key, or why it cannot be followed.

    ``loc`` is the document location reached (list indices for events), for error positions.
    """

    parent: dict | None
    key: str
    loc: Loc
    problem: str | None = None


# top-level sections that default to an empty mapping: ``--set model.x=...`` works on a
# scenario that does not write them
OPTIONAL_SECTIONS = frozenset({"model"})


def walk(doc: Any, path: str, create: bool = False) -> Walked:
    """Follow ``path`` (dotted, events by id) to the mapping that holds its last key.

    The last key itself may be absent (it then names a default); every key before it must
    exist, except an absent optional section (:data:`OPTIONAL_SECTIONS`), which stands for an
    empty mapping (added to ``doc`` when ``create``). A path that cannot be followed comes
    back with ``parent=None`` and a ``problem``.
    """
    try:
        parts = split_path(path)
    except ValueError as exc:
        return Walked(None, "", (), str(exc))
    node: Any = doc
    loc: Loc = ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list) and loc != ("events",):
            return Walked(None, part, loc, f"{display_loc(loc)}: a list of values; only events "
                                           "are addressed by id")
        if isinstance(node, list):  # events are addressed by id
            match = [j for j, e in enumerate(node) if isinstance(e, dict) and e.get("id") == part]
            if not match:
                ids = [e.get("id") for e in node if isinstance(e, dict) and e.get("id")]
                return Walked(None, part, loc, f"no event with id {part!r} "
                                               f"(ids: {', '.join(map(str, ids)) or 'none'})")
            if last:
                return Walked(None, part, loc, "cannot replace a whole event")
            loc += (match[0],)
            node = node[match[0]]
            continue
        if not isinstance(node, dict):
            return Walked(None, part, loc, f"{display_loc(loc)!r} has no keys")
        if last:
            return Walked(node, part, loc)
        if part not in node and loc == () and part in OPTIONAL_SECTIONS:
            if not create:  # an empty section: only its direct keys can be named
                return (Walked({}, parts[1], (part,)) if len(parts) == 2 else
                        Walked(None, parts[1], (part,), f"unknown key {parts[1]!r}"))
            node[part] = {}
        if part not in node:
            return Walked(None, part, loc, _unknown(node, parts, i, loc))
        loc += (part,)
        node = node[part]
    return Walked(None, "", loc, "empty path")


def _unknown(node: dict, parts: list[str], i: int, loc: Loc) -> str:
    """"unknown key 'x'", with the key meant: a close one, or a name holding dots that the
    path split (``countries.St. Lucia.strategy``: written ``countries."St. Lucia"...``)."""
    part = parts[i]
    for j in range(len(parts), i + 1, -1):
        name = ".".join(parts[i:j])
        if name in node:
            meant = display_loc((*loc, name)) + "".join(f".{join_path(k)}" for k in parts[j:])
            return f"unknown key {part!r}: a key holding a dot is written in double quotes: {meant}"
    close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
    return f"unknown key {part!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def parse_value(text: str) -> Any:
    """A ``--set``/``--vary`` value as YAML reads it (``3`` → 3, ``2019-10-07`` → a date)."""
    data, _ = yamlio.load_text(text, "<value>")
    return data


def set_path(doc: Any, path: str, value: Any, positions: yamlio.Positions,
             file: str) -> None:
    """Set ``path`` in a parsed document; raise a located ScenarioError if it cannot be."""
    w = walk(doc, path, create=True)
    if w.parent is None:
        raise ScenarioError([Problem(*position(positions, w.loc), path, str(w.problem), file)])
    w.parent[w.key] = value


def apply_overrides(doc: Any, positions: yamlio.Positions, overrides: dict[str, Any],
                    file: str) -> None:
    """Apply ``{dotted.path: value}`` to a parsed document in place (``--set``, sweeps)."""
    if not isinstance(doc, dict):
        raise ScenarioError([Problem(1, 1, "", "a scenario is a mapping of keys", file)])
    for path, value in overrides.items():
        set_path(doc, path, value, positions, file)


def resolve_path(doc: Any, path: str) -> bool:
    """Whether ``path`` can be set in ``doc``: its parent exists (events by id) and is a mapping.

    The last key may be absent: it then names a default (``events.listing.license_rate``),
    checked like any value when it is set.
    """
    return walk(doc, path).parent is not None


_ABSENT = object()


def get_path(doc: Any, path: str, default: Any = None) -> Any:
    """The value written at ``path``, or ``default`` when it is absent or cannot be reached."""
    w = walk(doc, path)
    if w.parent is None:
        return default
    value = w.parent.get(w.key, _ABSENT)
    return default if value is _ABSENT else value
