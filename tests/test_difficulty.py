"""Difficulty levels (sim/play/difficulty.py): easy scripts every government nobody plays,
medium leaves the scenario as written, hard reads the tournament's best responses shipped
beside the scenario (falling back to medium, with a note, without them); a saved game keeps
its level and its opponents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.play.difficulty import hard_file, resolve
from sim.play.saved import load_game, save_game
from sim.play.session import Game
from sim.play.setup import load_choice

ROOT = Path(__file__).resolve().parents[1]
HIK = ROOT / "scenarios" / "hikvision_2019.yaml"


def started(level: str, role: str = "US", source: Path = HIK) -> Game:
    """A game started as the play page starts one."""
    plain = load_choice(source, None, {})
    chosen = resolve(level, plain, (role,), source)
    scenario = load_choice(source, None, chosen.overrides)
    return Game(scenario, role, overrides=chosen.overrides, difficulty=chosen.level,
                note=chosen.note)


def answers(game: Game, actor: str) -> list[str]:
    return [e.call.move for e in game.model.log if e.call.actor == actor]


def test_easy_scripts_the_others_and_medium_lets_them_answer():
    easy, medium = started("easy"), started("medium")
    assert easy.scenario.countries["CN"].strategy.name == "scripted"
    assert all(easy.scenario.countries[c].strategy.name == "scripted"
               for c in ("CN", "EU", "KR", "JP"))
    assert easy.scenario.countries["US"].strategy is None  # the player's own: untouched
    assert medium.overrides == {}
    for game in (easy, medium):
        game.submit("entity_list", "Hikvision", {})
        game.submit("tariff", "CN", {"rate": 1.0})
        game.step(4 * game.turn_steps)
    assert answers(easy, "CN") == []  # history as scripted: China has no event of its own
    assert answers(medium, "CN")  # the scenario's China answers the player's moves


def test_hard_plays_the_shipped_best_response_and_says_when_there_is_none(tmp_path):
    shutil.copy(HIK, tmp_path / "hik.yaml")
    bare = started("hard", source=tmp_path / "hik.yaml")
    assert bare.difficulty == "medium" and bare.overrides == {}
    assert bare.difficulty_note and "hik.yaml has no hard file" in bare.difficulty_note
    (tmp_path / "hik.hard.json").write_text(json.dumps(
        {"best_response": {"US": {"CN": "grim_trigger"}}}))
    hard = started("hard", source=tmp_path / "hik.yaml")
    assert hard.difficulty == "hard" and hard.difficulty_note is None
    assert hard.scenario.countries["CN"].strategy.name == "grim_trigger"
    other = started("hard", role="Hikvision", source=tmp_path / "hik.yaml")
    assert other.difficulty == "medium" and "no entry for Hikvision" in other.difficulty_note
    with pytest.raises(ValueError, match="difficulty must be one of easy, medium, hard"):
        resolve("brutal", hard.scenario, ("US",), HIK)


def test_the_shipped_hard_file_names_strategies_of_the_registry_for_hikvision():
    from sim import STRATEGIES

    path = hard_file(HIK)
    assert path is not None, "hikvision_2019 ships its hard file"
    table = json.loads(path.read_text())
    assert set(table["best_response"]) == {"US", "CN"}
    assert table["best_response"]["US"]["CN"] in STRATEGIES
    assert table["best_response"]["CN"]["US"] in STRATEGIES
    game = started("hard")
    assert game.difficulty == "hard"
    assert game.scenario.countries["CN"].strategy.name == table["best_response"]["US"]["CN"]


def test_a_saved_game_keeps_its_level_and_its_opponents():
    game = started("easy")
    game.submit("entity_list", "Hikvision", {})
    game.step(15)
    text = save_game(game).decode()
    assert "difficulty: easy" in text
    back = load_game(text, "saved.game.yaml")
    assert back.difficulty == "easy" and back.overrides == game.overrides
    assert back.scenario.countries["CN"].strategy.name == "scripted"
    assert back.step_index == game.step_index


def test_the_hard_file_is_each_roles_best_response_to_the_others_top_strategy(tmp_path):
    """sim/play/hardfile.py reads a real (small) tournament: for the player's role, the
    opponent plays its best response (best_responses.csv) to the player's top-ranked
    strategy (ranks.csv)."""
    import csv

    from sim.play.hardfile import hard_table
    from sim.tournament import make_tournament, run_tournament, write_results

    t = make_tournament(str(HIK), ["US", "CN"], ["scripted", "escalate_then_negotiate"], 2,
                        steps="30")
    out = tmp_path / "t"
    run_tournament(t, out, workers=0)
    write_results(out)
    table = hard_table(out)
    ranks = list(csv.DictReader((out / "ranks.csv").open()))
    responses = list(csv.DictReader((out / "best_responses.csv").open()))
    first = {role: next(r["strategy"] for r in ranks if r["role"] == role)
             for role in ("US", "CN")}
    assert table["top_ranked"] == first

    def best(role: str, other: str) -> str:
        return next(r["best"].split(" | ")[0] for r in responses
                    if r["role"] == role and r["against"] == f"{other}={first[other]}")

    assert table["best_response"] == {"US": {"CN": best("CN", "US")},
                                      "CN": {"US": best("US", "CN")}}
    assert table["seeds"] == 2 and table["scenario"] == "Hikvision 2019"
