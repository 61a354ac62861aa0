"""Loading a scenario: YAML → overrides → structure (pydantic) → cross-references.

:func:`load_scenario` reads a file (through :mod:`sim.scenario.yamlio`, the only YAML reader),
applies ``--set`` overrides, validates the structure with pydantic and the cross-references with
:mod:`sim.scenario.checks`, and reports every problem of the file at once as
``FILE:LINE:COL: key.path: message``. The model never reads files: it takes a
:class:`~sim.scenario.models.Scenario`.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario import yamlio
from sim.scenario.models import Scenario
from sim.scenario.overrides import apply_overrides, display_loc, position

MAX_CELLS = 150_000_000
"""The most values one run from a file may record (steps × entities × metrics): about 1.2 GB
of series, enough for the 10,000-firm worlds of benchmarks/engine.py; a larger scenario (or
``--steps``) is refused before it runs."""
MAX_UPLOAD_CELLS = 5_000_000
"""The most for a scenario given as text (pasted or uploaded into a page, a classroom game):
about 40 MB a browser session, so that many sessions fit one server."""

_TAG = re.compile(r"^[\w-]+\[.*\]$|^(constrained|function)-[\w-]+$"
                  r"|^(int|date|float|str|bool|none|Ramp|StrategySpec)$")


def _document_loc(doc: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic's location with the names of union branches and constrained types removed:
    only the parts that lead through the document (and a last, missing key) remain."""
    out: list[Any] = []
    node = doc
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif i < len(loc) - 1 or (isinstance(part, str) and _TAG.match(part)) \
                or part == "[key]":
            continue
        out.append(part)
    return tuple(out)


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` (for 'did you mean' suggestions)."""
    ann: Any = Scenario
    for part in loc:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(part) or next(
                (f for f in ann.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            ann = field.annotation
        elif get_origin(ann) in (dict, list):
            ann = get_args(ann)[-1]
        while get_origin(ann) is not None and get_origin(ann) not in (dict, list):
            args = [a for a in get_args(ann) if a is not type(None)]
            ann = args[0] if args else ann
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [f.alias or n for n, f in ann.model_fields.items()]
    return []


def pydantic_problems(exc: ValidationError, doc: Any, positions: yamlio.Positions,
                      file: str) -> list[Problem]:
    """Every problem pydantic found in ``doc``, each located in the file (one per place)."""
    messages: dict[tuple[Any, ...], list[str]] = {}  # one line per place, not per union branch
    for err in exc.errors():
        # pydantic names the branches of a union (`at: int | date`) in the location
        loc = _document_loc(doc, err["loc"])
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            msg = "unknown key"
            close = difflib.get_close_matches(str(loc[-1]), _field_names(loc[:-1]), n=1)
            if close:
                msg += f"; did you mean {close[0]!r}?"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "too_short":
            msg = "must not be empty"
        seen = messages.setdefault(loc, [])
        if msg not in seen:
            seen.append(msg)
    problems = []
    for loc, msgs in messages.items():
        text = msgs[0] + "".join("; or " + m.removeprefix("Input should be ") for m in msgs[1:])
        problems.append(Problem(*position(positions, loc), display_loc(loc), text, file))
    return problems



def validate_document(doc: Any, positions: yamlio.Positions, file: str,
                      max_cells: int = MAX_CELLS) -> Scenario:
    """Validate a parsed document; raise ScenarioError listing every problem (a run larger
    than ``max_cells`` recorded values among them)."""
    from sim.scenario.checks import check_references

    if not isinstance(doc, dict):
        raise ScenarioError([Problem(1, 1, "", "a scenario is a mapping of keys", file)])
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        problems += pydantic_problems(exc, doc, positions, file)
    for loc, msg in check_references(doc):
        line, col = position(positions, loc)
        problems.append(Problem(line, col, display_loc(loc), msg, file))
    if scenario is not None and not problems:
        size = size_problem(scenario, max_cells=max_cells)
        if size:
            problems.append(Problem(*position(positions, ("steps",)), "steps", size, file))
    if problems or scenario is None:
        raise ScenarioError(problems)
    # every check a run makes: the step-0 state is built (sim/engine/diagnose.py)
    from sim.engine.diagnose import world_problems

    errors, warnings = world_problems(scenario)
    located = [Problem(*position(positions, loc), display_loc(loc), msg, file)
               for loc, msg in errors]
    if located:
        raise ScenarioError(located)
    scenario._warnings = [Problem(*position(positions, loc), display_loc(loc), msg, file)
                          for loc, msg in warnings]
    return scenario


def size_problem(scenario: Scenario, steps: int | None = None,
                 max_cells: int = MAX_CELLS) -> str | None:
    """Why a run of ``steps`` steps (default: the scenario's) cannot be made, or None.

    A run records every metric of every entity at every step; above ``max_cells`` values
    (:data:`MAX_CELLS`, or :data:`MAX_UPLOAD_CELLS` for text from a page), or with a calendar
    that runs past the year 9999, it is refused before anything is built.
    """
    from sim.engine.metrics import GROUPS  # the metrics a run records, per entity

    steps = scenario.steps if steps is None else steps
    stocks = sum(len(f.bom) for f in scenario.firms.values())
    per_step = (len(scenario.firms) * len(GROUPS["firm"]) + stocks * len(GROUPS["stock"])
                + len(scenario.suppliers) * len(GROUPS["supplier"])
                + len(scenario.countries) * len(GROUPS["country"])
                + len(scenario.products) * len(scenario.regions) * len(GROUPS["market"]))
    if steps * per_step > max_cells:
        return (f"a run of {steps:,} steps would record {steps * per_step:,} values "
                f"({per_step:,} a step); the limit is {max_cells:,}: use fewer steps or "
                "entities")
    try:
        scenario.date_of(steps)
    except (OverflowError, ValueError):
        return f"a calendar of {steps:,} {scenario.calendar.step}s runs past the year 9999"
    return None


def load_scenario(source: str | Path, overrides: dict[str, Any] | None = None,
                  *, text: str | None = None) -> Scenario:
    """Load, override and validate a scenario.

    Args:
        source: a file path, or the name to report when ``text`` is given.
        overrides: ``{dotted.path: value}`` applied before validation (``--set``).
        text: the YAML text, when it does not come from a file (uploads); such a scenario is
            held to :data:`MAX_UPLOAD_CELLS`, a file to :data:`MAX_CELLS`.

    Raises:
        ScenarioError: with every problem, each located in the file.
    """
    file = str(source)
    from_file = text is None
    if text is None:
        doc, positions, text = yamlio.load_file(source)
    else:
        doc, positions = yamlio.load_text(text, file)
    if overrides:
        doc = copy.deepcopy(doc)
        apply_overrides(doc, positions, overrides, file)
    scenario = validate_document(doc, positions, file,
                                 max_cells=MAX_CELLS if from_file else MAX_UPLOAD_CELLS)
    scenario._text = text
    return scenario


def source_hash(text: str) -> str:
    """SHA-256 of a scenario's text, for manifests."""
    return hashlib.sha256(text.encode()).hexdigest()
