"""The play page without a browser: the game object, charts, forms and solara.render."""

from __future__ import annotations

import io
import time
from pathlib import Path

import ipyvuetify as v
import pytest
import solara

from dashboards.forms import NO_TARGET, MovePanel, target_choices
from sim import MoveError, TradeModel, load_scenario
from sim.engine.output import csv_bytes
from sim.play.charts import CHARTS
from sim.play.png import ChartBook
from sim.play.session import OBSERVE, Game, domestic_substitutes, shipped_scenarios
from sim.play.setup import SCENARIO_ENV, overrides_from, parameter_sliders

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hikvision_2019.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


def test_game_steps_played_model_and_baseline_together(scenario):
    game = Game(scenario, "US", seed=3)
    assert game.step(5) == 5
    assert game.model.step_index == game.baseline.step_index == 5
    assert game.baseline.events == {}  # the baseline has no timeline
    assert game.step(10_000) == scenario.steps - 5 and game.finished


def test_moves_are_validated_and_take_effect(scenario):
    game = Game(scenario, "US")
    with pytest.raises(MoveError, match="license_rate: must be at most 1"):
        game.submit("entity_list", "Hikvision", {"license_rate": 5})
    with pytest.raises(MoveError, match="may not make"):
        game.submit("stockpile", None, {})
    game.submit("entity_list", "Hikvision", {})
    assert len(game.queued) == 1
    game.step(scenario.turn_steps * 3)
    assert game.queued == []
    assert any(i.step == 0 and "adds Hikvision" in i.text for i in game.news())
    effects = [i for i in game.news() if i.kind == "effect"]
    # the listing costs the sender's own suppliers their sales to Hikvision
    us = [n for n, x in scenario.suppliers.items() if x.country == "US"]
    assert any(f"{n} loses" in i.text and "entity list Hikvision" in i.text
               for i in effects for n in us)
    assert game.markers()[0][0] == 0


def test_observer_has_no_moves_and_csv_equals_engine(scenario):
    game = Game(scenario, OBSERVE, seed=11)
    assert game.role_moves() == []
    game.step(20)
    model = TradeModel(scenario=scenario, rng=11, steps=scenario.steps)
    for _ in range(20):
        model.step()
    assert game.csv_bytes() == csv_bytes(model)


def test_timeline_lists_upcoming_events_only(scenario):
    game = Game(scenario, OBSERVE)
    assert [s for s, _ in game.timeline()] == [19, 39, 39]
    game.step(20)
    assert [s for s, _ in game.timeline()] == [39, 39]
    assert "US entity list Hikvision" in game.timeline()[0][1]


def test_score_card_compares_with_doing_nothing_and_baseline(scenario):
    game = Game(scenario, "US")
    game.step(scenario.steps)
    card = {m: (a, r, b) for m, a, r, b in game.score_card()}
    # the scenario's 0.5, 0.3, 0.2, with treasury at the consumers' 0.2 and escalation at a
    # tenth of their sum (sim/engine/objectives.py), normalised
    assert set(card) == {"US score (mean)"} | {
        f"US {m} (mean, weight {w / 1.32:.2f})" for m, w in
        (("security", 0.5), ("industry", 0.3), ("consumers", 0.2), ("treasury", 0.2),
         ("escalation", 0.12))}
    assert all(a == r for a, r, _ in card.values())  # no move: the same as doing nothing
    assert game.weights()["escalation"] > 0.0
    assert game.result()[0].startswith("US did the same as doing nothing")


@pytest.mark.parametrize("role", ["US", "CN", "Hikvision"])
def test_doing_nothing_scores_zero_by_construction(scenario, role):
    game = Game(scenario, role, seed=5)
    game.step(40)
    assert game.player_score() == 0.0


def test_a_known_good_move_scores_above_doing_nothing(scenario):
    game = Game(scenario, "US")
    game.submit("entity_list", "Hikvision", {})
    game.step(60)
    assert game.player_score() > 0.05
    assert game.hints() and all(s >= 0 for s, _ in game.hints())


def test_an_impossible_move_is_refused_before_step_and_moves_cancel(scenario):
    game = Game(scenario, "US")
    with pytest.raises(MoveError, match="not on US's entity list"):
        game.submit("delist", "Hikvision", {})
    assert target_choices(game, "delist") == [] and game.queued == []
    game.submit("entity_list", "Hikvision", {})
    game.cancel(0)
    assert game.queued == [] and game.model.pending == []
    game.step(2)
    assert not game.model.log


def test_domestic_substitutes_are_the_target_countrys_suppliers(scenario):
    suppliers, target = domestic_substitutes(Game(scenario, OBSERVE))
    assert target == "Hikvision" and suppliers == ["HiSilicon", "Gowin"]


@pytest.mark.parametrize("path", list(shipped_scenarios().values()), ids=lambda p: p.stem)
def test_every_shipped_scenario_charts_and_narrates(path):
    sc = load_scenario(path)
    game = Game(sc, next(iter(sc.roles), OBSERVE))
    game.step(2 * sc.turn_steps)
    book = ChartBook(game)
    assert all(book.png(key, overlay=True)[1] == game.step_index for key in CHARTS)
    assert parameter_sliders(sc) is not None and game.score_card()


def test_charts_are_png_and_redraw_only_on_change(scenario):
    game = Game(scenario, "US")
    book = ChartBook(game)
    game.step(30)
    for key in CHARTS:
        png, n = book.png(key, overlay=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and n == 30
    first, _ = book.png("firm-sales", overlay=True)
    assert book.png("firm-sales", overlay=True)[0] is first  # cached: nothing changed
    assert book.png("firm-sales", overlay=False)[0] != first  # overlay toggled
    game.step(1)
    assert book.png("firm-sales", overlay=False)[1] == 31


def test_move_targets_are_filtered_by_kind(scenario):
    game = Game(scenario, "Hikvision")
    assert target_choices(game, "stockpile") == [NO_TARGET, "soc", "fpga", "sensor"]
    assert target_choices(Game(scenario, "US"), "tariff") == ["CN", "EU", "KR", "JP"]
    sources = {game.model.world.suppliers[s] for f, s in game.model.links._pairs
               if game.model.world.firms[f] == "Hikvision"}
    assert set(target_choices(game, "qualify")) == set(scenario.suppliers) - sources
    # in this scenario Hikvision already sources every supplier: nothing left to qualify
    assert target_choices(game, "qualify") == []


def test_sliders_read_the_scenario_and_override_only_moved_values(scenario):
    sliders = {s.name: s for s in parameter_sliders(scenario)}
    assert sliders["listing_week"].value == 39 and sliders["listing_week"].integer
    assert sliders["retaliation_probability"].value == 0.6
    assert sliders["license_rate"].value == 0.0  # a default the file leaves out
    values = {n: s.value for n, s in sliders.items()} | {"listing_week": 60}
    assert overrides_from(list(sliders.values()), values) == {"events.listing.at": 60}
    sc = load_scenario(SCENARIO, overrides_from(list(sliders.values()), values))
    assert sc.step_of(next(e for e in sc.events if e.id == "listing").at) == 60


@pytest.fixture
def hikvision_first(monkeypatch):
    """The page offers the scenario ``chokepoint play FILE`` was given first."""
    monkeypatch.setenv(SCENARIO_ENV, str(SCENARIO))


def settled(test, timeout: float = 30.0):
    """``test()`` once it is true. A page's move form measures its cost in a thread, and a
    click that comes while that thread's render runs is drawn by that thread, just after the
    click returns: wait for it (bounded) instead of reading the page at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = test()
        except AssertionError:
            value = None
        if value or time.monotonic() > deadline:
            assert value, f"the page never showed {test.__doc__ or test}"
            return value
        time.sleep(0.02)


def chart_widgets(rc) -> list:
    """The page's interactive charts (the ECharts template widgets)."""
    return [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "narrow")]


def test_page_renders_setup_then_game(hikvision_first):
    from dashboards.play.page import Page

    box, rc = solara.render(Page(), handle_error=False)
    start = rc.find(v.Btn, children=["Start the game"])
    start.assert_single()
    assert rc.find(v.Select, label="Your role").widget.v_model == "US"
    start.widget.click()
    rc.find(v.Btn, children=["Step"]).assert_single()
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()

    def stepped():
        """every chart at step 1"""
        charts = chart_widgets(rc)
        return charts if charts and all(w.attributes["data-step"] == "1"
                                        and w.option["steps_shown"] == 1 for w in charts) else None

    charts = settled(stepped)
    assert all(len(w.option["series"][0]["data"]) == 1 for w in charts if w.option["series"])
    assert sorted(rc.find(v.Select, label="Move").widget.items) == sorted([
        "announce", "entity_list", "delist", "general_license", "tariff", "procurement_ban"])
    rc.close()


def test_move_panel_shows_refusal_reason(scenario):
    game = Game(scenario, "US")
    box, rc = solara.render(MovePanel(game, lambda msg: None), handle_error=False)
    field = rc.find(v.TextField, label="risk (0–1)").widget
    field.v_model = "3"  # typed: the field commits as it is typed
    rc.find(v.Btn, children=["Make this move"]).widget.click()
    settled(lambda: rc.find(v.Alert, class_="move-error").assert_single() or True)
    assert "risk: must be at most 1" in rc.find(v.Alert).widget.children[0]
    assert game.queued == []
    rc.close()


def test_a_redraw_while_typing_keeps_what_was_typed(scenario):
    """A field's text reaches the server as it is typed; a redraw of the form in between (the
    move's cost arriving, a classroom's turn) must not put the last committed value back."""
    game = Game(scenario, "US")
    tick = solara.reactive(0)  # the test's own, not the module's

    @solara.component
    def Panel():
        MovePanel(game, lambda msg: None, tick.value)

    box, rc = solara.render(Panel(), handle_error=False)
    field = rc.find(v.TextField, label="risk (0–1)").widget
    field.v_model = "0.7"  # typed in the browser, not yet committed (no Enter, no focusout)
    tick.value += 1  # the form redraws
    assert rc.find(v.TextField, label="risk (0–1)").widget.v_model == "0.7"
    rc.find(v.Btn, children=["Make this move"]).widget.click()
    calls = settled(lambda: game.queued)
    assert [(c.move, c.params.get("risk")) for c in calls] == [("announce", 0.7)]
    rc.close()


def test_every_text_field_follows_the_typing():
    """Every solara.Input* of the pages passes ``continuous_update=True``: a field that commits
    only on Enter or on leaving it gets its last committed value back from any redraw in
    between, and the typing is lost (see the test above). A new field must not bring it back."""
    import ast

    found = []
    for path in sorted((ROOT / "dashboards").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr.startswith("Input")):
                given = {k.arg: k.value for k in node.keywords}
                ok = isinstance(given.get("continuous_update"), ast.Constant) \
                    and given["continuous_update"].value is True
                found.append((f"{path.name}:{node.lineno}", ok))
    assert len(found) >= 8, found  # the move forms', the setups', the classroom's fields
    assert [where for where, ok in found if not ok] == []


def test_two_pages_have_separate_games(hikvision_first):
    from dashboards.play.page import Page

    _, a = solara.render(Page(), handle_error=False)
    _, b = solara.render(Page(), handle_error=False)
    a.find(v.Btn, children=["Start the game"]).widget.click()
    a.find(v.Btn, children=["Step"]).widget.click()
    b.find(v.Btn, children=["Start the game"]).assert_single()  # b still choosing
    b.find(v.Btn, children=["Start the game"]).widget.click()
    charts = settled(lambda: chart_widgets(b))
    assert all(w.attributes["data-step"] == "0" for w in charts)
    a.close()
    b.close()


def test_without_a_file_the_default_scenario_is_offered_first(monkeypatch):
    from dashboards.play.page import DEFAULT_SCENARIO, scenario_sources

    monkeypatch.delenv(SCENARIO_ENV, raising=False)
    names = list(scenario_sources())
    assert names[0] == f"{DEFAULT_SCENARIO}.yaml"
    assert sorted(names) == sorted(p.name for p in shipped_scenarios().values())
    monkeypatch.setenv(SCENARIO_ENV, str(SCENARIO.with_name("zte_2018.yaml")))
    assert list(scenario_sources())[:2] == ["zte_2018.yaml", f"{DEFAULT_SCENARIO}.yaml"]


@pytest.mark.parametrize("rate, elapsed, done, due", [
    (1, 0.0, 0, 1),      # the first step at once
    (1, 0.6, 1, 0),      # then nothing until a second has passed
    (1, 1.0, 1, 1),
    (50, 0.3, 1, 15),    # a 0.3 s redraw is caught up at the next turn of the loop
    (10, 0.2, 2, 1),
    (50, 30.0, 10, 50),  # after a long stall, at most a second's worth at once
])
def test_playing_keeps_to_the_chosen_speed(rate, elapsed, done, due):
    from dashboards.play.page import steps_due

    assert steps_due(rate, elapsed, done) == due


def test_players_own_scripted_events_are_hints_not_moves():
    scenario = load_scenario(Path("scenarios/hikvision_2019.yaml"))
    played = TradeModel(scenario=scenario, players=("US",)).run()
    assert not [e for e in played.log if e.call.actor == "US"]
    assert any("Hikvision on 2019-10-07" in text for _, text in played.hints)
    scripted = TradeModel(scenario=scenario).run()
    assert [e for e in scripted.log if e.call.actor == "US"] and not scripted.hints


def test_y_axis_refits_after_a_flat_start(scenario):
    game = Game(scenario, "US")
    game.submit("entity_list", "Hikvision", {})
    book = ChartBook(game)
    game.step(1)
    book.png("share-price", overlay=True)  # first drawn flat (every price at 100)
    game.step(80)
    book.png("share-price", overlay=True)
    canvas = book.canvases["share-price"]
    ax = canvas.ax
    lo, hi = ax.get_ylim()
    values = [y for line in canvas.lines + canvas.base for y in line.get_ydata()]
    assert lo <= min(values) and hi >= max(values) and max(values) - min(values) > 10
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.bbox.x1 - 1  # beside


def test_png_export_is_print_resolution(scenario):
    game = Game(scenario, "US")
    game.step(5)
    png = ChartBook(game).print_png("profit", overlay=True)
    width = int.from_bytes(png[16:20], "big")
    assert png[:4] == b"\x89PNG" and width >= 1800


def test_the_downloaded_game_replays_to_the_same_csv(scenario, tmp_path):
    import subprocess
    import sys
    import zipfile

    game = Game(scenario, "US", seed=7)
    game.submit("entity_list", "Hikvision", {})
    game.step(12)
    game.submit("tariff", "CN", {})
    game.step(18)
    with zipfile.ZipFile(io.BytesIO(game.replay_zip())) as z:
        z.extractall(tmp_path)
    out = tmp_path / "replayed.csv"
    subprocess.run([sys.executable, "-m", "sim.cli", "run", str(tmp_path / "replay.yaml"),
                    "--seed", "7", "--steps", "30", "--out", str(out)], check=True)
    assert out.read_bytes() == (tmp_path / "run.csv").read_bytes() == game.csv_bytes()


def test_others_future_moves_are_hidden_until_announced(scenario):
    game = Game(scenario, "Hikvision")
    assert len(game.timeline()) == 1 and "US announce Hikvision" in game.timeline()[0][1]
    assert game.hidden_moves() == 2
    game.step(20)  # the announcement about Hikvision took effect: its listing is now public
    assert any("entity list Hikvision" in t for _, t in game.timeline())
    assert game.hidden_moves() == 1  # Dahua's listing was never announced


def test_news_lines_say_why_and_appear_once(scenario):
    game = Game(scenario, "US")
    game.submit("entity_list", "Hikvision", {})
    game.step(3 * scenario.turn_steps)
    news = game.news()
    effects = [i for i in news if i.kind == "effect"]
    assert effects and all("US entity list Hikvision (week 0)" in i.text for i in effects)
    # a supplier that lost its buyer names the listing; a rival that gained names it as the
    # market's cause (sim/engine/attribution.py)
    assert any(i.text.startswith("AMD loses") and "since US entity list Hikvision" in i.text
               for i in effects)
    assert any("'s sales are" in i.text and "as buyers switch after US entity list Hikvision"
               in i.text for i in effects)
    assert len(news) == len(set(news))


def test_a_failed_classroom_action_is_logged_not_dropped(caplog):
    from concurrent.futures import Future

    from dashboards.classroom.hub import _report

    done: Future = Future()
    done.set_exception(RuntimeError("database is locked"))
    with caplog.at_level("ERROR", logger="dashboards.classroom.hub"):
        _report(done, "Classroom.lock", (7,))
    assert "classroom action Classroom.lock(7,) failed" in caplog.text
    assert "database is locked" in caplog.text
