"""What the classroom's pages share: the query, the game's tick from the hub, the status
(heading, turn, countdown, who has locked in), a chart, the leaderboard, the news and a card
drawn as one widget."""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs

import solara

from dashboards.classroom.hub import _running_loop, hub
from dashboards.echarts import PHONE_WIDTH
from dashboards.panels import NARROW, LiveEcharts
from dashboards.prose import Prose
from sim.classroom import View
from sim.play.charts import CHARTS
from sim.scenario import shipped

LESSONS = shipped.folder("classroom")
TEAM_CHARTS = ("market-share", "share-price")
PROJECTOR_CHARTS = ("market-share", "firm-sales", "score")
SPLIT = "display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start"  # two columns
PANEL_STYLE = ("display: block; padding: 12px 16px; margin: 8px 0; border-radius: 4px; "
               "background: white; box-shadow: 0 1px 3px rgba(0,0,0,.2);")
NO_OPTION: dict = {}  # the charts' options go as JSON text (Hub.chart)
ADVANCE_LABELS = {"all": "when every team has locked in", "timer": "on the timer",
                  "teacher": "when the teacher resolves it"}


def query() -> dict[str, str]:
    """The page's query parameters (first value of each)."""
    router = solara.use_router()
    return {k: v[0] for k, v in parse_qs(router.search or "").items()}


def use_game_tick(game_id: int | None, role: str = "") -> int:
    """A counter bumped whenever the game changes; the next redraw is asked for only once the
    last one is committed (docs/architecture.md, "Web pages": faster updates froze pages).
    The hub runs the redraw in the thread serving this page's websocket, remembered here at
    every render."""
    tick, set_tick = solara.use_state(0)
    drawn, asked, dirty = solara.use_ref(0), solara.use_ref(0), solara.use_ref(False)
    sub = solara.use_ref(None)
    loop = _running_loop()
    if sub.current is not None and loop is not None:
        sub.current.page.loop = loop

    def committed():
        drawn.current = tick
        if dirty.current and asked.current <= tick:
            dirty.current = False
            asked.current = tick + 1
            set_tick(asked.current)
    solara.use_effect(committed, [tick])

    def on_change():
        if drawn.current >= asked.current:
            asked.current = drawn.current + 1
            set_tick(asked.current)
        else:
            dirty.current = True

    def subscribe():
        if game_id is None:
            return None
        h = hub()
        unsubscribe = sub.current = h.subscribe(game_id, on_change, role)
        h.connected[(game_id, role)] += 1
        h.changed(game_id, only="teacher")  # its seat map shows who is connected

        def cleanup():
            unsubscribe()
            sub.current = None
            h.connected[(game_id, role)] -= 1
            if h.connected[(game_id, role)] <= 0:
                del h.connected[(game_id, role)]
            h.changed(game_id, only="teacher")
        return cleanup
    solara.use_effect(subscribe, [game_id, role])
    return tick


@solara.component_vue("status.vue")
def StatusWidget(heading: str, line: str, left: float, stamp: float, idle: str, teams: list,
                 size: str):
    """The page's status in one widget (see the .vue file)."""


@solara.component
def Status(view: View, heading: str = "", line: str = "", teams: bool = True,
           size: str = "1em"):
    """The heading, a status line, the countdown ("3:12 left" while the timer runs, counted
    in the browser; else what the turn waits for) and who has locked in (never what), drawn
    by one widget: after a turn, a class's 40 pages each get one message for all of it."""
    running = view.deadline is not None and not view.finished
    left = max(0.0, view.deadline - time.time()) if running and view.deadline else -1.0
    shown = [[role, role in view.locked_in] for role in view.humans] \
        if teams and not view.finished else []
    StatusWidget(heading=heading, line=line, left=left, stamp=time.time(),
                 idle=timer_text(view), teams=shown, size=size)


def timer_text(view: View) -> str:
    if view.finished:
        return "game over"
    if view.deadline is not None:
        left = max(0, int(view.deadline - time.time()))
        return f"{left // 60}:{left % 60:02d} left"
    if view.paused_left is not None:
        left = int(view.paused_left)
        return f"timer paused ({left // 60}:{left % 60:02d} left)"
    return f"resolves {ADVANCE_LABELS[view.advance]}"


def turn_text(view: View) -> str:
    if view.finished:
        return f"finished after {view.turns} turns"
    return f"turn {view.turn} of {view.turns}"


@solara.component
def Chart(game_id: int, key: str, tick: int, width: str = "49%"):
    """The play page's interactive chart (ECharts, with the no-policy baseline and a marker
    per move): the option is built once per state of the game for every page that shows it;
    ``data-step`` says how many steps the server sent, ``data-drawn`` how many the browser
    has drawn."""
    text, n = hub().chart(game_id, key)
    label = f"{CHARTS[key].title}, {n} steps, with the no-policy baseline"
    with solara.Div(classes=["chart-box"], style={"width": width, "min-width": "320px"}):
        attributes = {"id": f"chart-{key}", "class": "chart", "data-step": str(n), "role": "img",
                      "aria-label": label, "style": "width: 100%; height: 340px;"}
        LiveEcharts(option=NO_OPTION, option_text=text, narrow=NARROW, narrow_width=PHONE_WIDTH,
                    attributes=attributes)


@solara.component
def Leaderboard(view: View, hide_ranks: bool = False):
    rows = sorted(view.scores.items(), key=lambda kv: -kv[1])
    head = ("| team | score |\n|---|---:|\n" if hide_ranks else
            "| rank | team | score |\n|---:|---|---:|\n")
    body = "".join((f"| {r} | {s:+.1f} |\n" if hide_ranks else f"| {i} | {r} | {s:+.1f} |\n")
                   for i, (r, s) in enumerate(rows, 1))
    with solara.Card(title="Leaderboard", subtitle="against the same game with nobody moving",
                     classes=["leaderboard"]):
        Prose(head + body)


@solara.component
def News(view: View, limit: int = 8):
    """The latest news, in one widget (one message per turn, however many items moved)."""
    Panel("News", "latest first", news_html(view.news, limit), classes=["news"])


def news_html(news, limit: int) -> str:
    """The latest ``limit`` of ``news`` ((step, text) pairs, oldest first) as HTML, latest
    first; the text is escaped (a scenario's events name what its author wrote)."""
    items = "".join(f"<div class='news-item' style='margin-bottom: 4px'>Step {step}: "
                    f"{html.escape(text)}</div>" for step, text in list(news)[::-1][:limit])
    return items or "<div>No news yet.</div>"


@solara.component
def Panel(title: str, subtitle: str, body: str, classes: list[str] | None = None):
    """A card drawn as one HTML widget (``body`` is HTML, escaped by the caller): what a
    class's pages show and redraw after every turn stays a few widgets."""
    head = (f"<div class='panel-title' style='font-size: 1.25rem; font-weight: 500; "
            f"margin-bottom: 4px'>{html.escape(title)}</div>")
    if subtitle:
        head += (f"<div class='panel-subtitle' style='color: #666; font-size: .875rem; "
                 f"margin-bottom: 8px'>{html.escape(subtitle)}</div>")
    solara.HTML(tag="div", unsafe_innerHTML=head + body,
                classes=["classroom-panel", *(classes or [])], style=PANEL_STYLE)
