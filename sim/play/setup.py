"""Choosing a game: which scenario, its parameters' current values, overrides from sliders.

Plain functions (no Solara): the page's setup panel calls them and shows their errors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import MOVES, STRATEGIES, Scenario, load_scenario
from sim.scenario import Parameter, StrategySpec
from sim.scenario.overrides import split_path

# The scenario `chokepoint play FILE` was started with: read-only configuration, not game state.
SCENARIO_ENV = "CHOKEPOINT_PLAY_SCENARIO"
MAX_SEED = 2**63 - 1  # the largest seed a game (and `chokepoint run --seed`) takes


def startup_scenario() -> str | None:
    """The path given to ``chokepoint play``, if any."""
    return os.environ.get(SCENARIO_ENV) or None


@dataclass(frozen=True)
class Slider:
    """A scenario parameter as a slider: its range, step, and the scenario's own value."""

    name: str
    label: str
    path: str
    min: float
    max: float
    value: float
    integer: bool


def parameter_sliders(scenario: Scenario) -> list[Slider]:
    """One slider per entry of the scenario's ``parameters:``."""
    out = []
    for name, p in scenario.parameters.items():
        value = current_value(scenario, p)
        integer = all(float(x).is_integer() for x in (p.min, p.max, value)) and p.max - p.min > 1
        value = min(max(value, p.min), p.max)
        out.append(Slider(name, p.label or name, p.path, p.min, p.max, value, integer))
    return out


def current_value(scenario: Scenario, p: Parameter) -> float:
    """The value ``p.path`` has in the scenario (an event's date as its step; a value left
    out as the registry's default); ``p.min`` when it cannot be read."""
    parts = split_path(p.path)
    if parts[0] == "events" and len(parts) == 3:
        event = next((e for e in scenario.events if e.id == parts[1]), None)
        if event is None:
            return p.min
        if parts[2] == "at":
            return float(scenario.step_of(event.at))
        value = event.values.get(parts[2])
        if value is None:
            spec = {q.name: q for q in MOVES[event.move].params}.get(parts[2])
            value = spec.default if spec else None
        return _number(value, p.min)
    node: Any = scenario
    for part in parts:
        if isinstance(node, StrategySpec):  # a strategy's parameter, perhaps left default
            value = node.values.get(part)
            if value is None:
                spec = {q.name: q for q in STRATEGIES[node.name].params}.get(part)
                value = spec.default if spec else None
            return _number(value, p.min)
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
    return _number(node, p.min)


def _number(value: Any, fallback: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return float(fallback)
    return float(value)


def overrides_from(sliders: list[Slider], values: dict[str, float]) -> dict[str, Any]:
    """``{path: value}`` for the sliders the player moved (untouched ones keep the file's
    exact value, dates included)."""
    out: dict[str, Any] = {}
    for s in sliders:
        v = values.get(s.name)
        if v is None or v == s.value:
            continue
        out[s.path] = int(round(v)) if s.integer else float(v)
    return out


def load_choice(source: str | Path, text: str | None, overrides: dict[str, Any]) -> Scenario:
    """Load the chosen scenario with the sliders' overrides.

    Raises:
        ScenarioError: every problem, as ``FILE:LINE:COL: path: message``.
    """
    return load_scenario(str(source), overrides or None, text=text)
