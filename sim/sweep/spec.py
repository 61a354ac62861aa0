"""What a sweep is asked to do, before it is checked: :class:`SweepPlan`, and plan files.

A :class:`SweepPlan` is the one object :func:`sim.sweep.run_sweep` runs (the command line, a
plan file and Python all build one). A plan file (``chokepoint sweep plan.yaml``) is read with
:mod:`sim.scenario.yamlio` and validated with pydantic, errors located ``FILE:LINE:COL``;
paths in it are relative to the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario import yamlio
from sim.scenario.overrides import position

VaryValues = Sequence[Any] | str  # a list of values, or "LO:HI"


class SweepError(ValueError):
    """A sweep cannot start or go on (bad ``--vary``, output folder, cluster address...)."""


@dataclass
class SweepPlan:
    """A sweep, as asked for (checked by :func:`sim.sweep.plan.make_plan` when it runs).

    Attributes:
        scenario: the scenario YAML file.
        vary: ``{path or parameter name: [values] or "LO:HI"}``; empty: replicates of the
            scenario as written (Monte Carlo).
        levers: like ``vary``, for policy choices: each combination of their values (a list,
            or a range's 5 levels) is crossed with the design of the other factors, so every
            lever setting meets the same scenarios (robustness). A ``vary`` key whose
            parameter says ``kind: lever`` is a lever too.
        outcomes: ``{name: expression or {expr, window, direction, unit, threshold, label}}``
            (:mod:`sim.sweep.outcomes`), added to the scenario's ``outcomes:``.
        design: ``grid``, ``lhs``, ``sobol``, ``morris`` or ``fast``.
        samples: levels per range (grid), points (lhs), base samples (sobol), trajectories
            (morris), points per factor (fast).
        replicates: seeded runs per design point.
        seed: the root seed (default: the scenario's ``seed``).
        steps: horizon of each run, or the date of its last step (default: the scenario's).
        every: also write per-step series every ``every`` steps to ``steps/``.
        baseline: also run each run's no-policy world; summaries gain ``M.baseline`` and
            ``M.vs_baseline`` for every headline ``M``.
        uncertainties: also vary every ``kind: uncertainty`` parameter over its range.
        out: the output folder.
    """

    scenario: str | Path
    vary: Mapping[str, VaryValues] = field(default_factory=dict)
    levers: Mapping[str, VaryValues] = field(default_factory=dict)
    outcomes: Mapping[str, Any] = field(default_factory=dict)
    design: str = "grid"
    samples: int = 8
    replicates: int = 1
    seed: int | None = None
    steps: int | str | dt.date | None = None
    every: int | None = None
    baseline: bool = False
    uncertainties: bool = False
    out: str | Path | None = None

    def replace(self, **changes: Any) -> SweepPlan:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


PosInt = Annotated[int, Field(ge=1)]


class OutcomeEntry(BaseModel):
    """An outcome in a plan file (as a scenario's ``outcomes:`` entry)."""

    model_config = ConfigDict(extra="forbid")
    expr: str
    window: list[int | dt.date] | None = Field(None, min_length=2, max_length=2)
    direction: Literal["min", "max"] | None = None
    unit: str | None = None
    threshold: float | None = None
    label: str | None = None


class PlanFile(BaseModel):
    """A sweep declared in YAML (``chokepoint sweep plan.yaml``); paths are relative to it."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(description="the scenario file")
    vary: dict[str, list[Any] | str] = Field(
        default_factory=dict, description="path or parameter: list or 'LO:HI' (none: replicates)")
    levers: dict[str, list[Any] | str] = Field(
        default_factory=dict, description="policy choices, crossed with the other factors")
    outcomes: dict[str, str | OutcomeEntry] = Field(default_factory=dict)
    design: Literal["grid", "lhs", "sobol", "morris", "fast"] = "grid"
    samples: PosInt = 8
    replicates: PosInt = 1
    seed: Annotated[int, Field(ge=0)] | None = None
    steps: PosInt | dt.date | None = None
    every: PosInt | None = None
    baseline: bool = False
    uncertainties: bool = False
    out: str | None = None


def is_plan_file(path: str | Path) -> bool:
    """Whether a YAML file is a sweep plan (has ``scenario:`` and no ``schema:``)."""
    doc, _, _ = yamlio.load_file(path)
    return isinstance(doc, dict) and "scenario" in doc and "schema" not in doc


def load_plan_file(path: str | Path) -> SweepPlan:
    """Read and validate a plan file; ``scenario`` and ``out`` become relative to the cwd."""
    file = str(path)
    doc, positions, _ = yamlio.load_file(path)
    try:
        plan = PlanFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, int | str) and p not in (
                "str", "list[any]", "OutcomeEntry"))
            line, col = position(positions, loc)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(loc[-1]), list(PlanFile.model_fields), 1)
                msg = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
            problems.append(Problem(line, col, ".".join(map(str, loc)), msg, file))
        raise ScenarioError(problems) from None
    for section in ("vary", "levers"):
        for key, values in getattr(plan, section).items():
            if isinstance(values, str) and ":" not in values:
                line, col = positions.get((section, key), (1, 1))
                raise ScenarioError([Problem(line, col, f"{section}.{key}",
                                             "expected a list of values or 'LO:HI'", file)])
    base = Path(path).parent
    outcomes = {k: v if isinstance(v, str) else v.model_dump(exclude_none=True)
                for k, v in plan.outcomes.items()}
    fields = plan.model_dump(exclude={"scenario", "out", "outcomes"})
    return SweepPlan(scenario=str(base / plan.scenario), outcomes=outcomes,
                     out=str(base / plan.out) if plan.out is not None else None, **fields)
