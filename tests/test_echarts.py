"""The ECharts options of the play page's charts (dashboards/echarts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboards.echarts import (
    DASHES,
    MARK_LABEL,
    MAX_POINTS,
    chart_option,
    data_table,
    label_gap,
    narrow_option,
    stride,
    style_of,
)
from sim import load_scenario
from sim.engine.metrics import GROUPS
from sim.play.charts import CHARTS, COLORS
from sim.play.session import Game

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "hikvision_2019.yaml")


def test_option_has_hover_zoom_legend_dates_and_a_fitting_y_axis(scenario):
    game = Game(scenario, "US")
    game.step(5)
    option, n = chart_option(game, "share-price", overlay=True)
    assert n == 5
    assert option["tooltip"]["trigger"] == "axis"
    assert {z["type"] for z in option["dataZoom"]} == {"inside", "slider"}
    # dates on x, the whole game long; the y axis is left to fit the data (never fixed)
    assert option["xAxis"]["type"] == "category"
    assert option["xAxis"]["data"][0] == scenario.calendar.start.isoformat()
    assert len(option["xAxis"]["data"]) == scenario.steps
    assert option["yAxis"]["scale"] is True
    assert "min" not in option["yAxis"] and "max" not in option["yAxis"]
    # the legend lists every series and sits beside the plot (the grid leaves room for it)
    names = [s["name"] for s in option["series"]]
    assert option["legend"]["data"] == names
    assert option["grid"]["right"] > option["legend"]["width"]
    firms = list(game.model.recorder.entities["firm"])
    assert names == firms + [f"{f} (no policy)" for f in firms]
    # the data are the recorder's, to four significant digits
    rec = game.model.recorder
    i = list(GROUPS["firm"]).index("share_price")
    want = rec.data["firm"][:5, i, 0]
    got = option["series"][0]["data"]
    assert got == pytest.approx(list(want), rel=1e-3)
    json.dumps(option)  # it crosses the websocket as JSON


def test_each_baseline_in_its_series_colour_and_styles_distinct():
    combos = {(style_of(k)[0], json.dumps(style_of(k)[1])) for k in range(56)}
    assert len(combos) == 56
    for k in range(55):  # neighbours differ in colour and in dash
        assert style_of(k)[0] != style_of(k + 1)[0]
        assert style_of(k)[1] != style_of(k + 1)[1]
    assert len(COLORS) == 8 and len(DASHES) == 7


def test_baseline_dotted_same_colour(scenario):
    game = Game(scenario, "observe")
    game.step(2)
    option, _ = chart_option(game, "stock-cover", overlay=True)
    series = option["series"]
    half = len(series) // 2
    for played, base in zip(series[:half], series[half:], strict=True):
        assert base["name"] == played["name"] + " (no policy)"
        assert base["lineStyle"]["color"] == played["lineStyle"]["color"]
        assert base["lineStyle"]["type"] == "dotted"
    option, _ = chart_option(game, "stock-cover", overlay=False)
    assert len(option["series"]) == half


def test_moves_are_marklines_at_their_dates(scenario):
    game = Game(scenario, "US")
    game.step(3)
    game.submit("entity_list", "Hikvision", {})
    game.step(2)
    option, _ = chart_option(game, "firm-sales", overlay=False)
    marks = option["series"][0]["markLine"]["data"]
    assert [m["xAxis"] for m in marks] == [3]
    assert "US entity list Hikvision" in marks[0]["name"]
    assert option["series"][0]["markLine"]["symbol"] == ["none", "none"]


def test_close_moves_share_one_label_and_keep_their_own_hover_text(scenario):
    game = Game(scenario, "US")
    game.submit("announce", "Hikvision", {})
    game.step(2)
    game.submit("entity_list", "Hikvision", {})
    game.step(1)
    game.submit("tariff", "CN", {})
    game.step(30)
    game.submit("delist", "Hikvision", {})
    game.step(2)
    marks = chart_option(game, "firm-sales", overlay=False)[0]["series"][0]["markLine"]["data"]
    steps = [m["xAxis"] for m in marks]
    assert steps[:3] == [0, 2, 3] and 33 in steps
    assert label_gap(156) == 6  # 156 weekly dates: labels at least 6 weeks apart
    shown = [m for m in marks if m["label"].get("show", True)]
    assert [m["xAxis"] for m in shown][:2] == [0, 33]
    assert shown[0]["label"]["formatter"].endswith(" +2 more")
    assert marks[1]["name"] == "US entity list Hikvision" and not marks[1]["label"]["show"]
    # a label is never longer than MARK_LABEL characters, suffix included
    assert all(len(m["label"]["formatter"]) <= MARK_LABEL for m in shown)
    # labelled lines are always at least label_gap apart
    xs = [m["xAxis"] for m in shown]
    assert all(b - a >= label_gap(156) for a, b in zip(xs, xs[1:], strict=False))


def test_long_games_are_thinned_on_their_dates(scenario):
    assert stride(156) == 1 and stride(MAX_POINTS) == 1 and stride(MAX_POINTS + 1) == 2
    long = scenario.model_copy(update={"steps": 2 * MAX_POINTS + 10})
    game = Game(long, "observe")
    game.step(8)
    option, n = chart_option(game, "market-price", overlay=False)
    cats = option["xAxis"]["data"]
    assert len(cats) <= MAX_POINTS and cats[1] == long.date_of(3).isoformat()
    assert len(option["series"][0]["data"]) == 3  # steps 0, 3, 6 (every third), on their dates
    assert n == 8


def test_every_chart_builds_at_start_and_after_steps(scenario):
    game = Game(scenario, "Hikvision")
    for key in CHARTS:
        option, n = chart_option(game, key, overlay=True)
        assert n == 0 and all(s["data"] == [] for s in option["series"])
        assert option["title"][1]["subtext"].startswith("no step played yet")
    game.step(3)
    for key in CHARTS:
        option, n = chart_option(game, key, overlay=True)
        assert n == 3 and all(len(s["data"]) == 3 for s in option["series"])
        # the note is there, empty: the page merges options, and a missing key would leave
        # the step-0 note drawn over the lines
        assert option["title"][1]["subtext"] == ""


def test_data_table_is_the_chart_data_latest_first(scenario):
    game = Game(scenario, "US")
    game.step(4)
    header, rows = data_table(game, "market-price", overlay=False, last=3)
    option, _ = chart_option(game, "market-price", overlay=False)
    assert header[1:] == [s["name"] for s in option["series"]]
    assert [r[0] for r in rows] == [scenario.date_of(i).isoformat() for i in (3, 2, 1)]
    assert float(rows[0][1]) == pytest.approx(option["series"][0]["data"][3], rel=1e-3)


def test_narrow_layout_puts_the_legend_below_the_plot():
    narrow = narrow_option()
    assert narrow["legend"]["orient"] == "horizontal"
    assert narrow["grid"]["bottom"] > narrow["legend"]["bottom"] + narrow["legend"]["height"]
