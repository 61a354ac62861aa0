"""Save a game in the middle, load it again: the same game, move for move, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim import ScenarioError, load_scenario
from sim.play.saved import load_game, looks_saved, save_game, saved_name
from sim.play.session import Game

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hikvision_2019.yaml"
OVERRIDES = {"countries.CN.strategy.probability": 0.5}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO, OVERRIDES)


def played(scenario) -> Game:
    """The US, seed 11: a listing at step 0, a cancelled tariff, a general licence at step 20,
    a tariff queued at step 26 and not yet made (the game is saved with it queued)."""
    game = Game(scenario, "US", seed=11, overrides=OVERRIDES)
    game.submit("entity_list", "Hikvision", {"license_rate": 0.2})
    game.submit("tariff", "CN", {})
    game.cancel(1)
    game.step(20)
    game.submit("general_license", "Hikvision", {})
    game.step(6)
    game.submit("tariff", "CN", {"rate": 0.3})
    return game


def test_a_loaded_game_is_the_saved_game_and_plays_on_identically(scenario):
    game = played(scenario)
    text = save_game(game).decode()
    assert looks_saved(text) and text.startswith("# A Chokepoint game")
    loaded = load_game(text, "us.game.yaml")
    assert (loaded.step_index, loaded.role, loaded.seed) == (26, "US", 11)
    assert loaded.overrides == OVERRIDES
    assert loaded.scenario.countries["CN"].strategy.values["probability"] == 0.5
    assert [(s, c.move, c.target, c.params) for s, c in loaded.submitted] == [
        (0, "entity_list", "Hikvision", {"license_rate": 0.2}),
        (20, "general_license", "Hikvision", {}),
        (26, "tariff", "CN", {"rate": 0.3})]
    assert [c.move for c in loaded.queued] == ["tariff"]  # queued when saved: still queued
    assert loaded.csv_bytes() == game.csv_bytes()
    for g in (game, loaded):
        g.step(10)
        g.submit("delist", "Hikvision", {})
        g.step(30)
    assert loaded.csv_bytes() == game.csv_bytes()
    assert [i.text for i in loaded.news()] == [i.text for i in game.news()]
    assert loaded.player_score() == game.player_score()
    # saving the loaded game gives the same file again
    assert save_game(loaded).decode().split("\n", 2)[2] == save_game(game).decode().split(
        "\n", 2)[2]


def test_the_saved_file_keeps_the_scenario_text_and_only_what_decides_the_game(scenario):
    game = played(scenario)
    doc = yaml.safe_load(save_game(game))
    assert set(doc) == {"chokepoint_game", "role", "seed", "step", "overrides", "moves",
                        "scenario"}
    assert doc["scenario"] == SCENARIO.read_text()  # comments and all
    assert [m["at"] for m in doc["moves"]] == [0, 20, 26]
    assert saved_name(game) == "Hikvision_2019_US_week26.game.yaml"


def test_an_observers_game_saves_and_loads(scenario):
    game = Game(scenario, "observe", seed=2)
    game.step(15)
    loaded = load_game(save_game(game).decode())
    assert loaded.role == "observe" and loaded.step_index == 15
    assert loaded.csv_bytes() == game.csv_bytes()


def edited(scenario, change) -> str:
    doc = yaml.safe_load(save_game(played(scenario)))
    change(doc)
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.parametrize(("change", "where", "says"), [
    (lambda d: d.update(role="EU"), "role", "'EU' is not a role"),
    (lambda d: d.update(step=10_000), "step", "past the scenario's"),
    (lambda d: d.update(seed=-1), "seed", "greater than or equal to 0"),
    (lambda d: d.update(colour="red"), "colour", "unknown key"),
    (lambda d: d.update(chokepoint_game=9), "chokepoint_game", "format 9 is not known"),
    (lambda d: d["moves"][1].update(move="stockpile"), "moves.1", "refused: US may not make"),
    (lambda d: d["moves"][1].update(move="teleport"), "moves.1", "refused"),
    (lambda d: d["moves"][0].update(target="Nobody"), "moves.0", "refused"),
    (lambda d: d["moves"][2].update(at=5), "moves.2.at", "not between"),
    (lambda d: d["moves"][0].update(params={"license_rate": 7}), "moves.0", "refused"),
    (lambda d: d.update(overrides={"nowhere.at.all": 1}), "", "nowhere"),
])
def test_a_damaged_or_forged_file_is_refused_with_the_place(scenario, change, where, says):
    with pytest.raises(ScenarioError) as err:
        load_game(edited(scenario, change), "us.game.yaml")
    message = str(err.value)
    assert "us.game.yaml" in message and says in message
    assert f": {where}:" in message or not where


def test_a_broken_embedded_scenario_is_located_in_the_scenario(scenario):
    text = edited(scenario, lambda d: d.update(scenario=d["scenario"].replace(
        "steps: 156", "steps: lots")))
    with pytest.raises(ScenarioError) as err:
        load_game(text, "us.game.yaml")
    problem = err.value.problems[0]
    assert problem.file == "us.game.yaml (scenario)" and problem.path == "steps"
    assert SCENARIO.read_text().splitlines()[problem.line - 1].startswith("steps:")


@pytest.mark.parametrize("text", ["", "just: a mapping\n", "- a list\n", "a: [unclosed\n",
                                  "chokepoint_game: 1\n"])
def test_what_is_not_a_saved_game_is_refused(text):
    with pytest.raises(ScenarioError):
        load_game(text, "x.game.yaml")
