"""The game session layer (sim/play/) under the play page and the classroom: one score on one
scale, one baseline, one chart registry (docs/architecture.md, docs/extending.md)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sim.classroom import Classroom
from sim.classroom.export import chart_pngs
from sim.engine.metrics import GROUPS
from sim.play import scoring
from sim.play.charts import CHARTS, TABS
from sim.play.roles import OBSERVE
from sim.play.session import Game, no_policy
from sim.scenario import load_scenario
from tests.worlds import tiny_world

ROOT = Path(__file__).resolve().parents[1]
DENIAL = ROOT / "scenarios" / "classroom" / "denial_order.yaml"


@pytest.fixture
def room(tmp_path):
    r = Classroom(f"sqlite:///{tmp_path / 'class.db'}")
    yield r
    r.close()


def test_the_play_page_and_the_classroom_score_the_same_game_alike(room):
    """The same game (scenario, seed, one human team, one move in the first turn) played on the
    play page and in a classroom scores the same on both, on the scale of sim.play.scoring."""
    game = room.create_game(DENIAL, seed=3, humans=["US"])
    us = room.join(game.code, "US")
    room.submit(us, "entity_list", "ZTE")
    while not room.view(game.id).finished:
        room.lock(us)
    classroom = room.view(game.id).scores["US"]

    play = Game(load_scenario(DENIAL), "US", seed=3)
    play.submit("entity_list", "ZTE", {})
    play.step(play.horizon)
    assert play.finished
    assert play.player_score() == classroom
    assert classroom != 0
    # the scale: points of the government's mean weighted score (×100)
    live = room.live(game.id)
    n = live.model.recorder.steps
    means = [scoring.mean_of(m, "country", "score", "US", n) for m in (live.model, live.idle)]
    assert classroom == pytest.approx(100 * (means[0] - means[1]))


def test_a_firm_scores_in_percent_of_the_reference_profit(room):
    game = room.create_game(DENIAL, seed=3, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.submit(us, "entity_list", "ZTE")
    while not room.view(game.id).finished:
        room.lock(us)
        room.lock(zte)
    live = room.live(game.id)
    played = scoring.mean_of(live.model, "firm", "profit", "ZTE")
    idle = scoring.mean_of(live.idle, "firm", "profit", "ZTE")
    assert room.view(game.id).scores["ZTE"] == pytest.approx(100 * (played - idle) / abs(idle))


def test_a_step_without_a_value_is_skipped_not_counted_as_zero():
    game = Game(load_scenario(DENIAL), "US", seed=1)
    game.step(4)
    rec = game.model.recorder
    i = rec.entities["country"].index("US")
    j = list(GROUPS["country"]).index("score")
    kept = rec.data["country"][:4, j, i].copy()
    rec.data["country"][0, j, i] = np.nan
    assert scoring.mean_of(game.model, "country", "score", "US") == pytest.approx(
        kept[1:].mean())


def test_the_classroom_baseline_is_the_play_page_baseline(room):
    game = room.create_game(DENIAL, seed=4, humans=[])
    room.resolve(game.id)
    live = room.live(game.id)
    base = live.session().baseline
    again = no_policy(live.scenario, live.seed, live.step)
    assert base.step_index == again.step_index == live.step
    np.testing.assert_array_equal(base.recorder.data["firm"], again.recorder.data["firm"])


def test_every_registered_chart_is_in_a_tab_and_in_the_classroom_export(room, tmp_path):
    """docs/extending.md, "Add a chart": a chart added to the registry reaches the play page's
    tabs, the classroom's export and its debrief without another list to update."""
    assert {c.key for specs in TABS.values() for c in specs} == set(CHARTS)
    game = room.create_game(DENIAL, seed=2, humans=[])
    room.resolve(game.id)
    assert set(chart_pngs(room.live(game.id))) == {f"{k}.png" for k in CHARTS}
    data = room.export(game.id, tmp_path / "game.zip").read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {f"charts/{k}.png" for k in CHARTS} <= set(names)



def test_every_chart_the_classroom_pages_name_is_registered():
    from dashboards.classroom.projector import DEBRIEF_CHARTS
    from dashboards.classroom.widgets import PROJECTOR_CHARTS, TEAM_CHARTS
    from sim.classroom.compare import COMPARE_CHARTS

    assert set(TEAM_CHARTS) | set(PROJECTOR_CHARTS) | set(DEBRIEF_CHARTS) \
        | set(COMPARE_CHARTS) <= set(CHARTS)


def test_extending_names_only_files_that_exist():
    """docs/extending.md's checklists name files a newcomer will open: they must exist."""
    import re

    text = (ROOT / "docs" / "extending.md").read_text()
    paths = set(re.findall(r"`((?:sim|dashboards|tests|docs)/[\w/.]+\.(?:py|md))`", text))
    paths = {p for p in paths if "NAME" not in p}  # a placeholder for the new file
    assert len(paths) > 15
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_the_news_names_the_move_that_hit_the_firm_not_the_latest_move():
    """Playing the US in hikvision_2019, the player lists Hanwha then bans Sony from US
    procurement: Hanwha's loss is reported "since US entity list Hanwha", never "since US
    procurement ban Sony" (sim/engine/attribution.py)."""
    game = Game(load_scenario(ROOT / "scenarios" / "hikvision_2019.yaml"), "US", seed=1)
    game.step(5)
    game.submit("entity_list", "Hanwha", {})
    game.step(1)
    game.submit("procurement_ban", "Sony", {})
    game.step(3 * game.turn_steps)
    hanwha = [i.text for i in game.news() if i.kind == "effect" and i.text.startswith("Hanwha")]
    assert hanwha, "Hanwha's loss made the news"
    assert all("since US entity list Hanwha" in t and "Sony" not in t for t in hanwha)
    sony = [i.text for i in game.news() if i.kind == "effect" and i.text.startswith("Sony")]
    assert all("since US procurement ban Sony" in t and "Hanwha" not in t for t in sony)


def test_the_goal_shown_has_the_words_the_parts_and_historys_score_measured_once(monkeypatch):
    """The pages' goal (sim/play/goal.py, dashboards/goal.py): the sentence and the score's
    parts of sim.rules.goals, and the target on the game's scale, measured once per scenario,
    role and seed."""
    from dashboards.goal import MEASURING, goal_html
    from sim.play import goal as shown_goal
    from sim.rules import goals

    spec = load_scenario(ROOT / "scenarios" / "hikvision_2019.yaml")
    runs = []

    def counted(*args):
        runs.append(args)
        return goals.history_score(*args)

    monkeypatch.setattr(shown_goal, "history_score", counted)
    us = shown_goal.target(spec, "US", spec.seed)
    assert us == pytest.approx(scoring.SCALE * goals.history_score(spec, "US", spec.seed))
    assert shown_goal.target(spec, "US", spec.seed) == us and len(runs) == 1
    assert shown_goal.target(spec, "Hikvision", spec.seed) is None  # no history of its own
    page = goal_html(spec, "US", us)
    assert "Deny CN&#x27;s firms (Hikvision and Dahua)" in page
    assert all(f"<b>{k}</b>" in page for k in ("security", "industry", "escalation"))
    assert f"Target to beat: {us:+.2f} points, what US really did" in page
    assert "measuring" in goal_html(spec, "US", MEASURING)
    assert "above the target" in goal_html(spec, "US", us, score=us + 1)
    assert "0 % of the do-nothing profit, doing nothing" in goal_html(spec, "Hikvision", None)


# -- the timeline of a conditional reply (docs/scenarios.md, "Events": `when:`) ---------------
REPLY = {"at": 8, "by": "CN", "move": "procurement_ban", "target": "s_us", "share": 0.5,
         "when": {"move": "entity_list", "by": "US"}}
SHOWN = "Week 8 (2020-03-02): CN procurement ban s_us (share 0.5)"


def test_a_conditional_reply_is_shown_as_conditional_until_its_cause_took_effect():
    cause = {"at": 4, "by": "US", "move": "entity_list", "target": "huawei"}
    game = Game(tiny_world(events=[cause, dict(REPLY, chance=0.5)], steps=12), OBSERVE)
    assert game.timeline()[1] == (
        8, SHOWN + " — if an entity list by US is made first — chance 50%")
    game.step(5)  # the listing took effect in step 4
    assert game.timeline() == [(8, SHOWN + " — answering an entity list by US — chance 50%")]


def test_a_conditional_reply_without_its_cause_leaves_the_timeline_and_the_news_says_so():
    game = Game(tiny_world(events=[REPLY], steps=12), OBSERVE)
    conditional = [(8, SHOWN + " — if an entity list by US is made first")]
    assert game.timeline() == conditional
    game.step(8)  # the reply's own step is next: its cause may still come first in it
    assert game.timeline() == conditional
    game.step(1)
    assert game.timeline() == []
    assert [i.text for i in game.news() if i.step == 8] == [
        "CN's procurement ban s_us did not happen: it answers an entity list by US, "
        "which was not made."]


def test_a_country_whose_name_holds_a_dot_gets_its_level_and_its_slider(tmp_path):
    """The easy level's overrides and a slider's path address "St. Lucia" in quotes
    (docs/scenarios.md, "Paths")."""
    from sim.play.difficulty import resolve
    from sim.play.setup import parameter_sliders

    text = (ROOT / "tests" / "data" / "fictional_magnets.yaml").read_text()
    text = re.sub(r"\bCalder\b", "St. Lucia", text) + (
        '  answer_delay: {path: \'countries."St. Lucia".strategy.delay\', min: 0, max: 8}\n')
    path = tmp_path / "lucia.yaml"
    path.write_text(text)
    spec = load_scenario(path)
    easy = load_scenario(path, resolve("easy", spec, ("Ostmark",), path).overrides)
    assert easy.countries["St. Lucia"].strategy.name == "scripted"
    assert spec.countries["St. Lucia"].strategy.name == "tit_for_tat"
    slider = next(s for s in parameter_sliders(spec) if s.name == "answer_delay")
    assert slider.value == 2  # the file's `delay: 2`


def test_the_play_page_refuses_a_move_that_clashes_with_one_already_queued():
    from sim.errors import MoveError

    game = Game(load_scenario(DENIAL), "ZTE", seed=1)
    game.submit("qualify", "HiSilicon", {})
    with pytest.raises(MoveError, match=r"clashes with your pending move this turn "
                                        r"\(qualify HiSilicon\)"):
        game.submit("qualify", "HiSilicon", {})
    assert len(game.queued) == 1  # the refused move is not queued
    game.submit("stockpile", None, {})  # a move that does not clash is queued
    assert len(game.queued) == 2


def test_unannounced_replies_waiting_for_their_cause_are_counted_apart():
    game = Game(load_scenario(ROOT / "scenarios" / "chip_controls_2022.yaml"), "US", seed=1)
    waiting = [call for _, call in game._upcoming()
               if not game._public(call) and id(call) in game.model.conditions]
    assert game.hidden_replies() == len(waiting) > 0  # China's gallium replies, for one
    assert game.hidden_moves() == sum(not game._public(c) for _, c in game._upcoming()) \
        - len(waiting)
