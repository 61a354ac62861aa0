"""Governments' objectives (sim/engine/objectives.py, docs/model.md "7. Scores") on the tiny
world of tests/worlds.py, with numbers worked out by hand.

In the steady state each firm sells 10 phones at 100; apple (US) buys socs half from s_us and
half from s_tw, huawei (CN) a third from each soc maker, both their cases from k_cn. A
government's stake is its region's spending (1,000) plus its firms' and suppliers' revenue:
US 1,000 + 1,000 + 83.33 (s_us ships 8.33 socs at 10), CN 1,000 + 1,000 + 33.33 + 100.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sim import TradeModel
from sim.engine import phases
from sim.engine.objectives import (
    OBJECTIVES,
    hostile_measures,
    weights_of,
)
from sim.engine.relations import ALLY, NEUTRAL, OWN, RIVAL, relations, rivals
from sim.errors import ScenarioError
from sim.rules.moves import MoveCall
from sim.scenario import load_scenario, validate_document
from tests.worlds import APPLE, CN, HUAWEI, S_US, TW, US, move, tiny_document

SECURITY, INDUSTRY, CONSUMERS, TREASURY, ESCALATION = (OBJECTIVES.index(k) for k in (
    "security", "industry", "consumers", "treasury", "escalation"))
STAKE_US, STAKE_CN = 2000 + 250 / 3, 2100 + 100 / 3


def tiny(rivals_of: dict[str, list[str]] | None = None, tight: bool = False,
         **kw) -> TradeModel:
    """The tiny world without obsolescence (an exact steady state); ``tight``: s_cn and s_tw
    have no room beyond their steady flows, so huawei cannot re-source a cut."""
    doc = tiny_document(obsolescence_per_year=0.0, **kw)
    if tight:
        doc["suppliers"]["s_cn"]["capacity"] = 10 / 3 + 1e-9
        doc["suppliers"]["s_tw"]["capacity"] = 25 / 3 + 1e-9
    for name, riv in (rivals_of or {}).items():
        doc["countries"][name]["rivals"] = riv
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"))


def scores(m: TradeModel) -> np.ndarray:
    phases.score(m.state, m.world, m.policy)
    return m.state.governments.objectives


# -- weights and the unit ----------------------------------------------------------------------
def test_treasury_weighs_like_consumers_and_escalation_gets_a_tenth_by_default():
    sc = load_scenario("scenarios/hikvision_2019.yaml")
    us = weights_of(sc, "US")  # security 0.5, industry 0.3, consumers 0.2
    total = 0.5 + 0.3 + 0.2 + 0.2 + 0.12
    assert us == pytest.approx({"security": 0.5 / total, "industry": 0.3 / total,
                                "consumers": 0.2 / total, "treasury": 0.2 / total,
                                "escalation": 0.12 / total})
    cn = weights_of(sc, "CN")  # escalation given: 0.2
    assert cn["escalation"] == pytest.approx(0.2 / 1.2)
    assert weights_of(sc, "EU") == {k: 0.2 for k in OBJECTIVES}  # none given: equal
    assert all(weights_of(sc, c)["escalation"] > 0 for c in sc.countries)


def test_the_stake_is_the_regions_spending_and_the_producers_revenue():
    assert_allclose(tiny().state.ref.stake, [STAKE_US, STAKE_CN, 1000 + 250 / 3])


# -- who is a rival -----------------------------------------------------------------------------
def test_rivals_default_to_both_sides_of_hostile_scripted_events():
    sc = load_scenario("scenarios/hikvision_2019.yaml")  # the US lists Hikvision and Dahua
    assert rivals(sc) == {"US": ("CN",), "CN": ("US",), "EU": (), "KR": (), "JP": ()}
    rel = relations(sc)
    us, cn, eu = (list(sc.countries).index(c) for c in ("US", "CN", "EU"))
    assert (rel[us, us], rel[us, cn], rel[us, eu], rel[cn, us]) == (OWN, RIVAL, NEUTRAL, RIVAL)


def test_a_country_sharing_a_rival_is_an_ally():
    m = tiny({"US": ["CN"], "TW": ["CN"]})
    rel = m.state.ref.relation
    assert (rel[US, TW], rel[TW, US], rel[US, CN], rel[CN, US]) == (ALLY, ALLY, RIVAL, NEUTRAL)


@pytest.mark.parametrize(("rival", "message"), [
    ("KR", "countries.US.rivals[0]: unknown country 'KR' (declared: US, CN, TW)"),
    ("US", "countries.US.rivals[0]: a country cannot be its own rival"),
])
def test_an_unknown_rival_is_refused_at_its_key(rival, message):
    doc = tiny_document()
    doc["countries"]["US"]["rivals"] = [rival]
    with pytest.raises(ScenarioError) as err:
        validate_document(doc, {}, "<tiny>")
    assert message in str(err.value)


# -- security ---------------------------------------------------------------------------------
def test_security_counts_the_capability_its_rivals_lack_components_for():
    m = tiny({"US": ["CN"]})
    f = m.state.firms
    f.output[HUAWEI], f.shortfall[HUAWEI] = 6.0, 3.0  # 4 fewer, 3 of them for lack of parts
    assert scores(m)[SECURITY, US] == pytest.approx(math.tanh(0.3))
    f.shortfall[HUAWEI] = 9.0  # a shortfall beyond the fall counts only the fall
    assert scores(m)[SECURITY, US] == pytest.approx(math.tanh(0.4))
    m.state.finance.out[HUAWEI] = True  # an exited rival has lost all its capability
    assert scores(m)[SECURITY, US] == pytest.approx(math.tanh(1.0))
    assert_allclose(scores(m)[SECURITY, 1:], 0.0)  # nobody else has a rival


def test_lost_sales_or_an_own_firms_fall_give_no_security():
    m = tiny({"US": ["CN"]})
    m.state.firms.output[HUAWEI] = 5.0  # a tariff or a ban: its plan fell, not its means
    m.state.firms.output[APPLE], m.state.firms.shortfall[APPLE] = 0.0, 10.0  # its own firm
    assert scores(m)[SECURITY, US] == 0.0


# -- money: industry, treasury, consumers ---------------------------------------------------------
def test_industry_is_its_producers_profit_less_the_fines_they_pay():
    m = tiny()
    m.state.finance.profit[HUAWEI] -= 300.0
    m.state.suppliers.profit[S_US] += 50.0
    assert_allclose(scores(m)[INDUSTRY], np.tanh([50 / STAKE_US, -300 / STAKE_CN, 0.0]))
    move(m, "US", "fine", "huawei", amount=1_000.0)
    phases.collect_fines(m)
    obj = scores(m)
    assert_allclose(obj[INDUSTRY, CN], math.tanh(-1_300 / STAKE_CN))
    assert_allclose(obj[TREASURY], np.tanh([1_000 / STAKE_US, 0.0, 0.0]))


def test_fining_its_own_firm_is_a_transfer_that_leaves_welfare_unchanged():
    m = tiny()
    move(m, "CN", "fine", "huawei", amount=500.0)
    phases.collect_fines(m)
    obj = scores(m)
    assert obj[INDUSTRY, CN] + obj[TREASURY, CN] == pytest.approx(0.0)
    assert obj[TREASURY, CN] == pytest.approx(math.tanh(500 / STAKE_CN))


def test_tariff_revenue_is_treasury_not_industry():
    m = tiny()
    m.state.markets.duty[US] = 50.0
    obj = scores(m)
    assert_allclose(obj[TREASURY], np.tanh([50 / STAKE_US, 0.0, 0.0]))
    assert_allclose(obj[INDUSTRY], 0.0)


def test_consumers_lose_surplus_when_their_regions_prices_rise():
    # both firms 10% dearer: the inclusive price rises 10%, and with ε = 1 the surplus falls
    # by ln(1.1) of each region's steady spending (1,000)
    m = tiny()
    m.state.markets.price_by_region[:] = 110.0  # in every region
    phases.clear_markets(m.state, m.world, m.policy, m.spec.model, np.ones(2))
    loss = -math.log(1.1) * 1000
    assert_allclose(scores(m)[CONSUMERS], np.tanh([loss / STAKE_US, loss / STAKE_CN,
                                                   loss / (1000 + 250 / 3)]))


def test_buyers_pay_the_tariff_on_what_they_buy_only_because_their_choice_ran_out():
    """The log-sum charges buyers a tariff on what they choose; 2 phones of huawei sold to US
    buyers whose choice (apple) had none left pay the 50% tariff (100) as lost surplus, so
    the treasury's revenue on them is a transfer, not a gain."""
    m = tiny()
    move(m, "US", "tariff", "CN", rate=0.5)
    m.state.markets.spill[HUAWEI, 0] = 2.0
    assert_allclose(scores(m)[CONSUMERS], np.tanh([-100 / STAKE_US, 0.0, 0.0]))


# -- escalation -------------------------------------------------------------------------------
@pytest.mark.parametrize(("actor", "name", "target", "params", "against"), [
    ("US", "entity_list", "huawei", {}, (US, CN, 1)),
    ("US", "tariff", "CN", {"rate": 0.1}, (US, CN, 1)),
    ("US", "tariff", "CN", {"rate": 2.5}, (US, CN, 3)),  # one per started 100%
    ("TW", "procurement_ban", "apple", {"share": 0.5}, (TW, US, 1)),
    ("CN", "procurement_ban", "s_us", {"share": 0.5}, (CN, US, 1)),
    # CN's firm uses socs; TW is covered but has none; the controller is not covered
    ("US", "export_control", "soc", {"license_rate": 0.2}, (US, CN, 1)),
    ("US", "export_control", "soc", {"to": ["TW"]}, None),
    ("US", "announce", "huawei", {"risk": 0.9}, None),
    ("apple", "stockpile", None, {"cover": 20}, None),
])
def test_each_hostile_measure_counts_against_the_country_it_hits(actor, name, target, params,
                                                                 against):
    m = tiny()
    move(m, actor, name, target, **params)
    expected = np.zeros((3, 3))
    if against is not None:
        expected[against[0], against[1]] = against[2]
    assert_allclose(hostile_measures(m.policy, m.world, m.state.governments.fined), expected)


def test_a_measure_costs_more_the_closer_the_country_it_hits():
    m = tiny({"US": ["CN"], "TW": ["CN"]})  # for the US: CN a rival, TW an ally
    move(m, "US", "entity_list", "huawei")
    assert_allclose(scores(m)[ESCALATION], [-0.1, -0.1, 0.0])  # made; received by CN
    move(m, "US", "procurement_ban", "s_tw")
    assert_allclose(scores(m)[ESCALATION], [-0.6, -0.1, -0.1])  # an ally's: 0.5
    move(m, "TW", "procurement_ban", "apple")
    # TW hits its ally: 0.5 (and received 0.1); the US received one: 0.1 more
    assert_allclose(scores(m)[ESCALATION], [-0.7, -0.1, -0.6])
    move(m, "US", "entity_list", "apple")  # its own firm: 1.0
    assert_allclose(scores(m)[ESCALATION], [-1.7, -0.1, -0.6])
    move(m, "US", "tariff", "TW", rate=10.0)  # ten measures against an ally: 5.0
    assert_allclose(scores(m)[ESCALATION], [-6.7, -0.1, -1.6])
    assert scores(m)[ESCALATION, US] == pytest.approx(-6.7)  # a count: never saturates


def test_a_neutral_costs_a_quarter_and_lifted_measures_drop_out():
    m = tiny()  # no rivals: every other country is neutral
    move(m, "US", "entity_list", "huawei")
    move(m, "US", "tariff", "CN", rate=0.1)
    assert_allclose(scores(m)[ESCALATION], [-0.5, -0.2, 0.0])
    move(m, "US", "delist", "huawei")
    move(m, "US", "tariff", "CN", rate=0.0)
    assert_allclose(scores(m)[ESCALATION], 0.0)


def test_a_paid_fine_is_remembered_as_a_measure():
    m = tiny({"US": ["CN"]}, steps=3)
    m.events[0].append(MoveCall("US", "fine", "huawei", {"amount": 100.0}, source="event"))
    m.run()
    assert_allclose(m.recorder.series("country", "escalation", "US"), -0.1)
    assert_allclose(m.recorder.series("country", "treasury", "US"),
                    np.tanh([100 / STAKE_US, 0, 0]))


# -- the score: marginal credit -----------------------------------------------------------------
def test_a_coalition_member_is_credited_with_what_its_own_listing_adds():
    """TW joins the US's listing of huawei. Against its do-nothing reference (the US lists
    anyway), TW's security is what its own listing adds to the US's — a part of the whole fall
    its objective shows."""
    events = [{"at": 1, "by": "US", "move": "entity_list", "target": "huawei"}]
    riv = {"US": ["CN"], "TW": ["CN"]}

    def run(join: bool) -> TradeModel:
        m = tiny(riv, tight=True, events=events, steps=40)
        m = TradeModel(scenario=m.spec, players=("TW",))
        while m.running:
            if join and m.step_index == 1:
                m.submit(MoveCall("TW", "entity_list", "huawei"))
            m.step()
        return m

    played, idle = run(True), run(False)
    sec = [m.recorder.series("country", "security", "TW").mean() for m in (played, idle)]
    assert sec[1] > 0.0  # the US's listing alone denies CN some capability
    assert 0.0 < sec[0] - sec[1] < sec[0]  # TW is credited with its part only
