"""The classroom's pages (``chokepoint classroom``): teacher, team, projector, debrief.

- ``/teacher?token=T``: create games, the join code and its QR code, the seat map, the turn's
  controls, any team's view read-only, the export;
- ``/join?code=C`` (then ``&seat=S``, kept across refreshes): a team's brief, moves and charts;
- ``/projector?code=C``: the code large, the turn and timer, who has submitted, charts, news,
  the leaderboard;
- ``/debrief?code=C&token=T`` (the teacher, or anyone once the game is over).

Every page reads the game from the server's hub (:mod:`dashboards.classroom_hub`) and redraws
when the hub says the game changed; actions that may resolve a turn run on the hub's threads.
"""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import solara

from dashboards.classroom_hub import ClassroomGame, _running_loop, hub
from dashboards.forms import MovePanel
from dashboards.game import shipped_scenarios
from dashboards.prose import Prose
from sim import MOVES, MoveError, ScenarioError
from sim.classroom import ClassroomError, View
from sim.classroom.export import chart_pngs, moves_rows
from sim.scenario import load_scenario
from sim.scenario.yamlio import MAX_BYTES

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


# -- home -----------------------------------------------------------------------------------
@solara.component
def Home():
    Prose("# Chokepoint classroom\n\nStudents: open **/join** and type the code on the "
          "projector. Teachers: use the address `chokepoint classroom` printed.")
    solara.Button("Join a game", href="/join", color="primary")


# -- team -----------------------------------------------------------------------------------
SEAT_COOKIE = "chokepoint_seat_"  # + the join code: the seat token of this browser
SEAT_COOKIE_AGE = 12 * 3600  # seconds (a school day)


@solara.component_vue("classroom_cookie.vue")
def SeatCookie(name: str, value: str, max_age: int):
    """Write a cookie of this site from the browser (Solara has no way to set one)."""


def cookie_seat(room, code: str) -> str | None:
    """A valid seat token kept in this browser's cookies: for the game ``code``, or without a
    code for any game still running."""
    from solara.lab import cookies

    jar = cookies.value or {}
    names = ([SEAT_COOKIE + code.strip().upper()] if code else
             sorted((k for k in jar if k.startswith(SEAT_COOKIE)), reverse=True))
    for name in names:
        token = unquote(jar.get(name, ""))
        if not token:
            continue
        try:
            game_id, _, _ = room.seat(token)
        except ClassroomError:
            continue
        if code or not room.view(game_id).finished:
            return token
    return None


@solara.component
def JoinPage():
    q = query()
    room = hub().room
    seat = q.get("seat") or cookie_seat(room, q.get("code", ""))
    if seat:
        try:
            game_id, role, _ = room.seat(seat)
        except ClassroomError as exc:
            solara.Error(f"{exc}. Join again below.")
            JoinForm(q.get("code", ""))
            return
        TeamPage(game_id, role, seat)
        return
    JoinForm(q.get("code", ""))


@solara.component
def JoinForm(code0: str):
    router = solara.use_router()
    code, set_code = solara.use_state(code0.upper())
    nickname, set_nickname = solara.use_state("")
    role, set_role = solara.use_state(None)
    error, set_error = solara.use_state("")
    teams: list[str] = []
    if len(code.strip()) >= 6:
        try:
            ref = hub().room.game_by_code(code)
            teams = list(hub().room.view(ref.id).humans)
        except ClassroomError as exc:
            if not error:
                set_error(str(exc))

    def join():
        try:
            token = hub().room.join(code, role, nickname=nickname, client=nickname or "anon")
        except ClassroomError as exc:
            set_error(str(exc))
            return
        router.push(f"/join?code={quote(code.strip().upper())}&seat={quote(token)}")

    with solara.Card(title="Join a game", style={"max-width": "480px"}):
        solara.InputText("Join code", value=code, on_value=lambda v: (set_code(v.upper()),
                                                                       set_error("")),
                         continuous_update=True)
        solara.InputText("Nickname (optional, no real names needed)", value=nickname,
                         on_value=set_nickname)
        if teams:
            solara.Select(label="Your team", values=teams, value=role, on_value=set_role)
        solara.Button("Join", on_click=join, color="primary", disabled=not (teams and role),
                      classes=["join-button"])
        if error:
            solara.Error(error, classes=["join-error"])


@solara.component
def TeamPage(game_id: int, role: str, seat: str | None, read_only: bool = False):
    tick = use_game_tick(game_id, "" if read_only else role)
    h = hub()
    room = h.room
    view = h.frame(game_id).view
    pending = room.pending(game_id, role)
    model = room.live(game_id).model  # a new one after an undo
    game = solara.use_memo(lambda: ClassroomGame(h, game_id, role, None if read_only else seat),
                           [game_id, role, seat, read_only, id(model)])
    notice, set_notice = solara.use_state("")
    spec = game.scenario
    if not read_only and seat:
        SeatCookie(name=SEAT_COOKIE + view.code, value=seat, max_age=SEAT_COOKIE_AGE)
        solara.Info(f"You are team {role} in game {view.code}. This browser keeps your seat "
                    "(and so does this page's address: bookmark it): a refresh or a lost "
                    "connection brings you back to it.", classes=["seat-banner"], dense=True)
    if view.message:
        solara.Warning(f"From your teacher: {view.message}", classes=["broadcast"])
    with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
        Prose(f"## {spec.name} — team {role}")
        solara.Text(f"{turn_text(view)} · your score {view.scores.get(role, 0):+.1f} ·",
                    classes=["team-status"], style={"font-weight": "bold"})
        Countdown(view)
    Submitted(view)
    with solara.Columns([5, 7]):
        with solara.Column():
            with solara.Card(title="Your brief"):
                Prose(spec.description)
                obj = getattr(spec.countries.get(role), "objectives", None)
                if obj:
                    Prose("**Your objectives:** " + ", ".join(f"{k} {v:g}"
                                                               for k, v in obj.items()))
                else:
                    Prose("**Your objective:** your profit, against nobody moving.")
            if not view.finished and not read_only:
                locked = role in view.locked_in
                with solara.Card(title="Your moves this turn"):
                    # kept mounted while locked in (hidden), first so that nothing before it
                    # comes and goes: building its widgets again for every page after each
                    # turn cost more than the rest of the redraw
                    with solara.Column(style={"display": "none"} if locked else {}):
                        MovePanel(game, set_notice, tick)
                    if locked:
                        solara.Success("Locked in: wait for the turn to resolve.",
                                       classes=["locked-in"])
                    if notice and not locked:
                        solara.Success(notice, classes=["move-ok"])
                    for m in pending:
                        solara.Text(f"• {m.move.replace('_', ' ')} {m.target or ''} "
                                    f"{m.params or ''}", classes=["pending-move"],
                                    style={"display": "block"})
                    with solara.Row():
                        solara.Button("Lock in my moves", color="success", disabled=locked,
                                      on_click=lambda: hub().run(room.lock, seat),
                                      classes=["lock-button"])
                        solara.Button("Withdraw my moves", outlined=True,
                                      disabled=locked or not pending,
                                      on_click=lambda: (room.withdraw(seat), set_notice("")),
                                      classes=["withdraw-button"])
            elif read_only:
                solara.Text("Read-only view of the team (its pending moves: "
                            + (", ".join(m.move for m in pending) or "none") + ")")
            News(view)
        with solara.Column():
            for key in TEAM_CHARTS:
                Chart(game_id, key, tick, width="100%")
    if view.finished:
        solara.Button("Open the debrief", href=f"/debrief?code={view.code}", color="primary")


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
    with solara.Row(style={"align-items": "baseline", "font-size": "1.5em"}):
        Prose(f"## {view.name} — {turn_text(view)} ·")
        Countdown(view)
    if not view.finished:
        Submitted(view)
    with solara.Columns([8, 4]):
        with solara.Row(style={"flex-wrap": "wrap"}):
            for key in PROJECTOR_CHARTS:
                Chart(game_id, key, tick)
        with solara.Column():
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
            return chart_pngs(live, hub().baseline(game_id),
                              upto=turn if live.turns and turn < len(live.turns) else None)
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


# -- teacher --------------------------------------------------------------------------------
def scenario_choices() -> dict[str, Path]:
    lessons = {f"lesson: {p.stem}": p for p in sorted(LESSONS.glob("*.yaml"))}
    return {**lessons, **shipped_scenarios()}


@solara.component
def TeacherPage():
    token = query().get("token", "")
    room = hub().room
    if not room.is_teacher(token):
        solara.Error("This page needs the teacher's address, with its token, as "
                     "`chokepoint classroom` printed it.")
        return
    TeacherDesk(token)


@solara.component
def TeacherDesk(token: str):
    room = hub().room
    refresh, set_refresh = solara.use_state(0)
    games = room.games()
    selected, set_selected = solara.use_state(games[0].id if games else None)
    Prose("# Chokepoint classroom — teacher")
    with solara.Columns([4, 8]):
        with solara.Column():
            NewGame(lambda gid: (set_selected(gid), set_refresh(refresh + 1)))
            if games:
                labels = {f"{g.code} — {room.view(g.id).name}": g.id for g in games}
                current = next((k for k, v in labels.items() if v == selected), None)
                solara.Select(label="Game", values=list(labels), value=current,
                              on_value=lambda k: set_selected(labels[k]))
        with solara.Column():
            if selected is not None:
                GameControl(selected, token).key(f"game-{selected}")


@solara.component_vue("file_pick.vue")
def FilePick(label: str, accept: str, max_bytes: int,
             event_picked: Callable[[dict[str, Any]], None]):
    """The play page's keyboard-usable file chooser: the browser reads the file, Python gets
    its text (None when it is larger than ``max_bytes``)."""


UPLOAD = "uploaded: "  # the label of an uploaded scenario among the choices


@solara.component
def NewGame(on_created: Callable[[int], None]):
    shipped = scenario_choices()
    uploads, set_uploads = solara.use_state({})  # label -> YAML text, uploaded in this tab
    choices: dict[str, Path | str] = {**shipped, **uploads}
    name, set_name = solara.use_state(next(iter(choices)))
    seed, set_seed = solara.use_state(1)
    advance, set_advance = solara.use_state("all")
    seconds, set_seconds = solara.use_state(240)
    hide, set_hide = solara.use_state(False)
    error, set_error = solara.use_state("")
    upload_errors, set_upload_errors = solara.use_state([])

    def load(label: str):
        source = choices[label]
        return (load_scenario(label[len(UPLOAD):], text=source) if isinstance(source, str)
                else load_scenario(source))
    roles = solara.use_memo(lambda: list(load(name).roles), [name])
    humans, set_humans = solara.use_state(roles)
    if any(h not in roles for h in humans):
        humans = [h for h in humans if h in roles] or roles

    def on_picked(info: dict):
        file_name = str(info.get("name") or "upload.yaml")
        if info.get("text") is None:
            set_upload_errors([f"{file_name}: cannot read it, or it is larger than "
                               f"{MAX_BYTES:,} bytes ({info.get('size') or 0:,} bytes)"])
            return
        text = str(info["text"])
        try:
            spec = load_scenario(file_name, text=text)  # refused with every problem, located
        except ScenarioError as exc:
            set_upload_errors([str(p) for p in exc.problems] or [str(exc)])
            return
        set_upload_errors([])
        label = UPLOAD + file_name
        set_uploads({**uploads, label: text})
        set_name(label)
        set_humans(list(spec.roles))

    def create():
        try:
            ref = hub().room.create_game(choices[name], seed=seed, humans=humans,
                                         advance=advance,
                                         turn_seconds=seconds if advance != "teacher" and
                                         seconds else None, hide_ranks=hide,
                                         source=name[len(UPLOAD):] if name in uploads
                                         else None)
        except (ClassroomError, ScenarioError) as exc:
            set_error(str(exc))
            return
        set_error("")
        on_created(ref.id)

    with solara.Card(title="New game"):
        solara.Select(label="Scenario", values=list(choices), value=name,
                      on_value=lambda v: (set_name(v), set_humans(list(load(v).roles))))
        FilePick(label="…or upload a scenario (YAML): it is stored with the game, as text "
                       "with its hash", accept=".yaml,.yml", max_bytes=MAX_BYTES,
                 event_picked=on_picked)
        if upload_errors:
            with solara.Div(classes=["upload-errors"]):
                solara.Error("The uploaded file was refused:")
                solara.Preformatted("\n".join(upload_errors))
        solara.InputInt("Seed", value=seed, on_value=set_seed)
        solara.SelectMultiple("Teams played by students (the others are bots)",
                              values=humans, all_values=roles, on_value=set_humans)
        solara.Select(label="Turns advance", values=list(ADVANCE_LABELS), value=advance,
                      on_value=set_advance)
        solara.InputInt("Turn length (seconds; 0: no timer)", value=seconds,
                        on_value=set_seconds)
        solara.Checkbox(label="Hide ranks on the projector", value=hide, on_value=set_hide)
        solara.Button("Create game", on_click=create, color="primary", classes=["create-game"])
        if error:
            solara.Error(error)


@solara.component
def GameControl(game_id: int, token: str):
    tick = use_game_tick(game_id, "teacher")
    h = hub()
    room = h.room
    view = h.frame(game_id).view
    message, set_message = solara.use_state(view.message)
    peek, set_peek = solara.use_state(None)
    error, set_error = solara.use_state("")
    inject_role, set_inject_role = solara.use_state(view.humans[0] if view.humans else None)

    def act(fn, *args):
        def run():
            try:
                fn(*args)
                set_error("")
            except (ClassroomError, MoveError) as exc:
                set_error(str(exc))
        h.run(run)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"<span class='join-code' style='font-size:"
                    f"2.6em;font-weight:bold;letter-spacing:.1em'>{view.code}</span>")
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(view.code))
        with solara.Column():
            with solara.Row(style={"align-items": "baseline"}):
                solara.Text(f"{view.name} · {turn_text(view)} ·", classes=["teacher-status"],
                            style={"font-weight": "bold"})
                Countdown(view)
            solara.Button("Projector", href=f"/projector?code={view.code}", target="_blank",
                          outlined=True)
            solara.Button("Debrief", href=f"/debrief?code={view.code}&token={token}",
                          target="_blank", outlined=True)
    Submitted(view)
    done = view.finished
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Button("Resolve now", on_click=lambda: act(room.resolve, game_id),
                      disabled=done, color="primary", classes=["resolve-button"])
        solara.Button("Undo last turn", on_click=lambda: act(room.undo, game_id),
                      disabled=view.turn == 1, classes=["undo-button"])
        solara.Button("Pause timer", on_click=lambda: act(room.pause, game_id),
                      disabled=view.deadline is None)
        solara.Button("Resume timer", on_click=lambda: act(room.resume, game_id),
                      disabled=view.paused_left is None)
        solara.Button("+1 minute", on_click=lambda: act(room.extend, game_id, 60),
                      disabled=view.deadline is None and view.paused_left is None)
        solara.Button("Unlock room" if view.room_locked else "Lock room",
                      on_click=lambda: act(room.set_room, game_id, locked=not view.room_locked))
        solara.Button("End game", on_click=lambda: act(room.set_room, game_id, ended=True),
                      disabled=done, color="error", outlined=True)
    if error:
        solara.Error(error)
    with solara.Row(style={"align-items": "center"}):
        solara.InputText("Message to every page", value=message, on_value=set_message)
        solara.Button("Broadcast", on_click=lambda: act(room.set_room, game_id,
                                                          message=message))
    SeatMap(view, game_id)
    if view.humans and not done:
        with solara.Card(title="Inject a move (takes effect when the turn resolves)"):
            solara.Select(label="For team", values=list(view.humans), value=inject_role,
                          on_value=set_inject_role)
            InjectForm(game_id, inject_role, act).key(f"inject-{inject_role}")
    with solara.Card(title="A team's view (read-only)"):
        solara.Select(label="Team", values=list(view.humans), value=peek, on_value=set_peek)
        if peek:
            TeamPage(game_id, peek, None, read_only=True).key(f"peek-{peek}")
    Leaderboard(view)
    _ = tick


@solara.component
def InjectForm(game_id: int, role: str, act: Callable[..., None]):
    room = hub().room
    moves = list(room.scenario(game_id).roles[role].moves)
    events = [e for e in room.scenario(game_id).events if e.by == role]
    move, set_move = solara.use_state(moves[0])
    target, set_target = solara.use_state("")
    w = room.live(game_id).model.world
    kinds = {"firm": w.firms, "supplier": w.suppliers, "country": w.countries,
             "component": w.components}
    targets = [n for k in MOVES[move].targets for n in kinds[k] if n != role]
    solara.Select(label="Move", values=moves, value=move, on_value=set_move)
    if targets:
        solara.Select(label="Target", values=targets, value=target or None,
                      on_value=set_target)
    solara.Button("Inject", on_click=lambda: act(room.inject, game_id, role, move,
                                                   target or None))
    for e in events:
        solara.Button(f"Scenario event: {e.move} {e.target or ''}",
                      on_click=lambda e=e: act(room.inject, game_id, role, e.move, e.target,
                                               **e.values), outlined=True)


@solara.component
def SeatMap(view: View, game_id: int):
    h = hub()
    with solara.Card(title="Seats", classes=["seat-map"]):
        for role in view.humans:
            seats = [s for s in view.seats if s.role == role and not s.freed]
            state = ("locked in" if role in view.locked_in else
                     "moved" if role in view.moved else "thinking")
            online = h.connected[(game_id, role)]
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Text(f"{role}: {len(seats)} student(s), {online} connected, {state}",
                            classes=["seat-row"], style={"font-weight": "bold"})
                for s in seats:
                    solara.Button(f"free {s.nickname or f'seat {s.id}'}", text=True,
                                  on_click=lambda s=s: h.room.free_seat(game_id, s.id))
                    others = [r for r in view.humans if r != role]
                    for r in others:
                        solara.Button(f"→ {r}", text=True,
                                      on_click=lambda s=s, r=r: h.room.reassign_seat(
                                          game_id, s.id, r))


@solara.component
def Layout(children=()):  # noqa: B006 - solara passes the routed page as children
    with solara.Column(style={"padding": "12px"}):
        for child in children:
            solara.display(child)


routes = [
    solara.Route(path="/", component=Home, label="Home"),
    solara.Route(path="join", component=JoinPage, label="Join"),
    solara.Route(path="projector", component=ProjectorPage, label="Projector"),
    solara.Route(path="teacher", component=TeacherPage, label="Teacher"),
    solara.Route(path="debrief", component=DebriefPage, label="Debrief"),
]
