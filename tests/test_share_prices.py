"""Forward-looking share prices (docs/model.md, section 6): value is expected discounted
profit given the perceived policy path, plus cash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim import TradeModel, load_scenario
from sim.engine import valuation

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _value(normal, run, base, lasting=0.0, added=0.0, rho=0.9, delta=0.99, fade=0.95,
           cash=0.0):
    return valuation.equity_value(np.array([normal]), np.array([run]), np.array([base]),
                               np.array([lasting]), np.array([added]), rho, delta, fade,
                               cash)[0]


def test_equity_value_is_the_discounted_path_of_profit_plus_cash():
    delta, rho, omega = 0.99, 0.9, 0.95
    k = np.arange(20_000)
    # a fall learnt under a restriction lasts; the run rate returns to the normal profit
    path = (delta ** k * (10.0 + (-5.0 - 10.0) * rho ** k)).sum()
    assert _value(10.0, -5.0, 12.0, lasting=-2.0) == pytest.approx(path)
    # any other deviation from the steady state fades with persistence ω, a fall too
    path = (delta ** k * (12.0 - 2.0 * omega ** k + (-5.0 - 10.0) * rho ** k)).sum()
    assert _value(10.0, -5.0, 12.0) == pytest.approx(path)
    # a normal profit above it is a rent: the excess fades with persistence ω
    path = (delta ** k * (12.0 + 3.0 * omega ** k + (11.0 - 15.0) * rho ** k)).sum()
    assert _value(15.0, 11.0, 12.0, cash=100.0) == pytest.approx(path + 100.0)


def test_a_loss_expected_to_be_lifted_costs_less_than_one_expected_to_last():
    temporary = _value(10.0, -5.0, 10.0, rho=0.9)
    lasting = _value(10.0, -5.0, 10.0, rho=0.999)
    assert temporary > lasting


def test_a_rent_is_worth_less_than_the_same_profit_for_ever():
    steady, rent = _value(10.0, 10.0, 10.0), _value(20.0, 20.0, 10.0)
    for_ever = _value(20.0, 20.0, 20.0)
    assert steady < rent < for_ever
    assert rent - steady == pytest.approx(10.0 / (1 - 0.99 * 0.95))


def test_capacity_earning_only_its_cost_of_capital_adds_nothing():
    delta, capital = 0.99, 1_000.0
    cost_of_capital = (1 / delta - 1) * capital
    base = _value(100.0, 100.0, 100.0)
    assert _value(100.0 + cost_of_capital, 100.0 + cost_of_capital, 100.0,
                  added=capital) == pytest.approx(base)
    # capacity that earns nothing yet costs its owners its cost of capital while competition
    # brings its return back to normal (the shortfall fades like any other)
    assert _value(100.0, 100.0, 100.0, added=capital) == pytest.approx(
        base - cost_of_capital / (1 - delta * 0.95))


@pytest.fixture(scope="module")
def zte() -> TradeModel:
    return TradeModel(scenario=load_scenario(SCENARIOS / "zte_2018.yaml")).run()


def test_a_stop_investors_expect_to_be_lifted_costs_tens_of_percent_not_everything(zte):
    price = zte.recorder.series("firm", "share_price", "ZTE")
    denial = zte.spec.step_of(dt.date(2018, 4, 16))
    resumed = zte.spec.step_of(dt.date(2018, 6, 13))
    change = price[resumed] / price[denial - 1] - 1
    assert -0.7 < change < -0.1  # observed −41% (HKEX, 2018-06-13); calibration.md
    assert price[denial:].min() > 10.0  # never priced as dead while a lift is expected


@pytest.fixture(scope="module")
def hik() -> TradeModel:
    return TradeModel(scenario=load_scenario(SCENARIOS / "hikvision_2019.yaml")).run()


def test_the_senders_suppliers_fall_on_the_news(hik):
    rumour = hik.spec.step_of(next(e.at for e in hik.spec.events if e.id == "rumour"))
    for name in ("Intel", "Xilinx"):  # US suppliers of the threatened camera makers
        price = hik.recorder.series("supplier", "share_price", name)
        assert price[rumour] < 0.98 * price[rumour - 1], name
    # a supplier whose goods the threat does not reach does not fall on it
    sony = hik.recorder.series("supplier", "share_price", "Sony")
    assert sony[rumour] >= 0.99 * sony[rumour - 1]


def test_a_business_losing_money_for_good_is_worth_its_cash_not_less():
    profit = np.array([-10.0, 5.0])
    v = valuation.equity_value(profit, profit, profit, np.zeros(2), np.zeros(2), 0.9, 0.99, 0.95,
                            50.0)
    assert v[0] == pytest.approx(50.0)  # its owners would stop it rather than fund losses
    assert v[1] == pytest.approx(5.0 / 0.01 + 50.0)


def _supplier_peaks(overrides: dict | None = None) -> tuple[float, float]:
    """JapanGa's peak share index and peak normal profit over its steady state's, in
    ``chip_controls_2022`` (China's gallium licensing sends it the world's orders)."""
    m = TradeModel(scenario=load_scenario(SCENARIOS / "chip_controls_2022.yaml", overrides))
    j = list(m.world.suppliers).index("JapanGa")
    base, peak_profit = m.state.ref.supplier_profit[j], 0.0
    for _ in range(m.spec.steps):
        m.step()
        peak_profit = max(peak_profit, m.state.suppliers.expected_profit[j])
    return m.recorder.series("supplier", "share_price", "JapanGa").max(), peak_profit / base


def test_a_windfall_is_priced_as_a_rent_that_fades_and_growth_pays_for_its_capital():
    index, profit = _supplier_peaks()
    assert profit > 30  # a small supplier's profit grows many-fold on a rival's ban ...
    assert index < 100 * profit / 5  # ... but investors expect competition to erode it
    # the two mechanisms are what bounds it: priced as lasting, on free capacity, the index
    # would follow the profit into the thousands
    lasting, _ = _supplier_peaks({"model.profit_persistence_per_year": 0.9999,
                                  "model.capital_years": 0.0})
    assert lasting > 3 * index


def test_noise_does_not_move_share_prices_on_average():
    # deviations from the steady state are priced the same way up and down, so demand noise
    # leaves the mean index where it started (a fall that lasted and a rise that faded would
    # pull it down)
    spec = load_scenario(SCENARIOS / "huawei_2019.yaml")
    means = []
    for seed in range(6):
        m = TradeModel.no_policy(spec, rng=seed).run()
        for kind in ("firm", "supplier"):
            index = m.recorder.metric(kind, "share_price")
            means.append(index[len(index) // 2:].mean())
    assert abs(np.mean(means) - 100.0) < 0.3


def test_substitutes_cover_what_they_can_grow_into_shared_by_the_cuts():
    # two firms (0, 1) cut from supplier 0 (10 and 30 units a step); both have an open link to
    # supplier 1, which ships 2 and can grow to 22 over 40 steps; firm 2 is cut from nothing
    firm, supplier = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 1, 1])
    component = np.zeros(5, int)
    base = np.array([10.0, 1.0, 30.0, 1.0, 0.0])
    allowed = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    cover, rate = valuation.substitutes(firm, supplier, component, base, allowed,
                                     np.array([True]), np.array([50.0, 22.0]),
                                     np.array([0, 40]), np.array([0.0, 2.0]), 3)
    # the room of 20 goes 1:3 to the cuts: 5 of 10 for firm 0, 15 of 30 for firm 1
    assert cover == pytest.approx([0.5, 0.5, 0.0])
    assert rate == pytest.approx([0.5 / 40, 0.5 / 40, 0.0])


def test_a_listed_firms_foreseeable_substitutes_are_priced_before_they_deliver():
    # Dahua, listed in October 2019, can turn to HiSilicon's and Gowin's growth; without those
    # ramps its output a few months on is about the same, but investors see no way back
    prices, outputs = [], []
    for ramps in (None, {"suppliers.HiSilicon.ramp": None, "suppliers.Gowin.ramp": None}):
        m = TradeModel(scenario=load_scenario(SCENARIOS / "hikvision_2019.yaml", ramps)).run()
        listing = m.spec.step_of(next(e.at for e in m.spec.events if e.id == "listing"))
        prices.append(m.recorder.series("firm", "share_price", "Dahua")[listing + 16])
        outputs.append(m.recorder.series("firm", "output", "Dahua")[listing + 16])
    assert outputs[0] == pytest.approx(outputs[1], rel=0.1)
    assert prices[0] > prices[1] + 10


def test_a_threatened_firms_flow_is_expected_to_move_to_its_other_sources_by_their_room():
    # firm 0 is threatened by country 0 (risk 0.5); its links: supplier 0 (subject to country
    # 0's rules, steady flow 10), suppliers 1 and 2 (not subject; room 1 and 3); firm 1 is
    # not threatened
    risk, source = np.array([0.5, 0.0]), np.array([0, -1])
    subject = np.array([[True, False, False]])
    firm, supplier = np.array([0, 0, 0, 1]), np.array([0, 1, 2, 2])
    fc, base = np.array([0, 0, 0, 1]), np.array([10.0, 0.0, 0.0, 4.0])
    units = valuation.substitute_upside(risk, source, subject, firm, supplier, fc, base,
                                     np.array([0.0, 1.0, 3.0]), 2)
    # 5 units at risk, shared 1:3 by room, each supplier capped at its room
    assert units == pytest.approx([0.0, 1.0, 3.0])
    units = valuation.substitute_upside(risk * 0.2, source, subject, firm, supplier, fc, base,
                                     np.array([0.0, 1.0, 3.0]), 2)
    assert units == pytest.approx([0.0, 0.25, 0.75])


def test_a_substitute_rises_on_the_news_before_its_orders_come(hik):
    rumour = hik.spec.step_of(next(e.at for e in hik.spec.events if e.id == "rumour"))
    # Gowin, the threatened camera makers' Chinese source of FPGAs, already ships all it can
    for name in ("Gowin",):
        price = hik.recorder.series("supplier", "share_price", name)
        shipped = hik.recorder.series("supplier", "shipments", name)
        assert price[rumour] > 1.2 * price[rumour - 1], name
        assert shipped[rumour] <= shipped[:rumour].max() + 1e-9, name  # no new orders yet
