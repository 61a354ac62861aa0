"""Direct tests of the eight phases (sim/engine/phases.py) on the tiny world of tests/worlds.py.

Each phase is called on its own, on a state nudged away from the steady state, and its result
compared with numbers worked out by hand. In the steady state each firm sells 5 phones in
each region (10 per step), holds 4 steps of use (40 socs, 40 cases), pays 10 a soc and 5 a
case (unit cost 15) and sells at 100 with a 20% margin.
"""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pyarrow.csv as pacsv
import pytest
from numpy.testing import assert_allclose

from sim.engine import phases
from sim.engine.model import TradeModel
from sim.engine.output import tidy_table
from sim.rules.moves import MoveCall, apply_move
from sim.scenario import validate_document
from tests.worlds import (
    A_TW,
    A_US,
    APPLE,
    CASE,
    H_CN,
    H_TW,
    H_US,
    HUAWEI,
    K_CN,
    S_CN,
    S_US,
    SOC,
    tiny_document,
    tiny_world,
)

SALES_BY_REGION_BUG = (
    "initial_state sets Markets.sales_by_region to zeros while sales are at the steady state "
    "(5 per firm and region), so a strategy reading it in the policy phase of step 0 sees no "
    "sales: tit_for_tat answers a step-0 procurement ban on a firm with a ban on a supplier")
WEEK = 7 / 365.25  # a step, in years


def tiny(**options) -> TradeModel:
    return TradeModel(scenario=tiny_world(**options))


@pytest.fixture
def model() -> TradeModel:
    """The tiny world without obsolescence, whose step 0 is an exact steady state."""
    return tiny(obsolescence_per_year=0.0)


def move(model: TradeModel, actor: str, name: str, target: str | None = None,
         **params) -> str:
    return apply_move(model, MoveCall(actor, name, target, params))


def snapshot(m: TradeModel) -> dict[str, np.ndarray]:
    s = m.state
    return {
        "stock": s.firms.stock, "stock_value": s.firms.stock_value, "order": s.firms.order,
        "forecast": s.firms.forecast, "planned": s.firms.planned, "output": s.firms.output,
        "finished": s.firms.finished, "supply_line": s.pipeline.supply_line,
        "shipped": s.pipeline.shipped, "capacity": s.suppliers.capacity,
        "shipments": s.suppliers.shipments, "price": s.markets.price,
        "sales": s.markets.sales,
        "price_index": s.markets.price_index, "profit": s.finance.profit,
        "share_price": s.finance.share_price, "score": s.governments.score,
    }


def assert_steady(m: TradeModel, steps: int) -> None:
    before = copy.deepcopy(snapshot(m))
    for _ in range(steps):
        m.step()
    after = snapshot(m)
    drift = {k: float(np.max(np.abs(after[k] - before[k]))) for k in before}
    assert {k: d for k, d in drift.items() if d > 1e-9} == {}


# -- the steady state -----------------------------------------------------------------------
def test_initial_state_has_the_hand_computed_steady_values(model):
    s = model.state
    assert_allclose(s.firms.forecast, [10.0, 10.0])
    assert_allclose(s.firms.stock, [[40.0, 40.0], [40.0, 40.0]])
    assert_allclose(s.firms.unit_cost, [15.0, 15.0])
    # non-component cost 100 · (1 − 0.2) − 15 = 65 a unit: 70% variable, 30% fixed (× 10 units)
    assert_allclose(s.ref.other_cost, [45.5, 45.5])
    assert_allclose(s.ref.fixed_cost, [195.0, 195.0])
    # in transit: use × lead time of each source, e.g. apple's socs 5 · 2 + 5 · 4
    assert_allclose(s.pipeline.supply_line, [[30.0, 10.0], [30.0, 10.0]])
    assert_allclose(s.pipeline.shipped, [5, 5, 10, 10 / 3, 10 / 3, 10 / 3, 10])
    # exposure by value: apple buys 50 of socs from US and TW each, 50 of cases from CN
    assert_allclose(s.firms.exposure, [[1 / 3, 1 / 3, 1 / 3], [2 / 9, 5 / 9, 2 / 9]])


def test_a_step_without_noise_or_moves_changes_nothing(model):
    assert_steady(model, 1)


def test_ten_steps_without_noise_or_moves_change_nothing(model):
    assert_steady(model, 10)


def test_a_step_with_default_obsolescence_changes_nothing():
    assert_steady(tiny(), 1)


def test_initial_sales_by_region_match_the_steady_state(model):
    assert_allclose(model.state.markets.sales_by_region, [[5.0, 5.0], [5.0, 5.0]])


# -- 1. policy -----------------------------------------------------------------------------
def test_apply_policy_applies_the_steps_events_and_sets_allowed():
    m = TradeModel(scenario=tiny_world(events=[
        {"at": 0, "by": "US", "move": "entity_list", "target": "huawei", "license_rate": 0.3},
        {"at": 1, "by": "CN", "move": "tariff", "target": "US", "rate": 0.2}]))
    phases.apply_policy(m)
    assert m.state.pipeline.allowed[H_US] == 0.3
    assert m.state.pipeline.allowed.sum() == pytest.approx(6.3)
    assert m.policy.risk[HUAWEI] == 1.0
    assert not m.policy.tariff.any()  # not yet due


def test_apply_policy_holds_risk_while_the_threat_is_in_force_then_decays_it(model):
    move(model, "US", "announce", "apple", risk=0.5)  # at step 0; in force for 365 days
    window = model.spec.steps_of_days(model.spec.model.threat_days)
    model.step_index = window - 1
    phases.apply_policy(model)
    assert model.policy.risk[APPLE] == 0.5  # no destocking while the threat is credible
    model.step_index = window
    phases.apply_policy(model)
    assert model.policy.risk[APPLE] == pytest.approx(0.5 * 0.5 ** (7 / 365))


def test_a_lifted_listing_stays_credible_for_the_threat_window(model):
    move(model, "US", "entity_list", "huawei")
    phases.apply_policy(model)  # step 0: listed, risk 1
    move(model, "US", "delist", "huawei")
    window = model.spec.steps_of_days(model.spec.model.threat_days)
    model.step_index = window - 1
    phases.apply_policy(model)
    assert model.policy.risk[HUAWEI] == 1.0
    model.step_index = window
    phases.apply_policy(model)
    assert model.policy.risk[HUAWEI] < 1.0


def test_apply_policy_turns_a_completed_qualification_into_a_link(model):
    model.policy.pending_sources.append((0, APPLE, S_CN))
    phases.apply_policy(model)
    assert model.links.has(APPLE, S_CN)
    assert len(model.links) == 8
    assert len(model.state.pipeline.shipped) == 8 and model.state.pipeline.shipped[-1] == 0.0
    assert len(model.state.pipeline.allowed) == 8
    assert model.policy.pending_sources == []


def tit_for_tat_answer(at: int) -> tuple[int, str, str | None]:
    doc = tiny_document(events=[{"at": at, "by": "US", "move": "procurement_ban",
                                 "target": "huawei", "share": 0.5}])
    doc["countries"]["CN"]["strategy"] = {"name": "tit_for_tat", "delay": 0}
    m = TradeModel(scenario=validate_document(doc, {}, "<tiny>"))
    for _ in range(at + 1):
        m.step()
    answer = m.log[-1]
    return answer.step, answer.call.actor, answer.call.target


def test_tit_for_tat_answers_a_firm_ban_with_a_ban_on_the_senders_firm():
    assert tit_for_tat_answer(1) == (1, "CN", "apple")


def test_tit_for_tat_answers_a_step_0_firm_ban_in_kind():
    assert tit_for_tat_answer(0) == (0, "CN", "apple")


# -- 2. plan -------------------------------------------------------------------------------
def test_plan_orders_use_plus_alpha_times_the_stock_gap(model):
    s, o = model.state, model.spec.model
    s.firms.stock[APPLE, SOC] = 32.0  # 8 below the target of 4 · 10
    phases.plan(s, model.world, model.links, model.policy, o)
    assert_allclose(s.firms.order, [[10.0 + 0.25 * 8, 10.0], [10.0, 10.0]])


def test_plan_produces_more_when_finished_goods_run_low(model):
    s = model.state
    s.firms.finished[APPLE] = 6.0
    phases.plan(s, model.world, model.links, model.policy, model.spec.model)
    assert_allclose(s.firms.planned, [10.0 + 0.25 * (10 - 6), 10.0])


def test_plan_counts_the_supply_line_of_the_sources_still_allowed(model):
    move(model, "US", "entity_list", "huawei")  # huawei's socs now come from CN (3) and TW (4)
    s = model.state
    s.pipeline.allowed = model.policy.allowed(model.links, 0)
    phases.plan(s, model.world, model.links, model.policy, model.spec.model)
    # desired supply line 10 · 3.5 = 35 against 30 in transit: + α · β · 5
    assert_allclose(s.firms.order, [[10.0, 10.0], [10.0 + 0.25 * 0.5 * 5, 10.0]])


def test_plan_follows_a_stockpile_target(model):
    move(model, "huawei", "stockpile", "soc", cover=10.0)
    s = model.state
    phases.plan(s, model.world, model.links, model.policy, model.spec.model)
    assert_allclose(s.firms.order[HUAWEI], [10.0 + 0.25 * 60, 10.0])


# -- 3. supply -----------------------------------------------------------------------------
def empty_pipeline(m: TradeModel) -> None:
    p = m.state.pipeline
    p.arrivals[:] = 0.0
    p.arrival_value[:] = 0.0
    p.supply_line[:] = 0.0


def test_supply_rations_a_short_supplier_proportionally_and_re_sources(model):
    s, w = model.state, model.world
    s.suppliers.capacity[S_US] = 6.0  # asked 5 by apple and 10/3 by huawei: fills 72%
    phases.supply(s, w, model.links, model.policy, model.spec.model, 0)
    shipped = s.pipeline.shipped
    assert_allclose(shipped[[A_US, H_US]], [3.6, 2.4])
    # the unfilled rest goes to the sources with spare capacity: apple's 1.4 to TW, huawei's
    # 14/15 split between CN and TW
    assert_allclose(shipped[[A_TW, H_CN, H_TW]], [6.4, 10 / 3 + 7 / 15, 10 / 3 + 7 / 15])
    assert s.suppliers.shipments[S_US] == pytest.approx(6.0)
    assert s.suppliers.requested[S_US] == pytest.approx(25 / 3)
    assert s.suppliers.utilization[S_US] == pytest.approx(1.0)


def test_supply_ships_no_more_than_allowed(model):
    s, w = model.state, model.world
    s.pipeline.allowed = np.array([0.2, 1, 1, 1, 1, 1, 1])  # apple–s_us licensed at 20%
    s.firms.order[:, SOC] *= 3  # a stock gap inflates the order: the licence is a quantity
    phases.supply(s, w, model.links, model.policy, model.spec.model, 0)
    base = model.links.base_flow[A_US]
    assert base > 0
    assert_allclose(s.pipeline.shipped[A_US], 0.2 * base)
    assert_allclose(s.pipeline.shipped[[A_US, A_TW]].sum(), s.firms.order[APPLE, SOC])


def test_supply_delivers_after_each_links_lead_time(model):
    s, w = model.state, model.world
    empty_pipeline(model)
    s.suppliers.capacity[S_US] = 6.0
    stock0 = s.firms.stock.copy()
    phases.supply(s, w, model.links, model.policy, model.spec.model, 0)
    assert_allclose(s.pipeline.supply_line, [[10.0, 10.0], [10.0, 10.0]])
    s.firms.order[:] = 0.0
    arrived = []
    for t in range(1, 5):
        before = s.firms.stock.copy()
        phases.supply(s, w, model.links, model.policy, model.spec.model, t)
        arrived.append((s.firms.stock - before)[:, SOC].round(9).tolist())
    # leads: s_us 2, s_cn 3, s_tw 4 steps; cases (k_cn, lead 1) arrive at step 1
    assert arrived == [[0.0, 0.0], [3.6, 2.4], [0.0, 3.8], [6.4, 3.8]]
    assert_allclose(s.firms.stock - stock0, [[10.0, 10.0], [10.0, 10.0]])
    assert_allclose(s.pipeline.supply_line, 0.0, atol=1e-12)


def emerging(subsidy: float | None = None, build_lag_days: float = 28.0) -> TradeModel:
    """s_cn as an emerging supplier: capacity 2, growing toward 12 along a 10-step learning
    curve once orders have exceeded its capacity for long enough (build lag 4 steps). The
    steady state orders only what it can ship; the test forgets that calibration so huawei
    asks 10/3 of it, as a policy that diverted orders to it would."""
    doc = tiny_document(obsolescence_per_year=0.0, build_lag_days=build_lag_days)
    doc["suppliers"]["s_cn"].update(capacity=2, ramp={"capacity": 12, "steps": 10})
    m = TradeModel(scenario=validate_document(doc, {}, "<tiny>"))
    m.links.calibrate(np.ones(len(m.links)), m.links.base_flow)
    if subsidy:
        move(m, "CN", "subsidize", "s_cn", factor=subsidy)
    return m


def capacities(m: TradeModel, steps: int) -> list[float]:
    out = []
    for t in range(steps):
        phases.supply(m.state, m.world, m.links, m.policy, m.spec.model, t)
        out.append(round(float(m.state.suppliers.capacity[S_CN]), 9))
    return out


def bass_p(steps: int = 10, learning: float = 12.7) -> float:
    """Bass's p per step for a ramp reaching 90% in ``steps`` (docs/model.md, section 3)."""
    return math.log((1 + 0.9 * learning) / 0.1) / steps / (1 + learning)


def test_supply_grows_an_emerging_supplier_once_it_perceives_sustained_excess_demand():
    # perceived excess demand, smoothed over the 4-step build lag: 1/4, 7/16, 37/64; growth
    # starts when it reaches 1/2, at progress 0: span · signal · p
    got = capacities(emerging(), 3)
    assert got[:2] == [2.0, 2.0]
    assert got[2] == pytest.approx(2.0 + 10 * (37 / 64) * bass_p(), abs=1e-9)


def test_a_subsidy_shortens_the_build_lag_and_speeds_the_growth():
    # factor 2: the signal closes half its gap a step (1/2 at once), growth × 2
    got = capacities(emerging(subsidy=2.0), 1)
    assert got[0] == pytest.approx(2.0 + 10 * 0.5 * 2 * bass_p(), abs=1e-9)


def test_a_supplier_without_a_ramp_never_grows(model):
    s = model.state
    s.suppliers.capacity[S_CN] = 1.0
    assert capacities(model, 4) == [1.0] * 4
    # it still perceives the excess demand (build lag 13 steps)
    assert s.suppliers.pressure[S_CN] == pytest.approx(1 - (12 / 13) ** 4)


# -- 4. produce ----------------------------------------------------------------------------
def test_produce_is_limited_by_the_scarcest_critical_component(model):
    s = model.state
    s.firms.stock[APPLE, SOC] = 3.0
    s.firms.stock_value[APPLE, SOC] = 30.0
    phases.produce(s, model.world)
    assert s.firms.output[APPLE] == 3.0
    assert s.firms.shortfall[APPLE] == 7.0
    assert_allclose(s.firms.stock[APPLE], [0.0, 37.0])
    assert s.firms.finished[APPLE] == 13.0  # 10 left from before + 3
    assert s.firms.consumed_value[APPLE] == pytest.approx(3 * 10 + 3 * 5)


def test_produce_is_not_limited_by_a_non_critical_component(model):
    s = model.state
    s.firms.stock[HUAWEI, CASE] = 0.0
    s.firms.stock_value[HUAWEI, CASE] = 0.0
    phases.produce(s, model.world)
    assert s.firms.output[HUAWEI] == 10.0
    assert s.firms.shortfall[HUAWEI] == 0.0
    assert_allclose(s.firms.stock[HUAWEI], [30.0, 0.0])
    assert s.firms.consumed_value[HUAWEI] == pytest.approx(100.0)  # socs only


def test_produce_uses_components_at_their_average_cost(model):
    s = model.state
    s.firms.stock_value[APPLE, SOC] = 40 * 12.0  # socs bought at 12 on average
    phases.produce(s, model.world)
    assert s.firms.unit_cost[APPLE] == pytest.approx(17.0)
    assert s.firms.stock_value[APPLE, SOC] == pytest.approx(30 * 12.0)


# -- 5. markets ----------------------------------------------------------------------------
def clear(m: TradeModel) -> None:
    phases.clear_markets(m.state, m.world, m.policy, m.spec.model, np.ones(2))


def test_sales_are_capped_by_finished_goods_and_unmet_demand_spills_to_the_rival(model):
    s = model.state
    s.firms.finished[:] = [2.0, 20.0]
    clear(model)
    assert_allclose(s.markets.sales_by_region, [[1.0, 1.0], [9.0, 9.0]])
    assert_allclose(s.firms.finished, [0.0, 2.0])
    assert_allclose(s.markets.revenue, [200.0, 1800.0])
    # forecasts follow demand met here and spilled from the rival
    assert_allclose(s.firms.forecast, [10.0, 10.0 + 0.25 * 8])
    # apple could serve 2 of the 10 wanted: its price moves a fifth of the way to 100 · 1.4
    assert_allclose(s.markets.price, [108.0, 100.0])
    assert_allclose(s.markets.market_share, [0.1, 0.9])


def test_demand_lost_when_no_rival_has_goods(model):
    s = model.state
    s.firms.finished[:] = [2.0, 10.0]
    clear(model)
    assert_allclose(s.markets.sales, [2.0, 10.0])
    assert_allclose(s.firms.finished, [0.0, 0.0])


def test_a_tariff_moves_buyers_in_the_setters_region_to_the_rival(model):
    move(model, "US", "tariff", "CN", rate=0.25)
    model.state.firms.finished[:] = 20.0
    clear(model)
    share = 1 / (1 + math.exp(-4 * 0.25))  # apple's logit share of the US market
    index = 100 * share + 125 * (1 - share)
    demand = 10 * (index / 100) ** -1.0
    assert_allclose(model.state.markets.sales_by_region,
                    [[share * demand, 5.0], [(1 - share) * demand, 5.0]])
    assert_allclose(model.state.markets.price_index, [index, 100.0])


def test_a_procurement_ban_closes_the_region_to_the_firm(model):
    move(model, "US", "procurement_ban", "huawei", share=1.0)
    model.state.firms.finished[:] = 20.0
    clear(model)
    assert_allclose(model.state.markets.sales_by_region, [[10.0, 5.0], [0.0, 5.0]])


# -- 6. finance ----------------------------------------------------------------------------
def settle(m: TradeModel) -> None:
    phases.settle_finance(m.state, m.world, m.policy, m.spec.model)


def test_settle_finance_charges_holding_cost_and_writes_stock_down():
    m = tiny()  # default 20%/year holding cost and 10%/year obsolescence
    s = m.state
    written = 1 - 0.9 ** WEEK
    s.firms.stock[APPLE] *= 2.0  # a stockpile: 80 socs and 80 cases, worth 1,200
    s.firms.stock_value[APPLE] *= 2.0
    settle(m)
    held = np.array([1200.0, 600.0])
    assert_allclose(s.finance.write_down, written * held)
    assert_allclose(s.finance.profit, 1000 - 150 - 650 - (0.2 * WEEK + written) * held)
    assert_allclose(s.firms.stock[:, SOC], [80 * (1 - written), 40 * (1 - written)])
    assert s.finance.profit[APPLE] < s.finance.profit[HUAWEI]


def hazard_world() -> TradeModel:
    """No holding cost or obsolescence: profit stays at 200, share prices move on risk only."""
    return tiny(obsolescence_per_year=0.0, holding_cost_per_year=0.0)


def test_share_price_is_100_without_risk():
    m = hazard_world()
    settle(m)
    assert_allclose(m.state.finance.share_price, [100.0, 100.0])


def test_share_price_falls_with_announced_risk():
    m = hazard_world()
    move(m, "US", "announce", "huawei", risk=0.5)
    settle(m)
    # risk 0.5 · exposure to the US 2/9 · loss 0.22 · shield 1 / (1 + 4 / 26)
    h = 0.5 * 2 / 9 * 0.22 * 26 / 30
    assert_allclose(m.state.finance.share_price, [100.0, 100.0 * (1 - h)])


def test_deep_stock_shields_the_share_price():
    m = hazard_world()
    move(m, "US", "announce", "huawei", risk=0.5)
    m.state.firms.stock[HUAWEI] = 26 * 10.0  # 26 steps of cover: the shield halves the hazard
    settle(m)
    assert m.state.firms.inventory_cover[HUAWEI] == pytest.approx(26.0)
    deep = m.state.finance.share_price[HUAWEI]
    assert deep == pytest.approx(100.0 * (1 - 0.5 * 2 / 9 * 0.22 * 0.5))
    assert 100.0 * (1 - 0.5 * 2 / 9 * 0.22 * 26 / 30) < deep < 100.0


def test_the_hazard_scales_with_exposure_to_the_threatening_country():
    m = hazard_world()
    move(m, "TW", "announce", "apple", risk=0.9)  # apple buys 1/3 (by value) from TW
    move(m, "TW", "announce", "huawei", risk=0.9)  # huawei 2/9
    settle(m)
    price = m.state.finance.share_price
    assert price[APPLE] == pytest.approx(100 * (1 - 0.9 / 3 * 0.22 * 26 / 30))
    assert price[HUAWEI] == pytest.approx(100 * (1 - 0.9 * 2 / 9 * 0.22 * 26 / 30))


# -- 7. scores: tests/test_objectives.py ----------------------------------------------------


# -- determinism ---------------------------------------------------------------------------
def seeded_run(seed: int) -> bytes:
    scenario = tiny_world(noise=0.1, steps=15, events=[
        {"at": 3, "by": "US", "move": "announce", "target": "huawei", "risk": 0.6},
        {"at": 5, "by": "US", "move": "entity_list", "target": "huawei", "license_rate": 0.2},
        {"at": 8, "by": "CN", "move": "tariff", "target": "US", "rate": 0.3}])
    sink = io.BytesIO()
    pacsv.write_csv(tidy_table(TradeModel(scenario=scenario, rng=seed).run()), sink)
    return sink.getvalue()


def test_a_seeded_run_is_identical_byte_for_byte():
    first = seeded_run(11)
    assert len(first) > 10_000
    assert seeded_run(11) == first
    assert seeded_run(12) != first


def test_a_firm_that_stops_producing_loses_money_and_value(model):
    """Stopping hurts (docs/model.md, "6. Finance"): fixed costs go on, goods sold from stock
    carry their cost, so a firm cut off from a critical component loses profit and share value
    — never gains."""
    base_profit = float(model.state.ref.profit[HUAWEI])
    move(model, "US", "entity_list", "huawei")  # s_us cut; huawei's other socs cannot cover
    model.state.suppliers.capacity[:] = np.where(
        np.arange(len(model.world.suppliers)) == K_CN, model.state.suppliers.capacity, 0.0)
    prices, profits = [], []
    while model.running:
        model.step()
        prices.append(float(model.state.finance.share_price[HUAWEI]))
        profits.append(float(model.state.finance.profit[HUAWEI]))
    # it rations its last stock over the outage it expects: a trickle of its plan
    assert model.state.firms.output[HUAWEI] < 0.2 * model.state.ref.output[HUAWEI]
    assert max(prices) <= 100.0 + 1e-9
    assert profits[-1] < 0 < base_profit
    assert prices[-1] < prices[0]
