"""Dotted paths into a scenario document (``--set``, ``--vary``, ``parameters:``).

One walker, :func:`walk`, finds a path's parent (events addressed by ``id``); setting a value,
checking that a path can be set and reading its current value all go through it.
"""

from __future__ import annotations

import difflib
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario import yamlio


def _display(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _position(positions: yamlio.Positions, loc: tuple[Any, ...]) -> tuple[int, int]:
    for n in range(len(loc), -1, -1):
        if loc[:n] in positions:
            return positions[loc[:n]]
    return (1, 1)



def parse_value(text: str) -> Any:
    """A ``--set``/``--vary`` value as YAML reads it (``3`` → 3, ``2019-10-07`` → a date)."""
    data, _ = yamlio.load_text(text, "<value>")
    return data


def set_path(doc: Any, path: str, value: Any, positions: yamlio.Positions,
             file: str) -> None:
    """Set ``path`` (dotted, events by id) in a parsed document; the parent must exist."""
    parts = path.split(".")
    node, loc = doc, ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = _position(positions, loc)
        if isinstance(node, list):  # events are addressed by id
            match = [j for j, e in enumerate(node) if isinstance(e, dict) and e.get("id") == part]
            if not match:
                ids = [e.get("id") for e in node if isinstance(e, dict) and e.get("id")]
                raise ScenarioError([Problem(*where, path, f"no event with id {part!r} "
                                             f"(ids: {', '.join(ids) or 'none'})", file)])
            if last:
                raise ScenarioError([Problem(*where, path, "cannot replace a whole event", file)])
            loc += (match[0],)
            node = node[match[0]]
            continue
        if not isinstance(node, dict):
            raise ScenarioError([Problem(*where, path, f"{_display(loc)!r} has no keys", file)])
        if last:
            node[part] = value
            return
        if part not in node:
            close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError([Problem(*where, path, f"unknown key {part!r}{hint}", file)])
        loc += (part,)
        node = node[part]


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
    node = doc
    for part in path.split(".")[:-1]:
        if isinstance(node, list):
            node = next((e for e in node if isinstance(e, dict) and e.get("id") == part), None)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return isinstance(node, dict)
