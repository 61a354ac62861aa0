"""The scenarios shipped with Chokepoint, by name: ``hikvision_2019``, ``tariff_war``, ...

They are kept in ``scenarios/`` at the top of the repository (the historical cases) and
``scenarios/classroom/`` (the one-period lessons), and installed as the package data
``sim/scenarios/`` (setup.py maps the folder into the package). This module is the one place
that knows where they are: in a checkout or an editable install they sit next to the ``sim``
package, in an installed wheel inside it. A name is a file's stem; names are unique across the
groups, so ``chokepoint run tariff_war`` needs no folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.scenario.load import load_scenario
from sim.scenario.models import Scenario

GROUPS = {"": "scenarios", "classroom": "classroom lessons"}
"""Each group's folder under the root ("": the root itself) and what it holds."""

_HERE = Path(__file__).resolve().parent
_INSTALLED = _HERE.parent / "scenarios"  # sim/scenarios/, in a wheel
_CHECKOUT = _HERE.parents[1] / "scenarios"  # scenarios/, next to sim/ in the repository


@dataclass(frozen=True)
class ShippedScenario:
    """One shipped scenario: its name, group and file, with the title and the playable roles
    read from the file."""

    name: str
    group: str
    path: Path
    title: str
    roles: tuple[str, ...]


def root() -> Path:
    """The folder of the shipped scenarios (the installed package data, else the checkout's)."""
    return _INSTALLED if _INSTALLED.is_dir() else _CHECKOUT


def folder(group: str = "") -> Path:
    """The folder of one group of :data:`GROUPS` (``"classroom"``: the lessons)."""
    if group not in GROUPS:
        raise KeyError(f"no group of shipped scenarios named {group!r}")
    return root() / group if group else root()


def paths(group: str = "") -> dict[str, Path]:
    """The files of one group, name → path, sorted by name."""
    return {p.stem: p for p in sorted(folder(group).glob("*.yaml"))}


def all_paths() -> dict[str, Path]:
    """Every shipped scenario, name → path, group by group."""
    return {name: path for group in GROUPS for name, path in paths(group).items()}


def find(name: str) -> Path | None:
    """The file of the shipped scenario ``name`` (None: there is none of that name)."""
    return all_paths().get(name)


def load(name: str) -> Scenario:
    """The shipped scenario ``name``, loaded and validated.

    Raises:
        KeyError: no shipped scenario has that name.
    """
    path = find(name)
    if path is None:
        raise KeyError(f"no shipped scenario named {name!r} (known: {', '.join(all_paths())})")
    return load_scenario(path)


def catalogue() -> list[ShippedScenario]:
    """Every shipped scenario with its title and roles, group by group (each file is loaded)."""
    out = []
    for group in GROUPS:
        for name, path in paths(group).items():
            sc = load_scenario(path)
            out.append(ShippedScenario(name, group, path, sc.name, tuple(sc.roles)))
    return out
