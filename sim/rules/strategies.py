"""The registry of AI behaviours for actors nobody plays.

A strategy is a small class with typed parameters, a paragraph of documentation (its docstring)
and one decision method, ``decide(model, actor) -> list[MoveCall]``, called once per step in the
policy phase. The moves it returns go through :func:`sim.rules.moves.apply_move` like a player's.
Strategies keep only plain attributes (so they pickle and copy) and draw randomness only from
the model's generator.

Retaliation (Bown 2020; Reuters, May 2019: China's "unreliable entity list") is the same move
vocabulary made by the other government: it is lagged (``delay``) and targeted (it hits the
sender's supplier that sold most to the victim, or the sender's firm that sells most in the
victim's market).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.rules.moves import MoveCall
from sim.rules.params import Param, Registry, check_params

if TYPE_CHECKING:
    from sim.engine.model import LoggedMove, TradeModel


class Strategy:
    """Base class: parameters in ``self.params``; ``decide`` returns the moves to make."""

    name: ClassVar[str]
    actors: ClassVar[tuple[str, ...]]  # "government", "firm"
    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, **values: Any):
        self.values, problems = check_params(self.params, values)
        if problems:
            raise ValueError("; ".join(f"{k}: {m}" for k, m in problems.items()))

    @classmethod
    def doc(cls) -> str:
        """The paragraph players and analysts read."""
        return inspect.cleandoc(cls.__doc__ or "")

    def decide(self, model: TradeModel, actor: int) -> list[MoveCall]:
        """Moves to make this step (none by default)."""
        return []


def _check_declaration(cls: type[Strategy]) -> str | None:
    if not cls.actors or not set(cls.actors) <= {"government", "firm"}:
        return f"actors {cls.actors!r} must be among government, firm"
    return None


STRATEGIES: Registry[type[Strategy]] = Registry("strategy", _check_declaration)


@STRATEGIES.register
class Scripted(Strategy):
    """Makes no moves of its own: only the scenario's timeline acts for this actor."""

    name = "scripted"
    actors = ("government", "firm")


@STRATEGIES.register
class Passive(Strategy):
    """A firm that keeps its normal stock cover and never changes suppliers by itself."""

    name = "passive"
    actors = ("firm",)


@STRATEGIES.register
class StockpileOnRisk(Strategy):
    """A firm that stockpiles when it fears a listing.

    While its perceived risk of being listed exceeds `threshold`, the firm targets `cover`
    steps of use instead of its normal cover (Huawei from 2018, Hikvision in 2019); when the risk
    falls back, it returns to its normal cover.
    """

    name = "stockpile_on_risk"
    actors = ("firm",)
    params = (
        Param("threshold", "float", 0.3, "perceived risk above which it stockpiles", 0.0, 1.0),
        Param("cover", "float", 26.0, "target stock while stockpiling, in steps of use", 0.0, 520),
    )

    def __init__(self, **values: Any):
        super().__init__(**values)
        self.active = False

    def decide(self, model, actor):
        risky = model.policy.risk[actor] > self.values["threshold"]
        if risky == self.active:
            return []
        self.active = risky
        cover = self.values["cover"] if risky else float(model.world.cover[actor])
        name = model.world.firms[actor]
        return [MoveCall(name, "stockpile", None, {"cover": cover}, source="strategy")]


@STRATEGIES.register
class TitForTat(Strategy):
    """A government that answers each hostile move against it in kind, after `delay` steps.

    A listing or an export control is answered by a procurement ban of `share` on the
    sender's supplier that sold most to the victim's firms; a procurement ban by a ban on the
    sender's firm that sells most in the victim's market (or, when it has none there, on its
    top supplier); a tariff by the same tariff. When there is nothing to ban, it answers with a
    25% tariff on the sender's goods. With
    `probability` below 1 some moves go unanswered (drawn from the model's generator).
    """

    name = "tit_for_tat"
    actors = ("government",)
    params = (
        Param("delay", "int", 4, "steps between the hostile move and the answer", 0, 520),
        Param("probability", "float", 1.0, "chance of answering a hostile move", 0.0, 1.0),
        Param("share", "float", 0.5, "share of orders or market closed in answer", 0.0, 1.0),
    )

    def __init__(self, **values: Any):
        super().__init__(**values)
        self.seen = 0  # moves of model.log already considered
        self.queue: list[tuple[int, int]] = []  # (due step, index into model.log)

    def decide(self, model, actor):
        log = model.log
        for i in range(self.seen, len(log)):
            entry = log[i]
            if (entry.hostile and actor in entry.victims and entry.actor_country != actor
                    and entry.actor_country is not None
                    and model.rng.random() < self.values["probability"]):
                self.queue.append((entry.step + self.values["delay"], i))
        self.seen = len(log)
        due = [i for step, i in self.queue if step <= model.step_index]
        self.queue = [(s, i) for s, i in self.queue if s > model.step_index]
        calls = [self.answer(model, actor, log[i]) for i in due]
        return [c for c in calls if c is not None]

    def intensity(self, model: TradeModel, actor: int, entry: LoggedMove) -> float:
        """Share of orders or market closed in answer to ``entry``."""
        return self.values["share"]

    def answer(self, model: TradeModel, actor: int, entry: LoggedMove) -> MoveCall | None:
        """The move that answers ``entry`` in kind, or None if there is nothing to hit."""
        w, sender = model.world, entry.actor_country
        if sender is None:  # only governments' moves are answered
            return None
        me, them = w.countries[actor], w.countries[sender]
        if entry.call.move == "tariff":
            rate = entry.params["rate"]
            return MoveCall(me, "tariff", them, {"rate": rate}, source="strategy")
        share = float(np.clip(self.intensity(model, actor, entry), 0.0, 1.0))
        if entry.call.move == "procurement_ban":
            sales = model.state.markets.sales_by_region[:, w.country_region[actor]]
            mask = w.firm_country == sender
            if mask.any() and sales[mask].max() > 0:
                f = int(np.flatnonzero(mask)[np.argmax(sales[mask])])
                return MoveCall(me, "procurement_ban", w.firms[f], {"share": share},
                                source="strategy")
        s = model.links.top_supplier(sender, w.firm_country == actor,
                                     model.state.pipeline.shipped)
        if s is not None:
            return MoveCall(me, "procurement_ban", w.suppliers[s], {"share": share},
                            source="strategy")
        return MoveCall(me, "tariff", them, {"rate": 0.25}, source="strategy")


@STRATEGIES.register
class Proportional(TitForTat):
    """Answers in kind like `tit_for_tat`, but in proportion to the harm done.

    The share closed is `scale` times the victim's exposure to the sender: the share of the hit
    firms' purchases that came from the sender's suppliers (a listing of a firm that buys 80% of
    its chips from the sender is answered with a ban of 80%).
    """

    name = "proportional"
    params = (
        Param("delay", "int", 4, "steps between the hostile move and the answer", 0, 520),
        Param("probability", "float", 1.0, "chance of answering a hostile move", 0.0, 1.0),
        Param("scale", "float", 1.0, "answer per unit of harm", 0.0, 10.0),
    )

    def intensity(self, model, actor, entry):
        w = model.world
        victims = w.firm_country == actor
        if entry.target_kind == "firm":
            victims = np.zeros_like(victims)
            victims[w.index[entry.call.target][1]] = True
        exposure = model.state.firms.exposure[victims, entry.actor_country]
        harm = float(exposure.max()) if exposure.size else 0.0
        return self.values["scale"] * harm


@STRATEGIES.register
class Lagged(TitForTat):
    """Answers in kind like `tit_for_tat`, but late and not always.

    A slower, less certain retaliator: by default it answers half the hostile moves, a quarter
    after them — the pattern of China's 2019 answers to US listings.
    """

    name = "lagged"
    params = (
        Param("delay", "int", 13, "steps between the hostile move and the answer", 0, 520),
        Param("probability", "float", 0.5, "chance of answering a hostile move", 0.0, 1.0),
        Param("share", "float", 0.5, "share of orders or market closed in answer", 0.0, 1.0),
    )
