"""A class in groups (:mod:`sim.classroom.groups`) on the classroom's pages:

- ``/overview?code=S&token=T`` (the teacher): every group's game — its turn, who has locked
  in, its scores — each group redrawn by the hub when its game changes (as every classroom
  page is: :func:`~dashboards.classroom.widgets.use_game_tick`), the class's join code, and
  each group's controls; without the token, the same for the projector, with no controls;
- ``/join?code=S``: a student joins the class and lands on the seat the service gives them
  (:class:`ClassJoin`; this browser's seat in the class, kept in a cookie, brings them back);
- ``/compare?code=S&token=T`` (the teacher, or anyone once every group has finished): the
  groups side by side — scores per role per group with the mean over the groups, the key
  charts per group, every participant — and the session's ZIP;
- the teacher's create form's block for groups (:class:`GroupsOption`).
"""

from __future__ import annotations

import base64
import html
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import solara

from dashboards.classroom.hub import hub
from dashboards.classroom.projector import qr_svg
from dashboards.classroom.widgets import (
    Panel,
    query,
    this_client,
    timer_text,
    turn_text,
    use_game_tick,
)
from dashboards.prose import Prose
from sim.classroom import ClassroomError, View
from sim.classroom.compare import COMPARE_CHARTS, group_charts, participant_rows, role_rows
from sim.classroom.groups import Group, SessionInfo, SessionRef

NUMBER = re.compile(r"[+-]?\d+(\.\d+)?( … [+-]?\d+(\.\d+)?)?")  # a score or a range
MODES = {"one game": "", "a number of groups": "groups", "students per group": "group_size"}


# -- the teacher's create form ----------------------------------------------------------------
@dataclass(frozen=True)
class GroupChoice:
    """What the create form's groups block says: one game, or groups (by count or size) with
    the same seed or a seed per group."""

    mode: str = "one game"
    count: int = 2
    seeds: str = ""  # "1, 2, 3": a seed per group; empty: every group the game's seed

    def session_args(self) -> dict[str, Any] | None:
        """``create_session``'s group arguments, or None for one game.

        Raises:
            ClassroomError: seeds that are not whole numbers.
        """
        key = MODES[self.mode]
        if not key:
            return None
        try:
            seeds = [int(s) for s in self.seeds.replace(",", " ").split()]
        except ValueError:
            raise ClassroomError(f"seeds per group: whole numbers separated by commas, "
                                 f"not {self.seeds!r}") from None
        return {key: self.count, "seeds": seeds}


def create_game_or_class(choice: GroupChoice, scenario: Any, **game: Any) -> tuple[int, str]:
    """Create one game, or a class in groups: (the game's or group 1's id, the join code
    students type — the game's or the class's)."""
    room = hub().room
    args = choice.session_args()
    if args is None:
        ref = room.create_game(scenario, **game)
        return ref.id, ref.code
    session = room.create_session(scenario, **args, **game)
    return room.session_info(session.id).groups[0].game_id, session.code


@solara.component
def GroupsOption(choice: GroupChoice, on_choice: Callable[[GroupChoice], None]):
    """The create form's block: one game, or the class split in groups."""
    with solara.Div(classes=["groups-option"]):
        solara.Select(label="Groups (several worlds in one room)", values=list(MODES),
                      value=choice.mode, on_value=lambda m: on_choice(replace(choice, mode=m)))
        if MODES[choice.mode]:
            solara.InputInt("How many groups" if choice.mode == "a number of groups"
                            else "Students per group", value=choice.count,
                            on_value=lambda n: on_choice(replace(choice, count=n)),
                            continuous_update=True)
            solara.InputText("Seeds per group (e.g. 1, 2, 3; empty: the same seed)",
                             value=choice.seeds, continuous_update=True,
                             on_value=lambda s: on_choice(replace(choice, seeds=s)))


@solara.component
def ClassLink(game_id: int, token: str):
    """On the teacher's game controls: the way to the game's class overview, if it is a
    group of one."""
    room = hub().room
    found = room.session_of(game_id)
    if found is None:
        return
    info = room.session_info(found[0])
    solara.Info(f"This game is group {found[1]} of the class {info.code}: students join "
                f"with the class code {info.code}, which seats them in a group.", dense=True)
    solara.Button(f"Overview of the class's {len(info.groups)} groups",
                  href=f"/overview?code={info.code}&token={quote(token)}", target="_blank",
                  color="primary", classes=["class-link"])


# -- the overview ----------------------------------------------------------------------------
@solara.component
def OverviewPage():
    q = query()
    room = hub().room
    token = q.get("token", "")
    teacher = room.is_teacher(token)
    ref, why = use_session_of_code(q.get("code", ""))  # a hook: before any early return
    if token and not teacher:
        solara.Error("This teacher's token is not valid: use the address `chokepoint "
                     "classroom` printed.")
        return
    if ref is None:
        solara.Error(why)
        return
    Overview(ref.id, token if teacher else None)


def use_session_of_code(code: str) -> tuple[SessionRef | None, str]:
    """The class of a code in the address, looked up once per code through the join limits
    (docs/security.md): (the session, "") or (None, why not)."""
    def find() -> tuple[SessionRef | None, str]:
        try:
            return hub().room.find_session(code, this_client()), ""
        except ClassroomError as exc:
            return None, str(exc)
    return solara.use_memo(find, [code])


@solara.component
def Overview(session_id: int, token: str | None):
    """The class's groups; with the teacher's ``token``, their controls too (without: the
    projector's view, which shows what the teams see of each other)."""
    room = hub().room
    first = room.session_info(session_id).groups[0].game_id
    use_game_tick(first, "overview")  # group 1's game hears of every group opened
    info = room.session_info(session_id)
    Prose(f"# {info.name} — the class in {len(info.groups)} groups")
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(tag="div", unsafe_innerHTML=(
            "Students join at <b>/join</b> with the class code <span class='class-code' "
            f"style='font-size:2.6em;font-weight:bold;letter-spacing:.1em'>{info.code}</span>"
            "<br>each is seated in a group and a team"
            + (f" (groups of {info.group_size})" if info.group_size else "")))
        solara.HTML(tag="div", unsafe_innerHTML=qr_svg(info.code))
        if token is not None:
            TeacherButtons(info, token)
    with solara.Div(style="display: flex; flex-wrap: wrap; gap: 12px"):
        for g in info.groups:
            GroupCard(g, token).key(f"group-{g.game_id}")


@solara.component
def TeacherButtons(info: SessionInfo, token: str):
    def resolve_all() -> None:
        for g in info.groups:
            hub().run(_resolve, g.game_id)

    waiting = [g for g in info.groups if not hub().frame(g.game_id).view.started]
    started, set_started = solara.use_state(False)

    def start_all() -> None:
        for g in waiting:
            hub().run(hub().room.start, g.game_id)
        set_started(True)

    with solara.Column():
        if waiting and not started:
            solara.Button(f"Start every group ({len(waiting)} in the lobby)", color="success",
                          classes=["start-all"], on_click=start_all)
        solara.Button("Compare the groups", href=f"/compare?code={info.code}&token="
                      f"{quote(token)}", target="_blank", color="primary",
                      classes=["compare-link"])
        solara.Button("Resolve every group now", outlined=True, classes=["resolve-all"],
                      on_click=resolve_all)
        solara.Button("For the projector (no token, no controls)",
                      href=f"/overview?code={info.code}", target="_blank", outlined=True,
                      classes=["projector-link"])


def _resolve(game_id: int) -> None:
    try:
        hub().room.resolve(game_id)
    except ClassroomError:  # already over
        pass


@solara.component
def GroupCard(group: Group, token: str | None):
    """One group: its turn, who has locked in, its scores (one widget), and (with the
    teacher's ``token``) its controls; redrawn whenever its game changes."""
    use_game_tick(group.game_id, "overview")
    view = hub().frame(group.game_id).view
    with solara.Div(style="flex: 1 1 360px; max-width: 560px"):
        Panel(f"Group {group.number} — game {view.code}", f"seed {group.seed}",
              group_html(view), classes=["group-card", f"group-{group.number}"])
        if token is None:
            return
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Button("Resolve now", disabled=view.finished, text=True,
                          on_click=lambda: hub().run(_resolve, group.game_id))
            solara.Button("Projector", href=f"/projector?code={view.code}", target="_blank",
                          text=True)
            solara.Button("Debrief", href=f"/debrief?code={view.code}&token={quote(token)}",
                          target="_blank", text=True)


def group_html(view: View) -> str:
    """A group's state: turn and timer, then per role its students, whether its team has
    locked in (never what) and its score."""
    e = html.escape
    rows = []
    for role in (*view.humans, *(r for r in view.roles if r not in view.humans)):
        students = sum(1 for s in view.seats if s.role == role and not s.freed)
        if role not in view.humans:
            who, state = "bot", ""
        else:
            who = f"{students} student{'s' if students != 1 else ''}"
            state = ("<span style='color: #2e7d32'>✔ locked in</span>"
                     if role in view.locked_in else "moved" if role in view.moved else "…")
        rows.append(f"<tr class='group-role' data-role='{e(role)}'><td><b>{e(role)}</b></td>"
                    f"<td>{who}</td><td class='lock-state'>{state}</td>"
                    f"<td style='text-align:right' class='group-score'>"
                    f"{view.scores.get(role, 0.0):+.1f}</td></tr>")
    locked = ",".join(sorted(view.locked_in))
    return (f"<div class='group-state' data-turn='{view.turn}' data-step='{view.step}' "
            f"data-locked='{e(locked)}'><b class='group-turn'>{turn_text(view)}</b> · "
            f"{e(timer_text(view))}</div><table style='width:100%'><tr><th align=left>role"
            "</th><th align=left>played by</th><th align=left>this turn</th><th align=right>"
            f"score</th></tr>{''.join(rows)}</table>")


# -- a student joins the class -----------------------------------------------------------------
def class_code(code: str) -> bool:
    """Whether ``code`` is a class's (a session's) join code."""
    try:
        hub().room.session_by_code(code)
    except ClassroomError:
        return False
    return True


@solara.component
def ClassJoin(code: str, nickname0: str = ""):
    """The class's join: a nickname (``nickname0`` typed already), then the seat the service
    gives (a group and a team); a browser that already holds a seat of this class goes back
    to it."""
    from dashboards.classroom.team import SEAT_COOKIE

    router = solara.use_router()
    room = hub().room
    nickname, set_nickname = solara.use_state(nickname0)
    error, set_error = solara.use_state("")
    kept = solara.use_memo(lambda: _kept_seat(code, SEAT_COOKIE), [code])

    def go(token: str) -> None:
        game_id, _, _ = room.seat(token)
        router.push(f"/join?code={room.view(game_id).code}&seat={quote(token)}")

    def back() -> None:
        if kept:
            go(kept)
    solara.use_effect(back, [kept])

    def join() -> None:
        try:
            go(room.join_session(code, nickname=nickname, client=this_client()))
        except ClassroomError as exc:
            set_error(str(exc))

    with solara.Card(title=f"Join the class {code.strip().upper()}",
                     style={"max-width": "480px"}):
        solara.Text("You will be seated in a group and a team.")
        solara.InputText("Nickname (optional, no real names needed)", value=nickname,
                         on_value=set_nickname, continuous_update=True)
        solara.Button("Join the class", on_click=join, color="primary",
                      classes=["class-join-button"])
        if error:
            solara.Error(error, classes=["join-error"])


def _kept_seat(code: str, prefix: str) -> str | None:
    """A valid seat of this class kept in this browser's cookies (one per game code)."""
    from solara.lab import cookies

    room = hub().room
    session = room.session_by_code(code)
    jar = cookies.value or {}  # type: ignore[attr-defined]  # a reactive value
    for name, value in jar.items():
        if not name.startswith(prefix):
            continue
        token = unquote(value)
        try:
            game_id, _, _ = room.seat(token)
        except ClassroomError:
            continue
        found = room.session_of(game_id)
        if found is not None and found[0] == session.id:
            return token
    return None


# -- the groups compared -------------------------------------------------------------------------
@solara.component
def ComparePage():
    q = query()
    room = hub().room
    ref, why = use_session_of_code(q.get("code", ""))
    if ref is None:
        solara.Error(why)
        return
    info = room.session_info(ref.id)
    if not (room.is_teacher(q.get("token")) or
            all(room.view(g.game_id).finished for g in info.groups)):
        solara.Warning("The groups' comparison opens when every group has finished (or from "
                       "the teacher's page).")
        return
    Compare(info).key(f"compare-{len(info.groups)}")


@solara.component
def Compare(info: SessionInfo):
    """The groups side by side (redrawn when any group's game changes)."""
    for g in info.groups:  # as many hooks at every render: the key holds the group count
        use_game_tick(g.game_id, "compare")  # noqa: SH103
    h = hub()
    views = [h.frame(g.game_id).view for g in info.groups]
    Prose(f"# Groups compared — {info.name}\n\nClass {info.code}: scores against the same "
          "game with nobody moving (governments: points; firms: % of profit).")
    Panel("Scores per role", "each group's game, the mean and the range over the groups",
          scores_html(info, views), classes=["compare-scores"])
    state = tuple((v.step, len(v.history)) for v in views)
    charts = solara.use_memo(lambda: _charts(info), [state])
    with solara.Div(classes=["compare-charts"],
                    style="display: grid; gap: 8px; grid-template-columns: "
                          f"repeat({len(info.groups)}, minmax(320px, 1fr))"):
        for key in COMPARE_CHARTS:
            for g, pngs in zip(info.groups, charts, strict=True):
                solara.v.Html(tag="img", attributes={
                    "src": "data:image/png;base64," + base64.b64encode(pngs[key + ".png"])
                    .decode(), "alt": f"group {g.number}: {key}", "class": "compare-chart",
                    "style": "width: 100%"})
    people = [(p[0], p[1], p[3] or f"seat {p[2]}", p[4], f"{p[5]:+.1f}")
              for p in participant_rows(info, views)]
    Panel("Participants", "every student, with their team's score",
          table_html(("group", "game", "nickname", "team", "team's score"), people)
          if people else "No student has joined.", classes=["participants"])

    def zip_bytes() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return h.room.export_session(info.id, Path(tmp) / "class.zip").read_bytes()
    solara.FileDownload(zip_bytes, filename=f"chokepoint-class-{info.code}.zip",
                        label="Export the class (ZIP)", mime_type="application/zip")


def scores_html(info: SessionInfo, views: list[View]) -> str:
    """Scores per role per group, the mean and the range over the groups."""
    head = ("role", "played by", *(f"group {g.number}" for g in info.groups), "mean", "range")
    return table_html(head, [(r.role, r.played_by, *(f"{s:+.1f}" for s in r.scores),
                              f"{r.mean:+.1f}", f"{r.low:+.1f} … {r.high:+.1f}")
                             for r in role_rows(views)])


def table_html(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """A padded table (cells escaped; numbers, and text that starts like one, aligned
    right)."""
    pad = "padding: 3px 12px; border-bottom: 1px solid #eee"

    def cell(tag: str, value: Any) -> str:
        text = str(value)
        right = NUMBER.fullmatch(text) is not None
        return (f"<{tag} style='{pad}; text-align: {'right' if right else 'left'}'>"
                f"{html.escape(text)}</{tag}>")
    return ("<table style='border-collapse: collapse'><tr>"
            + "".join(cell("th", h) for h in head) + "</tr>"
            + "".join("<tr>" + "".join(cell("td", c) for c in r) + "</tr>" for r in rows)
            + "</table>")


def _charts(info: SessionInfo) -> list[dict[str, bytes]]:
    room = hub().room
    return group_charts([room.live(g.game_id) for g in info.groups],
                        [room.game_lock(g.game_id) for g in info.groups])
