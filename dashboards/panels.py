"""The play page's game panels: the charts (with their data tables), the news feed, what is
coming up, the role's history hints, its position, the score card and the debrief.

Each panel reads the tab's :class:`~sim.play.session.Game`; a ``tick`` argument re-renders it
after every advance. The page that lays them out is :mod:`dashboards.play`.
"""

from __future__ import annotations

from pathlib import Path

import solara

from dashboards.echarts import PHONE_WIDTH, chart_option, data_table, narrow_option
from dashboards.prose import Prose
from sim.play import scoring
from sim.play.charts import CHARTS
from sim.play.png import ChartBook
from sim.play.session import OBSERVE, Game
from sim.play.whatif import Decision, debrief, decisions, position

NEWS_SHOWN = 200
NARROW = narrow_option()


@solara.component_vue("live_echarts.vue")
def LiveEcharts(option: dict, narrow: dict, narrow_width: int, attributes: dict,
                option_text: str = ""):
    """An ECharts chart whose zoom and legend choices survive updates (see the .vue file);
    ``option_text``, when given, is the option as JSON text and ``option`` is ignored."""


@solara.component
def Chart(book: ChartBook, key: str, overlay: bool, tick: int):
    """An interactive chart (ECharts: hover values, zoom, legend toggles); ``data-step`` says
    how many steps the server sent, ``data-drawn`` how many the browser has drawn (tests wait
    on it). Below it, the same data as a table (a chart alternative) on request."""
    option, n = chart_option(book.game, key, overlay)
    spec = CHARTS[key]
    label = f"{spec.title}, {n} steps" + (", with the no-policy baseline" if overlay else "")
    with solara.Div(classes=["chart-box"]):
        LiveEcharts(option=option, narrow=NARROW, narrow_width=PHONE_WIDTH, attributes={
            "id": f"chart-{key}", "class": "chart", "data-step": str(n),
            "data-overlay": str(overlay), "role": "img", "aria-label": label,
            "style": "width: 100%; height: 340px;"})
        DataTable(book, key, overlay, tick)


@solara.component
def DataTable(book: ChartBook, key: str, overlay: bool, tick: int):
    """The chart's last ten steps as a table, shown on request."""
    shown, set_shown = solara.use_state(False)
    solara.Button("Hide the data" if shown else "Show the data as a table", text=True,
                  classes=["table-toggle"], on_click=lambda: set_shown(not shown))
    if not shown:
        return
    header, rows = data_table(book.game, key, overlay)
    text = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    text += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    with solara.Div(classes=["data-table"], style={"overflow-x": "auto"}):
        Prose(text)


@solara.component
def Hints(game: Game):
    """The role's own scripted events: what really happened, as hints, never made for you."""
    hints = game.hints()
    if not hints:
        return
    with solara.Card(title="In history", subtitle="what your role really did (not played "
                     "for you)", classes=["hints"]):
        for _, text in hints:
            solara.Text(text, classes=["hint"], style={"display": "block"})


@solara.component
def Timeline(game: Game, tick: int):
    """Scheduled events still to come (``tick`` re-renders it after each advance)."""
    events = game.timeline()
    hidden, replies = game.hidden_moves(), game.hidden_replies()
    with solara.Card(title="Coming up", subtitle="what others have announced"):
        if not events and not hidden and not replies:
            solara.Text("Nothing more is announced.")
        for _, text in events:
            solara.Text(text, classes=["timeline-item"], style={"display": "block"})
        notes = []
        if hidden:
            notes.append(f"{hidden} unannounced move{'s' if hidden > 1 else ''} by others "
                         "(their dates are not public)")
        if replies:  # conditional replies (`when:`) whose cause has not happened
            they = "they answer" if replies > 1 else "it answers"
            notes.append(f"{replies} unannounced {'replies' if replies > 1 else 'reply'} by "
                         f"others, made only if what {they} happens first")
        if notes:
            solara.Text("…and " + ", and ".join(notes) + ".", classes=["timeline-hidden"],
                        style={"display": "block", "font-style": "italic"})


@solara.component
def NewsFeed(game: Game, tick: int):
    """What happened, latest first: the whole feed, each line once, filterable to my role."""
    mine, set_mine = solara.use_state(False)
    items = game.news()[::-1]
    if mine and game.role != OBSERVE:
        items = [i for i in items if game.role in i.text]
    with solara.Card(title="News", subtitle=f"latest first · {len(items)} items",
                     classes=["news-card"]):
        if game.role != OBSERVE:
            solara.Checkbox(label=f"Only news about {game.role}", value=mine,
                            on_value=set_mine)
        with solara.Div(classes=["news-feed"], style={"max-height": "300px",
                                                       "overflow-y": "auto"},
                        attributes={"aria-live": "polite", "role": "log"}):
            if not items:
                solara.Text("No news yet.")
            unit = game.scenario.calendar.step.capitalize()
            for item in items[:NEWS_SHOWN] if not mine else items:
                solara.Text(f"{unit} {item.step}: {item.text}",
                            classes=["news-item", f"news-{item.kind}"],
                            style={"display": "block", "margin-bottom": "4px"})
            if len(items) > NEWS_SHOWN and not mine:
                solara.Text(f"… {len(items) - NEWS_SHOWN} older items (tick the filter, or "
                            "download the run, for the whole feed)", style={"display": "block"})


@solara.component
def ScoreCard(game: Game, book: ChartBook, overlay: bool, tick: int):
    rows = game.score_card()
    name = Path(game.scenario.name.replace(" ", "_")).name.lower()
    score = game.player_score()
    subtitle = ("your run against doing nothing (the same scenario and seed, your role making "
                "no move) and the no-policy baseline" if game.reference is not None
                else "each government against the no-policy baseline")
    with solara.Card(title="Score card", subtitle=subtitle, classes=["score-card"]):
        weights = game.weights()
        if weights:
            so_far = scoring.shown(score or 0.0) + " " + scoring.unit(game.scenario, game.role)
            Prose("**Your score weighs:** " + ", ".join(
                f"{k} {w:.2f}" for k, w in weights.items() if w > 0)
                + (f" · **your score so far: {so_far}** (doing nothing = 0)"
                   if score is not None else ""))
        if game.finished:
            for sentence in game.result():
                solara.Text(sentence, classes=["result"], style={"display": "block",
                                                                "font-weight": "bold"})
        table = ("| measure | your run | doing nothing | no-policy baseline | vs doing nothing |"
                 "\n|---|---:|---:|---:|---:|\n")

        def cell(x: float | None) -> str:
            return "–" if x is None else f"{x:.3f}"

        table += "".join(f"| {m} | {a:.3f} | {cell(r)} | {b:.3f} | "
                         f"{'–' if r is None else f'{a - r:+.3f}'} |\n" for m, a, r, b in rows)
        Prose(table)
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.FileDownload(game.csv_bytes, filename=f"{name}_seed{game.seed}.csv",
                                label="Download the run (CSV)", mime_type="text/csv")
            if game.role != OBSERVE:
                solara.FileDownload(game.replay_zip, filename=f"{name}_{game.role}_replay.zip",
                                    label="Download your game (ZIP)",
                                    mime_type="application/zip")
                solara.Text("(with your moves; it replays with chokepoint run: see its README)",
                            style={"font-size": "0.85em", "align-self": "center"})
            for key in CHARTS if game.finished else ():  # print-resolution PNGs at the end
                solara.FileDownload(lambda key=key: book.print_png(key, overlay),
                                    filename=f"{name}_{key}.png", label=f"{key}.png",
                                    mime_type="image/png")


@solara.component
def Position(game: Game, tick: int):
    """What the role can see of itself: stock cover and sources per component, money and
    score (a firm); objectives now and score (a government)."""
    pos = position(game)
    unit = game.scenario.calendar.step
    with solara.Card(title="Your position", classes=["position"]):
        score = pos["score"]
        so_far = scoring.shown(score or 0.0) + " " + scoring.unit(game.scenario, game.role)
        solara.Text(f"Score so far: {so_far} (doing nothing = 0)" if score is not None
                    else "Score: after the first step (doing nothing = 0)",
                    classes=["position-score"], style={"display": "block",
                                                       "font-weight": "bold"})
        if "cover" in pos:
            rows = "| component | stock cover | sources |\n|---|---:|---|\n" + "".join(
                f"| {c} | {'–' if v is None else f'{v:.1f} {unit}s'} | "
                f"{', '.join(pos['sources'].get(c, [])) or 'none'} |\n"
                for c, v in pos["cover"].items())
            Prose(rows, classes=["position-table"])
            solara.Text(f"Money: profit so far {pos['money']:,.0f} (the engine keeps no cash "
                        "balance; this is the sum of your profit per step)",
                        style={"display": "block"})
            for line in pos["pending"]:
                solara.Text(f"Under way: {line}", style={"display": "block"})
        if "objectives" in pos:
            Prose("| objective | now | weight |\n|---|---:|---:|\n" + "".join(
                f"| {m} | {v:+.3f} | {game.weights().get(m, 0):.2f} |\n"
                for m, v in pos["objectives"].items()), classes=["position-table"])


@solara.component
def Debrief(game: Game):
    """The end of the game: what happened and why, and the three decisions that mattered
    most (measured by replaying the game without each of them), on request."""
    not_yet: list[Decision] | None = None
    found, set_found = solara.use_state(not_yet)
    with solara.Card(title="Debrief", subtitle="what happened and why", classes=["debrief"]):
        solara.v.Html(tag="h3", children=["What happened"])
        for sentence in debrief(game):
            solara.Text(sentence, classes=["debrief-line"], style={"display": "block"})
        hints = game.hints()
        if hints:
            solara.v.Html(tag="h3", children=["What really happened"])
            for _, text in hints:
                solara.Text(text[0].upper() + text[1:] + ".", classes=["debrief-history"],
                            style={"display": "block"})
        if game.role == OBSERVE:
            return
        solara.v.Html(tag="h3", children=["The decisions that mattered most"])
        if found is None:
            solara.Button("Work them out (replays the game without each of your moves)",
                          classes=["find-decisions"], on_click=lambda: set_found(
                              decisions(game)))
            return
        if not found:
            solara.Text("You made no move: nothing to compare.", classes=["decision"])
        unit = game.scenario.calendar.step
        with solara.Div(attributes={"aria-live": "polite"}):
            for k, d in enumerate(found, 1):
                if abs(d.worth) < 1e-9:
                    what = "without it your score would have been the same"
                else:
                    what = (f"without it your score would have been {abs(d.worth):.2f} "
                            f"{'lower' if d.worth > 0 else 'higher'} — it "
                            f"{'helped' if d.worth > 0 else 'hurt'} you")
                solara.Text(f"{k}. {d.text} ({unit} {d.step}): {what}.",
                            classes=["decision"], style={"display": "block"})
