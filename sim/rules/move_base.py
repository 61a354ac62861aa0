"""The base class of policy moves, shared by the modules that declare them.

A move is a small class with its name, who may make it, what it targets, its typed parameters
and a paragraph for players (the class docstring). The moves themselves live in
:mod:`~sim.rules.listing_moves`, :mod:`~sim.rules.trade_moves` and
:mod:`~sim.rules.firm_moves`; :mod:`sim.rules.moves` registers them and applies them. This
module imports none of them, so they can import it without a cycle.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from sim.rules.params import Param

if TYPE_CHECKING:
    from sim.engine.model import TradeModel


class Move:
    """Base class of moves; subclasses set the class attributes and ``apply``."""

    name: ClassVar[str]
    actor: ClassVar[str]
    targets: ClassVar[tuple[str, ...]]
    target_optional: ClassVar[bool] = False
    params: ClassVar[tuple[Param, ...]] = ()
    hostile: ClassVar[bool] = False  # restricts another country's trade (escalation, retaliation)

    @classmethod
    def doc(cls) -> str:
        """The paragraph players read."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def apply(cls, model: TradeModel, actor: int, target: tuple[str, int] | None,
              params: dict[str, Any]) -> str:
        """Change the restriction state; return one sentence of news."""
        raise NotImplementedError

    @classmethod
    def feasible(cls, model: TradeModel, actor: int, target: tuple[str, int] | None,
                 params: dict[str, Any]) -> None:
        """Raise MoveError with the reason when the move cannot take effect in the current
        state (checked without changing it). :func:`~sim.rules.moves.apply_move` calls it
        before ``apply``, so ``apply`` may assume it passed."""


def pct(x: float) -> str:
    """A share as a whole percentage, for news sentences (0.25 -> "25%")."""
    return f"{100 * x:.0f}%"
