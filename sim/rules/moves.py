"""The registry of policy moves.

Every move a player, a strategy or a timeline event makes is a :class:`MoveCall` applied by
:func:`apply_move` — one code path whoever makes it. Each move is a small class
(:class:`~sim.rules.move_base.Move`) with its name, who may make it, what it targets, its typed
parameters and a paragraph for players (the class docstring); ``apply`` changes the model's
restriction state (:mod:`sim.engine.policy`) and returns one sentence of news. Moves never
touch flows directly: the phases of the step read the restriction state.

The moves are declared in :mod:`~sim.rules.listing_moves` (the entity list),
:mod:`~sim.rules.trade_moves` (tariffs, bans, export controls, subsidies) and
:mod:`~sim.rules.firm_moves` (firms' moves), and registered here in the order players and
``docs/scenarios.md`` list them; their names stay importable from this module.

Moves are idempotent where that makes sense (listing a listed firm updates its terms); a move
that cannot take effect in the current state (delisting a firm that is not listed) raises
:class:`~sim.errors.MoveError` with the reason, and the state is left unchanged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.errors import MoveError
from sim.rules.firm_moves import Qualify, Redesign, Stockpile, finish_redesigns
from sim.rules.listing_moves import Announce, Delist, EntityList, Fine, GeneralLicense
from sim.rules.move_base import Move
from sim.rules.params import Names, Registry, check_params
from sim.rules.trade_moves import ExportControl, ProcurementBan, Subsidize, Tariff

if TYPE_CHECKING:
    from sim.engine.model import TradeModel
    from sim.engine.world import World

ACTOR_KINDS = ("government", "firm")
TARGET_KINDS = ("firm", "supplier", "country", "component")


@dataclass(frozen=True)
class MoveCall:
    """A request to make a move: who, which move, on what, with which parameters."""

    actor: str
    move: str
    target: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "player"  # "event", "player" or "strategy"

    def text(self) -> str:
        """The move as a player reads it: "qualify HiSilicon {'lag': 8}"."""
        return f"{self.move.replace('_', ' ')} {self.target or ''} {self.params or ''}".strip()


def _check_declaration(cls: type[Move]) -> str | None:
    if cls.actor not in ACTOR_KINDS:
        return f"actor {cls.actor!r} is not one of {', '.join(ACTOR_KINDS)}"
    if not cls.targets or not set(cls.targets) <= set(TARGET_KINDS):
        return f"targets {cls.targets!r} are not among {', '.join(TARGET_KINDS)}"
    return None


MOVES: Registry[type[Move]] = Registry("move", _check_declaration)
# the registration order is the order forms and the generated docs list the moves in
for _move in (Announce, EntityList, Delist, GeneralLicense, Tariff, ProcurementBan,
              ExportControl, Subsidize, Stockpile, Qualify, Fine, Redesign):
    MOVES.register(_move)
del _move


def check_call(move: str, actor_kind: str, target_kind: str | None, params: dict[str, Any],
               names: Names | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check a move call against the registry, independent of the model's state.

    Args:
        move: the move's name.
        actor_kind: "government" or "firm".
        target_kind: the kind of the named target, or None when no target is given.
        params: the parameters given.
        names: known names by kind, for parameters that reference countries or products.

    Returns:
        (parameters with defaults filled in, [(key, problem), ...]) where key is "move",
        "by", "target" or a parameter name.
    """
    spec = MOVES.get(move)
    if spec is None:
        close = difflib.get_close_matches(move, list(MOVES), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(MOVES))}"
        return {}, [("move", f"unknown move {move!r}; {hint}")]
    problems: list[tuple[str, str]] = []
    if actor_kind != spec.actor:
        problems.append(("by", f"{move!r} is made by a {spec.actor}, not a {actor_kind}"))
    if target_kind is None:
        if not spec.target_optional:
            problems.append(("target", f"{move!r} needs a target ({' or '.join(spec.targets)})"))
    elif target_kind not in spec.targets:
        problems.append(("target", f"{move!r} targets a {' or '.join(spec.targets)}, "
                                   f"not a {target_kind}"))
    values, bad = check_params(spec.params, params, names)
    problems.extend(bad.items())
    return values, problems


@dataclass(frozen=True)
class CheckedMove:
    """A move call checked against the registry and the world: who, on what, with what."""

    actor_kind: str                   # "country" or "firm" (the world's kinds)
    actor: int                        # index of the actor among its kind
    target: tuple[str, int] | None    # (kind, index) of the target, if any
    params: dict[str, Any]            # the parameters with defaults filled in


def check_move(world: World, call: MoveCall) -> CheckedMove:
    """Check ``call`` against the registry and the world's names (not its current state).

    Raises:
        MoveError: unknown actor, target or move, a move this actor cannot make, a target of
            the wrong kind, or a bad parameter; all problems in one message.
    """
    actor = world.index.get(call.actor)
    if actor is None or actor[0] not in ("country", "firm"):
        raise MoveError(f"unknown actor {call.actor!r}")
    target = world.index.get(call.target) if call.target is not None else None
    if call.target is not None and target is None:
        raise MoveError(f"unknown target {call.target!r}")
    values, problems = check_call(call.move, "government" if actor[0] == "country" else "firm",
                                  target[0] if target else None, dict(call.params), world.names)
    if problems:
        raise MoveError("; ".join(f"{k}: {msg}" for k, msg in problems))
    return CheckedMove(actor[0], actor[1], target, values)


def feasibility(model: TradeModel, call: MoveCall) -> str | None:
    """Why ``call`` cannot take effect now against the model's current state (its target or
    parameters wrong, or the state refusing it: delisting a firm that is not listed), or None
    when it can. Changes nothing, so forms can offer only feasible targets."""
    try:
        checked = check_move(model.world, call)
        MOVES[call.move].feasible(model, checked.actor, checked.target, checked.params)
    except MoveError as exc:
        return str(exc)
    return None


def apply_move(model: TradeModel, call: MoveCall, checked: CheckedMove | None = None) -> str:
    """Validate ``call`` against the registry and the model's state, then apply it.

    Args:
        model: the model to change.
        call: the move.
        checked: ``check_move(model.world, call)`` if the caller has it already.

    Returns:
        The news sentence.

    Raises:
        MoveError: the move is unknown, not allowed, badly targeted or has a bad parameter, or
            cannot take effect now; nothing has changed.
    """
    checked = checked or check_move(model.world, call)
    spec = MOVES[call.move]
    spec.feasible(model, checked.actor, checked.target, checked.params)
    return spec.apply(model, checked.actor, checked.target, checked.params)


__all__ = [
    "ACTOR_KINDS", "MOVES", "TARGET_KINDS", "Announce", "CheckedMove", "Delist", "EntityList",
    "ExportControl", "Fine", "GeneralLicense", "Move", "MoveCall", "ProcurementBan", "Qualify",
    "Redesign", "Stockpile", "Subsidize", "Tariff", "apply_move", "check_call", "check_move",
    "feasibility", "finish_redesigns",
]
