"""Governments that answer (docs/scenarios.md, "Strategies"): behaviour tables in the manner of
Axelrod's tests — a timeline of the other side's moves, and what the strategy does and when —
for the default `responsive` and for `proportional_cap`, `grim_trigger`,
`generous_tit_for_tat`, `escalate_then_negotiate` and `fictitious_play`; plus the registry's
reset contract (re-running ``__init__`` gives a fresh strategy) and who gets the default."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sim import TradeModel
from sim.rules.responsive import power
from sim.rules.strategies import DEFAULT_GOVERNMENT, STRATEGIES
from sim.scenario import load_scenario, validate_document
from tests.test_registries import actor_strategy, with_strategy
from tests.worlds import tiny_document

LIST = {"by": "US", "move": "entity_list", "target": "huawei"}
DELIST = {"by": "US", "move": "delist", "target": "huawei"}


def play(strategy: dict[str, Any] | None, events: list[dict[str, Any]], steps: int = 30,
         who: str = "CN", players: tuple[str, ...] = (),
         others: dict[str, dict[str, Any]] | None = None) -> TradeModel:
    """The tiny world with ``who``'s strategy (None: the scenario's default), the ``others``'
    strategies, and ``events`` (each ``{at, ...move}``), run to the end."""
    doc = tiny_document(events=events, steps=steps)
    if strategy is not None:
        doc["countries"][who]["strategy"] = strategy
    for name, spec in (others or {}).items():
        doc["countries"][name]["strategy"] = spec
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"), players=players).run()


def moves_by(model: TradeModel, actor: str) -> list[tuple[int, str, str | None, float]]:
    """(step, move, target, strength) of every strategy move ``actor`` made."""
    return [(e.step, e.call.move, e.call.target, power(e.call)) for e in model.log
            if e.call.actor == actor and e.call.source == "strategy"]


def at(step: int, **move: Any) -> dict[str, Any]:
    return {"at": step, **move}


# -- who answers by default ------------------------------------------------------------------
def test_a_government_without_a_strategy_answers_by_default():
    model = play(None, [at(2, **LIST)])
    assert type(model.governments[1].strategy).name == DEFAULT_GOVERNMENT == "responsive"
    answers = moves_by(model, "CN")
    assert answers and answers[0][0] == 2 + 4  # the listing, answered after the delay
    assert model.log[[e.call.actor for e in model.log].index("CN")].hostile


def test_scripted_and_played_governments_do_not_answer():
    assert not moves_by(play({"name": "scripted"}, [at(2, **LIST)]), "CN")
    played = play(None, [at(2, **LIST)], players=("CN",))
    assert played.governments[1].strategy is None and not moves_by(played, "CN")


def test_a_hit_its_own_timeline_answers_is_left_to_the_timeline():
    reply = at(8, by="CN", move="procurement_ban", target="s_us", share=0.5,
               when={"move": "entity_list", "by": "US"})
    model = play(None, [at(2, **LIST), reply])
    assert not moves_by(model, "CN")
    assert [(e.step, e.call.move) for e in model.log if e.call.actor == "CN"] == [
        (8, "procurement_ban")]


# -- behaviour tables: (other side's timeline) -> (what it does, when) ---------------------
def test_responsive_answers_within_delay_and_lifts_after_a_delisting():
    model = play({"name": "responsive", "delay": 3}, [at(2, **LIST), at(10, **DELIST)])
    table = moves_by(model, "CN")
    assert [row[0] for row in table] == [5, 10]
    (_, move, target, strength), (_, lift, lifted, zero) = table
    assert strength > 0 and (lifted, zero) == (target, 0.0)
    assert lift == ("delist" if move == "entity_list" else move)


def test_responsive_scales_its_answer_while_a_licence_softens_the_cause():
    licence = at(10, by="US", move="general_license", target="huawei", share=0.5, steps=6)
    table = moves_by(play({"name": "responsive"}, [at(2, **LIST), licence]), "CN")
    assert [row[0] for row in table] == [6, 10, 16]  # answer, halved, back when it lapses
    full, half, again = (row[3] for row in table)
    assert half == pytest.approx(full * 0.5) and again == pytest.approx(full)


def test_responsive_answers_a_tariff_in_kind_escalates_when_hit_again_and_lifts():
    tariff = dict(by="US", move="tariff", target="CN")
    model = play({"name": "responsive"}, [at(2, **LIST), at(8, **tariff, rate=0.2),
                                          at(20, **tariff, rate=0.0)])
    table = moves_by(model, "CN")
    tariffs = [row for row in table if row[1] == "tariff"]
    assert tariffs[0][:2] == (12, "tariff")
    assert tariffs[0][3] == pytest.approx(0.2 * 1.5)  # the second hit: escalated
    assert tariffs[-1][0] == 20 and tariffs[-1][3] == 0.0  # lifted with the US tariff


def test_proportional_cap_never_goes_beyond_its_cap():
    tariff = dict(by="US", move="tariff", target="CN", rate=0.8)
    table = moves_by(play({"name": "proportional_cap", "cap": 0.1},
                          [at(2, **LIST), at(4, **tariff)]), "CN")
    assert table and all(row[3] <= 0.1 + 1e-12 for row in table)


def test_grim_trigger_never_lifts():
    table = moves_by(play({"name": "grim_trigger"}, [at(2, **LIST), at(10, **DELIST)]), "CN")
    assert [row[0] for row in table] == [6] and table[0][3] == 1.0


@pytest.mark.parametrize("generosity, answered", [(0.0, True), (1.0, False)])
def test_generous_tit_for_tat_forgives_with_its_generosity(generosity, answered):
    model = play({"name": "generous_tit_for_tat", "generosity": generosity},
                 [at(2, **LIST), at(10, **DELIST)])
    table = moves_by(model, "CN")
    assert [row[0] for row in table] == ([6, 10] if answered else [])


def test_escalate_then_negotiate_lifts_when_delisted():
    table = moves_by(play({"name": "escalate_then_negotiate", "opening": 1000},
                          [at(2, **LIST), at(10, **DELIST)]), "CN")
    assert [row[0] for row in table] == [6, 10] and table[1][3] == 0.0


def test_escalate_then_negotiate_opens_against_its_rival():
    model = play({"name": "escalate_then_negotiate", "opening": 1}, [], who="US")
    first = next(e for e in model.log if e.call.actor == "US")
    turn = model.spec.turn_steps  # 13 steps (a quarter of weeks)
    assert (first.step, first.hostile, first.victims) == (turn, True, (1,))  # CN buys s_us


def test_escalate_then_negotiate_fines_a_listed_firm_then_delists_it():
    model = play({"name": "escalate_then_negotiate", "patience": 5, "opening": 1000},
                 [at(2, **LIST)], who="US")
    settling = [(row[0], row[1]) for row in moves_by(model, "US") if row[1] in ("fine", "delist")]
    assert settling == [(7, "fine")]
    assert not model.policy.listed[0, 1]  # paid, and the listing lifted


def test_escalate_then_negotiate_delists_when_the_timeline_fined():
    fine = at(5, by="US", move="fine", target="huawei", amount=10.0)
    model = play({"name": "escalate_then_negotiate", "opening": 1000}, [at(2, **LIST), fine],
                 who="US")
    settling = [(row[0], row[1]) for row in moves_by(model, "US") if row[1] in ("fine", "delist")]
    assert settling == [(6, "delist")]


def test_fictitious_play_answers_a_hostile_record_and_not_a_conciliatory_one():
    quiet = {"US": {"name": "scripted"}}
    hostile = moves_by(play({"name": "fictitious_play"}, [at(2, **LIST)], others=quiet), "CN")
    assert [row[0] for row in hostile] == [6] and hostile[0][3] == pytest.approx(0.5)
    licence = at(4, by="US", move="general_license", target="huawei", share=0.2, steps=20)
    turned = moves_by(play({"name": "fictitious_play"}, [at(2, **LIST), licence],
                           others=quiet), "CN")
    assert turned == []  # a listing then a licence: belief 1/3, below its threshold 1/2


def test_fictitious_play_answers_harder_as_the_record_grows_hostile():
    table = moves_by(play({"name": "fictitious_play"}, [at(2, **LIST)]), "CN")
    strengths = [row[3] for row in table]  # the US's default answers each answer of CN's
    assert len(strengths) >= 2 and strengths == sorted(strengths) and strengths[0] < strengths[-1]


# -- the registry's contract: reset ---------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_reset_is_a_fresh_strategy(name):
    model, actor = with_strategy(name)
    for _ in range(60):  # past the listing, so stateful strategies hold state
        model.step()
    strategy = actor_strategy(model, actor)
    fresh = type(strategy)(**strategy.values)
    played = copy.deepcopy(strategy)
    strategy.__init__(**strategy.values)
    assert vars(strategy) == vars(fresh)
    if name in ("responsive", "grim_trigger", "proportional_cap", "escalate_then_negotiate",
                "fictitious_play", "generous_tit_for_tat"):
        assert vars(played) != vars(fresh), "the run left no state to reset"


def test_every_shipped_scenario_runs_with_the_default():
    from pathlib import Path

    root = Path(__file__).parents[1] / "scenarios"
    for path in sorted(root.glob("*.yaml")) + sorted(root.glob("classroom/*.yaml")):
        sc = load_scenario(path)
        model = TradeModel(scenario=sc, steps=min(sc.steps, 30)).run()
        defaults = [g for g, name in zip(model.governments, sc.countries, strict=True)
                    if sc.countries[name].strategy is None]
        assert all(type(g.strategy).name == "responsive" for g in defaults)
