"""Scenarios: YAML → validated, frozen objects; the only package that reads YAML.

* :mod:`~sim.scenario.yamlio` — the safe YAML reader, with the line and column of every node;
* :mod:`~sim.scenario.models` — format v1 as frozen pydantic models;
* :mod:`~sim.scenario.calendar` — steps ↔ dates;
* :mod:`~sim.scenario.overrides` — the one walker of dotted paths (``--set``, ``--vary``,
  ``parameters:``);
* :mod:`~sim.scenario.checks` — cross-references (names, moves, strategies, event ids);
* :mod:`~sim.scenario.load` — :func:`load_scenario`, every problem located in the file;
* :mod:`~sim.scenario.schema` and :mod:`~sim.scenario.docs` — the JSON schema and the
  scenario reference (docs/scenarios.md), generated from the models and the registries;
* :mod:`~sim.scenario.shipped` — the scenarios shipped with Chokepoint, by name.
"""

from sim.scenario.calendar import STEP_DAYS, date_of_step, step_of_date
from sim.scenario.load import load_scenario, source_hash, validate_document
from sim.scenario.models import (
    SCHEMA_ID,
    Event,
    ModelOptions,
    Parameter,
    Scenario,
    StrategySpec,
)
from sim.scenario.overrides import apply_overrides, get_path, parse_value, resolve_path

__all__ = ["SCHEMA_ID", "STEP_DAYS", "Event", "ModelOptions", "Parameter", "Scenario",
           "StrategySpec", "apply_overrides", "date_of_step", "get_path", "load_scenario",
           "parse_value", "resolve_path", "source_hash", "step_of_date", "validate_document"]
