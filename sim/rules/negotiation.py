"""Strategies that bargain and learn: ``escalate_then_negotiate`` and ``fictitious_play``.

Both answer like the strategies of :mod:`sim.rules.responsive` (after ``delay``, with the
move that costs the sender's side most per unit of cost to its own) and lift an answer when its
cause is lifted. ``escalate_then_negotiate`` opens a conflict itself, escalates each answer,
and settles listings with fines (the ZTE settlement of 2018: fined, then delisted);
``fictitious_play`` (Brown 1951) keeps, for each other government, the counts of its hostile
and conciliatory moves towards it over the move vocabulary and answers only while those counts
make the next move more likely hostile than not. docs/scenarios.md ("Strategies") lists their
parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.rules.measures import harm
from sim.rules.moves import MoveCall
from sim.rules.params import Param
from sim.rules.responsive import Answering
from sim.rules.strategies import DELAY, STRATEGIES, best_answer

if TYPE_CHECKING:
    from sim.engine.model import LoggedMove, TradeModel

CONCILIATORY = ("delist", "general_license")
"""Moves that ease a listing of the mover's; a hostile move at no strength (a 0% tariff or ban,
a control licensing everything) eases too (:func:`_lifts`)."""


def rival_of(model: TradeModel, actor: int) -> int | None:
    """The foreign government whose firms bought most from ``actor``'s suppliers last period
    (its largest lever), else the one whose firms sold most in ``actor``'s region; None when
    it trades with nobody."""
    w, links, st = model.world, model.links, model.state
    G = len(w.countries)
    shipped = st.pipeline.shipped[:len(links)]
    mine = w.supplier_country[links.supplier] == actor
    bought = np.bincount(w.firm_country[links.firm][mine], shipped[mine], G)
    sold = np.bincount(w.firm_country, st.markets.sales_by_region[:, w.country_region[actor]], G)
    for flows in (bought, sold):
        flows[actor] = 0.0
        if flows.max() > 0:
            return int(np.argmax(flows))
    return None


@STRATEGIES.register
class EscalateThenNegotiate(Answering):
    """Opens a conflict, escalates each answer, then settles.

    At the start of turn `opening` (if nobody has hit it yet) it makes the move that costs its
    rival most per unit of cost to itself, closing `share` (its rival: the country whose firms
    buy most from its suppliers). It answers every hostile move that harms it after `delay` steps,
    each answer to the same country `escalation` times harder than the last (at most all).
    Then it negotiates: it lifts an answer once its cause is lifted (lift when delisted), and a
    firm it has kept listed for `patience` steps is fined `fine` steps of its revenue, the
    listing lifted once the fine is paid (delist when fined); a firm it lists that someone
    fined on its behalf is delisted once that fine is paid.
    """

    name = "escalate_then_negotiate"
    params = (
        DELAY,
        Param("share", "float", 0.5, "share closed by the opening and the first answer",
              0.0, 1.0),
        Param("escalation", "float", 2.0, "factor applied to each further answer", 1.0, 10.0),
        Param("opening", "int", 1, "turn at whose start it opens (0: the first step)", 0,
              100_000),
        Param("patience", "int", 26, "steps a firm stays listed before it is offered a fine",
              1, 520),
        Param("fine", "float", 13.0, "the fine, in steps of the firm's revenue", 0.0, 520),
    )

    def __init__(self, **values: Any):
        super().__init__(**values)
        self.listed_at: dict[int, int] = {}  # firm -> step it was first seen listed by us

    def strength(self, harm, strikes):
        return float(min(1.0, self.values["share"] * self.values["escalation"] ** (strikes - 1)))

    def tariff_rate(self, rate, strikes):
        return float(min(10.0, rate * self.values["escalation"] ** (strikes - 1)))

    def decide(self, model, actor):
        calls = super().decide(model, actor)
        start = self.values["opening"] * model.spec.turn_steps
        if model.step_index == start and not (self.strikes or self.queue):
            calls += self.open(model, actor)
        return calls + self.settle(model, actor)

    def open(self, model: TradeModel, actor: int) -> list[MoveCall]:
        """The opening move against the rival (none when it has no rival)."""
        rival = rival_of(model, actor)
        if rival is None:
            return []
        w, share = model.world, self.values["share"]
        call = best_answer(model, actor, rival, share)
        return [call or MoveCall(w.countries[actor], "tariff", w.countries[rival],
                                 {"rate": share}, source="strategy")]

    def settle(self, model: TradeModel, actor: int) -> list[MoveCall]:
        """Fine the firms listed for `patience` steps; delist those whose fine is paid."""
        w, pol, now = model.world, model.policy, model.step_index
        me, calls = w.countries[actor], []
        listed = np.flatnonzero(pol.listed[actor])
        self.listed_at = {f: t for f, t in self.listed_at.items() if f in set(listed.tolist())}
        for f in listed.tolist():
            since = self.listed_at.setdefault(f, now)
            firm = w.firms[f]
            fined = any(e.call.move == "fine" and e.call.target == firm and e.step >= since
                        and e.call.actor == me for e in model.log)
            if fined and pol.fine_due[actor, f] <= 0 and not pol.fine_delist[actor, f]:
                calls.append(MoveCall(me, "delist", firm, {}, source="strategy"))
            elif (not fined and now - since >= self.values["patience"]
                  and not model.state.finance.out[f]):
                amount = float(self.values["fine"] * model.state.markets.revenue[f])
                calls.append(MoveCall(me, "fine", firm, {"amount": amount, "delist": True},
                                      source="strategy"))
        return calls


@STRATEGIES.register
class FictitiousPlay(Answering):
    """Learns from the other side's past moves which answer pays.

    For each other government it counts the moves it made towards this country over the move
    vocabulary: hostile ones that harmed it, and conciliatory ones (a delisting, a licence, a
    lifted tariff, ban or control), starting from `prior` conciliatory ones. Its belief that the
    next move is hostile is the hostile share of those counts (fictitious play: the empirical
    frequency). While the belief is at least `threshold` it answers each hostile move after
    `delay` steps, closing the belief times `scale`; once the belief falls below it, it lifts
    its answers to that country (answering a country that has turned conciliatory costs more
    than it deters).
    """

    name = "fictitious_play"
    params = (
        DELAY,
        Param("threshold", "float", 0.5, "belief in a hostile next move above which it "
                                         "answers", 0.0, 1.0),
        Param("prior", "float", 1.0, "conciliatory moves assumed before any is seen", 0.0,
              100.0),
        Param("scale", "float", 1.0, "share closed per unit of belief", 0.0, 10.0),
    )

    def __init__(self, **values: Any):
        super().__init__(**values)
        self.counts: dict[int, list[float]] = {}  # sender -> [hostile, conciliatory]
        self.sender = -1  # the sender of the answer being chosen

    def belief(self, sender: int) -> float:
        """The empirical chance that ``sender``'s next move towards it is hostile."""
        hostile, kind = self.counts.get(sender, [0.0, 0.0])
        total = hostile + kind + self.values["prior"]
        return hostile / total if total > 0 else 0.0

    def learn(self, model, actor, entry):
        sender = entry.actor_country
        if sender is None or sender == actor or actor not in entry.victims:
            return
        counts = self.counts.setdefault(sender, [0.0, 0.0])
        if entry.hostile and harm(model, actor, entry) > 0:
            counts[0] += 1
        elif entry.call.move in CONCILIATORY or _lifts(entry):
            counts[1] += 1

    def take(self, model, actor, entry):
        return self.belief(entry.actor_country or 0) >= self.values["threshold"]

    def strength(self, harm, strikes):
        return float(min(1.0, self.values["scale"] * self.belief(self.sender)))

    def tariff_rate(self, rate, strikes):
        return float(min(10.0, rate * self.values["scale"] * self.belief(self.sender)))

    def choose(self, model, actor, entry, h, strikes):
        self.sender = entry.actor_country if entry.actor_country is not None else -1
        if self.belief(self.sender) < self.values["threshold"]:  # it has turned since
            return None
        return super().choose(model, actor, entry, h, strikes)

    def revise(self, model, actor):
        super().revise(model, actor)
        self.answers = [a for a in self.answers
                        if self.belief(a.sender) >= self.values["threshold"]]


def _lifts(entry: LoggedMove) -> bool:
    """A hostile move made at no strength: a 0% tariff or ban, a control licensing all."""
    p = entry.params
    return (entry.call.move in ("tariff", "procurement_ban") and p.get("rate", p.get("share"))
            == 0) or (entry.call.move == "export_control" and p.get("license_rate") == 1)
