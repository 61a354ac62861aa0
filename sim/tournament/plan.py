"""A tournament's definition, checked before any run: roles, strategies, profiles, runs.

A **profile** gives each role one strategy of the registry (every combination is played). The
role's country plays it instead of its scenario strategy; the scenario's timeline happens in
every profile (it is the opening; the strategies decide everything else). Each role also gets a
**reference** point: the same scenario with that role doing nothing (its timeline events do not
happen, it has no strategy; everyone else as in the scenario), the do-nothing reference the
game scores a player against. Runs are points × seeds; seed ``r`` is the same in every point
(common random numbers: :func:`sim.sweep.seeds.run_seed` with point 0), so a payoff is a
paired difference, exactly 0 for a role that does nothing.
"""

from __future__ import annotations

import copy
import difflib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.rules.strategies import STRATEGIES
from sim.scenario import Scenario, validate_document, yamlio
from sim.scenario.overrides import join_path
from sim.sweep.plan import MAX_RUNS, SweepError, horizon
from sim.sweep.seeds import run_seed

IDLE = "(nothing)"
"""A role's label in its reference point: it makes no move."""


class TournamentError(SweepError):
    """A tournament cannot start (bad roles, strategies, counts or output folder)."""


@dataclass
class Tournament:
    """A checked tournament: the scenario, roles, strategies and the points to run."""

    file: str
    text: str
    doc: Any
    positions: yamlio.Positions
    scenario: Scenario
    roles: tuple[str, ...]
    strategies: tuple[str, ...]
    seeds: int
    seed: int
    steps: int | None
    points: list[dict[str, Any]] = field(default_factory=list)  # overrides, by point
    labels: list[dict[str, str]] = field(default_factory=list)  # role -> strategy, by point

    @property
    def profiles(self) -> int:
        """How many profiles (the first points; the references follow)."""
        return len(self.strategies) ** len(self.roles)

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.seeds

    def seed_of(self, replicate: int) -> int:
        """The seed of replicate ``replicate``, the same in every point."""
        return run_seed(self.seed, 0, replicate)

    def identity(self) -> dict[str, Any]:
        """What must match for a folder to be resumed."""
        return {"roles": list(self.roles), "strategies": list(self.strategies),
                "seeds": self.seeds}


def government_strategies() -> list[str]:
    """The registry's strategies a government can play, in registry order."""
    return [name for name, cls in STRATEGIES.items() if "government" in cls.actors]


def _suggest(kind: str, option: str, name: str, known: Sequence[str]) -> str:
    close = (difflib.get_close_matches(name, list(known), n=1)
             or [k for k in known if name and name.lower() in k.lower()][:1])
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
    return f"{option}: unknown {kind} {name!r}; {hint}"


def parse_names(text: str | Sequence[str]) -> list[str]:
    """``"A,B"`` (or a list of such) as names, blanks dropped."""
    items = [text] if isinstance(text, str) else list(text)
    return [n.strip() for item in items for n in item.split(",") if n.strip()]


def check_roles(roles: Sequence[str], scenario: Scenario) -> tuple[str, ...]:
    """The roles, each a country of the scenario, none twice."""
    if not roles:
        raise TournamentError("--roles: name at least one country, e.g. --roles US,CN")
    countries = list(scenario.countries)
    for r in roles:
        if r not in countries:
            firm = " (a firm: tournaments are between governments)" if (
                r in scenario.firms) else ""
            raise TournamentError(_suggest("role", "--roles", r, countries) + firm)
    if len(set(roles)) < len(roles):
        raise TournamentError("--roles: a role is named twice")
    return tuple(roles)


def check_strategies(names: Sequence[str]) -> tuple[str, ...]:
    """The strategies (``all``: every government strategy of the registry), none twice."""
    known = government_strategies()
    if list(names) == ["all"]:
        return tuple(known)
    if not names:
        raise TournamentError("--strategies: name at least one, or `all`")
    for n in names:
        if n not in STRATEGIES:
            raise TournamentError(_suggest("strategy", "--strategies", n, known))
        if n not in known:
            raise TournamentError(f"--strategies: {n!r} is a firm's strategy, not a "
                                  f"government's (known: {', '.join(known)})")
    if len(set(names)) < len(names):
        raise TournamentError("--strategies: a strategy is named twice")
    return tuple(names)


def make_tournament(scenario: str | Path, roles: Sequence[str], strategies: Sequence[str],
                    seeds: int, seed: int | None = None,
                    steps: int | str | None = None) -> Tournament:
    """Read the scenario, check the roles and strategies, and lay out the points.

    Raises:
        ScenarioError: the scenario is invalid (located in the file).
        TournamentError: any other bad input.
    """
    if seeds < 1:
        raise TournamentError("--seeds must be at least 1")
    file = str(scenario)
    doc, positions, text = yamlio.load_file(scenario)
    base = validate_document(copy.deepcopy(doc), positions, file)
    t = Tournament(file, text, doc, positions, base, check_roles(roles, base),
                   check_strategies(strategies), seeds, base.seed if seed is None else seed,
                   horizon(steps, base))
    if t.seed < 0:
        raise TournamentError("--seed must be non-negative")
    for profile in itertools.product(t.strategies, repeat=len(t.roles)):
        t.points.append({join_path("countries", r, "strategy"): {"name": s}
                         for r, s in zip(t.roles, profile, strict=True)})
        t.labels.append(dict(zip(t.roles, profile, strict=True)))
    for r in t.roles:
        t.points.append(idle(doc, r))
        t.labels.append({x: IDLE if x == r else "(scenario)" for x in t.roles})
    if t.n_runs > MAX_RUNS:
        raise TournamentError(f"{t.n_runs:,} runs ({len(t.points):,} points × {seeds} seeds): "
                              f"at most {MAX_RUNS:,}")
    return t


def idle(doc: Any, role: str) -> dict[str, Any]:
    """Overrides that make ``role`` do nothing: no strategy of its own, and its timeline
    events happen with chance 0 (they stay in the document, so paths to them still hold)."""
    out: dict[str, Any] = {join_path("countries", role, "strategy"): {"name": "scripted"}}
    events = doc.get("events") or []
    if any(isinstance(e, dict) and e.get("by") == role for e in events):
        out["events"] = [dict(e, chance=0.0) if isinstance(e, dict) and e.get("by") == role
                         else e for e in events]
    return out
