"""Retaliation that counts its own costs (docs/model.md, "Stylized facts and rules" and
"Strategies"): `tit_for_tat`, `proportional` and `lagged` weigh each answer by
what it would cost the sender and themselves, each a change of the whole score (consumers
included), judged on last period's flows; they answer with the best ratio when it costs the
sender more, and otherwise decline (saying so in the news) unless they are a `deterrent`.
Checked on every shipped scenario (a retaliation strategy added by override where the scenario
has none, a hostile event added where a classroom scenario's timeline is empty), and measured
in a coalition-listing world: the answer a deterrent makes lowers its own score more than either
sender's, which is why the default declines it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim import TradeModel
from sim.rules import strategies
from sim.rules.strategies import answer_effects, best_answer, retaliation_cost
from sim.scenario import validate_document
from sim.scenario.yamlio import load_file
from tests.worlds import APPLE, CN, H_CASE, H_CN, H_US, HUAWEI, K_CN, US, tiny_world

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


def decisions(monkeypatch, name: str, retaliator: str, strategy: dict[str, Any] | None,
              events: list[dict[str, Any]], deterrent: bool) -> tuple[TradeModel, list]:
    """The run with the retaliator's strategy (``deterrent`` set), and each decision it
    weighed: (step, chosen move or None, [(move, cost to the sender, cost to itself)])."""
    seen: list[tuple[int, Any, list]] = []

    def spy(model, actor, sender, share, deterrent=False):
        measures = np.zeros((len(model.world.countries),) * 2)
        measures[actor, sender] = 1.0
        weighed = []
        for call, cut, closed in strategies.answers(model, actor, sender, share):
            cost = retaliation_cost(model, cut, closed, measures)
            weighed.append((call, float(cost[sender]), float(cost[actor])))
        chosen = best_answer(model, actor, sender, share, deterrent)
        seen.append((model.step_index, chosen, weighed))
        return chosen

    monkeypatch.setattr(strategies, "best_answer", spy)
    doc, _, _ = load_file(ROOT / name)
    strategy = dict(strategy or doc["countries"][retaliator]["strategy"], deterrent=deterrent)
    return world(name, retaliator, strategy, events, answer=True), seen


@pytest.mark.parametrize("name,retaliator,sender,strategy,events", CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_an_answer_costs_the_sender_more_than_the_retaliator_or_is_declined(
        monkeypatch, name, retaliator, sender, strategy, events):
    run, seen = decisions(monkeypatch, name, retaliator, strategy, events, deterrent=False)
    declined = {t for t, line in run.news if f"{retaliator} does not answer" in line}
    for step, chosen, weighed in seen:
        if chosen is None:
            assert all(harm <= own + 1e-12 for _, harm, own in weighed)
            assert step in declined
            continue
        harm, own = next((h, o) for c, h, o in weighed if c == chosen)
        assert harm > max(own, 0.0)
        # the best ratio of the answers that cost the sender more
        better = [h / o for _, h, o in weighed if h > max(o, 0.0) and o > 1e-12]
        assert own <= 1e-12 or harm / own >= max(better) - 1e-9


@pytest.mark.parametrize("name,retaliator,sender,strategy,events", CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_a_deterrent_answers_every_hostile_move(monkeypatch, name, retaliator, sender,
                                                strategy, events):
    run, seen = decisions(monkeypatch, name, retaliator, strategy, events, deterrent=True)
    answers = [e for e in run.log if e.call.source == "strategy" and e.call.actor == retaliator]
    assert answers, "the deterrent never answered"
    assert not any(f"{retaliator} does not answer" in line for _, line in run.news)
    assert len(answers) >= len(seen)


# -- a coalition lists the retaliator's firm ------------------------------------------------
def coalition(strategy: dict[str, Any] | None) -> TradeModel:
    """tests/data/fictional_magnets.yaml with Lumen joining Ostmark's listing of Kestrel
    (Lumen's Lumtron sells it controllers); Calder answers with ``strategy`` (None: never),
    the senders do not answer back."""
    doc, _, _ = load_file(Path(__file__).parent / "data" / "fictional_magnets.yaml")
    doc["countries"]["Lumen"]["objectives"] = {"security": 0.5, "industry": 0.3,
                                               "consumers": 0.2}
    doc["events"].append({"at": 20, "by": "Lumen", "move": "entity_list", "target": "Kestrel"})
    doc["countries"]["Calder"]["strategy"] = strategy or {"name": "scripted"}
    # the senders keep to their timeline (governments answer by default, docs/model.md
    # "Strategies"): the test weighs the answer's own cost, not the trade war that follows it
    for sender in ("Ostmark", "Lumen"):
        doc["countries"][sender]["strategy"] = {"name": "scripted"}
    for product in doc["products"].values():
        product["noise"] = 0
    return TradeModel(scenario=validate_document(doc, {}, "coalition")).run()


def mean_score(m: TradeModel, country: str) -> float:
    return float(m.recorder.series("country", "score", country).mean())


def test_in_a_coalition_listing_the_answer_costs_the_retaliator_more_so_it_declines():
    answer = {"name": "tit_for_tat", "delay": 2, "share": 0.4}
    silent, declines = coalition(None), coalition(answer)
    deterred = coalition({**answer, "deterrent": True})
    made = [e for e in deterred.log if e.call.source == "strategy" and e.call.actor == "Calder"]
    assert {e.call.move for e in made} == {"procurement_ban"}  # its market closed to both
    assert not [e for e in declines.log if e.call.source == "strategy"
                and e.call.actor == "Calder"]
    assert sum("Calder does not answer" in line for _, line in declines.news) == 2
    own = mean_score(deterred, "Calder") - mean_score(silent, "Calder")
    assert own < 0.0
    for sender in ("Ostmark", "Lumen"):
        hurt = mean_score(deterred, sender) - mean_score(silent, sender)
        assert own < hurt < 0.0
    assert mean_score(declines, "Calder") == pytest.approx(mean_score(silent, "Calder"))


def test_zte_denial_is_answered_by_cutting_qualcomm_which_china_replaces_at_home():
    run = world("zte_2018.yaml", "CN", {"name": "tit_for_tat"}, [], answer=True)
    first = next(e for e in run.log if e.call.source == "strategy")
    assert (first.call.move, first.call.target) == ("procurement_ban", "Qualcomm")


def test_chip_controls_are_answered_by_an_export_control_on_gallium_to_the_us():
    run = world("chip_controls_2022.yaml", "CN", {"name": "proportional"}, [], answer=True)
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
    fx = answer_effects(m, cut, np.zeros((F, R)))
    ship, st = m.state.pipeline.shipped, m.state
    lost_share = ship[H_US] / ship[H_US:H_US + 3].sum()  # of huawei's socs
    # huawei loses that share of its phones, and k_cn the cases for them; s_cn still sells it
    # all its socs (the component that binds); apple sells the phones huawei cannot make
    assert fx.firm_units[HUAWEI] == pytest.approx(-lost_share * st.markets.sales[HUAWEI])
    assert fx.firm_units[APPLE] == pytest.approx(lost_share * st.markets.sales[HUAWEI])
    assert fx.link_units[H_CASE] == pytest.approx(-lost_share * ship[H_CASE])
    assert fx.link_units[H_US] == pytest.approx(-ship[H_US])
    assert fx.link_units[H_CN] == pytest.approx(0.0)
    # CN weighs its industry 1/5 (no weights given): its producers' lost margin, in its stake
    margin = st.markets.price[HUAWEI] - st.firms.unit_cost[HUAWEI] - st.ref.other_cost[HUAWEI]
    case_margin = st.suppliers.price[K_CN] - st.ref.supplier_unit_cost[K_CN]
    lost = lost_share * (st.markets.sales[HUAWEI] * margin + ship[H_CASE] * case_margin)
    cost = retaliation_cost(m, cut, np.zeros((F, R)))
    assert cost[CN] == pytest.approx(0.2 * lost / st.ref.stake[CN])
    # s_us loses its sales to huawei, but apple's margin on the phones huawei cannot make is
    # larger: the sender comes out ahead
    assert cost[US] < 0.0


def test_a_closed_market_costs_the_retaliators_consumers():
    m = tiny_short()
    F, R = m.state.markets.sales_by_region.shape
    closed = np.zeros((F, R))
    closed[APPLE, 1] = 1.0  # CN closes Asia to apple: huawei sells what apple sold there
    none = np.zeros(len(m.links))
    fx = answer_effects(m, none, closed)
    assert fx.firm_units[APPLE] == pytest.approx(-5.0)
    assert fx.firm_units[HUAWEI] == pytest.approx(5.0)
    cost = retaliation_cost(m, none, closed)
    m.state.ref.weights[2, CN] = 0.0  # the same without its consumers
    without = retaliation_cost(m, none, closed)
    # half the weight of Asia's sellers is gone: the inclusive price rises by ln 2 / λ and,
    # with ε = 1, buyers lose ln(1 + ln 2 / 4) of the market's spending (1,000)
    lost = math.log(1.0 + math.log(2.0) / 4.0) * 1000
    assert cost[CN] - without[CN] == pytest.approx(0.2 * lost / m.state.ref.stake[CN])
    assert cost[US] > 0.0


def test_the_answer_is_never_one_that_costs_the_retaliator_more():
    m = tiny_short()
    call = best_answer(m, CN, US, 1.0)
    assert call is None  # every answer costs China more than the US
    deterrent = best_answer(m, CN, US, 1.0, deterrent=True)
    assert deterrent is not None and deterrent.target != "s_us"
