"""Move costs, the player's position and the debrief (sim/play/whatif.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sim import load_scenario
from sim.engine.output import csv_bytes
from sim.play import whatif
from sim.play.session import Game

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "hikvision_2019.yaml")


def played_us(scenario) -> Game:
    game = Game(scenario, "US")
    game.submit("entity_list", "Hikvision", {})
    game.step(13)
    game.submit("tariff", "CN", {})
    game.step(13)
    game.submit("announce", "Dahua", {})
    game.step(scenario.steps)
    return game


def test_a_replay_with_every_move_is_the_game(scenario):
    game = played_us(scenario)
    assert csv_bytes(whatif.replay(game, whatif.player_moves(game))) == csv_bytes(game.model)


def test_the_decisions_that_mattered_are_counterfactuals(scenario):
    game = played_us(scenario)
    found = whatif.decisions(game)
    assert len(found) == 3
    assert [abs(d.worth) for d in found] == sorted((abs(d.worth) for d in found), reverse=True)
    moves = whatif.player_moves(game)
    listing = next(d for d in found if d.text == "entity list Hikvision")
    without = whatif.replay(game, [m for m in moves if m.call.move != "entity_list"])
    assert listing.worth == pytest.approx(game.score_of(game.model) - game.score_of(without))
    assert listing.worth != 0


def test_a_hostile_move_costs_the_government_escalation(scenario):
    game = Game(scenario, "US")
    game.step(1)
    before = csv_bytes(game.model)
    cost = whatif.move_cost(game, "entity_list", "Hikvision", {})
    rows = dict(cost.rows)
    assert cost.steps == scenario.turn_steps
    assert rows["escalation (weight 0.09)"] < 0  # a restriction raises the conflict's cost
    assert "your score" in rows
    assert csv_bytes(game.model) == before and game.step_index == 1  # the game is untouched
    assert whatif.move_cost(game, "delist", "Hikvision", {}) is None  # refused: no cost



def test_a_cancelled_measure_stops_between_steps(scenario):
    """The form cancels a measure when the game or the form moves on: it stops between steps
    and gives nothing, rather than finishing a turn of steps nobody will read."""
    import threading

    class SetAfter(threading.Event):
        """Set once it has been asked ``n`` times (the page moving on mid-measure)."""

        def __init__(self, n: int):
            super().__init__()
            self.asked, self.n = 0, n

        def is_set(self) -> bool:
            self.asked += 1
            return self.asked > self.n

    game = Game(scenario, "US")
    game.step(1)
    cancel = SetAfter(2)
    assert whatif.move_cost(game, "entity_list", "Hikvision", {}, cancel=cancel) is None
    assert cancel.asked == 3  # two steps of the turn's 13 made, then it stopped
    assert whatif.move_cost(game, "entity_list", "Hikvision", {},
                            cancel=SetAfter(100)) is not None



def test_pages_of_one_game_state_share_one_measure(scenario, monkeypatch):
    """Forty pages of a classroom team ask for the same move's cost after each turn: it is
    measured once per game state (and again once the state moves on)."""
    import threading

    game = Game(scenario, "US")
    game.step(1)
    measured, gate = [], threading.Event()
    measure = whatif._measure

    def counted(*args, **kwargs):
        measured.append(1)
        gate.wait(10)  # the others ask while this one measures
        return measure(*args, **kwargs)

    monkeypatch.setattr(whatif, "_measure", counted)
    costs: list = []
    pages = [threading.Thread(target=lambda: costs.append(
        whatif.move_cost(game, "entity_list", "Hikvision", {}))) for _ in range(8)]
    for page in pages:
        page.start()
    time.sleep(0.3)
    gate.set()
    for page in pages:
        page.join(30)
    assert len(measured) == 1 and len(costs) == 8 and costs[0] is not None
    assert all(c == costs[0] for c in costs)
    assert whatif.move_cost(game, "entity_list", "Hikvision", {}) == costs[0]
    assert len(measured) == 1  # asked again: the same state, the same measure
    game.step(1)
    again = whatif.move_cost(game, "entity_list", "Hikvision", {})
    assert len(measured) == 2 and again is not None  # a new state: measured again

def test_a_firms_moves_cost_money_or_output(scenario):
    game = Game(scenario, "Hikvision")
    game.step(2)
    stock = dict(whatif.move_cost(game, "stockpile", None, {"cover": 52.0}).rows)
    assert stock["money (profit summed)"] < 0  # buying and holding stock costs money
    redesign = dict(whatif.move_cost(game, "redesign", "soc", {"effort": 0.3}).rows)
    assert redesign["output"] < 0  # capacity diverted while redesigning


def test_position_shows_cover_sources_money_and_score(scenario):
    game = Game(scenario, "Hikvision")
    game.step(3)
    pos = whatif.position(game)
    w = game.model.world
    used = [c for c in w.components if w.bom[w.firms.index("Hikvision"), w.components.index(c)]]
    assert sorted(pos["cover"]) == sorted(used) and all(v > 0 for v in pos["cover"].values())
    assert all(pos["sources"][c] for c in used)
    assert pos["money"] != 0 and pos["score"] is not None
    gov = whatif.position(Game(scenario, "US"))
    assert "objectives" in gov and gov["score"] is None


def test_debrief_sentences_come_from_the_run(scenario):
    game = played_us(scenario)
    lines = whatif.debrief(game)
    assert lines[0].startswith("As US you made 3 moves: entity list Hikvision (week 0)")
    assert any("than without any policy" in line for line in lines)
    assert any("did better than" in line or "did worse than" in line for line in lines)
