"""The teacher's page (``/teacher?token=T``): create games (a shipped or uploaded
scenario), the join code and its QR code, the seat map, the turn's controls, events, the
broadcast, any team's view read-only, the export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara

from dashboards.classroom.hub import hub
from dashboards.classroom.overview import (
    ClassLink,
    GroupChoice,
    GroupsOption,
    create_game_or_class,
)
from dashboards.classroom.projector import qr_svg
from dashboards.classroom.team import TeamPage
from dashboards.classroom.widgets import (
    ADVANCE_LABELS,
    LESSONS,
    Leaderboard,
    Status,
    query,
    turn_text,
    use_game_tick,
)
from dashboards.prose import Prose
from sim import MOVES, MoveCall, MoveError, ScenarioError
from sim.classroom import ClassroomError, View
from sim.play.difficulty import DEFAULT as DEFAULT_LEVEL
from sim.play.difficulty import LABELS, LEVELS
from sim.play.session import shipped_scenarios
from sim.rules.moves import feasibility
from sim.scenario import load_scenario
from sim.scenario.yamlio import MAX_BYTES


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


@solara.component_vue("../file_pick.vue")
def FilePick(label: str, accept: str, max_bytes: int,
             event_picked: Callable[[dict[str, Any]], None]):
    """The play page's keyboard-usable file chooser: the browser reads the file, Python gets
    its text (None when it is larger than ``max_bytes``)."""


UPLOAD = "uploaded: "  # the label of an uploaded scenario among the choices


@solara.component
def NewGame(on_created: Callable[[int], None]):
    shipped = scenario_choices()
    no_uploads: dict[str, str] = {}
    uploads, set_uploads = solara.use_state(no_uploads)  # label -> YAML text, uploaded in this tab
    choices: dict[str, Path | str] = {**shipped, **uploads}
    name, set_name = solara.use_state(next(iter(choices)))
    seed, set_seed = solara.use_state(1)
    advance, set_advance = solara.use_state("all")
    seconds, set_seconds = solara.use_state(240)
    hide, set_hide = solara.use_state(False)
    level, set_level = solara.use_state(DEFAULT_LEVEL)  # difficulty (sim/play/difficulty.py)
    groups, set_groups = solara.use_state(GroupChoice())
    error, set_error = solara.use_state("")
    no_errors: list[str] = []
    upload_errors, set_upload_errors = solara.use_state(no_errors)

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
            game_id, _ = create_game_or_class(groups, choices[name], seed=seed,
                                              humans=humans, advance=advance,
                                              turn_seconds=seconds if advance != "teacher"
                                              and seconds else None, hide_ranks=hide,
                                              source=name[len(UPLOAD):] if name in uploads
                                              else None, difficulty=level, lobby=True)
        except (ClassroomError, ScenarioError) as exc:
            set_error(str(exc))
            return
        set_error("")
        on_created(game_id)

    def choose(value: str) -> None:
        set_name(value)
        set_humans(list(load(value).roles))

    with solara.Card(title="New game"):
        solara.Select(label="Scenario", values=list(choices), value=name,
                      on_value=choose)
        FilePick(label="…or upload a scenario (YAML): it is stored with the game, as text "
                       "with its hash", accept=".yaml,.yml", max_bytes=MAX_BYTES,
                 event_picked=on_picked)
        if upload_errors:
            with solara.Div(classes=["upload-errors"]):
                solara.Error("The uploaded file was refused:")
                solara.Preformatted("\n".join(upload_errors))
        solara.InputInt("Seed", value=seed, on_value=set_seed, continuous_update=True)
        solara.SelectMultiple("Teams played by students (the others are bots)",
                              values=humans, all_values=roles, on_value=set_humans)
        solara.Select(label="Turns advance", values=list(ADVANCE_LABELS), value=advance,
                      on_value=set_advance)
        solara.InputInt("Turn length (seconds; 0: no timer)", value=seconds,
                        on_value=set_seconds, continuous_update=True)
        solara.Checkbox(label="Hide ranks on the projector", value=hide, on_value=set_hide)
        # difficulty: how the bots answer (docs/classroom/README.md, "Difficulty")
        solara.Select(label="Difficulty", values=list(LEVELS), value=level,
                      on_value=set_level, classes=["difficulty-select"])
        solara.Text(LABELS[level].replace("your role", "the teams' roles"),
                    classes=["difficulty-help"], style={"display": "block",
                                                         "font-size": "0.85em"})
        GroupsOption(groups, set_groups)
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
    no_peek: str | None = None
    peek, set_peek = solara.use_state(no_peek)
    error, set_error = solara.use_state("")
    inject_role, set_inject_role = solara.use_state(view.humans[0] if view.humans else None)

    def act(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            try:
                fn(*args, **kwargs)
                set_error("")
            except (ClassroomError, MoveError) as exc:
                set_error(str(exc))
        h.run(run)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"<span class='join-code' style='font-size:"
                    f"2.6em;font-weight:bold;letter-spacing:.1em'>{view.code}</span>")
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(view.code))
        with solara.Column():
            Status(view, line=f"{view.name} · {turn_text(view)} · {view.difficulty}")
            if view.difficulty_note:  # hard asked for, no hard file: playing medium
                solara.Warning(view.difficulty_note, classes=["difficulty-note"], dense=True)
            solara.Button("Projector", href=f"/projector?code={view.code}", target="_blank",
                          outlined=True)
            solara.Button("Debrief", href=f"/debrief?code={view.code}&token={token}",
                          target="_blank", outlined=True)
            ClassLink(game_id, token)
    done = view.finished
    if not view.started:
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text("In the lobby: students join and see who else has; nothing is played "
                        "and no timer runs until you press Start.", classes=["lobby-note"])
            solara.Button("Start the game", on_click=lambda: act(room.start, game_id),
                          color="success", classes=["start-button"])
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Button("Resolve now", on_click=lambda: act(room.resolve, game_id),
                      disabled=done or not view.started, color="primary",
                      classes=["resolve-button"])
        solara.Button("Undo last turn", on_click=lambda: act(room.undo, game_id),
                      disabled=view.turn == 1, classes=["undo-button"])
        solara.Button("Pause timer", on_click=lambda: act(room.pause, game_id),
                      disabled=view.deadline is None)
        solara.Button("Resume timer", on_click=lambda: act(room.resume, game_id),
                      disabled=view.paused_left is None)
        solara.Button("+1 minute", on_click=lambda: act(room.extend, game_id, 60),
                      disabled=view.deadline is None and view.paused_left is None)
        solara.Button("Unlock room" if view.room_locked else "Lock room",
                      on_click=lambda: act(room.set_room, game_id, locked=not view.room_locked),
                      classes=["room-lock-button"])
        solara.Button("End game", on_click=lambda: act(room.set_room, game_id, ended=True),
                      disabled=done, color="error", outlined=True, classes=["end-button"])
    if error:
        solara.Error(error)
    with solara.Row(style={"align-items": "center"}):
        solara.InputText("Message to every page", value=message, on_value=set_message,
                         continuous_update=True)
        solara.Button("Broadcast", on_click=lambda: act(room.set_room, game_id,
                                                          message=message),
                      classes=["broadcast-button"])
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
    no_target: str | None = None
    target, set_target = solara.use_state(no_target)
    model = room.live(game_id).model
    w = model.world
    kinds = {"firm": w.firms, "supplier": w.suppliers, "country": w.countries,
             "component": w.components}
    # only targets the move accepts now (the rules the turn's resolution applies)
    targets = [n for k in MOVES[move].targets for n in kinds[k] if n != role and
               feasibility(model, MoveCall(role, move, n, {})) is None]
    solara.Select(label="Move", values=moves, value=move, on_value=set_move)
    if targets:
        solara.Select(label="Target", values=targets, value=target, on_value=set_target)
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
                     "moved" if role in view.moved else
                     "no student: its bot plays, the turn does not wait for it" if not seats
                     else "thinking")
            online = h.connected[(game_id, role)]
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Text(f"{role}: {len(seats)} student(s), {online} connected, {state}",
                            classes=["seat-row"], style={"font-weight": "bold"})
                for s in seats:
                    solara.Button(f"free {s.nickname or f'seat {s.id}'}", text=True,
                                  on_click=lambda s=s: h.run(h.room.free_seat, game_id, s.id))
                    others = [r for r in view.humans if r != role]
                    for r in others:
                        solara.Button(f"→ {r}", text=True,
                                      on_click=lambda s=s, r=r: h.run(
                                          h.room.reassign_seat, game_id, s.id, r))
