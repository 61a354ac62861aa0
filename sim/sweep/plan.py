"""A sweep's definition, checked before any run starts.

:func:`make_plan` reads the scenario once, turns ``vary`` (``{path or parameter name: values}``,
values a list or a ``"lo:hi"`` range) into :class:`~sim.sweep.design.Factor` objects, and
checks every one: the path exists in the scenario, values lie within a named parameter's
``min``/``max``, and each listed value and both ends of each range give a valid scenario.
Dates are accepted wherever steps are (an event's ``at``, a named parameter over one, the
ends of a range, ``steps``): they become the step whose period holds them. With nothing to
vary, the plan is one point, the scenario as written (a Monte Carlo of replicates).
:func:`load_plan_file` reads a plan YAML (``chokepoint sweep plan.yaml``) with
:mod:`sim.scenario.yamlio` and validates it with pydantic, errors located ``FILE:LINE:COL``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
from sim.scenario.overrides import position
from sim.sweep.design import DESIGNS, Factor, check_design, make_design


class SweepError(ValueError):
    """A sweep cannot start or go on (bad ``--vary``, output folder, cluster address...)."""


VaryValues = Sequence[Any] | str


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

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates


MAX_RUNS = 10_000_000  # runs in one sweep (a sweep folder holds at most ~2,000 part files)


def make_plan(scenario: str | Path, vary: Mapping[str, VaryValues], *, design: str = "grid",
              samples: int = 8, replicates: int = 1, seed: int | None = None,
              steps: int | str | dt.date | None = None, every: int | None = None,
              baseline: bool = False, uncertainties: bool = False) -> Plan:
    """Read the scenario, build and check the factors, and lay out the design points.

    With ``uncertainties``, every parameter the scenario declares ``kind: uncertainty`` is
    varied too, over its ``min``–``max`` and drawn through its ``distribution`` (a parameter
    ``vary`` already names, by name or path, keeps what ``vary`` says).

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
    if not uncertainties:  # refused before reading the scenario
        problem = check_design(design, samples, len(vary))
        if problem:
            raise SweepError(problem)
    file = str(scenario)
    doc, positions, text = yamlio.load_file(scenario)
    base = validate_document(copy.deepcopy(doc), positions, file)
    if uncertainties:
        vary = {**vary, **uncertainty_ranges(base, vary, file)}
        problem = check_design(design, samples, len(vary))
        if problem:
            raise SweepError(problem)
    steps = horizon(steps, base)
    too_big = size_problem(base, steps)
    if too_big:
        raise SweepError(f"--steps: {too_big}")
    factors = [make_factor(key, values, doc, base) for key, values in vary.items()]
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
    plan.points = make_design(factors, design, samples, root)
    if plan.n_runs > MAX_RUNS:
        raise SweepError(f"{plan.n_runs:,} runs ({len(plan.points):,} points × {replicates} "
                         f"replicates): a sweep has at most {MAX_RUNS:,}")
    return plan


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
    if not param and not resolve_path(doc, path):
        names = ", ".join(scenario.parameters) or "none"
        raise SweepError(f"--vary {key}: no such path in the scenario, nor a named parameter "
                         f"(parameters: {names})")
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


def parse_vary(items: Sequence[str]) -> dict[str, VaryValues]:
    """``["a.b=1,2,3", "c=20:80"]`` → ``{"a.b": [1, 2, 3], "c": "20:80"}``."""
    out: dict[str, VaryValues] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SweepError(f"--vary {item!r}: expected PATH=V1,V2,... or PATH=LO:HI")
        if key in out:
            raise SweepError(f"--vary {key}: given twice")
        if "," not in text and text.count(":") == 1 and not _is_date(text):
            out[key] = text
            continue
        try:
            out[key] = [parse_value(v) for v in text.split(",")]
        except ScenarioError as exc:
            raise SweepError(f"--vary {item!r}: {exc.problems[0].message}") from None
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


PosInt = Annotated[int, Field(ge=1)]


class PlanFile(BaseModel):
    """A sweep declared in YAML (``chokepoint sweep plan.yaml``); paths are relative to it."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(description="the scenario file")
    vary: dict[str, list[Any] | str] = Field(
        default_factory=dict, description="path or parameter: list or 'LO:HI' (none: replicates)")
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


def load_plan_file(path: str | Path) -> PlanFile:
    """Read and validate a plan file; ``scenario`` and ``out`` become relative to the cwd."""
    file = str(path)
    doc, positions, _ = yamlio.load_file(path)
    try:
        plan = PlanFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, int | str) and p not in (
                "str", "list[any]"))
            line, col = position(positions, loc)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(loc[-1]), list(PlanFile.model_fields), 1)
                msg = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
            problems.append(Problem(line, col, ".".join(map(str, loc)), msg, file))
        raise ScenarioError(problems) from None
    for key, values in plan.vary.items():
        if isinstance(values, str) and ":" not in values:
            line, col = positions.get(("vary", key), (1, 1))
            raise ScenarioError([Problem(line, col, f"vary.{key}",
                                         "expected a list of values or 'LO:HI'", file)])
    base = Path(path).parent
    update = {"scenario": str(base / plan.scenario)}
    if plan.out is not None:
        update["out"] = str(base / plan.out)
    return plan.model_copy(update=update)
