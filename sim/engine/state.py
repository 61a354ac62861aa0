"""The model's changing numbers and the phase computations over them.

:class:`State` holds every array that changes from step to step (stocks, pipelines, prices,
capacities, profits, scores) and one method per phase of the step; each method is a few calls
to the pure functions of :mod:`sim.engine.market`. The model starts in its no-policy steady state:
stocks at target cover, pipelines full, prices at the reference, so that a run without moves
stays flat but for demand noise.
"""

from __future__ import annotations

import numpy as np

from sim.engine import market
from sim.engine.links import Links
from sim.engine.policy import PolicyState
from sim.engine.world import World
from sim.scenario import STEP_DAYS, Scenario

OBJECTIVES = ("security", "industry", "consumers", "escalation")
COVER_CAP = 999.0  # steps; what "cover" means when a firm expects no use


class State:
    """Arrays that change each step. Shapes as in :class:`~sim.engine.world.World`."""

    @classmethod
    def initial(cls, spec: Scenario, w: World, links: Links) -> State:
        """The no-policy steady state of a scenario."""
        s = cls()
        o = spec.model
        F, C, S = len(w.firms), len(w.components), len(w.suppliers)
        G, R = len(w.countries), len(w.regions)
        s.opts = o
        s.step_days = STEP_DAYS[spec.calendar.step]
        per_year = 365.25 / s.step_days
        s.holding_rate = o.holding_cost_per_year / per_year
        s.obsolescence = 1.0 - (1.0 - o.obsolescence_per_year) ** (1.0 / per_year)
        s.risk_decay = 0.5 ** (s.step_days / o.risk_half_life_days)
        s.build_lag = spec.steps_of_days(o.build_lag_days)
        s.shield_steps = o.risk_shield_days / s.step_days
        s.market = w.firm_product[:, None] * R + np.arange(R)[None, :]
        s.ref_price = w.product_price[w.firm_product]

        # demand each firm faces at reference prices: the logit split of each market by appeal
        R = len(w.regions)
        flat = s.market.ravel()
        share = market.group_shares(w.appeal.ravel(), flat, len(w.products) * R)
        s.forecast = (share * w.base_demand.ravel()[flat]).reshape(-1, R).sum(axis=1)
        s.planned = np.minimum(w.firm_capacity, s.forecast)
        s.expected_use = s.planned[:, None] * w.bom

        # sources' static split and prices
        split = market.group_shares(links.preference, links.fc, F * C)
        price_fc = np.bincount(links.fc, split * w.supplier_price[links.supplier], F * C)
        s.avg_cost = price_fc.reshape(F, C)
        s.base_unit_cost = (w.bom * s.avg_cost).sum(axis=1)
        s.unit_cost = s.base_unit_cost.copy()
        s.other_cost = np.maximum(0.0, s.ref_price * (1 - w.product_margin[w.firm_product])
                                  - s.base_unit_cost)

        s.stock = w.cover[:, None] * s.expected_use
        s.stock_value = s.stock * s.avg_cost
        s.finished = s.planned.copy()
        H = int(w.lead_time.max(initial=1)) + 1
        s.horizon = H
        s.arrivals = np.zeros((H, F * C))
        s.arrival_value = np.zeros((H, F * C))
        flow = s.expected_use.ravel()[links.fc] * split
        for k in range(H - 1):  # shipments made before step 0, due at steps 0..lead-1
            due = links.lead > k
            s.arrivals[k] = np.bincount(links.fc[due], flow[due], F * C)
            s.arrival_value[k] = np.bincount(
                links.fc[due], (flow * w.supplier_price[links.supplier])[due], F * C)
        s.supply_line = s.arrivals.sum(axis=0).reshape(F, C)
        s.supply_line_value = s.arrival_value.sum(axis=0).reshape(F, C)
        s.order = s.expected_use.copy()
        s.allowed = np.ones(len(links))

        s.capacity = w.supplier_capacity.copy()
        s.pressure = np.zeros(S)
        s.shipments = np.bincount(links.supplier, flow, S)
        s.requested = s.shipments.copy()
        s.supplier_revenue = s.shipments * w.supplier_price
        s.ref_supplier_revenue = s.supplier_revenue.copy()
        s.utilization = np.divide(s.shipments, s.capacity, out=np.zeros(S), where=s.capacity > 0)
        s.supplier_share = market.group_shares(s.shipments, w.supplier_component, C)
        s.exposure = np.zeros((F, G))
        s._update_exposure(w, links, 1.0)

        s.price = s.ref_price.copy()
        s.output = s.planned.copy()
        s.shortfall = np.zeros(F)
        s.sales = s.planned.copy()
        s.sales_by_region = np.zeros((F, R))
        s.revenue = s.sales * s.price
        s.consumed_value = s.output * s.base_unit_cost
        held = s.stock_value.sum(axis=1)
        s.base_profit = (w.product_margin[w.firm_product] * s.ref_price * s.planned
                         - (s.holding_rate + s.obsolescence) * held)
        s.profit = s.base_profit.copy()
        s.expected_profit = s.base_profit.copy()
        s.share_price = np.full(F, 100.0)
        s.market_share = market.group_shares(s.sales, w.firm_product, len(w.products))
        s.inventory_cover = w.cover.astype(float).copy()
        s.cover = np.where(w.bom > 0, w.cover[:, None], 0.0)
        s.ref_output = s.planned.copy()
        s.ref_revenue = s.revenue.copy()
        s.price_index = np.repeat(w.product_price, R)
        s.demand = w.base_demand.ravel().copy()
        s.objectives = np.zeros((len(OBJECTIVES), G))
        s.score = np.zeros(G)
        s.objective_weights = cls.weights(spec, w)
        return s

    # -- phase 1 ------------------------------------------------------------------------------
    def decay_risk(self, policy: PolicyState, w: World) -> None:
        """Perceived risk decays with a half-life unless the firm is listed (risk 1)."""
        listed = policy.listed.any(axis=0)
        policy.risk[:] = np.where(listed, 1.0, policy.risk * self.risk_decay)

    # -- phase 2 ------------------------------------------------------------------------------
    def plan(self, policy: PolicyState, w: World, links: Links) -> None:
        """Production plan, target stocks and orders per (firm, component)."""
        o = self.opts
        F, C = w.bom.shape
        expected = np.minimum(w.firm_capacity, self.forecast)
        self.planned = np.clip(expected + o.stock_adjustment * (expected - self.finished),
                               0.0, w.firm_capacity)
        self.expected_use = expected[:, None] * w.bom
        target = policy.effective_cover() * self.expected_use
        weight = links.preference * (self.allowed > 0)
        total = np.bincount(links.fc, weight, F * C)
        lead = np.divide(np.bincount(links.fc, weight * links.lead, F * C), total,
                         out=np.zeros(F * C), where=total > 0)
        desired_line = self.expected_use * lead.reshape(F, C)
        self.order = market.order_quantity(self.expected_use, target, self.stock,
                                           self.supply_line, desired_line,
                                           o.stock_adjustment, o.supply_line_weight)

    # -- phase 3 ------------------------------------------------------------------------------
    def supply(self, policy: PolicyState, w: World, links: Links, t: int) -> None:
        """Receive what is due, then suppliers ration, ship, and emerging ones grow."""
        F, C = w.bom.shape
        S = len(w.suppliers)
        slot = t % self.horizon
        arrived, value = self.arrivals[slot].reshape(F, C), self.arrival_value[slot].reshape(F, C)
        self.stock += arrived
        self.stock_value += value
        self.supply_line -= arrived
        self.supply_line_value -= value
        self.arrivals[slot] = 0.0
        self.arrival_value[slot] = 0.0

        price = w.supplier_price[links.supplier]
        shipped, self.requested = market.place_orders(
            self.order.ravel(), links.fc, links.preference, self.allowed, links.supplier,
            self.capacity)
        links.shipments = shipped
        due = (t + links.lead) % self.horizon
        flat = due * F * C + links.fc
        self.arrivals += np.bincount(flat, shipped, self.arrivals.size).reshape(self.arrivals.shape)
        self.arrival_value += np.bincount(flat, shipped * price,
                                          self.arrivals.size).reshape(self.arrivals.shape)
        self.supply_line += np.bincount(links.fc, shipped, F * C).reshape(F, C)
        self.supply_line_value += np.bincount(links.fc, shipped * price, F * C).reshape(F, C)

        self.shipments = np.bincount(links.supplier, shipped, S)
        self.supplier_revenue = self.shipments * w.supplier_price
        self.utilization = np.divide(self.shipments, self.capacity, out=np.zeros(S),
                                     where=self.capacity > 0)
        self.supplier_share = market.group_shares(self.shipments, w.supplier_component, C)
        self._update_exposure(w, links, self.opts.forecast_smoothing)
        self._grow(policy, w)

    def _update_exposure(self, w: World, links: Links, weight: float) -> None:
        """Share of each firm's intended purchases (by value) from each country's suppliers."""
        F, G = self.exposure.shape
        split = market.group_shares(links.preference, links.fc, len(self.order.ravel()))
        value = self.order.ravel()[links.fc] * split * w.supplier_price[links.supplier]
        by = np.bincount(links.firm * G + w.supplier_country[links.supplier], value,
                         F * G).reshape(F, G)
        total = by.sum(axis=1, keepdims=True)
        share = np.divide(by, total, out=np.zeros_like(by), where=total > 0)
        self.exposure = market.smooth(self.exposure, share, weight)

    def _grow(self, policy: PolicyState, w: World) -> None:
        """Emerging suppliers grow on demand: after orders have exceeded capacity for about a
        build lag, capacity rises toward the ramp ceiling over about ``ramp.steps``."""
        over = self.requested > self.capacity * (1 + 1e-9)
        self.pressure = np.where(over, self.pressure + 1, np.maximum(self.pressure - 1, 0))
        lag = self.build_lag / policy.subsidy
        ramping = (w.ramp_steps > 0) & over & (self.pressure >= lag)
        rate = (w.ramp_capacity - w.supplier_capacity) / np.maximum(w.ramp_steps, 1) \
            * policy.subsidy
        self.capacity = np.where(ramping, np.minimum(w.ramp_capacity, self.capacity + rate),
                                 self.capacity)

    # -- phase 4 ------------------------------------------------------------------------------
    def produce(self, w: World) -> None:
        """Output = min(plan, what critical components allow); components are consumed."""
        can = market.producible(self.stock, w.bom, w.critical)
        self.output = np.minimum(self.planned, can)
        self.shortfall = self.planned - self.output
        used = np.minimum(self.output[:, None] * w.bom, self.stock)
        self.avg_cost = np.divide(self.stock_value, self.stock, out=self.avg_cost.copy(),
                                  where=self.stock > 1e-12)
        self.consumed_value = (used * self.avg_cost).sum(axis=1)
        self.stock = self.stock - used
        self.stock_value = np.maximum(0.0, self.stock_value - used * self.avg_cost)
        self.unit_cost = (w.bom * self.avg_cost).sum(axis=1)
        self.finished = self.finished + self.output

    # -- phase 5 ------------------------------------------------------------------------------
    def clear_markets(self, policy: PolicyState, w: World, shock: np.ndarray) -> None:
        """Demand by region, buyers' choice between firms, sales, spill-over, then prices."""
        o = self.opts
        P, R = w.base_demand.shape
        paid = self.price[:, None] * (1.0 + policy.tariff_on())
        ref = self.ref_price[:, None]
        weight = market.logit_weights(paid, ref, policy.access() * w.appeal,
                                      o.choice_sensitivity)
        res = market.clear_markets(weight, paid, self.market, w.base_demand.ravel(),
                                   np.repeat(w.product_price, R),
                                   np.repeat(w.product_elasticity, R), shock, self.finished)
        self.sales_by_region = res["sales"]
        self.sales = res["sales"].sum(axis=1)
        self.revenue = self.sales * self.price
        self.finished = np.maximum(0.0, self.finished - self.sales)
        wanted = res["wanted"].sum(axis=1)
        spill = res["spill"].sum(axis=1)
        self.forecast = market.smooth(self.forecast, wanted + spill, o.forecast_smoothing)
        served = self.sales - spill
        scarcity = np.divide(wanted - served, wanted, out=np.zeros_like(wanted),
                             where=wanted > 0)
        self.price_index, self.demand = res["price_index"], res["demand"]
        self.market_share = market.group_shares(self.sales, w.firm_product, P)
        self.price = market.adjust_price(self.price, self.ref_price, self.unit_cost,
                                         self.base_unit_cost, np.clip(scarcity, 0, 1),
                                         o.price_adjustment, o.scarcity_markup)

    # -- phase 6 ------------------------------------------------------------------------------
    def settle(self, policy: PolicyState, w: World) -> None:
        """Profit (revenue − costs − holding − write-downs), expectations and share prices."""
        o = self.opts
        held = self.stock_value.sum(axis=1)
        holding = self.holding_rate * held
        self.write_down = self.obsolescence * held
        self.stock = self.stock * (1 - self.obsolescence)
        self.stock_value = self.stock_value * (1 - self.obsolescence)
        self.profit = (self.revenue - self.consumed_value - self.other_cost * self.output
                       - holding - self.write_down)
        self.expected_profit = market.smooth(self.expected_profit, self.profit,
                                             o.profit_smoothing)
        self.cover = np.divide(self.stock, self.expected_use,
                               out=np.where(self.stock > 0, COVER_CAP, 0.0),
                               where=self.expected_use > 1e-12).clip(0, COVER_CAP)
        crit = np.where((w.bom > 0) & w.critical[None, :], self.cover, np.inf)
        self.inventory_cover = np.where(np.isfinite(crit.min(axis=1)), crit.min(axis=1), 0.0)
        src = policy.risk_source
        exposure = np.where(src >= 0, self.exposure[np.arange(len(src)), np.maximum(src, 0)], 0)
        shield = 1.0 / (1.0 + self.inventory_cover / self.shield_steps)
        hazard = policy.risk * exposure * o.loss_given_listing * shield
        realised = np.clip(1.0 - np.divide(self.expected_profit, self.base_profit,
                                           out=np.ones_like(self.base_profit),
                                           where=self.base_profit > 0), 0.0, 1.0)
        self.share_price = market.share_value(self.expected_profit, self.base_profit, hazard,
                                              realised)

    # -- phase 7 ------------------------------------------------------------------------------
    def score_governments(self, policy: PolicyState, w: World) -> None:
        """Each government's objectives (each 0 at the start) and its weighted score."""
        G, R = len(w.countries), len(w.regions)
        targeted = policy.listed | (policy.risk_source[None, :] == np.arange(G)[:, None])
        ref_out = targeted @ self.ref_output
        security = np.divide(ref_out - targeted @ self.output, ref_out, out=np.zeros(G),
                             where=ref_out > 0)
        own_f = w.firm_country[None, :] == np.arange(G)[:, None]
        own_s = w.supplier_country[None, :] == np.arange(G)[:, None]
        ref_rev = own_f @ self.ref_revenue + own_s @ self.ref_supplier_revenue
        rev = own_f @ self.revenue + own_s @ self.supplier_revenue
        industry = np.divide(rev - ref_rev, ref_rev, out=np.zeros(G), where=ref_rev > 0)
        base = w.base_demand  # [P, R]
        paid = (self.price_index.reshape(base.shape) * base).sum(axis=0)
        ref_paid = (w.product_price[:, None] * base).sum(axis=0)
        consumers_r = -np.divide(paid - ref_paid, ref_paid, out=np.zeros(R), where=ref_paid > 0)
        consumers = consumers_r[w.country_region]
        made, received = policy.active_measures()
        escalation = -np.minimum(1.0, 0.1 * (made + received))
        # each objective is a relative change, clipped to [-1, 1] so that one runaway ratio
        # (a supplier growing twentyfold from nothing) cannot swamp a weighted score
        self.objectives = np.clip(np.vstack([security, industry, consumers, escalation]), -1, 1)
        self.score = (self.objective_weights * self.objectives).sum(axis=0)

    @staticmethod
    def weights(spec: Scenario, w: World) -> np.ndarray:
        """Objective weights per government, normalised to sum 1 (equal when none given)."""
        out = np.full((len(OBJECTIVES), len(w.countries)), 1.0 / len(OBJECTIVES))
        for g, name in enumerate(w.countries):
            given = spec.countries[name].objectives
            total = sum(given.values())
            if total > 0:
                out[:, g] = [given.get(k, 0.0) / total for k in OBJECTIVES]
        return out

