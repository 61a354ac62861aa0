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
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario import yamlio
from sim.scenario.models import Scenario
from sim.scenario.overrides import _display, _position, apply_overrides

_UNION_TAGS = {"int", "date", "float", "str", "bool", "none", "Ramp", "StrategySpec", "[key]"}


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


def _pydantic_problems(exc: ValidationError, positions: yamlio.Positions,
                       file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        # pydantic names the branches of a union (`at: int | date`) in the location
        loc = tuple(p for p in err["loc"] if p not in _UNION_TAGS)
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            msg = "unknown key"
            close = difflib.get_close_matches(str(loc[-1]), _field_names(loc[:-1]), n=1)
            if close:
                msg += f"; did you mean {close[0]!r}?"
        elif kind == "missing":
            msg = "required key is missing"
        line, col = _position(positions, loc)
        problems.append(Problem(line, col, _display(loc), msg, file))
    return problems



def validate_document(doc: Any, positions: yamlio.Positions, file: str) -> Scenario:
    """Validate a parsed document; raise ScenarioError listing every problem."""
    from sim.scenario.checks import check_references

    if not isinstance(doc, dict):
        raise ScenarioError([Problem(1, 1, "", "a scenario is a mapping of keys", file)])
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, positions, file)
    for loc, msg in check_references(doc):
        line, col = _position(positions, loc)
        problems.append(Problem(line, col, _display(loc), msg, file))
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def load_scenario(source: str | Path, overrides: dict[str, Any] | None = None,
                  *, text: str | None = None) -> Scenario:
    """Load, override and validate a scenario.

    Args:
        source: a file path, or the name to report when ``text`` is given.
        overrides: ``{dotted.path: value}`` applied before validation (``--set``).
        text: the YAML text, when it does not come from a file (uploads).

    Raises:
        ScenarioError: with every problem, each located in the file.
    """
    file = str(source)
    if text is None:
        doc, positions, text = yamlio.load_file(source)
    else:
        doc, positions = yamlio.load_text(text, file)
    if overrides:
        doc = copy.deepcopy(doc)
        apply_overrides(doc, positions, overrides, file)
    scenario = validate_document(doc, positions, file)
    scenario._text = text
    return scenario


def source_hash(text: str) -> str:
    """SHA-256 of a scenario's text, for manifests."""
    return hashlib.sha256(text.encode()).hexdigest()
