"""Conditional events (docs/scenarios.md, "Events"): `when: {move, by, target}` makes a
scripted reply happen only if its cause took effect before, whoever made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import MoveCall, ScenarioError, TradeModel, load_scenario
from sim.scenario import validate_document
from tests.worlds import tiny_document

ROOT = Path(__file__).parents[1] / "scenarios"
REPLY = {"at": 8, "by": "CN", "move": "procurement_ban", "target": "s_us", "share": 0.5,
         "when": {"move": "entity_list", "by": "US"}}


def tiny(events: list[dict[str, Any]], players: tuple[str, ...] = ()) -> TradeModel:
    doc = tiny_document(events=events, steps=12)
    doc["countries"]["CN"]["strategy"] = {"name": "scripted"}
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"), players=players)


def replied(model: TradeModel) -> bool:
    return any(e.call.actor == "CN" and e.call.move == "procurement_ban" for e in model.log)


def test_with_the_player_doing_nothing_chinas_scripted_reply_does_not_fire():
    model = TradeModel(scenario=ROOT / "chip_controls_2022.yaml", players=("US",)).run()
    assert not [e for e in model.log if e.call.actor == "CN" and e.call.source == "event"]
    assert any("did not happen: it answers an export control by US" in text
               for _, text in model.news)


def test_with_the_history_chinas_scripted_reply_fires():
    model = TradeModel(scenario=ROOT / "chip_controls_2022.yaml").run()
    gallium = [e.step for e in model.log if e.call.actor == "CN" and e.call.source == "event"]
    assert len(gallium) == 3  # the notice, the licences, the recovery


@pytest.mark.parametrize("cause", [
    {"at": 2, "by": "US", "move": "entity_list", "target": "huawei"},  # the timeline
    {"at": 8, "by": "US", "move": "entity_list", "target": "huawei"},  # earlier in the step
])
def test_a_reply_fires_after_its_cause(cause):
    assert replied(tiny([cause, REPLY]).run())


def test_a_reply_does_not_fire_without_its_cause_or_before_it():
    assert not replied(tiny([REPLY]).run())
    late = {"at": 9, "by": "US", "move": "entity_list", "target": "huawei"}
    assert not replied(tiny([REPLY, late]).run())


def test_a_players_move_counts_as_a_cause():
    model = tiny([REPLY], players=("US",))
    model.step()
    model.submit(MoveCall("US", "entity_list", "huawei"))
    model.run()
    assert replied(model)


def test_a_strategys_move_counts_as_a_cause():
    doc = tiny_document(events=[REPLY], steps=12)
    doc["countries"]["CN"]["strategy"] = {"name": "scripted"}
    doc["countries"]["US"]["strategy"] = {"name": "escalate_then_negotiate", "opening": 0}
    reply = dict(REPLY, when={"by": "US", "move": "procurement_ban"})
    doc["events"] = [reply]
    model = TradeModel(scenario=validate_document(doc, {}, "<tiny>")).run()
    us = [e for e in model.log if e.call.actor == "US"]
    assert us and us[0].call.move == "procurement_ban" and replied(model)


def test_the_target_narrows_the_condition():
    other = dict(REPLY, when={"move": "entity_list", "by": "US", "target": "apple"})
    cause = {"at": 2, "by": "US", "move": "entity_list", "target": "huawei"}
    assert not replied(tiny([cause, other]).run())


@pytest.mark.parametrize("when, where, words", [
    ("{move: entity_lst, by: US}", "events[0].when.move", "did you mean 'entity_list'"),
    ("{move: entity_list, by: USA}", "events[0].when.by", "unknown country or firm 'USA'"),
    ("{move: entity_list, target: huwei}", "events[0].when.target", "did you mean 'huawei'"),
    ("{move: entity_list, whom: US}", "events[0].when.whom", "unknown key"),
    ("{by: US}", "events[0].when.move", "required"),
])
def test_a_bad_condition_is_located(tmp_path, when, where, words):
    import yaml

    doc = tiny_document(steps=12)
    text = yaml.safe_dump({k: v for k, v in doc.items() if k != "events"}, sort_keys=False)
    text += ("events:\n  - {at: 3, by: CN, move: procurement_ban, target: s_us, when: "
             f"{when}}}\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    found = [str(p) for p in err.value.problems]
    hit = [p for p in found if where in p]
    assert hit and words in hit[0], found
    assert all(p.startswith(f"{path}:") for p in found)
    line = text.splitlines().index(next(t for t in text.splitlines() if "when:" in t)) + 1
    assert f"{path}:{line}:" in hit[0]


def test_a_players_hint_names_the_cause_of_a_conditional_event():
    model = TradeModel(scenario=ROOT / "chip_controls_2022.yaml", players=("CN",))
    gallium = [text for _, text in model.hints if "gallium" in text and "CN made" in text]
    assert gallium and all("answering an export control by" in t for t in gallium)
