"""The team's pages: ``/join`` (the code, a free team, a nickname; the seat kept in the
address and a cookie) and the team's view (its brief, moves, the timer, its charts)."""

from __future__ import annotations

from urllib.parse import quote, unquote

import solara

from dashboards.classroom.hub import ClassroomGame, hub
from dashboards.classroom.overview import ClassJoin, class_code
from dashboards.classroom.widgets import (
    SPLIT,
    TEAM_CHARTS,
    Chart,
    Lobby,
    News,
    Panel,
    Status,
    query,
    this_client,
    turn_text,
    use_game_tick,
)
from dashboards.forms import MovePanel
from dashboards.goal import GoalPanel
from sim.classroom import ClassroomError, RateLimited
from sim.classroom.limits import CODE_LENGTH, normal_code
from sim.classroom.tokens import FoundGame
from sim.markup import markdown_html

SEAT_COOKIE = "chokepoint_seat_"  # + the join code: the seat token of this browser
SEAT_COOKIE_AGE = 12 * 3600  # seconds (a school day)


@solara.component_vue("cookie.vue")
def SeatCookie(name: str, value: str, max_age: int):
    """Write a cookie of this site from the browser (Solara has no way to set one)."""


def cookie_seat(room, code: str) -> str | None:
    """A valid seat token kept in this browser's cookies: for the game ``code``, or without a
    code for any game still running."""
    from solara.lab import cookies

    jar = cookies.value or {}  # type: ignore[attr-defined]  # a reactive value, not a module
    names = ([SEAT_COOKIE + normal_code(code)] if code else
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
    """The code, a nickname, a team. A code is looked up (through the join limits,
    docs/security.md) once it is complete, or when asked; its game's teams show only after
    that look-up has found it open."""
    router = solara.use_router()
    code, set_code = solara.use_state(normal_code(code0))
    nickname, set_nickname = solara.use_state("")
    no_game: FoundGame | None = None
    found, set_found = solara.use_state(no_game)
    no_role: str | None = None
    role, set_role = solara.use_state(no_role)
    error, set_error = solara.use_state("")

    is_class, set_is_class = solara.use_state(False)

    def find(typed: str) -> None:
        try:
            set_found(hub().room.find_game(typed, this_client()))
            set_error("")
        except RateLimited as exc:
            set_error(str(exc))
        except ClassroomError as exc:  # no game's: a class's? (asked after a limited look-up)
            if class_code(typed):
                set_is_class(True)
            else:
                set_error(str(exc))

    def type_code(value: str) -> None:
        typed = normal_code(value)
        if typed == code:
            return
        set_code(typed)
        set_found(None)
        set_is_class(False)
        set_error("")
        if len(typed) == CODE_LENGTH:
            find(typed)

    solara.use_effect(lambda: find(code) if len(code) == CODE_LENGTH else None, [])
    if is_class:  # a class in groups: its own join
        ClassJoin(code, nickname)
        return

    def join():
        try:
            token = hub().room.join(code, role or "", nickname=nickname, client=this_client())
        except ClassroomError as exc:
            set_error(str(exc))
            return
        router.push(f"/join?code={quote(code)}&seat={quote(token)}")

    with solara.Card(title="Join a game", style={"max-width": "480px"}):
        solara.InputText("Join code", value=code, on_value=type_code, continuous_update=True)
        if found is None:
            solara.Button("Find the game", on_click=lambda: find(code), disabled=not code,
                          classes=["find-button"], outlined=True)
        solara.InputText("Nickname (optional, no real names needed)", value=nickname,
                         on_value=set_nickname, continuous_update=True)
        if found is not None:
            solara.Select(label="Your team", values=list(found.teams), value=role,
                          on_value=set_role)
        solara.Button("Join", on_click=join, color="primary",
                      disabled=not (found and role in found.teams), classes=["join-button"])
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
    seat_id = solara.use_memo(lambda: _seat_id(room, seat), [seat])
    spec = game.scenario
    if not read_only and (seat_id is None or any(s.id == seat_id and s.freed
                                                 for s in view.seats)):
        # the teacher freed this seat (or it never was one): say so, offer to join again
        solara.Warning("Your teacher freed this seat: join the game again below.",
                       classes=["seat-freed"])
        JoinForm(view.code)
        return
    moved = next((s.role for s in view.seats if s.id == seat_id and s.role != role), None)
    if not read_only and moved is not None:
        solara.Info(f"Your teacher moved you to team {moved}.", classes=["seat-moved"])
        solara.Button(f"Go to team {moved}", color="primary", classes=["seat-moved-go"],
                      href=f"/join?code={view.code}&seat={quote(seat or '')}")
        return
    if not read_only and seat:
        SeatCookie(name=SEAT_COOKIE + view.code, value=seat, max_age=SEAT_COOKIE_AGE)
        solara.Info(f"You are team {role} in game {view.code}. This browser keeps your seat "
                    "(and so does this page's address: bookmark it): a refresh or a lost "
                    "connection brings you back to it.", classes=["seat-banner"], dense=True)
    # what comes and goes sits in a Div that is always there, so that the widgets after it keep
    # their places (a shifted sibling is built again: a click on it in the meantime is lost)
    with solara.Div():
        if view.message:
            solara.Warning(f"From your teacher: {view.message}", classes=["broadcast"])
    Status(view, heading=f"{spec.name} — team {role}",
           line=f"{turn_text(view)} · your score {view.scores.get(role, 0):+.1f}")
    # a few widgets, and the static ones drawn once: after every turn each of a class's 40
    # pages goes through all of its widgets (docs/classroom/README.md, "How big a class")
    with solara.Div(style=SPLIT):
        with solara.Div(style="flex: 5 1 380px; min-width: 0"):
            Brief(game_id, role)
            if not view.started:
                solara.Info("The game has not started yet: your teacher starts it when "
                            "everyone has joined. Read your brief meanwhile.",
                            classes=["lobby-wait"])
                Lobby(view)
            elif not view.finished and not read_only:
                locked = role in view.locked_in
                with solara.Card(title="Your moves this turn"):
                    # kept mounted while locked in (hidden), first so that nothing before it
                    # comes and goes: building its widgets again for every page after each
                    # turn cost more than the rest of the redraw
                    with solara.Column(style={"display": "none"} if locked else {}):
                        MovePanel(game, set_notice, tick)
                    with solara.Div():  # always there: the buttons keep their place
                        if locked:
                            solara.Success("Locked in: wait for the turn to resolve.",
                                           classes=["locked-in"])
                        if notice and not locked:
                            solara.Success(notice, classes=["move-ok"])
                        for m in pending:
                            solara.Text(f"• {m.text()}", classes=["pending-move"],
                                        style={"display": "block"})

                    def withdraw() -> None:
                        if seat is not None:
                            room.withdraw(seat)
                        set_notice("")

                    with solara.Row(style={"flex-wrap": "wrap"}):  # both on a phone's screen
                        solara.Button("Lock in my moves", color="success", disabled=locked,
                                      on_click=lambda: hub().run(room.lock, seat),
                                      classes=["lock-button"])
                        solara.Button("Withdraw my moves", outlined=True,
                                      disabled=locked or not pending,
                                      on_click=withdraw,
                                      classes=["withdraw-button"])
            elif read_only:
                solara.Text("Read-only view of the team (its pending moves: "
                            + (", ".join(m.move for m in pending) or "none") + ")")
            News(view)
        with solara.Div(style="flex: 7 1 420px; min-width: 0"):
            for key in TEAM_CHARTS:
                Chart(game_id, key, tick, width="100%")
    if view.finished:
        solara.Button("Open the debrief", href=f"/debrief?code={view.code}", color="primary")


def _seat_id(room, seat: str | None) -> int | None:
    """The seat's id, or None for a token that is not (or no longer) a seat."""
    if not seat:
        return None
    try:
        return room.seat(seat)[2]
    except ClassroomError:
        return None


@solara.component
def Brief(game_id: int, role: str):
    """The role's brief and objectives: one widget, drawn when the page opens (its arguments
    never change during the game, so a turn's redraw skips it)."""
    live = hub().room.live(game_id)
    spec = live.scenario
    Panel("Your brief", "", markdown_html(spec.description), classes=["brief"])
    # the role's goal in plain words and the target to beat (dashboards/goal.py)
    GoalPanel(spec, role, live.seed, title=f"Your goal as {role}")
