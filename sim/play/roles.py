"""What a role of a game may do, and what plays it when no human does (docs/extending.md, "Add
a move" and "Add a strategy"): the one place the play page, the classroom and a game's replay
file read a role's moves and its default strategy from."""

from __future__ import annotations

from sim.rules.strategies import STRATEGIES, Strategy
from sim.scenario import Scenario

OBSERVE = "observe"  # the role of a player who watches and makes no move

# what plays an actor whose scenario entry names no strategy (as the engine's agents do)
DEFAULT_STRATEGY = {"country": "scripted", "firm": "passive"}


def kind_of(scenario: Scenario, actor: str) -> str:
    """"country" or "firm"."""
    return "country" if actor in scenario.countries else "firm"


def role_moves(scenario: Scenario, role: str) -> list[str]:
    """Exactly the moves the role may make (none for an actor that is not a role)."""
    spec = scenario.roles.get(role)
    return list(spec.moves) if spec else []


def refusal(scenario: Scenario, role: str, move: str) -> str | None:
    """Why the role may not make ``move`` at all (None when its ``roles:`` entry lists it, or
    the actor has no entry)."""
    spec = scenario.roles.get(role)
    if spec is not None and move not in spec.moves:
        return f"{role} may not make {move!r} (allowed: {', '.join(spec.moves)})"
    return None


def strategy_of(scenario: Scenario, actor: str) -> Strategy:
    """A fresh instance of the actor's strategy: the scenario's, else the default."""
    spec = (scenario.countries.get(actor) or scenario.firms.get(actor))
    chosen = getattr(spec, "strategy", None)
    if chosen is None:
        return STRATEGIES[DEFAULT_STRATEGY[kind_of(scenario, actor)]]()
    return STRATEGIES[chosen.name](**chosen.values)
