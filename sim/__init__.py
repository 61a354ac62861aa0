"""Chokepoint's engine: scenarios, the trade model, moves, strategies, sweeps.

Imports neither Solara nor any web code. The names below are imported on first use, so
``import sim.scenario`` or ``import sim.sweep`` does not pay for Mesa (about 0.7 s): a sweep
starts its worker processes while the parent is still importing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.engine.model import TradeModel
    from sim.errors import MoveError, Problem, ScenarioError
    from sim.rules.moves import MOVES, MoveCall
    from sim.rules.strategies import STRATEGIES
    from sim.scenario import Scenario, load_scenario

_WHERE = {"MoveError": "sim.errors", "Problem": "sim.errors", "ScenarioError": "sim.errors",
          "TradeModel": "sim.engine.model", "MOVES": "sim.rules.moves",
          "MoveCall": "sim.rules.moves",
          "Scenario": "sim.scenario", "load_scenario": "sim.scenario",
          "STRATEGIES": "sim.rules.strategies"}

__all__ = ["MOVES", "STRATEGIES", "MoveCall", "MoveError", "Problem", "Scenario",
           "ScenarioError", "TradeModel", "load_scenario"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
