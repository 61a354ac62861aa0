"""The projector (``/projector?code=C``) and the debrief (``/debrief?code=C``): the code
large, the turn and timer, who has submitted, charts, news, the leaderboard; after the game
(or at any turn, for the teacher) the debrief with its turn scrubber and the export."""

from __future__ import annotations

import base64
import html
import os
import tempfile
from pathlib import Path

import solara

from dashboards.classroom.hub import hub
from dashboards.classroom.widgets import (
    PROJECTOR_CHARTS,
    SPLIT,
    Chart,
    Leaderboard,
    Lobby,
    News,
    Panel,
    Status,
    query,
    turn_text,
    use_game_of_code,
    use_game_tick,
)
from dashboards.goal import GoalPanel
from dashboards.prose import Prose
from sim.classroom.cli import PUBLIC_ENV
from sim.classroom.export import chart_pngs, moves_rows

# the debrief page's charts (keys of sim.play.charts.CHARTS; the export has them all)
DEBRIEF_CHARTS = ("firm-sales", "share-price", "supplier-revenue", "score")


# -- projector ------------------------------------------------------------------------------
@solara.component
def ProjectorPage():
    ref, why = use_game_of_code(query().get("code", ""))
    if ref is None:
        solara.Error(why)
        return
    Projector(ref.id)


@solara.component
def Projector(game_id: int):
    tick = use_game_tick(game_id, "projector")
    view = hub().frame(game_id).view
    hide = hub().room.settings(game_id).get("hide_ranks", False)
    # read from the back of a room at 1920×1080: large type, large charts, one idea per panel
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<div style='font-size:1.8em'>Join at <b class='join-address'>"
            f"{html.escape(join_address())}/join</b></div><div style='font-size:1.8em'>"
            f"with code <span class='join-code' style='font-size:2.4em;font-weight:bold;"
            f"letter-spacing:.1em'>{view.code}</span></div>"))
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(view.code, scale=8))
    with solara.Div():  # always there: what follows keeps its place
        if view.message:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(view.message),
                        classes=["broadcast"], style=BROADCAST_STYLE)
    Status(view, heading=view.name, line=turn_text(view), size="2em")
    if not view.started:
        Lobby(view, size="2em")
        return
    with solara.Div(style=SPLIT):
        # the charts' own type is sized for a laptop: the projector shows them 1.5 times
        # larger (CSS zoom scales the text with the plot)
        with solara.Div(style="flex: 3 1 900px; zoom: 1.5"):
            for key in PROJECTOR_CHARTS:
                Chart(game_id, key, tick, width="100%", height="300px")
        with solara.Div(style="flex: 1 1 420px; font-size: 1.6em"):
            Standings(view, hide)
            News(view, limit=4)
    if view.finished:
        Debrief(game_id, tick)


BROADCAST_STYLE = ("font-size: 2.4em; padding: 12px 20px; margin: 8px 0; border-radius: 4px; "
                   "background: #fff3e0; border-left: 8px solid #fb8c00")


@solara.component
def Standings(view, hide_ranks: bool = False):
    """The leaderboard in the projector's large type (one widget)."""
    rows = sorted(view.scores.items(), key=lambda kv: -kv[1])
    body = "".join(
        f"<tr><td style='padding-right:1em'>{'' if hide_ranks else i}</td>"
        f"<td style='padding-right:1em'><b>{html.escape(r)}</b></td>"
        f"<td style='text-align:right'>{s:+.1f}</td></tr>" for i, (r, s) in enumerate(rows, 1))
    Panel("Leaderboard", "against the same game with nobody moving",
          f"<table style='font-size: 1.2em'>{body}</table>", classes=["leaderboard"])


def join_address() -> str:
    """The address students' phones open: ``chokepoint classroom``'s ``--public-url``, or
    this machine's network address with ``--host 0.0.0.0`` (docs/classroom/README.md)."""
    return os.environ.get(PUBLIC_ENV, "").rstrip("/")


def qr_svg(code: str, scale: int = 4) -> str:
    """The join page's full address for ``code`` as an inline SVG QR code (offline)."""
    import segno

    return segno.make(f"{join_address()}/join?code={code}", error="m").svg_inline(scale=scale)


# -- debrief --------------------------------------------------------------------------------
@solara.component
def DebriefPage():
    q = query()
    room = hub().room
    ref, why = use_game_of_code(q.get("code", ""))
    if ref is None:
        solara.Error(why)
        return
    if not (room.view(ref.id).finished or room.is_teacher(q.get("token"))):
        solara.Warning("The debrief opens when the game is over (or from the teacher's page).")
        return
    DebriefLive(ref.id)


@solara.component
def DebriefLive(game_id: int):
    Debrief(game_id, use_game_tick(game_id, "debrief"))


@solara.component
def Debrief(game_id: int, tick: int):
    room = hub().room
    view = hub().frame(game_id).view
    live = room.live(game_id)
    turn, set_turn = solara.use_state(len(live.turns))
    turn = min(turn, len(live.turns))

    def pngs():
        with room.game_lock(game_id):
            return chart_pngs(live, upto=turn if live.turns and turn < len(live.turns) else None,
                              keys=DEBRIEF_CHARTS)
    charts = solara.use_memo(pngs, [game_id, view.step, len(live.model.log), id(live), turn])
    Prose(f"## Debrief — {view.name}")
    if live.turns:
        with solara.Div(classes=["turn-scrubber"], style={"max-width": "640px"}):
            solara.SliderInt("Charts and decisions up to turn", value=turn, min=1,
                             max=len(live.turns), on_value=set_turn, tick_labels="end_points")
    with solara.Row(classes=["debrief"], style={"flex-wrap": "wrap"}):
        for name, png in charts.items():
            solara.v.Html(tag="img", attributes={
                "src": "data:image/png;base64," + base64.b64encode(png).decode(),
                "alt": f"{name}, up to turn {turn}", "data-turn": str(turn),
                "class": "debrief-chart", "style": "width: 49%; min-width: 360px"})
    rows = [r for r in moves_rows(live) if r[0] <= turn]
    table = "| turn | step | team | move | target | parameters | made by |\n"
    table += "|---:|---:|---|---|---|---|---|\n"
    table += "".join(f"| {r[0]} | {r[1]} | {r[2]} | {r[3].replace('_', ' ')} | {r[4]} | "
                     f"{r[5]} | {r[6]} |\n" for r in rows) or "| | | no moves | | | | |\n"
    with solara.Card(title="Every team's decisions", classes=["decisions"]):
        Prose(table)
    Leaderboard(view)
    # what each students' team was trying to do, its target and its score (dashboards/goal.py)
    for role in view.humans:
        GoalPanel(live.scenario, role, live.seed, title=f"{role}'s goal",
                  score=view.scores.get(role))

    def zip_bytes() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return room.export(game_id, Path(tmp) / "game.zip").read_bytes()
    solara.FileDownload(zip_bytes, filename=f"chokepoint-{view.code}.zip",
                        label="Export the game (ZIP)", mime_type="application/zip")
