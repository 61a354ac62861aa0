"""Government, Firm and Supplier agents.

The agents are thin: their numbers live in the model's arrays (so a step is vectorised) and
their decisions are delegated to a strategy from :mod:`sim.rules.strategies`. An agent played by a
human has no strategy; its moves arrive through :meth:`sim.engine.model.TradeModel.submit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.rules.strategies import Strategy

if TYPE_CHECKING:
    from sim.engine.model import TradeModel


class Actor(mesa.Agent):
    """An agent with a name, an index into the model's arrays and (maybe) a strategy."""

    model: TradeModel

    def __init__(self, model: TradeModel, index: int, name: str, strategy: Strategy | None):
        super().__init__(model)
        self.index = index
        self.name = name
        self.strategy = strategy

    def act(self) -> None:
        """Let the strategy choose this step's moves and make them."""
        if self.strategy is not None:
            for call in self.strategy.decide(self.model, self.index):
                self.model.make_move(call)


class Government(Actor):
    """A country's government: makes policy moves; scored on its objectives."""

    @property
    def score(self) -> float:
        return float(self.model.state.governments.score[self.index])


class Firm(Actor):
    """A maker of a product from components bought from its qualified suppliers."""

    @property
    def output(self) -> float:
        return float(self.model.state.firms.output[self.index])

    @property
    def share_price(self) -> float:
        return float(self.model.state.finance.share_price[self.index])


class Supplier(mesa.Agent):
    """A component maker in one country; ships what its capacity allows, grows on demand."""

    model: TradeModel

    def __init__(self, model: TradeModel, index: int, name: str):
        super().__init__(model)
        self.index = index
        self.name = name

    @property
    def capacity(self) -> float:
        return float(self.model.state.suppliers.capacity[self.index])
