"""Chokepoint's engine: scenarios, the trade model, moves, strategies, sweeps.

Imports neither Solara nor any web code.
"""

from sim.errors import MoveError, Problem, ScenarioError
from sim.model import TradeModel
from sim.moves import MOVES, MoveCall
from sim.scenario import Scenario, load_scenario
from sim.strategies import STRATEGIES

__all__ = ["MOVES", "STRATEGIES", "MoveCall", "MoveError", "Problem", "Scenario",
           "ScenarioError", "TradeModel", "load_scenario"]
