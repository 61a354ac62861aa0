"""The projector (``/projector?code=C``) and the debrief (``/debrief?code=C``): the code
large, the turn and timer, who has submitted, charts, news, the leaderboard; after the game
(or at any turn, for the teacher) the debrief with its turn scrubber and the export."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import solara

from dashboards.classroom.hub import hub
from dashboards.classroom.widgets import (
    PROJECTOR_CHARTS,
    SPLIT,
    Chart,
    Leaderboard,
    News,
    Status,
    query,
    turn_text,
    use_game_tick,
)
from dashboards.prose import Prose
from sim.classroom import ClassroomError
from sim.classroom.export import chart_pngs, moves_rows

# the debrief page's charts (keys of sim.play.charts.CHARTS; the export has them all)
DEBRIEF_CHARTS = ("firm-sales", "share-price", "supplier-revenue", "score")


# -- projector ------------------------------------------------------------------------------
@solara.component
def ProjectorPage():
    code = query().get("code", "")
    try:
        ref = hub().room.game_by_code(code)
    except ClassroomError as exc:
        solara.Error(str(exc))
        return
    Projector(ref.id)


@solara.component
def Projector(game_id: int):
    tick = use_game_tick(game_id, "projector")
    view = hub().frame(game_id).view
    hide = hub().room.settings(game_id).get("hide_ranks", False)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"Join at <b>/join</b> with code "
                    f"<span class='join-code' style='font-size:4em;font-weight:bold;"
                    f"letter-spacing:.1em'>{view.code}</span>")
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(view.code))
    if view.message:
        solara.Warning(view.message, classes=["broadcast"])
    Status(view, heading=view.name, line=turn_text(view), size="1.5em")
    with solara.Div(style=SPLIT):
        with solara.Div(style="flex: 2 1 640px; display: flex; flex-wrap: wrap; "
                       "justify-content: space-between"):
            for key in PROJECTOR_CHARTS:
                Chart(game_id, key, tick)
        with solara.Div(style="flex: 1 1 300px"):
            Leaderboard(view, hide)
            News(view, limit=5)
    if view.finished:
        Debrief(game_id, tick)


def qr_svg(code: str) -> str:
    """The join page's address for ``code`` as an inline SVG QR code (offline)."""
    import segno

    try:
        from solara.server import settings

        host = settings.main.base_url or ""
    except Exception:  # noqa: BLE001
        host = ""
    return segno.make(f"{host.rstrip('/')}/join?code={code}", error="m").svg_inline(scale=4)


# -- debrief --------------------------------------------------------------------------------
@solara.component
def DebriefPage():
    q = query()
    room = hub().room
    try:
        ref = room.game_by_code(q.get("code", ""))
    except ClassroomError as exc:
        solara.Error(str(exc))
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

    def zip_bytes() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return room.export(game_id, Path(tmp) / "game.zip").read_bytes()
    solara.FileDownload(zip_bytes, filename=f"chokepoint-{view.code}.zip",
                        label="Export the game (ZIP)", mime_type="application/zip")
