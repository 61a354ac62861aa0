"""The model's changing numbers, one owner per array, and the no-policy steady state.

A :class:`State` is a handful of typed dataclasses, one per part of the world: what firms
hold and plan (:class:`Firms`), what is in transit (:class:`Pipeline`), suppliers
(:class:`Suppliers`), final-goods markets (:class:`Markets`), firms' accounts and share prices
(:class:`Finance`) and governments' scores (:class:`Governments`), plus the run's constants
(:class:`Reference`), fixed at step 0. Every changing array lives in exactly one of them and is
written only by the phases of :mod:`sim.engine.phases`; the restriction state that moves write
is :class:`sim.engine.policy.PolicyState`.

The model starts in its no-policy steady state (:func:`initial_state`): stocks at target cover,
pipelines full, prices at the reference, so that a run without moves stays flat but for demand
noise.

Shapes: F firms, C components, S suppliers, L firm–supplier links, G countries, R regions,
P products, H pipeline slots (the longest lead time + 1), K objectives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import market, valuation
from sim.engine.inputs import Inputs, initial_inputs
from sim.engine.links import Links
from sim.engine.objectives import objective_weights, stake
from sim.engine.relations import relations
from sim.engine.steady import steady_plans
from sim.engine.world import World
from sim.scenario.calendar import STEP_DAYS
from sim.scenario.models import Scenario

Array = np.ndarray


@dataclass(frozen=True)
class Reference:
    """Constants of a run, derived once from the scenario at step 0 and never written again."""

    holding_rate: float  # share of stock value per step
    obsolescence: float  # share of stock written off per step
    risk_decay: float  # perceived risk kept per step when nothing follows
    build_lag: int  # steps orders must exceed an emerging supplier's capacity before it grows
    shield_steps: float  # stock cover (steps) that halves the hazard priced into share prices
    capacity: Array  # [F] output capacity: the scenario's, or less if suppliers cannot feed it;
    # it grows on sustained demand (phases.expand_firms) and with redesigns' return
    excess: Array  # [F] demand above capacity in the steady state (a short firm's): growth
    # answers only demand beyond it
    use_share: Array  # [F, C] share of the bill used: < 1 for a non-critical component short
    # at step 0 (the firm makes the rest of its output without it; sim/engine/steady.py)
    scarcity: Array  # [F] share of demand the firm cannot serve in the steady state
    market: Array  # [F, R] index of each firm's (product, region) market
    price: Array  # [F] reference price of each firm's product
    unit_cost: Array  # [F] components' cost per unit of output at step 0
    other_cost: Array  # [F] variable non-component cost per unit of output
    fixed_cost: Array  # [F] cost per step whether the firm produces or not
    profit: Array  # [F] steady-state profit per step
    output: Array  # [F] steady-state output
    revenue: Array  # [F] steady-state revenue
    supplier_revenue: Array  # [S] steady-state revenue
    weights: Array  # [K, G] objective weights, each column summing to 1
    stake: Array  # [G] unit of the money objectives: region's spending + producers' revenue
    relation: Array  # [G, G] closeness of country h to g (sim/engine/relations.py)
    # prices and welfare (docs/model.md, sections 3, 5 and 7)
    supplier_price: Array  # [S] reference component prices
    component_price: Array  # [C] mean reference price of each component's suppliers
    margin: Array  # [F] steady-state margin over marginal cost, p_ref − c0 − variable cost
    elasticity: Array  # [F, R] own-price elasticity of demand in each market, steady state
    region_weight: Array  # [F, R] share of each region in the firm's steady demand (the
    # weights of its mean price)
    choice_weight: Array  # [P·R] sum of buyers' logit weights in the steady state
    # -- costs, cash and suppliers' value (docs/model.md, "6. Finance") --
    cash: Array  # [F] the cash a firm keeps (its cash at step 0); profit beyond it is paid out
    supplier_unit_cost: Array  # [S] variable cost per unit shipped
    supplier_fixed_cost: Array  # [S] cost per step whether it ships or not
    supplier_profit: Array  # [S] steady-state profit per step
    # -- forward-looking share prices (docs/model.md, "6. Finance") --
    discount: float  # investors' discount factor per step
    lift_steps: float  # steps investors expect a restriction in force to last from any step
    value: Array  # [F] steady-state equity value: discounted profit plus cash
    fade: float  # persistence a step of profit above the steady state's (rents fade)
    capacity0: Array  # [F] capacity at step 0 (what later growth is measured from)
    capital_unit: Array  # [F] capital per unit of capacity (what growth costs its owners)
    supplier_capital_unit: Array  # [S] the same for suppliers
    supplier_cash: Array  # [S] cash a supplier holds (cash_days of its steady costs)
    supplier_value: Array  # [S] steady-state equity value
    flow_value: Array  # [L] steady-state sales on each firm link (base flow × price)


@dataclass
class Firms:
    """What each firm expects, plans, holds and makes."""

    forecast: Array  # [F] smoothed demand
    planned: Array  # [F] production plan this step
    expected_use: Array  # [F, C] expected component use per step
    order: Array  # [F, C] orders placed this step
    stock: Array  # [F, C] components in stock
    stock_value: Array  # [F, C] book value of that stock
    avg_cost: Array  # [F, C] average cost per unit in stock
    unit_cost: Array  # [F] components' cost per unit of output
    finished: Array  # [F] finished goods available to sell
    finished_value: Array  # [F] their cost (components and variable cost), booked at sale
    cogs: Array  # [F] cost of the goods sold this step
    output: Array  # [F]
    shortfall: Array  # [F] planned output lost for lack of components
    consumed_value: Array  # [F] book value of components used this step
    cover: Array  # [F, C] stock in steps of expected use
    inventory_cover: Array  # [F] lowest cover over critical components
    exposure: Array  # [F, G] share of intended purchases (by value) from each country
    # rationing scarce stock (phase 2): the most the stock sustains over the expected outage
    sustainable: Array  # [F] output per step; inf where the firm faces no cut-off
    pressure: Array  # [F] perceived excess demand, 0–1 (smoothed over the build lag)
    demand_seen: Array  # [F] demand buyers brought, turned-away ones included (smoothed)
    source_pressure: Array  # [F, C] perceived shortage of a component from its sources, 0–1


@dataclass
class Pipeline:
    """Orders in transit and this step's flows on each link."""

    arrivals: Array  # [H, F·C] units due in each slot (a ring buffer over steps)
    arrival_value: Array  # [H, F·C] their cost
    supply_line: Array  # [F, C] units ordered, not yet received
    allowed: Array  # [L] share of orders each link may carry this step (from the policy)
    shipped: Array  # [L] units shipped on each link this step
    received: Array  # [F, C] units that arrived this step
    cost: Array  # [L] what firms paid for this step's shipments, tariffs included
    duty: Array  # [G] tariffs each government collected on these shipments


@dataclass
class Suppliers:
    """Component makers' capacity and sales."""

    capacity: Array  # [S]
    pressure: Array  # [S] perceived excess demand, 0–1 (smoothed over the build lag)
    requested: Array  # [S] units asked of each supplier this step
    shipments: Array  # [S]
    revenue: Array  # [S]
    utilization: Array  # [S] shipments / capacity
    share: Array  # [S] share of its component's shipments
    price: Array  # [S] current component price (rises with unfilled orders, falls back)
    profit: Array  # [S] per step: revenue − variable cost of shipments − fixed cost
    expected_profit: Array  # [S] normal profit: smoothed while no customer is threatened
    run_rate: Array  # [S] smoothed profit, every step
    lasting: Array  # [S] as Finance.lasting, learnt while a customer is threatened
    share_price: Array  # [S] 100 at step 0


@dataclass
class Markets:
    """Final goods: firms' prices and sales, and each (product, region) market."""

    price: Array  # [F] each firm's mean price over its regions (steady-demand weights)
    price_by_region: Array  # [F, R] its price in each region (before tariffs)
    sales: Array  # [F]
    sales_by_region: Array  # [F, R]
    revenue: Array  # [F]
    market_share: Array  # [F] share of all sales of its product
    price_index: Array  # [P·R] share-weighted price paid in each market
    demand: Array  # [P·R] units demanded in each market
    paid: Array  # [F, R] what buyers paid, tariffs included
    spill: Array  # [F, R] of the sales, those to buyers whose choice had no goods left
    consumer_surplus: Array  # [P·R] change against the steady state, share of its spending
    duty: Array  # [G] tariffs each government collected on this step's sales


@dataclass
class Finance:
    """Firms' profit, expectations and market value."""

    profit: Array  # [F] per step
    expected_profit: Array  # [F] normal profit: smoothed while no restriction holds it down
    run_rate: Array  # [F] smoothed profit, every step
    lasting: Array  # [F] the part of normal profit's fall below the steady state's learnt
    # under a restriction: it lasts, where other deviations fade (docs/model.md, section 6)
    exposure: Array  # [F, G] investors' view of the firm's purchases by country: the firms'
    # exposure, learnt only while no restriction distorts its orders
    share_price: Array  # [F] 100 at step 0
    write_down: Array  # [F] value of stock written off this step
    cash: Array  # [F] cash held: profit and fines change it
    out: Array  # [F] bool: the firm's cash ran out and it exited (for good)


@dataclass
class Governments:
    """Each government's objectives and weighted score."""

    objectives: Array  # [K, G], each in [-1, 1], 0 at the start
    score: Array  # [G]
    tariff_revenue: Array  # [G] tariffs collected this step (final goods and components)
    fines: Array  # [G] fines collected this step (paid by firms out of their cash)
    fines_by: Array  # [G, F] of which paid by each firm
    fined: Array  # [G, F] bool: the government has collected a fine from the firm


@dataclass
class State:
    """Everything that changes during a run, by owner."""

    ref: Reference
    firms: Firms
    pipeline: Pipeline
    suppliers: Suppliers
    markets: Markets
    finance: Finance
    governments: Governments
    inputs: Inputs  # tier 2: suppliers' own inputs (sim/engine/inputs.py)


def initial_state(spec: Scenario, w: World, links: Links) -> State:
    """The no-policy steady state of a scenario."""
    o = spec.model
    F, C = w.bom.shape
    S, G, R = len(w.suppliers), len(w.countries), len(w.regions)
    step_days = STEP_DAYS[spec.calendar.step]
    per_year = 365.25 / step_days
    mkt = w.firm_product[:, None] * R + np.arange(R)[None, :]
    ref_price = w.product_price[w.firm_product]

    # demand each firm faces at reference prices: the logit split of each market by appeal
    flat = mkt.ravel()
    M = len(w.products) * R
    share = market.group_shares(w.appeal.ravel(), flat, M)
    holding_rate = o.holding_cost_per_year / per_year
    obsolescence = 1.0 - (1.0 - o.obsolescence_per_year) ** (1.0 / per_year)
    # The steady state's plans and flows are the fixed point of the step's own rules
    # (sim/engine/steady.py): feasible orders rationed and re-placed, a firm its suppliers
    # cannot feed producing what they can (that is then its capacity), and the demand a short
    # firm cannot serve spilling to its rivals. Firms then order in those proportions, so no
    # supplier starts oversubscribed and emerging ones grow only when a policy sends them
    # demand.
    fixed = steady_plans(w, links, mkt, ref_price, obsolescence)
    planned, capacity, forecast = fixed.planned, fixed.capacity, fixed.forecast
    wanted_by_region, expected_use, stock = fixed.by_region, fixed.expected_use, fixed.stock
    need, flow = fixed.need, fixed.flow
    # the steady state's demand elasticities and logit weights, the reference of markups
    # and of consumer surplus (phase 5 computes the same at reference prices)
    elasticity0 = market.demand_elasticity(
        share.reshape(-1, R), np.repeat(ref_price[:, None], R, axis=1),
        np.repeat(w.product_price, R), fixed.price_index,
        np.repeat(w.product_elasticity, R), w.base_demand.ravel(), mkt, o.choice_sensitivity)
    choice_weight = np.bincount(flat, w.appeal.ravel(), M)
    total = wanted_by_region.sum(axis=1, keepdims=True)
    region_weight = np.divide(wanted_by_region, total, out=np.full((F, R), 1.0 / R),
                              where=total > 0)
    # a firm that cannot serve all its demand sells all it makes and holds no finished goods;
    # one that can keeps one step of output in hand
    served = np.divide(planned, forecast, out=np.ones(F), where=forecast > 0)
    wanted = (need.ravel()[links.fc]
              * market.group_shares(links.preference, links.fc, F * C))
    links.calibrate(np.divide(flow, wanted, out=np.ones(len(links)), where=wanted > 0), flow)
    split = market.group_shares(links.weight, links.fc, F * C)
    price = w.supplier_price[links.supplier]
    avg_cost = np.bincount(links.fc, split * price, F * C).reshape(F, C)
    unit_cost = (w.bom * fixed.use_share * avg_cost).sum(axis=1)
    margin = w.product_margin[w.firm_product]
    # non-component costs: a share is fixed (paid whether the firm produces or not), so that
    # stopping production loses money rather than saving it
    other = np.maximum(0.0, ref_price * (1 - margin) - unit_cost)
    # a firm's own fixed cost (`firms.X.fixed_cost`) replaces that share: the rest of its
    # non-component cost at steady output is variable
    given = np.array([np.nan if f.fixed_cost is None else f.fixed_cost
                      for f in spec.firms.values()], float).reshape(F)
    fixed_cost = np.where(np.isnan(given), other * o.fixed_cost_share * planned, given)
    other_cost = np.where(np.isnan(given), other * (1.0 - o.fixed_cost_share),
                          np.divide(np.maximum(0.0, other * planned - given), planned,
                                    out=np.zeros(F), where=planned > 0))
    finished = np.where(fixed.short, 0.0, planned)

    stock_value = stock * avg_cost
    H = int(w.lead_time.max(initial=1)) + 1
    arrivals, arrival_value = np.zeros((H, F * C)), np.zeros((H, F * C))
    for k in range(H - 1):  # shipments made before step 0, due at steps 0..lead-1
        due = links.lead > k
        arrivals[k] = np.bincount(links.fc[due], flow[due], F * C)
        arrival_value[k] = np.bincount(links.fc[due], (flow * price)[due], F * C)

    flow_in = np.bincount(links.fc, flow, F * C).reshape(F, C)  # arrivals each step
    shipments = np.bincount(links.supplier, flow, S)
    # tier 2: suppliers' own inputs in their steady state, and what their sources ship them
    inputs = initial_inputs(w, links.inputs, shipments, H)
    if len(links.inputs):
        shipments = shipments + np.bincount(links.inputs.supplier, inputs.shipped, S)
    supplier_revenue = shipments * w.supplier_price
    held = stock_value.sum(axis=1) / (1.0 - obsolescence)  # what settle_finance values
    revenue = planned * ref_price
    # the profit settle_finance books in the steady state (revenue − cost of goods − fixed
    # cost − holding − write-down): margin × revenue − holding − write-down unless a firm's
    # own fixed cost exceeds its non-component cost
    base_profit = (revenue - planned * (unit_cost + other_cost) - fixed_cost
                   - (holding_rate + obsolescence) * held)
    # cash: the firm's own, or `cash_days` of its steady-state costs
    own = np.array([np.nan if f.cash is None else f.cash for f in spec.firms.values()],
                    float).reshape(F)
    cash = np.where(np.isnan(own), (revenue - base_profit) * o.cash_days / step_days, own)
    # suppliers: of the cost of their steady shipments (1 − margin of revenue), the fixed
    # share is paid per step whatever they ship
    sup_margin = np.array([x.margin for x in spec.suppliers.values()], float).reshape(S)
    sup_cost = w.supplier_price * (1.0 - sup_margin)
    sup_unit_cost = sup_cost * (1.0 - o.fixed_cost_share)
    sup_fixed_cost = sup_cost * o.fixed_cost_share * shipments
    sup_profit = supplier_revenue - sup_unit_cost * shipments - sup_fixed_cost
    sup_cash = (supplier_revenue - sup_profit) * o.cash_days / step_days
    discount = (1.0 + o.discount_per_year) ** (-step_days / 365.25)
    # capital a unit of capacity ties up: `capital_years` of its revenue at the reference price
    capital_unit = o.capital_years * ref_price * per_year
    supplier_capital_unit = o.capital_years * w.supplier_price.astype(float) * per_year

    ref = Reference(
        holding_rate=holding_rate, obsolescence=obsolescence,
        risk_decay=0.5 ** (step_days / o.risk_half_life_days),
        build_lag=spec.steps_of_days(o.build_lag_days),
        shield_steps=o.risk_shield_days / step_days,
        capacity=capacity, excess=np.maximum(0.0, fixed.seen - capacity),
        use_share=fixed.use_share, scarcity=np.clip(1.0 - served, 0.0, 1.0),
        market=mkt, price=ref_price, unit_cost=unit_cost, other_cost=other_cost,
        fixed_cost=fixed_cost,
        profit=base_profit, output=planned.copy(), revenue=revenue,
        supplier_revenue=supplier_revenue, weights=objective_weights(spec, w.countries),
        stake=stake(w, revenue, supplier_revenue), relation=relations(spec),
        supplier_price=w.supplier_price.astype(float).copy(),
        component_price=(np.bincount(w.supplier_component, w.supplier_price.astype(float),
                                     len(w.components))
                         / np.maximum(np.bincount(w.supplier_component,
                                                  minlength=len(w.components)), 1)),
        margin=ref_price - unit_cost - other_cost, elasticity=elasticity0,
        region_weight=region_weight,
        choice_weight=choice_weight,
        cash=cash, supplier_unit_cost=sup_unit_cost, supplier_fixed_cost=sup_fixed_cost,
        supplier_profit=sup_profit,
        discount=discount, lift_steps=spec.model.lift_expected_days / step_days,
        value=valuation.steady_value(base_profit, discount, cash),
        fade=o.profit_persistence_per_year ** (1.0 / per_year),
        capacity0=capacity.copy(), capital_unit=capital_unit,
        supplier_capital_unit=supplier_capital_unit,
        supplier_cash=sup_cash,
        supplier_value=valuation.steady_value(sup_profit, discount, sup_cash),
        flow_value=flow * w.supplier_price[links.supplier])
    firms = Firms(
        forecast=forecast, planned=planned.copy(), expected_use=expected_use,
        order=need, stock=stock, stock_value=stock_value, avg_cost=avg_cost,
        unit_cost=unit_cost.copy(), finished=finished,
        finished_value=finished * (unit_cost + other_cost), cogs=planned * (unit_cost + other_cost),
        output=planned.copy(),
        shortfall=np.zeros(F), consumed_value=planned * unit_cost,
        cover=np.where(w.bom > 0, w.cover[:, None], 0.0),
        inventory_cover=w.cover.astype(float).copy(),
        exposure=links.exposure(expected_use),
        sustainable=np.full(F, np.inf), pressure=np.zeros(F), demand_seen=fixed.seen.copy(),
        source_pressure=np.zeros((F, C)))
    pipeline = Pipeline(arrivals=arrivals, arrival_value=arrival_value,
                        supply_line=arrivals.sum(axis=0).reshape(F, C),
                        allowed=np.ones(len(links)), shipped=flow.copy(),
                        received=flow_in, cost=flow * price, duty=np.zeros(G))
    suppliers = Suppliers(
        capacity=w.supplier_capacity.copy(), pressure=np.zeros(S),
        requested=shipments.copy(),
        shipments=shipments, revenue=supplier_revenue.copy(),
        utilization=np.divide(shipments, w.supplier_capacity, out=np.zeros(S),
                              where=w.supplier_capacity > 0),
        share=market.group_shares(shipments, w.supplier_component, C),
        price=w.supplier_price.astype(float).copy(),
        profit=sup_profit.copy(), expected_profit=sup_profit.copy(), run_rate=sup_profit.copy(),
        lasting=np.zeros(S),
        share_price=np.full(S, 100.0))
    markets = Markets(
        price=ref_price.copy(), price_by_region=np.repeat(ref_price[:, None], R, axis=1),
        sales=planned.copy(),
        sales_by_region=wanted_by_region * served[:, None],
        revenue=revenue.copy(),
        market_share=market.group_shares(planned, w.firm_product, len(w.products)),
        price_index=np.repeat(w.product_price, R), demand=w.base_demand.ravel().copy(),
        paid=wanted_by_region * served[:, None] * ref_price[:, None],
        spill=np.zeros((F, R)), consumer_surplus=np.zeros(M), duty=np.zeros(G))
    finance = Finance(profit=base_profit.copy(), expected_profit=base_profit.copy(),
                      run_rate=base_profit.copy(), lasting=np.zeros(F),
                      exposure=links.exposure(expected_use),
                      share_price=np.full(F, 100.0), write_down=np.zeros(F),
                      cash=cash.copy(), out=np.zeros(F, bool))
    governments = Governments(objectives=np.zeros((len(ref.weights), G)), score=np.zeros(G),
                              tariff_revenue=np.zeros(G), fines=np.zeros(G),
                              fines_by=np.zeros((G, F)), fined=np.zeros((G, F), bool))
    return State(ref, firms, pipeline, suppliers, markets, finance, governments, inputs)
