"""A class in groups: one session, one game of the same lesson per group of students.

A teacher opens one session for a whole class; the students join it with its code and the
service seats each in a group and a team, balanced::

    s = room.create_session("scenarios/classroom/denial_order.yaml", groups=3,
                            humans=["US", "ZTE"])
    token = room.join_session(s.code, nickname="ana")   # an ordinary seat token
    room.group_views(s.id)                              # every group's game, as pages see it

Each group is an ordinary game (:meth:`~sim.classroom.Classroom.create_game`, same settings;
the same seed, or a seed per group), so everything a game has — seats, turns, timers, undo,
replay after a restart, export — a group has. The session and its groups are rows of
``class_sessions`` and ``session_groups``; a student's group is the game of their seat, and the
seat token is the one :meth:`~sim.classroom.Classroom.join` gives, so a student keeps group and
seat across reconnects and restarts (docs/classroom/README.md, "A class in groups").

A student joins the group with the fewest students (the lowest number on a tie), and in it the
team with the fewest (the order of ``humans`` on a tie). With ``group_size`` instead of
``groups`` a group opens when every open group has that many students. Joins are serialised in
the process (one server per database: docs/architecture.md, "Where state lives").
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from sim.classroom import db
from sim.classroom.limits import UNKNOWN, Client, JoinLimits
from sim.classroom.store import ClassroomError, GameRef, GameStore, NotAllowed
from sim.classroom.views import View

_JOINS = threading.Lock()  # one join at a time: each sees the seats of the ones before it


@dataclass(frozen=True)
class SessionRef:
    """A class session: its id and the code students type."""

    id: int
    code: str


@dataclass(frozen=True)
class Group:
    """One group of a session: its number (1, 2, ...), its game and that game's seed."""

    number: int
    game_id: int
    code: str
    seed: int


@dataclass(frozen=True)
class SessionInfo:
    """A session as the teacher's overview reads it."""

    id: int
    code: str
    name: str
    groups: tuple[Group, ...]
    group_size: int | None
    humans: tuple[str, ...]


class Groups(GameStore):
    """Sessions of several groups (a mixin of :class:`~sim.classroom.Classroom`)."""

    if TYPE_CHECKING:
        def create_game(self, scenario: str | Path, *, seed: int | None = None,
                        humans: Iterable[str] = (), advance: str = "all",
                        turn_seconds: float | None = None, hide_ranks: bool = False,
                        source: str | None = None) -> GameRef:
            """A game (:meth:`sim.classroom.Classroom.create_game`)."""

        join_limits: JoinLimits  # (set by Tokens)

        def join(self, code: str, role: str, nickname: str = "", client: Client = UNKNOWN
                 ) -> str:
            """A seat (:meth:`sim.classroom.Classroom.join`)."""

        def seat(self, token: str) -> tuple[int, str, int]:
            """A seat's game, role and id (:meth:`sim.classroom.Classroom.seat`)."""

        def view(self, game_id: int, role: str | None = None) -> View:
            """A game as pages show it (:meth:`sim.classroom.Classroom.view`)."""

        def export(self, game_id: int, path: str | Path) -> Path:
            """A game's ZIP (:meth:`sim.classroom.Classroom.export`)."""

        def start(self, game_id: int) -> None:
            """The teacher's Start (:meth:`sim.classroom.Classroom.start`)."""

    # -- creating ----------------------------------------------------------------------------
    def create_session(self, scenario: str | Path, *, groups: int | None = None,
                       group_size: int | None = None, seeds: Sequence[int] = (),
                       seed: int | None = None, humans: Iterable[str] = (),
                       **game: Any) -> SessionRef:
        """Open a session: ``groups`` games at once, or a game per ``group_size`` students
        as they join.

        Args:
            scenario: YAML text or a path (as :meth:`~sim.classroom.Classroom.create_game`).
            groups: how many groups (games), all opened now.
            group_size: students per group instead; a group opens when the others are full.
            seeds: a seed per group: group n plays ``seeds[(n - 1) % len(seeds)]``; none:
                every group plays ``seed`` (default: the scenario's), the same world.
            seed: the seed of every group when ``seeds`` is empty.
            humans: the teams students play in every group (at least one).
            **game: the games' other settings (``advance``, ``turn_seconds``, ``hide_ranks``,
                ``source``, ``lobby``: every group waits for the teacher's Start, given on the
                overview page for all of them; a group opened after it starts at once).

        Raises:
            ClassroomError: not exactly one of ``groups`` and ``group_size``, a count below
                1, no team; as ``create_game`` for the rest.
            ScenarioError: the scenario is invalid.
        """
        if (groups is None) == (group_size is None):
            raise ClassroomError("give the number of groups or the students per group "
                                 "(one of them)")
        count = groups if groups is not None else group_size
        if count is None or int(count) < 1:
            raise ClassroomError("groups and students per group must be at least 1")
        humans = list(dict.fromkeys(humans))
        if not humans:
            raise ClassroomError("a session with groups needs at least one team for students")
        settings = {"groups": groups, "group_size": group_size,
                    "seeds": [int(s) for s in seeds], "seed": seed, "humans": humans,
                    "game": game}
        first = self.create_game(scenario, seed=_seed(settings, 1), humans=humans, **game)
        with self.engine.begin() as conn:
            name = conn.execute(select(db.games.c.name)
                                .where(db.games.c.id == first.id)).scalar_one()
            sid = _insert_session(conn, name, settings)
            conn.execute(insert(db.session_groups).values(session_id=sid, number=1,
                                                          game_id=first.id))
        for number in range(2, (groups or 1) + 1):
            self._open_group(sid, number, settings)
        return SessionRef(sid, self._session_row(sid).code)

    def _open_group(self, session_id: int, number: int, settings: dict[str, Any]) -> int:
        """Open group ``number``: a game of group 1's scenario text, with the session's
        settings and the group's seed."""
        with self.engine.begin() as conn:
            text = conn.execute(
                select(db.games.c.scenario_text).join(
                    db.session_groups, db.session_groups.c.game_id == db.games.c.id)
                .where(db.session_groups.c.session_id == session_id,
                       db.session_groups.c.number == 1)).scalar_one()
        game = {**settings["game"], "source": settings["game"].get("source") or
                f"session-{session_id}.yaml"}
        ref = self.create_game(text, seed=_seed(settings, number), humans=settings["humans"],
                               **game)
        with self.engine.begin() as conn:
            first = conn.execute(select(db.session_groups.c.game_id).where(
                db.session_groups.c.session_id == session_id,
                db.session_groups.c.number == 1)).scalar_one()
            conn.execute(insert(db.session_groups).values(session_id=session_id,
                                                          number=number, game_id=ref.id))
        if game.get("lobby") and self.view(first).started:
            self.start(ref.id)  # the class is under way: a group opened late starts at once
        return ref.id

    # -- joining -----------------------------------------------------------------------------
    def join_session(self, code: str, nickname: str = "", client: Client = UNKNOWN,
                     seat: str | None = None) -> str:
        """A seat for a student: in the group with the fewest students, the team with the
        fewest; ``seat``, a token this student already holds in one of the session's games,
        is given back as it is (the same group and team after a reconnect or a restart).

        Returns:
            The seat token (:meth:`~sim.classroom.Classroom.join`'s).

        Raises:
            ClassroomError: no such session, or every group's room is locked or its game over
                (and as :meth:`~sim.classroom.Classroom.join`).
        """
        ref = self.find_session(code, client)
        if seat:
            try:
                game_id: int | None = self.seat(seat)[0]
            except NotAllowed:  # freed or forged: a new seat
                game_id = None
            if game_id is not None and (self.session_of(game_id) or (None,))[0] == ref.id:
                return seat
        with _JOINS:
            info = self.session_info(ref.id)
            game_id, role = self._emptiest(info)
            return self.join(self.view(game_id).code, role, nickname=nickname, client=client)

    def _emptiest(self, info: SessionInfo) -> tuple[int, str]:
        """(game, team) for the next student (opening a group when every one is full)."""
        with self.engine.begin() as conn:
            open_games = set(conn.execute(select(db.games.c.id).where(
                db.games.c.id.in_([g.game_id for g in info.groups]),
                db.games.c.locked.is_(False), db.games.c.ended.is_(False))).scalars())
            taken = Counter({(r.game_id, r.role): r.n for r in conn.execute(
                select(db.seats.c.game_id, db.seats.c.role, func.count().label("n"))
                .where(db.seats.c.game_id.in_(open_games), db.seats.c.freed.is_(False))
                .group_by(db.seats.c.game_id, db.seats.c.role))})
        groups = [g for g in info.groups if g.game_id in open_games]
        if not groups:
            raise ClassroomError("every group of this class is locked or over: ask your "
                                 "teacher")
        size = {g.game_id: sum(taken[(g.game_id, r)] for r in info.humans) for g in groups}
        game_id = min(groups, key=lambda g: (size[g.game_id], g.number)).game_id
        if info.group_size is not None and size[game_id] >= info.group_size:
            game_id = self._open_group(info.id, len(info.groups) + 1,
                                       json.loads(self._session_row(info.id).settings))
            self._notify(info.groups[0].game_id)  # the overview lists the groups of group 1
        role = min(info.humans, key=lambda r: (taken[(game_id, r)], info.humans.index(r)))
        return game_id, role

    # -- reading -----------------------------------------------------------------------------
    def sessions(self) -> list[SessionRef]:
        """Every session in the database, newest first."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(db.class_sessions.c.id, db.class_sessions.c.code)
                                .order_by(db.class_sessions.c.id.desc())).all()
        return [SessionRef(r.id, r.code) for r in rows]

    def find_session(self, code: str, client: Client = UNKNOWN) -> SessionRef:
        """:meth:`session_by_code` for a visitor: a session's code is a join code, so each
        look-up counts against ``client``'s join limits (docs/security.md).

        Raises:
            RateLimited: too many look-ups and joins from ``client``'s browser or address.
            ClassroomError: no such session.
        """
        self.join_limits.take(client)
        return self.session_by_code(code)

    def session_by_code(self, code: str) -> SessionRef:
        """The session whose code is ``code`` (case and spaces ignored).

        Raises:
            ClassroomError: no such session.
        """
        code = (code or "").strip().upper()
        with self.engine.begin() as conn:
            sid = conn.execute(select(db.class_sessions.c.id)
                               .where(db.class_sessions.c.code == code)).scalar()
        if sid is None:
            raise ClassroomError(f"no class session with code {code!r}")
        return SessionRef(int(sid), code)

    def session_info(self, session_id: int) -> SessionInfo:
        """The session's name, groups (in order) and settings."""
        row = self._session_row(session_id)
        settings = json.loads(row.settings)
        with self.engine.begin() as conn:
            groups = conn.execute(
                select(db.session_groups.c.number, db.games.c.id, db.games.c.code,
                       db.games.c.seed)
                .join(db.games, db.games.c.id == db.session_groups.c.game_id)
                .where(db.session_groups.c.session_id == session_id)
                .order_by(db.session_groups.c.number)).all()
        return SessionInfo(row.id, row.code, row.name,
                           tuple(Group(g.number, g.id, g.code, g.seed) for g in groups),
                           settings["group_size"], tuple(settings["humans"]))

    def session_of(self, game_id: int) -> tuple[int, int] | None:
        """(session id, group number) of a game, or None for a game on its own."""
        with self.engine.begin() as conn:
            row = conn.execute(select(db.session_groups).where(
                db.session_groups.c.game_id == game_id)).first()
        return None if row is None else (row.session_id, row.number)

    def group_views(self, session_id: int) -> list[tuple[Group, View]]:
        """Every group with its game's :class:`~sim.classroom.View`, in order."""
        return [(g, self.view(g.game_id)) for g in self.session_info(session_id).groups]

    def export_session(self, session_id: int, path: str | Path) -> Path:
        """The session's ZIP (:func:`sim.classroom.compare.write_session_zip`): the groups
        side by side, the totals, each participant, and every group's own game ZIP."""
        from sim.classroom.compare import write_session_zip

        info = self.session_info(session_id)
        views = [self.view(g.game_id) for g in info.groups]
        with tempfile.TemporaryDirectory() as tmp:
            games = {g.number: self.export(g.game_id, Path(tmp) / f"{g.number}.zip")
                     .read_bytes() for g in info.groups}
            lives = [self.live(g.game_id) for g in info.groups]
            locks = [self.game_lock(g.game_id) for g in info.groups]
            return write_session_zip(info, views, lives, locks, games, Path(path))

    def _session_row(self, session_id: int) -> Any:
        with self.engine.begin() as conn:
            row = conn.execute(select(db.class_sessions)
                               .where(db.class_sessions.c.id == session_id)).first()
        if row is None:
            raise ClassroomError(f"no class session {session_id}")
        return row


def _seed(settings: dict[str, Any], number: int) -> int | None:
    """Group ``number``'s seed (None: the scenario's)."""
    seeds = settings["seeds"]
    return seeds[(number - 1) % len(seeds)] if seeds else settings["seed"]


def _insert_session(conn: Any, name: str, settings: dict[str, Any]) -> int:
    """Insert a session with a fresh code (unused by any game or session); return its id."""
    from sim.classroom.limits import CODE_ALPHABET, CODE_LENGTH

    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        used = conn.execute(select(db.games.c.id).where(db.games.c.code == code)).first() or \
            conn.execute(select(db.class_sessions.c.id)
                         .where(db.class_sessions.c.code == code)).first()
        if used is None:
            break
    key = conn.execute(insert(db.class_sessions).values(
        code=code, name=name, settings=json.dumps(settings),
        created_at=time.time())).inserted_primary_key
    assert key is not None  # an INSERT always returns its key
    return int(key[0])
