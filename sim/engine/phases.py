"""The eight phases of a step, in step order (docs/model.md, one section per phase).

Each phase reads the world (constant), the restriction state (:class:`PolicyState`, written by
moves) and the :class:`~sim.engine.state.State`, and writes the parts of the state it owns; the
arithmetic is in the pure functions of :mod:`sim.engine.market`,
:mod:`sim.engine.valuation` and :mod:`sim.engine.objectives`.
:meth:`sim.engine.model.TradeModel.step` calls them in this order. Formulas, defaults and
sources: docs/model.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import inputs as tier2
from sim.engine import market, valuation
from sim.engine import objectives as obj
from sim.engine.links import Links
from sim.engine.policy import PolicyState
from sim.engine.state import State
from sim.engine.world import World
from sim.rules.moves import MoveCall
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
    model.policy.decay_risk(s.ref.risk_decay, t, model.spec.steps_of_days(
        model.spec.model.threat_days))
    for call in model.events.get(t, ()):
        model.make_move(call)
    pending, model.pending = model.pending, []
    for call in pending:
        model.make_move(call)
    model.acting.do("act")
    qualify_when_short(model)
    collect_fines(model)
    s.pipeline.allowed = model.policy.allowed(model.links, t)


def qualify_when_short(model: TradeModel) -> None:
    """A firm nobody plays (and not ``scripted``) qualifies a new source of a critical component
    its sources have left short for a sustained period (docs/model.md, section 2): its perceived
    shortage, a smoothing over the build lag of "more than ``ramp_trigger`` of last step's order
    unfilled", reaches one half, and no qualification of that component is under way. It picks,
    among the component's suppliers it does not buy from, one that has spare capacity and whose
    goods no country listing the firm, and no ban of its own country, would stop (the most spare
    capacity first), through the ``qualify`` move (default lag)."""
    s, w, links, policy = model.state, model.world, model.links, model.policy
    f, p, o = s.firms, s.pipeline, model.spec.model
    F, C = w.bom.shape
    got = np.bincount(links.fc, p.shipped[: len(links)], F * C).reshape(F, C)
    unfilled = np.divide(f.order - got, f.order, out=np.zeros((F, C)), where=f.order > 1e-12)
    short = (unfilled > o.ramp_trigger) & (w.bom > 0) & w.critical[None, :]
    f.source_pressure = market.smooth(f.source_pressure, short.astype(float),
                                      1.0 / max(float(s.ref.build_lag), 1.0))
    due = short & (f.source_pressure >= market.DECISION)
    if not due.any():
        return
    spare = s.suppliers.capacity - s.suppliers.shipments
    for firm, c in zip(*np.nonzero(due), strict=True):
        name, strategy = w.firms[firm], model.firms[firm].strategy
        # a player's firm, or one the scenario leaves to its timeline (`scripted`), decides
        # its own sources (docs/model.md, "Strategies")
        if strategy is None or strategy.name == "scripted" or s.finance.out[firm] or any(
                g == firm and w.supplier_component[x] == c
                for _, g, x in policy.pending_sources):
            continue
        listers = policy.listed[:, firm]
        ok = [x for x in np.nonzero(w.supplier_component == c)[0]
              if not links.has(firm, int(x)) and spare[x] > 1e-9
              and not (policy.subject[:, x] & listers).any()
              and policy.supplier_ban[w.firm_country[firm], x] < 1.0]
        if ok:
            best = max(ok, key=lambda x: spare[x])
            model.make_move(MoveCall(name, "qualify", w.suppliers[best], source="strategy"))


# -- phase 2 -------------------------------------------------------------------------------
def plan(s: State, w: World, links: Links, policy: PolicyState, o: ModelOptions,
         t: int = 0, outage_steps: int = 0) -> None:
    """Plan: forecast use, set target stocks, order by anchoring and adjustment (Sterman);
    a firm facing a cut-off will ration its output to what its stock can sustain over
    ``outage_steps`` (``firms.sustainable``, :func:`sustainable_output`; 0: no rationing)."""
    f, p = s.firms, s.pipeline
    F, C = w.bom.shape
    expand_firms(s, o)
    expected = np.minimum(s.ref.capacity, f.forecast)
    f.planned = np.clip(expected + o.stock_adjustment * (expected - f.finished),
                        0.0, s.ref.capacity)
    f.sustainable = (sustainable_output(s, w, links, policy, t, outage_steps)
                     if outage_steps > 0 else np.full(F, np.inf))
    f.expected_use = expected[:, None] * w.bom * s.ref.use_share
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


# -- phase 2: rivals that can take the market ---------------------------------------------
def expand_firms(s: State, o: ModelOptions) -> None:
    """Firms grow their capacity on sustained demand, like emerging suppliers (docs/model.md,
    section 2): perceived excess demand is a first-order smoothing, over the build lag, of
    "demand buyers brought (turned-away ones included) above capacity by more than
    ``ramp_trigger``, beyond the steady state's excess, and
    no output lost for want of components last step" (a firm its suppliers cannot feed more
    has no use for capacity); from ``DECISION`` on, capacity closes ``1/build lag`` of its gap
    to that demand a step. A rival at its capacity when the listed firm's buyers come to it can
    so take them, as far as its suppliers can feed it."""
    f, ref = s.firms, s.ref
    gap = f.demand_seen - ref.excess - ref.capacity
    fed = f.shortfall <= 1e-9 * np.maximum(f.planned, 1.0)
    over = (gap > o.ramp_trigger * ref.capacity) & fed
    lag = max(float(ref.build_lag), 1.0)
    f.pressure = market.smooth(f.pressure, over.astype(float), 1.0 / lag)
    grow = over & (f.pressure >= market.DECISION)
    ref.capacity[grow] += gap[grow] / lag


# -- phase 2: rationing scarce stock ---------------------------------------------------------
def sustainable_output(s: State, w: World, links: Links, policy: PolicyState, t: int,
                       outage: int) -> np.ndarray:
    """Most a firm facing a cut-off may plan per step so that its stock lasts the outage, [F].

    A firm faces a cut-off on a critical component when one of its sources of it is restricted
    now or will be within the ``outage`` (a general licence that lapses, an export control that
    starts later). It expects the cut-off to last ``outage`` steps, shortened, for a component,
    to the completion of a qualification of a new source of it under way. Over that horizon it
    can count on its stock, what is in transit and the inflow its sources may still carry:
    a link its last shipments plus a share of its supplier's spare capacity, a restricted one
    no more than its licensed quantity (allowed share × steady-state flow), step by step as the
    licences in force change. Output per step that this sustains is
    ``(stock + supply line + inflow) / (bom × horizon)``; the plan is capped there (Sterman
    2000, ch. 17: stock management; Lee, Padmanabhan & Whang 1997: rationing under shortage).
    Firms not facing a cut-off are not capped (``inf``).
    """
    F, C = w.bom.shape
    if not (policy.listed.any() or (policy.export_rate < 1).any() or policy.supplier_ban.any()):
        return np.full(F, np.inf)  # nothing restricted nor scheduled to be
    p, sup = s.pipeline, s.suppliers
    L = len(links)
    shipped = p.shipped[:L]
    # the steps at which the allowed shares change within the horizon: general licences
    # lapsing, export controls starting
    ends = np.concatenate([policy.general_license_until.ravel(), policy.export_from.ravel()])
    cuts = np.unique(np.concatenate([[t], ends[(ends > t) & (ends < t + outage)],
                                     [t + outage]]))
    spare = np.maximum(0.0, sup.capacity - sup.shipments)
    restricted_any = np.zeros(L, bool)
    inflow = np.zeros(L)  # units over the horizon, per link
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        allowed = p.allowed if start == t else policy.allowed(links, int(start))
        open_, carries = allowed >= 1.0, allowed > 0.0
        n_carry = np.bincount(links.supplier[carries], minlength=len(w.suppliers))
        share_spare = np.divide(spare[links.supplier], n_carry[links.supplier],
                                out=np.zeros(L), where=carries & (n_carry[links.supplier] > 0))
        # a licence is there for the asking: a restricted link may bring its licensed
        # quantity, as far as its supplier can ship it (not only what the firm last ordered,
        # which a stock above target makes small)
        rate = np.where(open_, shipped + share_spare,
                        np.minimum(shipped + share_spare, allowed * links.base_flow))
        inflow += rate * (stop - start)
        restricted_any |= ~open_ & (links.base_flow > 0)
    facing = np.bincount(links.fc, restricted_any, F * C).reshape(F, C) > 0
    facing &= (w.bom > 0) & w.critical[None, :]
    if not facing.any():
        return np.full(F, np.inf)
    # a qualification under way ends the cut-off of its component when it completes
    horizon = np.full((F, C), float(outage))
    for due, firm, supplier in policy.pending_sources:
        c = w.supplier_component[supplier]
        horizon[firm, c] = min(horizon[firm, c], max(1.0, float(due - t)))
    rate = np.bincount(links.fc, inflow, F * C).reshape(F, C) / outage
    available = s.firms.stock + p.supply_line + rate * horizon
    sustain = np.divide(available, w.bom * horizon, out=np.full((F, C), np.inf),
                        where=facing)
    return sustain.min(axis=1)


# -- phase 3 -------------------------------------------------------------------------------
def supply(s: State, w: World, links: Links, policy: PolicyState, o: ModelOptions,
           t: int) -> None:
    """Supply: what is due arrives; suppliers ration capacity over orders and ship with their
    lead time, at their current price plus any tariff on the component; component prices
    adjust to the orders they could not fill; emerging suppliers grow on sustained excess
    demand."""
    f, p, sup = s.firms, s.pipeline, s.suppliers
    F, C = w.bom.shape
    H = len(p.arrivals)
    slot = t % H
    # tier 2 (sim/engine/inputs.py): suppliers order their own inputs and receive what is due;
    # consumables in hand bound what they can ship
    ti = s.inputs
    tier2.order_inputs(ti, w, links.inputs, sup.shipments,
                       policy.allowed_inputs(links.inputs, t), o)
    tier2.receive(ti, slot)
    can_ship = tier2.available(ti, w, sup.capacity)
    arrived = p.arrivals[slot].reshape(F, C)
    p.received = arrived.copy()
    f.stock += arrived
    f.stock_value += p.arrival_value[slot].reshape(F, C)
    p.supply_line -= arrived
    p.arrivals[slot] = 0.0
    p.arrival_value[slot] = 0.0

    # a restricted link may carry its licensed share of its steady-state flow, a quantity
    limit = np.where(p.allowed >= 1.0, np.inf, p.allowed * links.base_flow)
    # firms pay the supplier's current price plus any tariff on the component; a tariff
    # moves their split over sources by the sourcing logit on the tariff-inclusive reference
    # price (scarcity is answered by rationing and re-placement, not by the split)
    price = sup.price[links.supplier]
    duty = policy.component_tariff_on(links)
    cost = price * (1.0 + duty)
    weight = links.weight
    if duty.any():
        base = s.ref.supplier_price[links.supplier]
        weight = weight * np.exp(-links.sensitivity * base * duty
                                 / s.ref.component_price[links.component])
    p.shipped, shipped_inputs, sup.requested, seen = tier2.place_orders(
        f.order.ravel(), links, limit, ti, links.inputs, can_ship, weight)
    p.cost = p.shipped * cost
    p.duty = policy.component_duty(links, p.shipped * price)
    flat = ((t + links.lead) % H) * F * C + links.fc
    p.arrivals += np.bincount(flat, p.shipped, p.arrivals.size).reshape(p.arrivals.shape)
    p.arrival_value += np.bincount(flat, p.cost,
                                   p.arrivals.size).reshape(p.arrivals.shape)
    p.supply_line += np.bincount(links.fc, p.shipped, F * C).reshape(F, C)

    S = len(w.suppliers)
    sup.shipments = np.bincount(links.supplier, p.shipped, S)
    sup.revenue = np.bincount(links.supplier, p.shipped * price, S)
    if len(shipped_inputs):  # tier 2: what suppliers shipped to suppliers, at current prices
        sup.shipments = sup.shipments + np.bincount(links.inputs.supplier, shipped_inputs, S)
        sup.revenue = sup.revenue + np.bincount(
            links.inputs.supplier, shipped_inputs * sup.price[links.inputs.supplier], S)
    # component prices: partial adjustment toward the reference price marked up by the
    # share of orders the supplier could not fill (the rule of firms' prices, phase 5)
    sup.price = market.adjust_price(sup.price, s.ref.supplier_price, 0.0, 0.0,
                                    market.unfilled_share(sup.requested, sup.shipments),
                                    o.price_adjustment, o.scarcity_markup)
    sup.utilization = np.divide(sup.shipments, sup.capacity, out=np.zeros(S),
                                where=sup.capacity > 0)
    sup.share = market.group_shares(sup.shipments, w.supplier_component, C)
    f.exposure = market.smooth(f.exposure, links.exposure(f.order), o.forecast_smoothing)
    tier2.ship(ti, w, links.inputs, shipped_inputs, sup.shipments, t)
    # emerging suppliers grow along a learning curve, as far as their tools in hand allow
    before = sup.capacity
    sup.capacity, sup.pressure, wanted = market.grow_capacity(
        sup.capacity, sup.pressure, seen, w.supplier_capacity, w.ramp_capacity,
        w.ramp_steps, s.ref.build_lag, policy.subsidy, o.ramp_trigger, o.ramp_learning,
        tier2.tool_room(ti, w))
    tier2.install(ti, w, sup.capacity - before, wanted)


# -- phase 4 -------------------------------------------------------------------------------
def produce(s: State, w: World) -> None:
    """Produce: output = min(plan, what critical components allow, what a firm facing a
    cut-off rations itself to); components are used up at their average cost. The shortfall
    is the plan lost for lack of components, rationed or run out."""
    f = s.firms
    f.output = np.minimum(np.minimum(f.planned, f.sustainable),
                          market.producible(f.stock, w.bom, w.critical))
    f.shortfall = f.planned - f.output
    bom = w.bom * s.ref.use_share  # a non-critical part short at step 0 goes in a share
    used = np.minimum(f.output[:, None] * bom, f.stock)
    f.avg_cost = np.divide(f.stock_value, f.stock, out=f.avg_cost.copy(),
                           where=f.stock > 1e-12)
    f.consumed_value = (used * f.avg_cost).sum(axis=1)
    f.stock = f.stock - used
    f.stock_value = np.maximum(0.0, f.stock_value - used * f.avg_cost)
    f.unit_cost = (bom * f.avg_cost).sum(axis=1)
    f.finished = f.finished + f.output
    f.finished_value = f.finished_value + f.consumed_value + s.ref.other_cost * f.output


# -- phase 5 -------------------------------------------------------------------------------
def clear_markets(s: State, w: World, policy: PolicyState, o: ModelOptions,
                  shock: np.ndarray) -> None:
    """Markets: demand by region, buyers' logit choice between firms (and the consumer surplus
    it is worth), sales capped by stock, spill-over to rivals, tariffs collected, then firms'
    prices adjust to cost, their Bertrand–logit margin and scarcity."""
    f, m, ref = s.firms, s.markets, s.ref
    P, R = w.base_demand.shape
    M = P * R
    paid = m.price_by_region * (1.0 + policy.tariff_on())
    weight = market.logit_weights(paid, ref.price[:, None], policy.access() * w.appeal,
                                  o.choice_sensitivity)
    weight = weight * ~s.finance.out[:, None]  # a firm that has exited has no buyers
    # welfare: the logit log-sum of what buyers face now against the steady state's
    m.consumer_surplus = market.consumer_surplus(
        np.bincount(ref.market.ravel(), weight.ravel(), M), ref.choice_weight,
        o.choice_sensitivity, np.repeat(w.product_elasticity, R))
    res = market.clear_markets(weight, paid, ref.market, w.base_demand.ravel(),
                               np.repeat(w.product_price, R),
                               np.repeat(w.product_elasticity, R), shock, f.finished)
    m.sales_by_region, m.spill = res["sales"], res["spill"]
    m.sales = res["sales"].sum(axis=1)
    value = res["sales"] * m.price_by_region  # at the sellers' prices in each region
    m.revenue = value.sum(axis=1)
    m.paid = res["sales"] * paid
    m.duty = policy.goods_duty(value)
    # cost of goods is booked when they sell, at the average cost of the goods in hand
    f.cogs = np.divide(f.finished_value * m.sales, f.finished, out=np.zeros(len(m.sales)),
                       where=f.finished > 1e-12)
    f.finished = np.maximum(0.0, f.finished - m.sales)
    f.finished_value = np.maximum(0.0, f.finished_value - f.cogs)
    wanted = res["wanted"].sum(axis=1)
    spill = res["spill"].sum(axis=1)
    f.forecast = market.smooth(f.forecast, wanted + spill, o.forecast_smoothing)
    f.demand_seen = market.smooth(f.demand_seen, res["seen"].sum(axis=1), o.forecast_smoothing)
    served = m.sales - spill
    scarcity = np.divide(wanted - served, wanted, out=np.zeros_like(wanted), where=wanted > 0)
    m.price_index, m.demand = res["price_index"], res["demand"]
    m.market_share = market.group_shares(m.sales, w.firm_product, P)
    # Bertrand–logit markups, market by market: the margin scales with the inverse of the
    # firm's demand elasticity there, so rivals reprice when a tariff or a ban moves buyers
    # between them, and a tariff abroad leaves the taxed firm's home price alone
    share = market.group_shares(weight.ravel(), ref.market.ravel(), M).reshape(weight.shape)
    eta = market.demand_elasticity(share, paid, np.repeat(w.product_price, R),
                                   res["price_index"], np.repeat(w.product_elasticity, R),
                                   w.base_demand.ravel(), ref.market, o.choice_sensitivity)
    # the reference price already clears the steady state: only scarcity beyond it marks up
    m.price_by_region = market.adjust_price(
        m.price_by_region, ref.price[:, None], f.unit_cost[:, None], ref.unit_cost[:, None],
        np.clip(scarcity - ref.scarcity, 0, 1)[:, None], o.price_adjustment,
        o.scarcity_markup, ref.margin[:, None], market.margin_ratio(eta, ref.elasticity))
    m.price = (m.price_by_region * ref.region_weight).sum(axis=1)


# -- phase 6 -------------------------------------------------------------------------------
def settle_finance(s: State, w: World, links: Links, policy: PolicyState,
                   o: ModelOptions) -> None:
    """Finance: profit (revenue − costs − holding − write-downs), expected profit, cover and
    share prices (risk priced in once: hazard net of the loss already in profit)."""
    f, fin, ref = s.firms, s.finance, s.ref
    held = f.stock_value.sum(axis=1)
    holding = ref.holding_rate * held
    fin.write_down = ref.obsolescence * held
    f.stock = f.stock * (1 - ref.obsolescence)
    f.stock_value = f.stock_value * (1 - ref.obsolescence)
    fin.profit = (s.markets.revenue - f.cogs - ref.fixed_cost - holding - fin.write_down)
    fin.profit[fin.out] = 0.0  # a firm that has exited books nothing
    # investors' normal profit follows profit while no restriction holds the firm down, and
    # the run rate at the chance of no lift while one does (docs/model.md, "6. Finance")
    restricted = np.bincount(links.firm, (s.pipeline.allowed < 1.0) & (links.base_flow > 0),
                             len(w.firms)) > 0
    restricted |= (policy.access() < 1.0).any(axis=1)
    fin.run_rate = market.smooth(fin.run_rate, fin.profit, o.profit_smoothing)
    # investors foresee what the firm's growing substitutes will make up (docs/model.md,
    # "6. Finance")
    covered = recovery = np.zeros(len(w.firms))
    if restricted.any():
        covered, recovery = valuation.substitutes(links.firm, links.supplier, links.component,
                                               links.base_flow, s.pipeline.allowed,
                                               w.critical, w.ramp_capacity, w.ramp_steps,
                                               s.suppliers.shipments, len(w.firms))
    before = fin.expected_profit
    fin.expected_profit = valuation.learn_normal(fin.expected_profit, fin.profit, fin.run_rate,
                                              restricted, o.profit_smoothing, ref.lift_steps)
    fin.lasting = valuation.learn_lasting(fin.lasting, before, fin.expected_profit, ref.profit,
                                       restricted, ref.lift_steps, covered)
    settle_cash(s, policy)
    f.cover, f.inventory_cover = market.cover_of(f.stock, f.expected_use, w.bom, w.critical,
                                                 COVER_CAP)
    fin.exposure = np.where(restricted[:, None], fin.exposure, f.exposure)
    src = policy.risk_source
    exposure = np.where(src >= 0, fin.exposure[np.arange(len(src)), np.maximum(src, 0)], 0.0)
    h = valuation.hazard(policy.risk, exposure, o.loss_given_listing, f.inventory_cover,
                      ref.shield_steps)
    # forward-looking value: the run rate returns to the normal profit as a restriction is
    # expected to be lifted (a constant chance of a lift, 1/T a step) or its substitutes grow
    persistence = (1.0 - 1.0 / max(ref.lift_steps, 1.0)) * (1.0 - np.minimum(recovery, 1.0))
    added = ref.capital_unit * np.maximum(ref.capacity - ref.capacity0, 0.0)
    value = valuation.equity_value(fin.expected_profit, fin.run_rate, ref.profit, fin.lasting,
                                added, persistence, ref.discount, ref.fade, fin.cash)
    fin.share_price = valuation.share_value(value, ref.value, h,
                                         valuation.realised_loss(value, ref.value))
    fin.share_price[fin.out] = 0.0
    settle_suppliers(s, w, links, policy, o)


# -- costs, cash, exit and fines (docs/model.md, "6. Finance") ------------------------------
def settle_cash(s: State, policy: PolicyState) -> None:
    """Cash: this step's profit goes into cash; a firm keeps its starting cash (plus any fine
    it owes) and pays out profit beyond it (dividends, buybacks), so losses and fines draw cash
    down and later profit rebuilds it first. A firm whose cash runs out (below zero) exits for
    good: see :func:`exit_firms`."""
    fin = s.finance
    cash = fin.cash + fin.profit
    keep = s.ref.cash + policy.fine_due.sum(axis=0)
    fin.cash = np.where(fin.out, fin.cash, np.minimum(cash, np.maximum(fin.cash, keep)))
    fin.out = fin.out | (fin.cash < 0)
    # limited liability: a firm that exits loses its cash; what it owed beyond it is its
    # creditors' loss, not negative cash of its own
    fin.cash = np.maximum(fin.cash, 0.0, out=fin.cash, where=fin.out)
    exit_firms(s)


def exit_firms(s: State) -> None:
    """A firm that has exited stops for good: its stocks, goods in hand and orders in transit
    are written off, and it forecasts no demand, so it plans, orders, makes and sells nothing;
    buyers no longer choose it (phase 5), so its market goes to its rivals. Applied every step
    while it is out."""
    out = s.finance.out
    if not out.any():
        return
    f, p = s.firms, s.pipeline
    F, C = f.stock.shape
    for a in (f.stock, f.stock_value, f.expected_use, f.cover, p.supply_line):
        a[out] = 0.0
    for a in (f.forecast, f.finished, f.finished_value, f.inventory_cover):
        a[out] = 0.0
    cols = np.repeat(out, C)  # the (firm, component) columns of the pipeline's ring buffer
    p.arrivals[:, cols] = 0.0
    p.arrival_value[:, cols] = 0.0


def settle_suppliers(s: State, w: World, links: Links, policy: PolicyState,
                     o: ModelOptions) -> None:
    """Suppliers' profit (revenue − variable cost of shipments − fixed cost) and share price,
    valued like firms' (discounted expected profit plus cash, risk priced once): a supplier's
    normal profit is learnt only while none of its customers is threatened or restricted (their
    orders are in flux: a stockpile pulls demand forward, a listing stops it), and the hazard
    is its customers' threatened listings."""
    sup, ref = s.suppliers, s.ref
    sup.profit = sup.revenue - ref.supplier_unit_cost * sup.shipments - ref.supplier_fixed_cost
    n = len(ref.flow_value)  # links qualified at step 0 (later ones have no steady flow)
    h, threatened = valuation.supplier_hazard(policy.risk, policy.risk_source, policy.subject,
                                           links.firm[:n], links.supplier[:n],
                                           ref.flow_value[:n], len(sup.profit),
                                           o.loss_given_listing)
    threatened |= np.bincount(links.supplier[:n], s.pipeline.allowed[:n] < 1.0,
                              len(sup.profit)) > 0
    sup.run_rate = market.smooth(sup.run_rate, sup.profit, o.profit_smoothing)
    before = sup.expected_profit
    sup.expected_profit = valuation.learn_normal(sup.expected_profit, sup.profit, sup.run_rate,
                                              threatened, o.profit_smoothing, ref.lift_steps)
    sup.lasting = valuation.learn_lasting(sup.lasting, before, sup.expected_profit,
                                       ref.supplier_profit, threatened, ref.lift_steps)
    added = ref.supplier_capital_unit * np.maximum(sup.capacity - w.supplier_capacity, 0.0)
    value = valuation.equity_value(sup.expected_profit, sup.run_rate, ref.supplier_profit,
                                sup.lasting, added,
                                1.0 - 1.0 / max(ref.lift_steps, 1.0), ref.discount, ref.fade,
                                ref.supplier_cash)
    if (policy.risk > 0).any():
        value = value + expected_windfall(s, w, links, policy, value)
    sup.share_price = valuation.share_value(value, ref.supplier_value, h,
                                         valuation.realised_loss(value, ref.supplier_value))


def expected_windfall(s: State, w: World, links: Links, policy: PolicyState,
                      value: np.ndarray) -> np.ndarray:
    """What investors add to a supplier's value for the business its customers' threatened
    listings would send it, [S], priced on the news: the units it expects to gain
    (:func:`sim.engine.valuation.substitute_upside`) at its steady margin, less the cost of
    capital of any capacity it would have to add, as a rent that fades; less what of it
    already shows in value (risk priced once, as for the hazard)."""
    sup, ref = s.suppliers, s.ref
    spare = np.maximum(sup.capacity - sup.shipments, 0.0)
    room = np.maximum(np.maximum(w.ramp_capacity, sup.capacity) - sup.shipments, 0.0)
    units = valuation.substitute_upside(policy.risk, policy.risk_source, policy.subject,
                                     links.firm, links.supplier, links.fc, links.base_flow,
                                     room, w.bom.size)
    margin = ref.supplier_price - ref.supplier_unit_cost
    growth = (1.0 / ref.discount - 1.0) * ref.supplier_capital_unit * np.maximum(units - spare,
                                                                                 0.0)
    windfall = np.maximum(units * margin - growth, 0.0) / (1.0 - ref.discount * ref.fade)
    return np.maximum(windfall - np.maximum(value - ref.supplier_value, 0.0), 0.0)


def collect_fines(model: TradeModel) -> None:
    """Fines due are paid out of the fined firm's cash once it covers them (this step or a
    later one), to the fining government (``Governments.fines``); a fine made with ``delist``
    then takes the firm off that government's entity list through the ``delist`` move (one code
    path, in the news and the log). A firm that has exited pays nothing."""
    s, p, w = model.state, model.policy, model.world
    s.governments.fines = np.zeros(len(w.countries))
    s.governments.fines_by = np.zeros_like(s.governments.fines_by)
    due = ((p.fine_due > 0) | p.fine_delist) & ~s.finance.out[None, :]
    for g, f in zip(*np.nonzero(due), strict=True):
        amount = float(p.fine_due[g, f])
        if s.finance.cash[f] < amount:
            continue
        s.finance.cash[f] -= amount
        s.governments.fines[g] += amount
        s.governments.fines_by[g, f] += amount
        p.fine_due[g, f] = 0.0
        model.news.append((model.step_index, f"{w.firms[f]} pays {w.countries[g]} its fine "
                                             f"of {amount:,.0f}."))
        if p.fine_delist[g, f]:
            p.fine_delist[g, f] = False
            if p.listed[g, f]:
                model.make_move(MoveCall(w.countries[g], "delist", w.firms[f], source="event"))


# -- phase 7 -------------------------------------------------------------------------------
def score(s: State, w: World, policy: PolicyState) -> None:
    """Scores: each government's tariff revenue, objectives and weighted score
    (:func:`sim.engine.objectives.evaluate`)."""
    obj.evaluate(s, w, policy)


# -- phase 8 -------------------------------------------------------------------------------
def record(model: TradeModel) -> None:
    """Record: every metric of every entity into the recorder."""
    model.recorder.record(model.step_index)
