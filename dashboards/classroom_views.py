"""What the classroom's pages share: the query, the game's tick from the hub, the
countdown, the turn's text, a chart, who has submitted, the leaderboard and the news."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs

import solara

from dashboards.classroom_hub import _running_loop, hub
from dashboards.prose import Prose
from sim.classroom import View

LESSONS = Path(__file__).resolve().parent.parent / "scenarios" / "classroom"
TEAM_CHARTS = ("market-share", "share-price")
PROJECTOR_CHARTS = ("market-share", "firm-sales", "score")
ADVANCE_LABELS = {"all": "when every team has locked in", "timer": "on the timer",
                  "teacher": "when the teacher resolves it"}


def query() -> dict[str, str]:
    """The page's query parameters (first value of each)."""
    router = solara.use_router()
    return {k: v[0] for k, v in parse_qs(router.search or "").items()}


def use_game_tick(game_id: int | None, role: str = "") -> int:
    """A counter bumped whenever the game changes; the next redraw is asked for only once the
    last one is committed (PITFALLS.md: faster updates froze pages). The hub runs the redraw
    in the thread serving this page's websocket, remembered here at every render."""
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


@solara.component_vue("classroom_countdown.vue")
def CountdownClock(left: float, stamp: float, idle: str):
    """The turn's countdown, counted down in the browser (no redraw every second)."""


@solara.component
def Countdown(view: View):
    """"3:12 left" while the timer runs (counted in the browser), else what the turn waits
    for."""
    running = view.deadline is not None and not view.finished
    left = max(0.0, view.deadline - time.time()) if running and view.deadline else -1.0
    CountdownClock(left=left, stamp=time.time(), idle=timer_text(view))


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
    uri, n = hub().chart(game_id, key)  # drawn once per step for every page
    solara.v.Html(tag="img", attributes={
        "src": uri,
        "id": f"chart-{key}", "data-step": str(n), "class": "chart",
        "alt": f"{key}, {n} steps", "style": f"width: {width}; min-width: 360px; height: auto;"})


@solara.component
def Submitted(view: View):
    """Who has locked in (never what)."""
    with solara.Row(style={"flex-wrap": "wrap"}, classes=["submitted"]):
        for role in view.humans:
            done = role in view.locked_in
            solara.Text(f"{'✔' if done else '…'} {role}",
                        classes=["team-done" if done else "team-waiting"],
                        style={"font-weight": "bold", "margin-right": "1em",
                               "color": "#2e7d32" if done else "#666"})


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
    with solara.Card(title="News", subtitle="latest first"):
        if not view.news:
            solara.Text("No news yet.")
        for step, text in list(view.news)[::-1][:limit]:
            solara.Text(f"Step {step}: {text}", classes=["news-item"],
                        style={"display": "block", "margin-bottom": "4px"})
