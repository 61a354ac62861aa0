"""Interactive charts of a game as ECharts options (plain dicts; nothing here imports Solara).

The play page draws each chart with ECharts 5.4.0, which solara-assets ships, so it works
offline (docs/play.md). :func:`chart_option` turns a chart of :data:`sim.play.charts.CHARTS`
into an option: dates on a category x axis spanning the whole game (the lines grow into it),
hover values for every series at a date (``tooltip.trigger = "axis"``), zoom with the wheel or
the slider (``dataZoom``), a scrolling legend beside the plot (below it on a phone) whose
entries toggle their series, and the y axis left to ECharts (``scale``: fitted to the data in
the zoomed window on every update, never fixed by a flat start).

Each entity has its own colour (Okabe–Ito, safe under the common colour-vision deficiencies) and
its own dash pattern, the pair differing between neighbours (8 colours × 7 dashes: 56 distinct
lines); its no-policy baseline is a thin dotted line in the same colour, named
"… (no policy)". Every move that took effect is a vertical dashed ``markLine`` with a label
(the full text on hover). PNG export at print resolution stays with matplotlib
(:meth:`sim.play.png.ChartBook.print_png`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.play.charts import CHARTS, COLORS, Series, values
from sim.play.session import Game

# a dash pattern per entity (ECharts 5 takes a number array); 7 is coprime with 8 colours
DASHES: list[Any] = ["solid", [8, 3], [2, 2], [8, 3, 2, 3], [14, 4], [4, 2, 1, 2],
                     [1, 4]]
SYMBOLS = ["circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect"]
MAX_POINTS = 600  # longer games are thinned to every k-th step
LEGEND_WIDTH = 170  # px beside the plot on wide screens
PHONE_WIDTH = 520  # px: narrower charts put the legend below the plot
MARK_LABEL = 38  # characters of a move marker's label on the chart (full text on hover)
LABELS_ACROSS = 30  # at most this many marker labels side by side across the x axis


def stride(horizon: int, max_points: int = MAX_POINTS) -> int:
    """Every how many steps a point is drawn so that a game of ``horizon`` steps has at most
    ``max_points`` categories."""
    return max(1, math.ceil(horizon / max_points))


def style_of(k: int) -> tuple[str, Any, str]:
    """(colour, dash, symbol) of the ``k``-th series: unique for k < 56, and neighbours
    differ in both colour and dash."""
    return COLORS[k % len(COLORS)], DASHES[k % len(DASHES)], SYMBOLS[k % len(SYMBOLS)]


def _rounded(values: np.ndarray) -> list[float | None]:
    """Four significant digits (the tooltip shows what the eye can compare), NaN as a gap."""
    out: list[float | None] = []
    for v in values.tolist():
        out.append(None if v != v or math.isinf(v) else float(f"{v:.4g}"))
    return out


def _shown(n: int, step: int) -> np.ndarray:
    """Indices of the steps drawn out of ``n`` recorded: every ``step``-th (each point sits
    exactly on its date's category)."""
    return np.arange(0, n, step)


def categories(game: Game, step: int) -> list[str]:
    """The x axis: the date of every ``step``-th step of the whole game (ISO dates)."""
    sc = game.scenario
    idx = _shown(game.horizon, step)
    return [sc.date_of(int(i)).isoformat() for i in idx]


def _category_of(step_index: int, step: int, horizon: int) -> int:
    """The category a step falls on (a thinned axis puts a move on the nearest earlier point)."""
    return min(step_index // step, len(_shown(horizon, step)) - 1)


def _series(name: str, k: int, data: list[float | None], baseline: bool) -> dict[str, Any]:
    color, dash, symbol = style_of(k)
    return {
        "name": name, "type": "line", "data": data, "color": color,
        "symbol": symbol, "symbolSize": 5, "showSymbol": False, "connectNulls": False,
        "lineStyle": {"color": color, "width": 1.2 if baseline else 2,
                      "type": "dotted" if baseline else dash, "opacity": 0.75 if baseline
                      else 1.0},
        "emphasis": {"focus": "series"}, "z": 1 if baseline else 2,
    }


def label_gap(categories: int) -> int:
    """Categories between two labelled markers: a vertical label is about 14 px wide, so on a
    plot of ~600 px two labels closer than 1/30 of the axis would overlap."""
    return max(1, math.ceil(categories / LABELS_ACROSS))


def marker_lines(game: Game, step: int) -> list[dict[str, Any]]:
    """A markLine entry per step where a move took effect: a vertical line at its date. Lines
    closer than :func:`label_gap` share the first one's label ("… +2 more"), so labels never
    overlap; every line keeps its own full text on hover."""
    n_cats = len(_shown(game.horizon, step))
    gap = label_gap(n_cats)
    out: list[dict[str, Any]] = []
    head: dict[str, Any] | None = None  # the labelled line of the current cluster
    extra = 0
    for at, label in sorted(game.markers()):
        x = _category_of(at, step, game.horizon)
        entry: dict[str, Any] = {"xAxis": x, "name": label}
        if head is not None and x - head["xAxis"] < gap:
            extra += 1
            entry["label"] = {"show": False}
            head["label"]["formatter"] = _short(head["name"], f" +{extra} more")
        else:
            head, extra = entry, 0
            entry["label"] = {"formatter": _short(label)}
        out.append(entry)
    return out


def _short(label: str, suffix: str = "") -> str:
    room = MARK_LABEL - len(suffix)
    return (label if len(label) <= room else label[:room - 1] + "…") + suffix


def chart_option(game: Game, key: str, overlay: bool) -> tuple[dict[str, Any], int]:
    """The ECharts option of chart ``key`` (of :data:`sim.play.charts.CHARTS`) and the number
    of steps it shows; ``overlay`` adds each series' no-policy baseline."""
    spec = CHARTS[key]
    with game.lock:
        n = game.model.recorder.steps
        series: list[Series] = spec.series(game)
        played = values(game.model, series, n)
        base = values(game.baseline, series, n) if overlay else None
        step = stride(game.horizon)
        cats = categories(game, step)
        marks = marker_lines(game, step)
    idx = _shown(n, step)
    out: list[dict[str, Any]] = []
    for k, s in enumerate(series):
        out.append(_series(s.label, k, _rounded(played[k][idx]), False))
    if base is not None:
        for k, s in enumerate(series):
            out.append(_series(f"{s.label} (no policy)", k, _rounded(base[k][idx]), True))
    if out and marks:
        out[0]["markLine"] = {
            "symbol": ["none", "none"], "silent": False, "animation": False,
            "lineStyle": {"color": "#555555", "type": [4, 3], "width": 1},
            "label": {"position": "insideEndTop", "fontSize": 10, "color": "#333333"},
            "tooltip": {"formatter": "{b}"}, "data": marks}
    unit = game.scenario.calendar.step
    option: dict[str, Any] = {
        "animation": False,
        "aria": {"enabled": True},
        # the second title is the empty chart's note, in the middle of the plot (not under
        # the title, where the y axis's name is); always present, perhaps empty: the page
        # merges each new option into the chart, and a note left out would stay drawn
        "title": [{"text": spec.title, "left": 4, "top": 2,
                   "textStyle": {"fontSize": 13, "fontWeight": "bold"}},
                  {"text": "", "subtext": note(out, n), "left": "center", "top": "middle",
                   "subtextStyle": {"fontSize": 13, "color": "#666"}}],
        "tooltip": {"trigger": "axis", "confine": True, "order": "valueDesc",
                    "axisPointer": {"type": "line"}},
        "legend": {"type": "scroll", "orient": "vertical", "right": 4, "top": 30,
                   "bottom": 48, "width": LEGEND_WIDTH - 10, "textStyle": {"fontSize": 11},
                   "itemWidth": 28, "data": [s["name"] for s in out]},
        "grid": {"left": 58, "right": LEGEND_WIDTH + 12, "top": 48, "bottom": 64,
                 "containLabel": False},
        "xAxis": {"type": "category", "data": cats, "boundaryGap": False,
                  "name": f"date ({unit}s)", "nameLocation": "middle", "nameGap": 24,
                  "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "scale": True, "name": spec.ylabel,
                  "nameTextStyle": {"align": "left"}, "splitLine": {"lineStyle":
                                                                     {"color": "#e3e3e3"}}},
        "dataZoom": [{"type": "inside", "xAxisIndex": 0, "filterMode": "none"},
                     {"type": "slider", "xAxisIndex": 0, "height": 16, "bottom": 4,
                      "filterMode": "none"}],
        "series": out,
        # not an ECharts key (ignored by it): the page's chart puts it in data-drawn once drawn
        "steps_shown": n,
    }
    return option, n


def note(series: list, steps: int) -> str:
    """What an empty chart says instead of its lines ("": the chart is not empty)."""
    if not series:
        return "nothing to show in this scenario"
    if steps == 0:
        return "no step played yet: the lines start with the first"
    return ""


def narrow_option() -> dict[str, Any]:
    """What changes on a chart narrower than :data:`PHONE_WIDTH` (a phone): the legend goes
    below the plot (never over it) and the plot takes the width. The page's chart component
    merges it in when the chart is that narrow."""
    return {"legend": {"orient": "horizontal", "left": "center", "right": "auto",
                       "top": "auto", "bottom": 26, "width": "90%", "height": 40},
            "grid": {"right": 12, "left": 48, "bottom": 104}}


def data_table(game: Game, key: str, overlay: bool, last: int = 10) -> tuple[list[str],
                                                                              list[list[str]]]:
    """The chart's data as a table (a chart alternative for screen readers and print): the
    header and the rows of the ``last`` recorded steps, latest first."""
    spec = CHARTS[key]
    with game.lock:
        n = game.model.recorder.steps
        series = spec.series(game)
        played = values(game.model, series, n)
        base = values(game.baseline, series, n) if overlay else None
    header = ["date"] + [s.label for s in series]
    if base is not None:
        header += [f"{s.label} (no policy)" for s in series]
    rows = []
    for i in range(n - 1, max(-1, n - 1 - last), -1):
        row = [game.scenario.date_of(i).isoformat()]
        row += [f"{v:.4g}" for v in played[:, i]]
        if base is not None:
            row += [f"{v:.4g}" for v in base[:, i]]
        rows.append(row)
    return header, rows
