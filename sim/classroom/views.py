"""What pages read of a game: the :class:`View` and the scores.

A team sees only its own pending moves; every score is measured against the same game with
nobody moving (:func:`scores`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from sim.classroom import db
from sim.classroom.replay import LiveGame, Move
from sim.classroom.store import GameStore
from sim.play.scoring import score


@dataclass(frozen=True)
class SeatInfo:
    """A seat as the teacher's seat map shows it (never its token)."""

    id: int
    role: str
    nickname: str
    freed: bool


@dataclass(frozen=True)
class View:
    """What any page of a game shows (teams see only their own pending moves: ``pending`` is
    filled for the asking role alone)."""

    id: int
    code: str
    name: str
    step: int
    turn: int
    turns: int
    finished: bool
    scores: dict[str, float]
    humans: tuple[str, ...]
    roles: tuple[str, ...]
    locked_in: frozenset[str]
    moved: frozenset[str]
    advance: str
    deadline: float | None
    paused_left: float | None
    room_locked: bool
    ended: bool
    message: str
    seats: tuple[SeatInfo, ...]
    news: tuple[tuple[int, str], ...]
    pending: tuple[Move, ...] = ()
    history: tuple[Move, ...] = field(default=())


class Views(GameStore):
    """Reading a game (a mixin of :class:`~sim.classroom.Classroom`)."""

    def view(self, game_id: int, role: str | None = None) -> View:
        """The game as pages show it; ``role``: whose pending moves to include."""
        cached = self._cached(game_id)
        with self.engine.begin() as conn:
            g = conn.execute(select(db.games).where(db.games.c.id == game_id)).one()
            seat_rows = conn.execute(select(db.seats).where(db.seats.c.game_id == game_id)
                                     .order_by(db.seats.c.id)).all()
        with cached.lock:
            live = cached.live
            history = tuple(m for t in live.turns for m in t)
            return View(
                id=game_id, code=g.code, name=g.name, step=live.step, turn=live.turn,
                turns=live.total_turns, finished=live.finished or g.ended,
                scores=scores(live), humans=live.humans,
                roles=tuple(live.scenario.roles), locked_in=frozenset(cached.locked),
                moved=frozenset(m.role for m in cached.pending),
                advance=cached.settings["advance"], deadline=g.deadline,
                paused_left=g.paused_left, room_locked=bool(g.locked), ended=bool(g.ended),
                message=g.message or "",
                seats=tuple(SeatInfo(s.id, s.role, s.nickname, bool(s.freed))
                            for s in seat_rows),
                news=tuple(live.model.news),
                pending=tuple(m for m in cached.pending if role is not None and m.role == role),
                history=history)

    def pending(self, game_id: int, role: str) -> tuple[Move, ...]:
        """The moves ``role``'s team has made this turn (what :meth:`view` puts in
        ``pending`` for that role, without reading the database)."""
        cached = self._cached(game_id)
        with cached.lock:
            return tuple(m for m in cached.pending if m.role == role)


def scores(live: LiveGame) -> dict[str, float]:
    """Each role's score against the same game with nobody moving
    (:func:`sim.play.scoring.score`: a government's points, a firm's % of the idle run's
    profit)."""
    return {role: score(live.model, live.idle, live.scenario, role)
            for role in live.scenario.roles}
