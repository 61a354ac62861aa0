"""The registry of AI behaviours for actors nobody plays.

A strategy is a small class with typed parameters, a paragraph of documentation (its docstring)
and one decision method, ``decide(model, actor) -> list[MoveCall]``, called once per step in the
policy phase. The moves it returns go through :func:`sim.rules.moves.apply_move` like a player's.
Strategies keep only plain attributes (so they pickle and copy) and draw randomness only from
the model's generator.

Retaliation (Bown 2020; Reuters, May 2019: China's "unreliable entity list") is the same move
vocabulary made by the other government: it is lagged (``delay``) and targeted: of the answers
open to it (export controls on inputs the sender's firms buy from its suppliers, listings of the
sender's firms that buy from them, procurement bans on the sender's firms selling in its market
or on the sender's suppliers selling to its firms) it picks the one that costs the sender most
per unit of cost to itself, each a change of its whole score (consumers included) estimated
from last period's flows (:func:`retaliation_cost`), and declines when every answer costs it
more than the sender, unless it answers as a deterrent.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.engine import market
from sim.engine import objectives as obj
from sim.engine.relations import RIVAL
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

# Parameters shared by the answering strategies (here and in sim.rules.responsive and
# sim.rules.negotiation); a strategy with another default declares ``replace(DELAY, default=13)``.
DELAY = Param("delay", "int", 4, "steps between the hostile move and the answer", 0, 520)
PROBABILITY = Param("probability", "float", 1.0, "chance of answering a hostile move", 0.0, 1.0)
SHARE = Param("share", "float", 0.5, "share of orders or market closed in answer", 0.0, 1.0)
SCALE = Param("scale", "float", 1.0, "answer per unit of harm", 0.0, 10.0)
DETERRENT = Param("deterrent", "bool", False, "answer even when every answer costs it more than "
                                              "it costs the sender (to deter)")


@STRATEGIES.register
class Scripted(Strategy):
    """Makes no moves of its own: only the scenario's timeline acts for this actor."""

    name = "scripted"
    actors = ("government", "firm")


@STRATEGIES.register
class Passive(Strategy):
    """A firm that keeps its normal stock cover and qualifies a new source only when its
    sources leave it short (docs/model.md, section 2)."""

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
    """A government that answers each hostile move against it, after `delay` steps.

    A tariff is answered by the same tariff. Any other hostile move is answered by the move
    that costs the sender most per unit of what it costs itself, each judged on last period's
    flows as a change of its whole score (its producers' profit, its buyers' surplus, its
    tariff revenue, its security and the answer's diplomatic cost): an export control of a
    component its suppliers sell to the sender's firms, a listing of a sender's firm that buys
    from its suppliers, a procurement ban of `share` on a sender's firm selling in its market
    or on a sender's supplier selling to its firms. When every answer costs it more than it
    costs the sender, it does not answer (the news says so), unless it is a `deterrent`: then
    it makes the least bad answer, or a 25% tariff on the sender's goods when it has none. With
    `probability` below 1 some moves go unanswered (drawn from the model's generator).
    """

    name = "tit_for_tat"
    actors = ("government",)
    params = (
        DELAY,
        PROBABILITY,
        SHARE,
        DETERRENT,
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
                    and self._answers(model)):
                self.queue.append((entry.step + self.values["delay"], i))
        self.seen = len(log)
        due = [i for step, i in self.queue if step <= model.step_index]
        self.queue = [(s, i) for s, i in self.queue if s > model.step_index]
        calls = [self.answer(model, actor, log[i]) for i in due]
        return [c for c in calls if c is not None]

    def _answers(self, model: TradeModel) -> bool:
        """Whether it answers this hostile move: a draw from the model's generator when
        `probability` is below 1, none when it answers for sure (so that a move answered for
        sure leaves the demand shocks that follow as they were)."""
        p = self.values["probability"]
        return p >= 1.0 or bool(model.rng.random() < p)

    def intensity(self, model: TradeModel, actor: int, entry: LoggedMove) -> float:
        """Share of orders or market closed in answer to ``entry``."""
        return self.values["share"]

    def answer(self, model: TradeModel, actor: int, entry: LoggedMove) -> MoveCall | None:
        """The move that answers ``entry``, or None if it is not a government's."""
        w, sender = model.world, entry.actor_country
        if sender is None:  # only governments' moves are answered
            return None
        me, them = w.countries[actor], w.countries[sender]
        if entry.call.move == "tariff":
            rate = entry.params["rate"]
            return MoveCall(me, "tariff", them, {"rate": rate}, source="strategy")
        share = float(np.clip(self.intensity(model, actor, entry), 0.0, 1.0))
        best = best_answer(model, actor, sender, share, self.values["deterrent"])
        if best is not None:
            return best
        if self.values["deterrent"]:
            return MoveCall(me, "tariff", them, {"rate": 0.25}, source="strategy")
        model.news.append((model.step_index, f"{me} does not answer {them}'s "
                           f"{entry.call.move.replace('_', ' ')}: every answer would cost it "
                           f"more than it costs {them}."))
        return None


# -- choosing the answer -------------------------------------------------------------------
@dataclass
class AnswerEffects:
    """An answer's effect on one step's flows, estimated from last period's (the sign: a
    change, negative when lost)."""

    firm_units: np.ndarray  # [F] change in each firm's sales
    region_units: np.ndarray  # [F, R] the same by region
    link_units: np.ndarray  # [L] change in each link's shipments
    supply_loss: np.ndarray  # [F] share of each firm's output lost for lack of components
    weight: np.ndarray  # [F, R] buyers' logit weights before the answer
    closed: np.ndarray  # [F, R] share of each firm's buyers the answer closes


def last_shipped(model: TradeModel, n: int) -> np.ndarray:
    """Last step's shipments on each of the first ``n`` links (0 on a link qualified since)."""
    shipped = model.state.pipeline.shipped
    out = np.zeros(n)
    k = min(n, len(shipped))
    out[:k] = shipped[:k]
    return out


def answer_effects(model: TradeModel, cut: np.ndarray, closed: np.ndarray) -> AnswerEffects:
    """What ``cut`` [L] (share of each link's shipments stopped) and ``closed`` [F, R] (share
    of each firm's sales in each region barred) would change in last period's flows.

    A cut shipment is re-placed with the firm's other open sources up to their spare capacity
    (phase 3); what cannot be re-placed of a critical component stops that share of the firm's
    output (phase 4: fixed proportions), and a closed market lowers the firm's logit weight
    there (phase 5). The firm loses those sales, its other sources what it no longer needs and
    the cut suppliers what they shipped; re-placing suppliers and rivals of the same product in
    the same region (up to their spare capacity, by their logit weights) gain.
    """
    w, links, st = model.world, model.links, model.state
    F, C = w.bom.shape
    R, L = len(w.regions), len(links)
    shipped = last_shipped(model, L)
    lost = cut * shipped
    lost_fc = np.bincount(links.fc, lost, F * C)
    # re-placement with open sources that have spare capacity, shared among the links asking
    spare = np.maximum(0.0, st.suppliers.capacity - st.suppliers.shipments)
    # the links' restrictions now: a source qualified this step is a link the pipeline's
    # last `allowed` does not have yet
    allowed = model.policy.allowed(links, model.step_index)
    can = (cut <= 0) & (allowed[:L] > 0) & (lost_fc[links.fc] > 0)
    n = np.bincount(links.supplier[can], minlength=len(w.suppliers))
    room = np.where(can, np.divide(spare[links.supplier], n[links.supplier],
                                   out=np.zeros(L), where=n[links.supplier] > 0), 0.0)
    room_fc = np.bincount(links.fc, room, F * C)
    replaced_fc = np.minimum(lost_fc, room_fc)
    gained = room * np.divide(replaced_fc, room_fc, out=np.zeros(F * C),
                              where=room_fc > 0)[links.fc]
    used = np.bincount(links.fc, shipped, F * C)
    short = np.divide(lost_fc - replaced_fc, used, out=np.zeros(F * C), where=used > 0)
    short = np.where(((w.bom > 0) & w.critical[None, :]).ravel(), short, 0.0)
    supply_loss = np.minimum(1.0, short.reshape(F, C).max(axis=1))  # [F] share of output
    m = st.markets
    by_region = m.sales_by_region
    sales = by_region.sum(axis=1)
    # buyers' logit weights (phase 5): a closed market lowers the firm's weight there and
    # shifts its share to rivals; output it cannot make spills to rivals by their weights
    paid = m.price[:, None] * (1.0 + model.policy.tariff_on())
    weight = market.logit_weights(paid, st.ref.price[:, None],
                                  model.policy.access() * w.appeal,
                                  model.spec.model.choice_sensitivity)
    after = weight * (1.0 - closed)
    flat = st.ref.market.ravel()
    M = len(w.products) * R
    before_share = market.group_shares(weight.ravel(), flat, M).reshape(F, R)
    after_share = market.group_shares(after.ravel(), flat, M).reshape(F, R)
    ratio = np.divide(after_share, before_share, out=np.ones((F, R)), where=before_share > 0)
    kept = by_region * (1.0 - supply_loss[:, None])
    lost_sales = by_region - kept * np.minimum(1.0, ratio)
    wanted_more = kept * np.maximum(0.0, ratio - 1.0)  # rivals' gain from the closure
    # what the supply loss frees in each market goes to the firms it does not hit
    spill = np.bincount(flat, (by_region * supply_loss[:, None]).ravel(), M)
    pull = after * (supply_loss <= 0)[:, None]
    spill_to = market.group_shares(pull.ravel(), flat, M).reshape(F, R) * spill[st.ref.market]
    headroom = np.maximum(0.0, st.ref.capacity - st.firms.output)
    gain = (wanted_more + spill_to).sum(axis=1)
    fill = np.divide(np.minimum(gain, headroom), gain, out=np.zeros(F), where=gain > 0)
    region_units = (wanted_more + spill_to) * fill[:, None] - lost_sales
    loss_share = np.divide(lost_sales.sum(axis=1), sales, out=np.zeros(F), where=sales > 0)
    # a firm making less needs less of each component: what still arrives beyond its need is
    # cut from its sources in proportion to what they still ship (none for the component that
    # binds)
    still = shipped - lost + gained
    still_fc = np.bincount(links.fc, still, F * C)
    need_fc = (1.0 - np.repeat(loss_share, C)) * used
    excess = np.divide(np.maximum(0.0, still_fc - need_fc), still_fc, out=np.zeros(F * C),
                       where=still_fc > 0)
    return AnswerEffects(region_units.sum(axis=1), region_units,
                         gained - lost - excess[links.fc] * still, supply_loss, weight, closed)


def retaliation_cost(model: TradeModel, cut: np.ndarray, closed: np.ndarray,
                     measures: np.ndarray | None = None) -> np.ndarray:
    """What ``cut`` and ``closed`` (:func:`answer_effects`) would cost each government per
    step, in points of its own score (a gain is negative), [G]: the change of every objective
    (:mod:`sim.engine.objectives`), weighted as its score weighs them, at the slope of the
    bound where it stands.

    Industry: its firms' sales at their margin over variable cost and its suppliers' shipments
    at theirs; consumers: the logit log-sum of its region's markets with the closed sellers'
    weights lowered (supply losses show in prices only later, and are not counted); treasury:
    the tariffs on the sales its region loses or gains; security: its rivals' output lost for
    lack of components; escalation: ``measures`` [G, G], the hostile measures the answer puts
    in force (none when omitted).
    """
    w, st, links = model.world, model.state, model.links
    ref, m, G = st.ref, st.markets, len(w.countries)
    fx = answer_effects(model, cut, closed)
    margin = m.price - st.firms.unit_cost - ref.other_cost
    firm_profit = fx.firm_units * margin
    sup = links.supplier[:len(fx.link_units)]
    sup_profit = np.bincount(sup, fx.link_units * (st.suppliers.price[sup]
                                                    - ref.supplier_unit_cost[sup]),
                             len(w.suppliers))
    money = (np.bincount(w.firm_country, firm_profit, G)
             + np.bincount(w.supplier_country, sup_profit, G))
    # consumers: the log-sum with and without the closure, each against the steady state
    M, R = len(w.products) * len(w.regions), len(w.regions)
    flat, lam = ref.market.ravel(), model.spec.model.choice_sensitivity
    eps = np.repeat(w.product_elasticity, R)
    cs = [market.consumer_surplus(np.bincount(flat, x.ravel(), M), ref.choice_weight, lam, eps)
          for x in (fx.weight, fx.weight * (1.0 - fx.closed))]
    spend = (w.product_price[:, None] * w.base_demand).ravel()
    surplus = np.bincount(np.tile(np.arange(R), len(w.products)), (cs[1] - cs[0]) * spend, R)
    rate = model.policy.tariff[:, w.firm_country, w.firm_product]  # [G, F]
    duty = (rate * (fx.region_units * m.price[:, None])[:, w.country_region].T).sum(axis=1)
    rivals = ref.relation[:, w.firm_country] == RIVAL
    denied = rivals @ (fx.supply_loss * st.firms.output)
    change = np.vstack([
        np.divide(denied, rivals @ ref.output, out=np.zeros(G), where=rivals @ ref.output > 0),
        money / ref.stake, surplus[w.country_region] / ref.stake, duty / ref.stake,
        obj.escalation(measures, ref.relation) if measures is not None else np.zeros(G)])
    slope = 1.0 - st.governments.objectives ** 2  # d tanh at the bounded value
    slope[obj.OBJECTIVES.index("escalation")] = 1.0  # a count, not bounded
    return -(ref.weights * slope * change).sum(axis=0)


MAX_CANDIDATES = 10
"""Of each kind of answer that names an entity (a listing, a ban on a firm, a ban on a
supplier), only the ones touching the largest flows are weighed: a government weighs its
biggest levers, and the cost of choosing stays bounded in a world of thousands of firms (every
shipped scenario has fewer candidates than this, so none is left out there)."""


def _largest(keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The distinct ``keys`` with the largest summed ``weights`` (at most MAX_CANDIDATES),
    in ascending key order."""
    if not keys.size:
        return keys
    totals = np.bincount(keys, weights)
    present = np.unique(keys)
    top = present[np.argsort(-totals[present], kind="stable")[:MAX_CANDIDATES]]
    return np.sort(top)


def answers(model: TradeModel, actor: int, sender: int, share: float) -> Iterator[
        tuple[MoveCall, np.ndarray, np.ndarray]]:
    """The answers ``actor`` could make to ``sender`` closing ``share``: (move, cut [L],
    closed [F, R]) for each export control, and for the listings and procurement bans that
    touch the largest flows (:data:`MAX_CANDIDATES` of each), one at a time."""
    w, links, st = model.world, model.links, model.state
    me = w.countries[actor]
    L, (F, R) = len(links), st.markets.sales_by_region.shape
    shipped = last_shipped(model, L)
    mine = w.supplier_country[links.supplier] == actor
    theirs = w.firm_country[links.firm] == sender
    none = np.zeros((F, R))
    flowing = mine & theirs & (shipped > 0)
    for c in np.unique(links.component[flowing]):
        link = mine & theirs & (links.component == c)
        yield (MoveCall(me, "export_control", w.components[c],
                        {"to": [w.countries[sender]], "license_rate": 1.0 - share},
                        source="strategy"), share * link, none)
    for f in _largest(links.firm[flowing], shipped[flowing]):
        link = mine & (links.firm == f)
        yield (MoveCall(me, "entity_list", w.firms[f], {"license_rate": 1.0 - share},
                        source="strategy"), share * link, none)
    region = w.country_region[actor]
    sales = st.markets.sales_by_region[:, region]
    sellers = np.flatnonzero((w.firm_country == sender) & (sales > 0))
    for f in _largest(sellers, sales[sellers]):
        closed = np.zeros((F, R))
        closed[f, region] = share
        yield (MoveCall(me, "procurement_ban", w.firms[f], {"share": share},
                        source="strategy"), np.zeros(L), closed)
    buying = (w.firm_country[links.firm] == actor) & (w.supplier_country[links.supplier]
                                                      == sender) & (shipped > 0)
    for sup in _largest(links.supplier[buying], shipped[buying]):
        link = (links.supplier == sup) & (w.firm_country[links.firm] == actor)
        yield (MoveCall(me, "procurement_ban", w.suppliers[sup], {"share": share},
                        source="strategy"), share * link, none)


def best_answer(model: TradeModel, actor: int, sender: int, share: float,
                deterrent: bool = False) -> MoveCall | None:
    """The answer that costs ``sender`` most per unit of cost to ``actor``, each in points of
    its own score (:func:`retaliation_cost`, one hostile measure of ``actor`` against
    ``sender`` included), among those that cost the sender more than the actor; an answer that
    costs the actor nothing (or gains it) ranks above any that costs it something; ties go to
    the larger cost to the sender. When none costs the sender more: None (the actor declines),
    or with ``deterrent`` the one with the best ratio that hurts the sender at all."""
    best, key = None, (0.0, 0.0)
    fallback, fallback_key = None, (0.0, 0.0)
    measures = np.zeros((len(model.world.countries),) * 2)
    measures[actor, sender] = 1.0
    for call, cut, closed in answers(model, actor, sender, share):
        cost = retaliation_cost(model, cut, closed, measures)
        harm, own = float(cost[sender]), float(cost[actor])
        if harm <= 1e-12:
            continue
        ratio = harm / own if own > 1e-12 else np.inf
        if harm > max(own, 0.0) + 1e-12 and (ratio, harm) > key:
            best, key = call, (ratio, harm)
        if (ratio, harm) > fallback_key:
            fallback, fallback_key = call, (ratio, harm)
    return best if best is not None or not deterrent else fallback


@STRATEGIES.register
class Proportional(TitForTat):
    """Answers in kind like `tit_for_tat`, but in proportion to the harm done.

    The share closed is `scale` times the victim's exposure to the sender: the share of the hit
    firms' purchases that came from the sender's suppliers (a listing of a firm that buys 80% of
    its chips from the sender is answered with a ban of 80%).
    """

    name = "proportional"
    params = (
        DELAY,
        PROBABILITY,
        SCALE,
        DETERRENT,
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
        replace(DELAY, default=13),
        replace(PROBABILITY, default=0.5),
        SHARE,
        DETERRENT,
    )


# -- more strategies, in modules of their own (registered when imported) -------------------
from sim.rules import negotiation, responsive  # noqa: E402,F401

DEFAULT_GOVERNMENT = "responsive"
"""The strategy of a government whose scenario gives none (docs/scenarios.md, "Strategies")."""
DEFAULT_FIRM = "passive"
"""The strategy of a firm whose scenario gives none."""
