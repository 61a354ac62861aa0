"""Checks of a planned sweep that look at the scenario as a whole: its outcomes (the
scenario's, errors located ``FILE:LINE:COL``, and the given ones) and the events its horizon
drops (never cut silently: docs/sweeps.md, "Checking a sweep")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario
from sim.scenario.overrides import position, split_path
from sim.sweep.outcomes import Outcome, OutcomeError, check, make_outcome
from sim.sweep.spec import SweepError

if TYPE_CHECKING:
    from sim.sweep.plan import Plan

OutcomeSpec = str | Mapping[str, Any]


def truncation_warnings(plan: Plan) -> list[str]:
    """Events the runs' horizon drops: a fixed event at or after it, and how many design
    points move an event there."""
    last = (plan.steps or plan.scenario.steps) - 1
    out = dropped_events(plan.scenario, last + 1,
                         skip={split_path(f.path)[1] for f in plan.factors
                               if f.path.startswith("events.") and f.path.endswith(".at")})
    for f in plan.factors:
        if not (f.path.startswith("events.") and f.path.endswith(".at")):
            continue
        beyond = sum(plan.scenario.step_of(p[f.path]) > last for p in plan.points)
        if beyond:
            out.append(f"--vary {f.name}: {beyond} of {len(plan.points)} design points put "
                       f"event {split_path(f.path)[1]!r} after the runs' last step ({last}): "
                       f"those runs never see it")
    return out


def dropped_events(scenario: Scenario, steps: int,
                   skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """A warning per event of ``scenario`` at or after step ``steps`` (runs of that length
    never see it); events named in ``skip`` are left out."""
    out = []
    for e in scenario.events:
        at = scenario.step_of(e.at)
        if at >= steps and (e.id or "") not in skip:
            name = repr(e.id) if e.id else f"{e.move} by {e.by}"
            out.append(f"--steps {steps} drops event {name} (step {at}, "
                       f"{scenario.date_of(at)}): runs end at step {steps - 1}")
    return out


def plan_outcomes(plan: Plan, given: Mapping[str, OutcomeSpec]) -> tuple[list[Outcome], bool]:
    """The scenario's declared outcomes (errors located ``FILE:LINE:COL``) and the given ones
    (``--outcome``, a plan file's, Python's), checked; and whether any reads the baseline."""
    horizon_steps = plan.steps or plan.scenario.steps
    taken = {f.name for f in plan.factors}
    out: list[Outcome] = []
    reads = False
    declared = {n: o.model_dump(exclude_none=True) for n, o in plan.scenario.outcomes.items()}
    for source, specs in (("scenario", declared), ("given", given)):
        for name, spec in specs.items():
            spec = {"expr": spec} if isinstance(spec, str) else spec
            try:
                if name in taken:
                    raise OutcomeError(f"{name!r} is already a factor's or outcome's name")
                outcome = make_outcome(name, spec, plan.scenario)
                reads |= check(outcome, plan.scenario, horizon_steps)
            except OutcomeError as exc:
                if source == "given":
                    at = f" (column {exc.col})" if exc.col else ""
                    raise SweepError(f"--outcome {name}: {exc}{at}") from None
                raise _located(plan, name, exc) from None
            taken.add(name)
            out.append(outcome)
    return out, reads


def _located(plan: Plan, name: str, exc: OutcomeError) -> ScenarioError:
    """A declared outcome's problem at its place in the file (the column inside ``expr``)."""
    key = ("outcomes", name, "expr") if exc.col else ("outcomes", name)
    line, col = position(plan.positions, key)
    lines = plan.text.splitlines()
    if exc.col and 0 < line <= len(lines):  # positions are the key's: find its value
        text = lines[line - 1]
        colon = text.find(":", col - 1)
        start = len(text) - len(text[colon + 1:].lstrip()) if colon >= 0 else col - 1
        col = start + 1 + (text[start: start + 1] in ("'", '"')) + exc.col - 1
    return ScenarioError([Problem(line, col, ".".join(key), str(exc), plan.file)])
