"""Retaliation hurts the sender (docs/model.md, "Stylized facts and rules" and
"Strategies"): `tit_for_tat`, `proportional` and `lagged` pick the answer that costs the
sender's firms and suppliers most per unit of cost to the retaliator's own, judged on last
period's flows. Measured on every shipped scenario (a retaliation strategy added by override
where the scenario has none, a hostile event added where a classroom scenario's timeline is
empty): over the year after its first answer, against the same run without the retaliator's
strategy, the sender's firms and suppliers lose more revenue than the retaliator's. (A year, not
the whole run: in chip_controls_2022 China's own later gallium licensing lands on a Japanese
supply that the early answer had made grow, which the answer did not choose.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim import TradeModel
from sim.rules.strategies import best_answer, retaliation_cost
from sim.scenario import validate_document
from sim.scenario.yamlio import load_file
from tests.worlds import CN, H_CASE, H_US, HUAWEI, US, tiny_world

ROOT = Path(__file__).parents[1] / "scenarios"

# (scenario, retaliator, sender, strategy override or None, hostile events to add)
CASES: list[tuple[str, str, str, dict[str, Any] | None, list[dict[str, Any]]]] = [
    ("huawei_2019.yaml", "CN", "US", None, []),
    ("huawei_2019.yaml", "CN", "US", {"name": "lagged", "probability": 1.0}, []),
    ("huawei_2019.yaml", "CN", "US", {"name": "tit_for_tat"}, []),
    ("hikvision_2019.yaml", "CN", "US", {"name": "tit_for_tat"}, []),
    ("zte_2018.yaml", "CN", "US", {"name": "tit_for_tat"}, []),
    ("zte_2018.yaml", "CN", "US", {"name": "proportional"}, []),
    ("chip_controls_2022.yaml", "CN", "US", {"name": "tit_for_tat"}, []),
    ("chip_controls_2022.yaml", "CN", "US", {"name": "proportional"}, []),
    ("classroom/denial_order.yaml", "CN", "US", None,
     [{"at": 4, "by": "US", "move": "entity_list", "target": "ZTE"}]),
    ("classroom/stockpile_race.yaml", "CN", "US", None,
     [{"at": 4, "by": "US", "move": "entity_list", "target": "Hikvision"}]),
    ("classroom/tariff_war.yaml", "CN", "US", None,
     [{"at": 2, "by": "US", "move": "tariff", "target": "CN", "rate": 0.25}]),
]


def world(name: str, retaliator: str, strategy: dict[str, Any] | None,
          events: list[dict[str, Any]], answer: bool) -> TradeModel:
    doc, _, _ = load_file(ROOT / name)
    for product in doc["products"].values():
        product["noise"] = 0  # the comparison measures the answer, not the demand noise
    doc["events"] = list(doc.get("events") or []) + events
    country = doc["countries"][retaliator]
    if strategy is not None:
        country["strategy"] = strategy
    if not answer:
        country["strategy"] = {"name": "scripted"}
    return TradeModel(scenario=validate_document(doc, {}, name)).run()


def side_revenue(m: TradeModel, country: str, start: int = 0) -> float:
    """Revenue of ``country``'s firms and suppliers over the year from ``start``."""
    w, g = m.world, m.world.countries.index(country)
    year = slice(start, start + 52)
    firms = m.recorder.metric("firm", "revenue")[year].sum(axis=0)
    sups = m.recorder.metric("supplier", "revenue")[year].sum(axis=0)
    return float(firms[w.firm_country == g].sum() + sups[w.supplier_country == g].sum())


@pytest.mark.parametrize("name,retaliator,sender,strategy,events", CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_retaliation_costs_the_sender_more_than_the_retaliator(name, retaliator, sender,
                                                               strategy, events):
    run = world(name, retaliator, strategy, events, answer=True)
    base = world(name, retaliator, strategy, events, answer=False)
    answers = [e for e in run.log if e.call.source == "strategy" and e.call.actor == retaliator]
    assert answers, "the retaliator never answered"
    t = answers[0].step
    sender_loss = side_revenue(base, sender, t) - side_revenue(run, sender, t)
    own_loss = side_revenue(base, retaliator, t) - side_revenue(run, retaliator, t)
    w = run.world
    if not (w.firm_country == w.countries.index(sender)).any() and all(
            e.call.move == "tariff" for e in answers):
        # hikvision_2019: once both Chinese firms are listed nothing flows between the two
        # sides and the US has no firm: the answer is a tariff that touches no flow
        assert sender_loss == own_loss == 0.0
    else:
        assert sender_loss > 0.0
        assert sender_loss > own_loss


def test_zte_denial_is_answered_by_cutting_qualcomm_which_china_replaces_at_home():
    run = world("zte_2018.yaml", "CN", {"name": "tit_for_tat"}, [], answer=True)
    first = next(e for e in run.log if e.call.source == "strategy")
    assert (first.call.move, first.call.target) == ("procurement_ban", "Qualcomm")


def test_chip_controls_are_answered_by_an_export_control_on_gallium_to_the_us():
    run = world("chip_controls_2022.yaml", "CN", {"name": "tit_for_tat"}, [], answer=True)
    first = next(e for e in run.log if e.call.source == "strategy")
    assert (first.call.move, first.call.target) == ("export_control", "gallium")
    assert list(first.params["to"]) == ["US"]


def tiny_short() -> TradeModel:
    """The tiny world with huawei's other soc makers at their steady flows: no spare room."""
    m = TradeModel(scenario=tiny_world())
    m.step()
    sup = m.state.suppliers
    sup.capacity[1:3] = sup.shipments[1:3]  # s_cn, s_tw full
    return m


def test_cutting_the_senders_supplier_costs_the_retaliators_firm_its_output():
    m = tiny_short()
    cut = np.zeros(len(m.links))
    cut[H_US] = 1.0  # China's huawei stops buying from s_us and cannot re-source
    F, R = m.state.markets.sales_by_region.shape
    cost = retaliation_cost(m, cut, np.zeros((F, R)))
    ship = m.state.pipeline.shipped
    lost_share = ship[H_US] / ship[H_US:H_US + 3].sum()  # of huawei's socs
    # huawei loses that share of its phones, and k_cn the cases for them; s_cn still sells it
    # all its socs (the component that binds)
    assert cost[CN] == pytest.approx(lost_share * (m.state.markets.revenue[HUAWEI]
                                                   + ship[H_CASE] * m.world.supplier_price[3]))
    # s_us loses its sales to huawei, but apple sells the phones huawei cannot make: the
    # sender's side comes out ahead
    assert cost[US] < 0.0


def test_the_answer_is_never_one_that_costs_the_retaliator_more():
    m = tiny_short()
    call = best_answer(m, CN, US, 1.0)
    assert call is not None
    assert call.target != "s_us"  # the old tit-for-tat: ban the sender's top supplier
    assert (call.move, call.target) == ("procurement_ban", "apple")
