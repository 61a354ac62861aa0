"""A sweep's definition, checked before any run starts.

:func:`make_plan` reads the scenario once, turns ``vary`` (``{path or parameter name: values}``,
values a list or a ``"lo:hi"`` range) into :class:`~sim.sweep.design.Factor` objects, and
checks every one: the path exists in the scenario, values lie within a named parameter's
``min``/``max``, and each listed value and both ends of each range give a valid scenario.
Dates are accepted wherever steps are (an event's ``at``, a named parameter over one, the
ends of a range, ``steps``): they become the step whose period holds them. With nothing to
vary, the plan is one point, the scenario as written (a Monte Carlo of replicates).
Levers (``levers``, or a varied parameter declared ``kind: lever``) are crossed with the design
of the other factors, so every lever setting meets the same scenarios. Events that the
horizon drops (``--steps`` below an event's step, or a varied date beyond it) are warned
about, never silently cut (:attr:`Plan.warnings`).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario import (
    Scenario,
    apply_overrides,
    get_path,
    parse_value,
    resolve_path,
    validate_document,
    yamlio,
)
from sim.scenario.load import size_problem
from sim.scenario.overrides import walk
from sim.sweep.design import DESIGNS, Factor, check_design, make_crossed, make_design
from sim.sweep.outcomes import Outcome
from sim.sweep.plan_checks import OutcomeSpec, plan_outcomes, truncation_warnings
from sim.sweep.seeds import run_seed
from sim.sweep.spec import SweepError, VaryValues


@dataclass
class Plan:
    """A checked sweep: the scenario (text and parsed document), factors and design points."""

    file: str
    text: str
    doc: Any
    positions: yamlio.Positions
    scenario: Scenario
    factors: list[Factor]
    design: str
    samples: int
    replicates: int
    seed: int
    steps: int | None
    every: int | None
    baseline: bool = False
    points: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    outcome_baseline: bool = False  # an outcome reads the no-policy world
    levers: list[str] = field(default_factory=list)  # factors that are levers (crossed)
    scenarios: int = 0  # with levers crossed: points of the other factors per lever setting
    warnings: list[str] = field(default_factory=list)  # e.g. events beyond the horizon

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates

    def run_seed(self, point: int, replicate: int) -> int:
        """A run's seed: keyed by (point, replicate), or with levers crossed by (scenario,
        replicate), so every lever setting meets a scenario on the same seeds (common random
        numbers: regret compares settings, not luck)."""
        return run_seed(self.seed, point % self.scenarios if self.scenarios else point,
                        replicate)


MAX_RUNS = 10_000_000  # runs in one sweep (a sweep folder holds at most ~2,000 part files)


def make_plan(scenario: str | Path, vary: Mapping[str, VaryValues], *, design: str = "grid",
              samples: int = 8, replicates: int = 1, seed: int | None = None,
              steps: int | str | dt.date | None = None, every: int | None = None,
              baseline: bool = False, uncertainties: bool = False,
              levers: Mapping[str, VaryValues] | None = None,
              outcomes: Mapping[str, OutcomeSpec] | None = None) -> Plan:
    """Read the scenario, build and check the factors, and lay out the design points.

    With ``uncertainties``, every parameter the scenario declares ``kind: uncertainty`` is
    varied too, over its ``min``–``max`` and drawn through its ``distribution`` (a parameter
    ``vary`` already names, by name or path, keeps what ``vary`` says). ``levers`` (and
    ``vary`` keys of ``kind: lever`` parameters) are crossed with the design of the other
    factors. ``outcomes`` (``{name: expression or spec}``) add to those the scenario declares.

    Raises:
        ScenarioError: the scenario, or a value put into it, is invalid (located in the file).
        SweepError: any other bad input (unknown path, value out of range, bad counts).
    """
    if design not in DESIGNS:
        raise SweepError(f"--design {design!r}: choose from {', '.join(DESIGNS)}")
    for name, value in (("--samples", samples), ("--replicates", replicates)):
        if value < 1:
            raise SweepError(f"{name} must be at least 1")
        if value > MAX_RUNS:
            raise SweepError(f"{name} {value}: at most {MAX_RUNS:,}")
    if every is not None and every < 1:
        raise SweepError("--every must be at least 1")
    levers = dict(levers or {})
    twice = sorted(set(levers) & set(vary))
    if twice:
        raise SweepError(f"{twice[0]}: both a lever and a --vary")
    if not uncertainties:  # refused before reading the scenario
        problem = check_design(design, samples, len(vary) + len(levers))
        if problem:
            raise SweepError(problem)
    file = str(scenario)
    doc, positions, text = yamlio.load_file(scenario)
    base = validate_document(copy.deepcopy(doc), positions, file)
    if uncertainties:
        vary = {**vary, **uncertainty_ranges(base, {**vary, **levers}, file)}
        problem = check_design(design, samples, len(vary) + len(levers))
        if problem:
            raise SweepError(problem)
    steps = horizon(steps, base)
    too_big = size_problem(base, steps)
    if too_big:
        raise SweepError(f"--steps: {too_big}")
    factors = [make_factor(key, values, doc, base) for key, values in {**levers,
                                                                        **vary}.items()]
    paths = [f.path for f in factors]
    if len(set(paths)) < len(paths):
        raise SweepError("the same path is varied twice")
    for f in factors:
        check_factor(f, doc, positions, file)
    root = base.seed if seed is None else seed
    if root < 0:
        raise SweepError("--seed must be non-negative")
    plan = Plan(file, text, doc, positions, base, factors, design, samples, replicates, root,
                steps, every, baseline)
    plan.outcomes, plan.outcome_baseline = plan_outcomes(plan, outcomes or {})
    plan.levers = [f.name for f in factors if f.name in levers or _kind(f, base) == "lever"]
    plan.points = _points(plan)
    plan.warnings = truncation_warnings(plan)
    if plan.n_runs > MAX_RUNS:
        raise SweepError(f"{plan.n_runs:,} runs ({len(plan.points):,} points × {replicates} "
                         f"replicates): a sweep has at most {MAX_RUNS:,}")
    return plan


def _kind(factor: Factor, scenario: Scenario) -> str | None:
    """The ``kind:`` of the scenario parameter a factor varies (by name or path), if any."""
    param = scenario.parameters.get(factor.name) or next(
        (p for p in scenario.parameters.values() if p.path == factor.path), None)
    return param.kind if param else None


def _points(plan: Plan) -> list[dict[str, Any]]:
    """The design points: levers crossed with the other factors' design, or one design."""
    levers = [f for f in plan.factors if f.name in plan.levers]
    others = [f for f in plan.factors if f.name not in plan.levers]
    if not levers or not others:
        return make_design(plan.factors, plan.design, plan.samples, plan.seed)
    if plan.design not in ("grid", "lhs"):
        raise SweepError(f"--design {plan.design}: levers ({', '.join(plan.levers)}) are "
                         f"crossed with the other factors' design, which must be grid or lhs "
                         f"(or vary the levers alone)")
    points = make_crossed(levers, others, plan.design, plan.samples, plan.seed)
    plan.scenarios = len(make_design(others, plan.design, plan.samples, plan.seed))
    return points


def uncertainty_ranges(scenario: Scenario, vary: Mapping[str, VaryValues],
                       file: str) -> dict[str, str]:
    """``--uncertainties``: ``{name: "MIN:MAX"}`` for every ``kind: uncertainty`` parameter
    that ``vary`` does not already name (by name or path)."""
    declared = {n: p for n, p in scenario.parameters.items() if p.kind == "uncertainty"}
    if not declared:
        kinds = ", ".join(f"{n} ({p.kind or 'no kind'})" for n, p in scenario.parameters.items())
        raise SweepError(f"--uncertainties: {file} declares no parameter with kind: "
                         f"uncertainty (parameters: {kinds or 'none'})")
    return {n: f"{_number(p.min)}:{_number(p.max)}" for n, p in declared.items()
            if n not in vary and p.path not in vary}


def _number(value: float) -> str:
    """A bound as a range end: ``20.0`` → ``20`` (so a range over steps stays integer)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def horizon(steps: int | str | dt.date | None, scenario: Scenario) -> int | None:
    """``--steps``: a number of steps, or a date (the run ends with the step holding it)."""
    if isinstance(steps, str):
        value = _safe_value(steps)
        if not isinstance(value, int | dt.date) or isinstance(value, bool):
            raise SweepError(f"--steps {steps}: a number of steps or a date (2020-06-29)")
        steps = value
    if isinstance(steps, dt.date):
        last = scenario.step_of(steps)
        if last < 0:
            raise SweepError(f"--steps {steps}: before the scenario starts "
                             f"({scenario.calendar.start})")
        steps = last + 1
    if steps is not None and steps < 1:
        raise SweepError("--steps must be at least 1")
    return steps


def make_factor(key: str, values: VaryValues, doc: Any, scenario: Scenario) -> Factor:
    """A factor from ``--vary KEY=...``: KEY is a scenario parameter's name or a path.

    Dates on a step-valued path (an event's ``at``) become steps, so a factor is numeric
    and its range check and sensitivity work the same whichever was written.
    """
    param = scenario.parameters.get(key)
    path = param.path if param else key
    bare = "." not in key and not (isinstance(doc, dict) and key in doc)
    if not param and (bare or not resolve_path(doc, path)):
        names = ", ".join(scenario.parameters) or "none"
        close = difflib.get_close_matches(key, list(scenario.parameters), n=1)
        hint = (f"; did you mean {close[0]!r}?" if close else
                f" ({walk(doc, path).problem})" if "." in key else "")
        raise SweepError(f"--vary {key}: no such path in the scenario, nor a named parameter"
                         f"{hint} (parameters: {names})")
    steps = _integer_valued(doc, path)

    def step(v: Any) -> Any:
        return scenario.step_of(v) if steps and isinstance(v, dt.date) else v

    if isinstance(values, str):
        lo, hi = parse_range(key, values, step)
        integer = isinstance(lo, int) and isinstance(hi, int) and steps
        shaped = param or next((p for p in scenario.parameters.values() if p.path == path), None)
        factor = Factor(key, path, None, lo, hi, integer)
        if shaped:
            factor = dataclasses.replace(factor, distribution=shaped.distribution,
                                         mode=shaped.mode, sd=shaped.sd)
    else:
        if not values:
            raise SweepError(f"--vary {key}: no values")
        factor = Factor(key, path, tuple(step(v) for v in values))
    param = param or next((p for p in scenario.parameters.values() if p.path == path), None)
    if param:
        ends = factor.values if factor.values is not None else (factor.lo, factor.hi)
        for v in ends:
            if not isinstance(v, int | float) or isinstance(v, bool) or not (
                    param.min <= v <= param.max):
                raise SweepError(f"--vary {key}: {v!r} is outside the parameter's range "
                                 f"{param.min:g} to {param.max:g}")
    return factor


def parse_range(key: str, text: str,
                step: Any = None) -> tuple[int | float, int | float]:
    """``"20:80"`` → (20, 80); with ``step`` (dates → steps), ``"2019-06-03:2019-12-02"`` too."""
    lo_text, sep, hi_text = text.partition(":")
    try:
        lo, hi = parse_value(lo_text), parse_value(hi_text)
        if step is not None:
            lo, hi = step(lo), step(hi)
    except ScenarioError:
        lo = hi = None
    if not sep or not all(isinstance(v, int | float) and not isinstance(v, bool)
                          for v in (lo, hi)):
        raise SweepError(f"--vary {key}={text}: a range is LO:HI with two numbers")
    if lo > hi:
        raise SweepError(f"--vary {key}={text}: the range's low end is above its high end")
    return lo, hi


def parse_vary(items: Sequence[str], option: str = "--vary") -> dict[str, VaryValues]:
    """``["a.b=1,2,3", "c=20:80"]`` → ``{"a.b": [1, 2, 3], "c": "20:80"}``."""
    out: dict[str, VaryValues] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SweepError(f"{option} {item!r}: expected PATH=V1,V2,... or PATH=LO:HI")
        if key in out:
            raise SweepError(f"{option} {key}: given twice")
        if "," not in text and text.count(":") == 1 and not _is_date(text):
            out[key] = text
            continue
        try:
            out[key] = [parse_value(v) for v in text.split(",")]
        except ScenarioError as exc:
            raise SweepError(f"{option} {item!r}: {exc.problems[0].message}") from None
    return out


def check_factor(factor: Factor, doc: Any, positions: yamlio.Positions, file: str) -> None:
    """Put each listed value (or both ends of the range) into the scenario and validate it."""
    ends = factor.values if factor.values is not None else (factor.lo, factor.hi)
    unique: list[Any] = []  # values may be lists or maps (unhashable): compare, don't hash
    for value in ends:
        if value not in unique:
            unique.append(value)
    for value in unique:
        trial = copy.deepcopy(doc)
        try:
            apply_overrides(trial, positions, {factor.path: value}, file)
            validate_document(trial, positions, file)
        except ScenarioError as exc:
            raise ScenarioError([Problem(p.line, p.col, p.path,
                                         f"{p.message} (with --vary {factor.name}={value})",
                                         p.file) for p in exc.problems]) from None


def _integer_valued(doc: Any, path: str) -> bool:
    """Whether a range over ``path`` should stay integer: the value there is an int or a date
    (an event's ``at``, a step), or ``path`` is absent but names an event step."""
    node = get_path(doc, path)
    if node is None:
        return path.endswith(".at")
    return (isinstance(node, int) and not isinstance(node, bool)) or hasattr(node, "isoformat")


def _is_date(text: str) -> bool:
    return hasattr(_safe_value(text), "isoformat")


def _safe_value(text: str) -> Any:
    try:
        return parse_value(text)
    except ScenarioError:
        return None
