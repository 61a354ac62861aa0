"""Prices and welfare (docs/model.md, sections 3, 5 and 7): component prices that rise with
unfilled orders and fall back, Bertrand–logit markups (rivals reprice), tariffs on components,
tariff revenue, consumer surplus by the logit log-sum; monotone responses to a tariff and the
conservation of units and money."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sim import TradeModel, load_scenario
from sim.engine import market, phases
from sim.errors import MoveError
from sim.rules.moves import MoveCall, apply_move
from sim.scenario import Scenario
from tests.worlds import A_TW, A_US, APPLE, HUAWEI, S_TW, S_US, US, tiny_world

ROOT = Path(__file__).parents[1]
TARIFF_WAR = ROOT / "scenarios" / "classroom" / "tariff_war.yaml"
RATES = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)


def move(m: TradeModel, actor: str, name: str, target: str | None = None, **params) -> str:
    return apply_move(m, MoveCall(actor, name, target, params))


# -- the pure functions --------------------------------------------------------------------
def test_consumer_surplus_is_the_area_under_demand_between_inclusive_prices():
    # weights halved with λ = 4: inclusive price up ln(2)/4 of the reference
    x = 1 + math.log(2) / 4
    cs = market.consumer_surplus(np.array([1.0, 1.0, 1.0, 2.0]), np.array([2.0, 2.0, 2.0, 2.0]),
                                 4.0, np.array([0.0, 1.0, 2.0, 2.0]))
    assert_allclose(cs, [1 - x, -math.log(x), (1 - x ** -1) / -1, 0.0])
    # a market without sellers at the start counts 0; one closed to every seller a loss
    none = market.consumer_surplus(np.array([0.0, 0.0]), np.array([0.0, 1.0]), 4.0,
                                   np.array([1.0, 1.0]))
    assert none[0] == 0.0 and none[1] < -2.0


def test_consumer_surplus_falls_as_any_weight_falls():
    base = np.array([3.0])
    sums = np.linspace(3.0, 0.01, 50)
    for eps in (0.0, 0.5, 1.0, 1.5):
        cs = [float(market.consumer_surplus(np.array([s]), base, 4.0, np.array([eps]))[0])
              for s in sums]
        assert cs[0] == 0.0
        assert all(b < a for a, b in zip(cs, cs[1:], strict=False))


def test_demand_elasticity_is_the_logit_term_plus_the_firms_part_in_the_market():
    share = np.array([[0.25], [0.75]])
    paid = np.array([[125.0], [100.0]])
    index = np.array([0.25 * 125 + 0.75 * 100])
    eta = market.demand_elasticity(share, paid, np.array([100.0]), index, np.array([1.2]),
                                   np.array([10.0]), np.array([[0], [0]]), 4.0)
    assert_allclose(eta, [[4 * 1.25 * 0.75 + 1.2 * 0.25 * 125 / index[0]],
                          [4 * 1.0 * 0.25 + 1.2 * 0.75 * 100 / index[0]]])
    # a firm without demand anywhere: 0, and margin_ratio keeps its margin
    none = market.demand_elasticity(np.zeros((1, 1)), paid[:1], np.array([100.0]), index,
                                    np.array([1.2]), np.array([0.0]), np.array([[0]]), 4.0)
    assert none[0, 0] == 0.0
    assert_allclose(market.margin_ratio(np.array([0.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])),
                    [1.0, 1.0, 0.5])


def test_adjust_price_scales_the_margin_and_is_still_at_the_reference_in_steady_state():
    ref = np.array([100.0, 100.0])
    same = market.adjust_price(ref, ref, np.array([30.0, 30.0]), np.array([30.0, 30.0]),
                               np.zeros(2), 0.2, 0.5, np.array([35.0, 35.0]), np.ones(2))
    assert (same == ref).all()
    moved = market.adjust_price(ref, ref, np.array([30.0, 30.0]), np.array([30.0, 30.0]),
                                np.zeros(2), 0.2, 0.5, np.array([35.0, 35.0]),
                                np.array([1.2, 0.8]))
    assert_allclose(moved, [100 + 0.2 * 35 * 0.2, 100 - 0.2 * 35 * 0.2])
    assert_allclose(market.unfilled_share(np.array([10.0, 5.0, 0.0]),
                                          np.array([8.0, 5.0, 0.0])), [0.2, 0.0, 0.0])


# -- component prices ----------------------------------------------------------------------
def tiny(**model) -> TradeModel:
    return TradeModel(scenario=tiny_world(obsolescence_per_year=0.0, **model))


def test_a_component_price_rises_with_scarcity_and_returns_to_the_reference_after_it():
    m = tiny(steps=80)
    ref = m.state.ref.supplier_price.copy()
    normal = m.state.suppliers.capacity[S_US]
    prices = []
    for t in range(80):
        # s_us can make a hundredth of its normal capacity during steps 3–10
        m.state.suppliers.capacity[S_US] = normal * (0.01 if 3 <= t <= 10 else 1.0)
        m.step()
        prices.append(float(m.state.suppliers.price[S_US]))
    assert prices[0] == ref[S_US]
    assert max(prices[3:11]) > ref[S_US] * 1.1  # orders far over capacity mark it up
    # during the scarcity it climbs; after it falls back monotonically, never below reference
    tail = prices[12:]
    assert all(b <= a + 1e-12 for a, b in zip(tail, tail[1:], strict=False))
    assert min(prices) >= ref[S_US]
    assert abs(prices[-1] - ref[S_US]) < 1e-3 * ref[S_US]
    # the other suppliers were never short
    others = np.delete(np.arange(len(ref)), S_US)
    assert_allclose(m.state.suppliers.price[others], ref[others])


def test_shipments_are_valued_at_the_current_price_plus_the_component_tariff():
    m = tiny()
    s = m.state
    s.suppliers.price[:] = s.ref.supplier_price * 1.5
    move(m, "US", "tariff", "TW", rate=0.2, component="soc")
    phases.supply(s, m.world, m.links, m.policy, m.spec.model, 1)
    price = s.ref.supplier_price[m.links.supplier] * 1.5
    duty = np.zeros(len(m.links))
    duty[A_TW] = 0.2
    assert_allclose(s.pipeline.cost, s.pipeline.shipped * price * (1 + duty))
    assert_allclose(s.suppliers.revenue,
                    np.bincount(m.links.supplier, s.pipeline.shipped * price,
                                len(m.world.suppliers)))
    assert_allclose(s.pipeline.duty[US], s.pipeline.shipped[A_TW] * price[A_TW] * 0.2)
    assert s.pipeline.duty.sum() == pytest.approx(s.pipeline.duty[US])


def test_a_component_tariff_raises_the_importers_cost_and_moves_its_orders():
    base = tiny(steps=30)
    base.run()
    taxed = tiny(steps=30)
    move(taxed, "US", "tariff", "TW", rate=0.5, component="soc")
    taxed.run()
    rb, rt = base.recorder, taxed.recorder
    # apple orders less from TW and more from the US source
    assert taxed.state.pipeline.shipped[A_TW] < base.state.pipeline.shipped[A_TW]
    assert taxed.state.pipeline.shipped[A_US] > base.state.pipeline.shipped[A_US]
    # its components cost more, so its price rises; huawei (not taxed) pays no more
    assert taxed.state.firms.unit_cost[APPLE] > base.state.firms.unit_cost[APPLE]
    assert rt.series("firm", "price", "apple")[-1] > rb.series("firm", "price", "apple")[-1]
    assert taxed.state.firms.unit_cost[HUAWEI] == pytest.approx(
        base.state.firms.unit_cost[HUAWEI])
    # the US treasury collects it, and no one else
    revenue = rt.metric("country", "tariff_revenue")
    assert (revenue[1:, US] > 0).all() and (np.delete(revenue, US, axis=1) == 0).all()


def test_a_component_tariff_needs_a_supplier_of_the_component_and_not_a_product_too():
    m = tiny()
    with pytest.raises(MoveError, match="has no supplier of case"):
        move(m, "US", "tariff", "TW", component="case")
    with pytest.raises(MoveError, match="not both"):
        move(m, "US", "tariff", "TW", component="soc", product="phone")
    with pytest.raises(MoveError, match="unknown component"):
        move(m, "US", "tariff", "TW", component="screen")
    assert not m.policy.component_tariff.any()


# -- rivals reprice; tariff revenue ----------------------------------------------------------
def test_rivals_reprice_when_a_tariff_moves_buyers_to_them():
    m = tiny(steps=40)
    move(m, "US", "tariff", "CN", rate=0.25)
    m.run()
    price = m.recorder.metric("firm", "price")
    # apple gains share in the US and raises its margin; huawei absorbs part of the tariff
    assert price[-1, APPLE] > 100.0 + 1.0
    assert price[-1, HUAWEI] < 100.0 - 1.0
    # but passes on most of it: buyers in the US pay more for huawei than before
    assert price[-1, HUAWEI] * 1.25 > 110.0


def test_tariff_revenue_is_what_the_taxed_sales_paid():
    m = tiny(steps=10)
    move(m, "US", "tariff", "CN", rate=0.25)
    for _ in range(10):
        price = m.state.markets.price_by_region.copy()  # what this step's sales pay
        m.step()
        sold_in_us = m.state.markets.sales_by_region[HUAWEI, 0]
        assert m.state.governments.tariff_revenue[US] == pytest.approx(
            sold_in_us * price[HUAWEI, 0] * 0.25)
        assert m.state.governments.tariff_revenue[1:].sum() == 0.0


# -- monotone responses to a tariff ------------------------------------------------------------
def tariff_grid(sc: Scenario, setter: str, origin: str, rates=RATES, seed: int = 1):
    """Per rate: each firm's total sales over the run and each country's mean consumers'
    objective (consumer surplus), with the tariff set at step 0 and no strategies."""
    out = []
    for r in rates:
        m = TradeModel(scenario=sc.without_policy(), rng=seed)
        if r > 0:
            m.make_move(MoveCall(setter, "tariff", origin, {"rate": r}, source="event"))
        m.run()
        rec = m.recorder
        out.append((rec.metric("firm", "sales").sum(axis=0),
                    rec.metric("country", "consumers").mean(axis=0),
                    rec.metric("country", "tariff_revenue").sum(axis=0)))
    return m, out


@pytest.mark.parametrize("world", ["tariff_war", "tiny"])
def test_a_higher_tariff_never_raises_the_taxed_firms_sales_nor_lowers_its_rivals(world):
    if world == "tariff_war":
        sc, setter, origin = load_scenario(TARIFF_WAR), "US", "CN"
    else:
        sc, setter, origin = tiny_world(noise=0.03, steps=40), "US", "CN"
    m, grid = tariff_grid(sc, setter, origin)
    w = m.world
    g, o = w.countries.index(setter), w.countries.index(origin)
    taxed = w.firm_country == o
    rivals = ~taxed
    sales = np.array([s for s, _, _ in grid])
    surplus = np.array([c[g] for _, c, _ in grid])
    tol = 1e-9 * sales.max()
    assert (np.diff(sales[:, taxed], axis=0) <= tol).all(), sales[:, taxed]
    assert (np.diff(sales[:, rivals], axis=0) >= -tol).all(), sales[:, rivals]
    assert sales[-1, taxed].sum() < sales[0, taxed].sum() * 0.95  # and it does bite
    # consumer surplus in the taxing region: never raised, and lowered by the tariff
    assert (np.diff(surplus) <= 1e-12).all(), surplus
    assert surplus[-1] < surplus[0] - 1e-3


def test_a_higher_component_tariff_never_raises_the_taxed_suppliers_shipments():
    sc = tiny_world(noise=0.0, steps=40)
    out = []
    for r in RATES:
        m = TradeModel(scenario=sc)
        if r > 0:
            move(m, "US", "tariff", "TW", rate=r, component="soc")
        m.run()
        out.append(m.recorder.metric("supplier", "shipments").sum(axis=0))
    ship = np.array(out)
    assert (np.diff(ship[:, S_TW]) <= 1e-9).all(), ship[:, S_TW]
    assert (np.diff(ship[:, S_US]) >= -1e-9).all(), ship[:, S_US]
    assert ship[-1, S_TW] < 0.8 * ship[0, S_TW]


# -- conservation --------------------------------------------------------------------------
def conservation_run(sc: Scenario, calls: list[MoveCall], steps: int | None = None):
    m = TradeModel(scenario=sc, rng=3, steps=steps)
    for c in calls:
        m.make_move(c)
    in_transit0 = m.state.pipeline.arrivals.sum()
    shipped = received = 0.0
    for _ in range(m.horizon):
        m.step()
        s = m.state
        shipped += s.pipeline.shipped.sum()
        received += s.pipeline.received.sum()
        # money: what buyers paid = what sellers earned + tariffs, each step, in each market
        assert s.pipeline.cost.sum() == pytest.approx(
            s.suppliers.revenue.sum() + s.pipeline.duty.sum(), rel=1e-12)
        assert s.markets.paid.sum() == pytest.approx(
            s.markets.revenue.sum() + s.markets.duty.sum(), rel=1e-12)
        assert s.governments.tariff_revenue.sum() == pytest.approx(
            s.pipeline.duty.sum() + s.markets.duty.sum(), rel=1e-12)
        # units sold in each region add up to each firm's sales
        assert_allclose(s.markets.sales_by_region.sum(axis=1), s.markets.sales)
        # what is in transit is what was ordered and not yet received
        assert s.pipeline.supply_line.sum() == pytest.approx(s.pipeline.arrivals.sum())
    end = m.state.pipeline.arrivals.sum()
    assert in_transit0 + shipped == pytest.approx(received + end, rel=1e-12)
    return m


def test_units_and_money_are_conserved_with_tariffs_on_goods_and_components():
    sc = load_scenario(TARIFF_WAR).without_policy()
    m = conservation_run(sc, [
        MoveCall("US", "tariff", "CN", {"rate": 0.3}, source="event"),
        MoveCall("CN", "tariff", "US", {"rate": 0.2}, source="event"),
        MoveCall("US", "tariff", "CN", {"rate": 0.25, "component": "screen"}, source="event"),
        MoveCall("EU", "tariff", "US", {"rate": 0.1, "component": "chip"}, source="event"),
    ])
    assert (m.recorder.metric("country", "tariff_revenue")[1:] > 0).all()


@pytest.mark.parametrize("name", ["huawei_2019", "zte_2018"])
def test_units_and_money_are_conserved_on_a_historical_scenario(name):
    conservation_run(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), [], steps=60)


def test_a_timeline_tariff_naming_an_unknown_component_is_refused_where_it_is(tmp_path):
    from tests.test_scenario import BASE, edit, problems

    text = edit("by: US, move: entity_list, target: Phoneco}",
                "by: CN, move: tariff, target: US, component: glas}", BASE)
    found = problems(tmp_path, text)
    assert len(found) == 1 and found[0].endswith(
        "events[0].component: unknown component 'glas'"), found
    ok = edit("by: US, move: entity_list, target: Phoneco}",
              "by: CN, move: tariff, target: US, component: chip, rate: 0.1}", BASE)
    path = tmp_path / "ok.yaml"
    path.write_text(ok, encoding="utf-8")
    m = TradeModel(scenario=load_scenario(path))
    m.run()
    # CN taxes the US chips its firm buys from step 5: its treasury collects from then on
    revenue = m.recorder.metric("country", "tariff_revenue")[:, 1]
    assert (revenue[:5] == 0).all() and (revenue[5:] > 0).all()


def test_the_scarcity_premium_follows_own_scarcity_not_the_inputs_price():
    """A firm that sells out earns the same premium over its cost whatever its inputs cost:
    dearer inputs pass through one for one (docs/model.md, section 5)."""
    ref = np.array([100.0])
    cheap = market.adjust_price(ref, ref, np.array([30.0]), np.array([30.0]), np.array([0.4]),
                                1.0, 0.5)
    dear = market.adjust_price(ref, ref, np.array([60.0]), np.array([30.0]), np.array([0.4]),
                               1.0, 0.5)
    assert dear - cheap == pytest.approx(30.0)
    assert cheap == pytest.approx(120.0)


@pytest.mark.parametrize("rate", [0.5, 1.0])
def test_a_foreign_tariff_leaves_the_taxed_firms_home_price_alone(rate):
    """Prices are set market by market (docs/model.md, section 5): a US tariff on China's
    firms lowers huawei's price in the US, where its demand became more elastic, and leaves
    its price to its own consumers in Asia where it was (one price for all regions raised it)."""
    m = tiny(steps=40)
    move(m, "US", "tariff", "CN", rate=rate)
    m.run()
    by_region = m.state.markets.price_by_region
    assert by_region[HUAWEI, 0] < 99.0  # US
    assert by_region[HUAWEI, 1] == pytest.approx(100.0, rel=0.01)  # ASIA
    assert by_region[APPLE, 0] > 100.0  # the untaxed rival gains margin where it gains share
