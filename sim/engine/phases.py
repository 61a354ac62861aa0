"""The eight phases of a step, in step order (DESIGN.md, "Model mechanics").

Each phase reads the world (constant), the restriction state (:class:`PolicyState`, written by
moves) and the :class:`~sim.engine.state.State`, and writes the parts of the state it owns; the
arithmetic is in the pure functions of :mod:`sim.engine.market` and
:mod:`sim.engine.objectives`. :meth:`sim.engine.model.TradeModel.step` calls them in this order.
Formulas, defaults and sources: docs/model.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import market
from sim.engine import objectives as obj
from sim.engine.links import Links
from sim.engine.policy import PolicyState
from sim.engine.state import State
from sim.engine.world import World
from sim.scenario.models import ModelOptions

if TYPE_CHECKING:
    from sim.engine.model import TradeModel

COVER_CAP = 999.0  # steps; what "cover" means when a firm expects no use


# -- phase 1 -------------------------------------------------------------------------------
def apply_policy(model: TradeModel) -> None:
    """Policy: qualifications complete, risk decays, then timeline events, players' moves and
    strategies make moves (one code path: :meth:`TradeModel.make_move`); the links' allowed
    shares follow from the restriction state."""
    s, t = model.state, model.step_index
    for f, sup in model.policy.due_sources(t):
        if model.links.add(f, sup):
            s.pipeline.shipped = np.append(s.pipeline.shipped, 0.0)
    model.policy.start_due_controls(t)
    model.policy.decay_risk(s.ref.risk_decay)
    for call in model.events.get(t, ()):
        model.make_move(call)
    pending, model.pending = model.pending, []
    for call in pending:
        model.make_move(call)
    model.acting.do("act")
    s.pipeline.allowed = model.policy.allowed(model.links, t)


# -- phase 2 -------------------------------------------------------------------------------
def plan(s: State, w: World, links: Links, policy: PolicyState, o: ModelOptions) -> None:
    """Plan: forecast use, set target stocks, order by anchoring and adjustment (Sterman)."""
    f, p = s.firms, s.pipeline
    F, C = w.bom.shape
    expected = np.minimum(s.ref.capacity, f.forecast)
    f.planned = np.clip(expected + o.stock_adjustment * (expected - f.finished),
                        0.0, s.ref.capacity)
    f.expected_use = expected[:, None] * w.bom
    target = policy.effective_cover() * f.expected_use
    # replace expected use and what obsolescence will write off the target stock
    o_ = s.ref.obsolescence
    need = f.expected_use + target * o_ / (1.0 - o_)
    # the desired supply line is use times the lead time of the sources orders may go to,
    # each weighted by the share of its flow a licence allows (a link licensed 10% carries
    # about a tenth of its flow, so its lead time counts a tenth: a smaller licence must not
    # shorten the supply line a firm plans for)
    weight = links.weight * p.allowed
    total = np.bincount(links.fc, weight, F * C)
    lead = np.divide(np.bincount(links.fc, weight * links.lead, F * C), total,
                     out=np.zeros(F * C), where=total > 0)
    f.order = market.order_quantity(need, target, f.stock, p.supply_line,
                                    need * lead.reshape(F, C),
                                    o.stock_adjustment, o.supply_line_weight)


# -- phase 3 -------------------------------------------------------------------------------
def supply(s: State, w: World, links: Links, policy: PolicyState, o: ModelOptions,
           t: int) -> None:
    """Supply: what is due arrives; suppliers ration capacity over orders and ship with their
    lead time; emerging suppliers grow on sustained excess demand."""
    f, p, sup = s.firms, s.pipeline, s.suppliers
    F, C = w.bom.shape
    H = len(p.arrivals)
    slot = t % H
    arrived = p.arrivals[slot].reshape(F, C)
    f.stock += arrived
    f.stock_value += p.arrival_value[slot].reshape(F, C)
    p.supply_line -= arrived
    p.arrivals[slot] = 0.0
    p.arrival_value[slot] = 0.0

    # a restricted link may carry its licensed share of its steady-state flow, a quantity
    limit = np.where(p.allowed >= 1.0, np.inf, p.allowed * links.base_flow)
    p.shipped, sup.requested = market.place_orders(
        f.order.ravel(), links.fc, links.weight, limit, links.supplier, sup.capacity)
    price = w.supplier_price[links.supplier]
    flat = ((t + links.lead) % H) * F * C + links.fc
    p.arrivals += np.bincount(flat, p.shipped, p.arrivals.size).reshape(p.arrivals.shape)
    p.arrival_value += np.bincount(flat, p.shipped * price,
                                   p.arrivals.size).reshape(p.arrivals.shape)
    p.supply_line += np.bincount(links.fc, p.shipped, F * C).reshape(F, C)

    S = len(w.suppliers)
    sup.shipments = np.bincount(links.supplier, p.shipped, S)
    sup.revenue = sup.shipments * w.supplier_price
    sup.utilization = np.divide(sup.shipments, sup.capacity, out=np.zeros(S),
                                where=sup.capacity > 0)
    sup.share = market.group_shares(sup.shipments, w.supplier_component, C)
    f.exposure = market.smooth(f.exposure, links.exposure(f.order), o.forecast_smoothing)
    sup.capacity, sup.pressure = market.grow_capacity(
        sup.capacity, sup.pressure, sup.requested, w.supplier_capacity, w.ramp_capacity,
        w.ramp_steps, s.ref.build_lag, policy.subsidy, o.ramp_trigger)


# -- phase 4 -------------------------------------------------------------------------------
def produce(s: State, w: World) -> None:
    """Produce: output = min(plan, what critical components allow); components are used up
    at their average cost."""
    f = s.firms
    f.output = np.minimum(f.planned, market.producible(f.stock, w.bom, w.critical))
    f.shortfall = f.planned - f.output
    used = np.minimum(f.output[:, None] * w.bom, f.stock)
    f.avg_cost = np.divide(f.stock_value, f.stock, out=f.avg_cost.copy(),
                           where=f.stock > 1e-12)
    f.consumed_value = (used * f.avg_cost).sum(axis=1)
    f.stock = f.stock - used
    f.stock_value = np.maximum(0.0, f.stock_value - used * f.avg_cost)
    f.unit_cost = (w.bom * f.avg_cost).sum(axis=1)
    f.finished = f.finished + f.output
    f.finished_value = f.finished_value + f.consumed_value + s.ref.other_cost * f.output


# -- phase 5 -------------------------------------------------------------------------------
def clear_markets(s: State, w: World, policy: PolicyState, o: ModelOptions,
                  shock: np.ndarray) -> None:
    """Markets: demand by region, buyers' logit choice between firms, sales capped by stock,
    spill-over to rivals, then firms' prices adjust to cost and scarcity."""
    f, m, ref = s.firms, s.markets, s.ref
    P, R = w.base_demand.shape
    paid = m.price[:, None] * (1.0 + policy.tariff_on())
    weight = market.logit_weights(paid, ref.price[:, None], policy.access() * w.appeal,
                                  o.choice_sensitivity)
    res = market.clear_markets(weight, paid, ref.market, w.base_demand.ravel(),
                               np.repeat(w.product_price, R),
                               np.repeat(w.product_elasticity, R), shock, f.finished)
    m.sales_by_region = res["sales"]
    m.sales = res["sales"].sum(axis=1)
    m.revenue = m.sales * m.price
    # cost of goods is booked when they sell, at the average cost of the goods in hand
    f.cogs = np.divide(f.finished_value * m.sales, f.finished, out=np.zeros(len(m.sales)),
                       where=f.finished > 1e-12)
    f.finished = np.maximum(0.0, f.finished - m.sales)
    f.finished_value = np.maximum(0.0, f.finished_value - f.cogs)
    wanted = res["wanted"].sum(axis=1)
    spill = res["spill"].sum(axis=1)
    f.forecast = market.smooth(f.forecast, wanted + spill, o.forecast_smoothing)
    served = m.sales - spill
    scarcity = np.divide(wanted - served, wanted, out=np.zeros_like(wanted), where=wanted > 0)
    m.price_index, m.demand = res["price_index"], res["demand"]
    m.market_share = market.group_shares(m.sales, w.firm_product, P)
    # the reference price already clears the steady state: only scarcity beyond it marks up
    m.price = market.adjust_price(m.price, ref.price, f.unit_cost, ref.unit_cost,
                                  np.clip(scarcity - ref.scarcity, 0, 1), o.price_adjustment,
                                  o.scarcity_markup)


# -- phase 6 -------------------------------------------------------------------------------
def settle_finance(s: State, w: World, policy: PolicyState, o: ModelOptions) -> None:
    """Finance: profit (revenue − costs − holding − write-downs), expected profit, cover and
    share prices (risk priced in once: hazard net of the loss already in profit)."""
    f, fin, ref = s.firms, s.finance, s.ref
    held = f.stock_value.sum(axis=1)
    holding = ref.holding_rate * held
    fin.write_down = ref.obsolescence * held
    f.stock = f.stock * (1 - ref.obsolescence)
    f.stock_value = f.stock_value * (1 - ref.obsolescence)
    fin.profit = (s.markets.revenue - f.cogs - ref.fixed_cost - holding - fin.write_down)
    fin.expected_profit = market.smooth(fin.expected_profit, fin.profit, o.profit_smoothing)
    f.cover, f.inventory_cover = market.cover_of(f.stock, f.expected_use, w.bom, w.critical,
                                                 COVER_CAP)
    src = policy.risk_source
    exposure = np.where(src >= 0, f.exposure[np.arange(len(src)), np.maximum(src, 0)], 0.0)
    h = market.hazard(policy.risk, exposure, o.loss_given_listing, f.inventory_cover,
                      ref.shield_steps)
    fin.share_price = market.share_value(fin.expected_profit, ref.profit, h,
                                         market.realised_loss(fin.expected_profit, ref.profit))


# -- phase 7 -------------------------------------------------------------------------------
def score(s: State, w: World, policy: PolicyState) -> None:
    """Scores: each government's four objectives and its weighted score."""
    G = len(w.countries)
    govs = np.arange(G)[:, None]
    targeted = policy.listed | (policy.risk_source[None, :] == govs)
    made, received = policy.active_measures()
    raw = np.vstack([
        obj.security(targeted, s.firms.output, s.ref.output),
        obj.industry(w.firm_country[None, :] == govs, w.supplier_country[None, :] == govs,
                     s.markets.revenue, s.ref.revenue, s.suppliers.revenue,
                     s.ref.supplier_revenue),
        obj.consumers(s.markets.price_index.reshape(w.base_demand.shape), w.product_price,
                      w.base_demand, w.country_region),
        obj.escalation(made, received),
    ])
    s.governments.objectives, s.governments.score = obj.score(raw, s.ref.weights)


# -- phase 8 -------------------------------------------------------------------------------
def record(model: TradeModel) -> None:
    """Record: every metric into the recorder; headline figures into Mesa's DataCollector."""
    model.recorder.record(model.step_index)
    model.datacollector.collect(model)
