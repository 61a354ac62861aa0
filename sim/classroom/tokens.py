"""Tokens and seats: teacher tokens, finding a game by its join code, joining a team, seat
tokens.

Tokens come from :mod:`secrets`, are stored as SHA-256 hashes (never in clear) and compared
in constant time. Look-ups of a join code and join attempts are limited per client (address and
browser, :mod:`sim.classroom.limits`), and a wrong code, an ended game and a locked room get
the same answer by the same path: the same queries, every open game's code compared in
constant time (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from sim.classroom import db
from sim.classroom.limits import UNKNOWN, Client, JoinLimits, normal_code
from sim.classroom.store import ClassroomError, GameRef, GameStore, NotAllowed

# one answer for a wrong code, an ended game and a locked room
NO_GAME = "no open game with this code: check it with your teacher (the room may be locked)"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a token: what the database keeps of it."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class FoundGame:
    """A game found by its join code: its reference and its teams."""

    ref: GameRef
    teams: tuple[str, ...]


class Tokens(GameStore):
    """The teacher's and the seats' tokens (a mixin of :class:`~sim.classroom.Classroom`).

    Args:
        url: the database (see :class:`~sim.classroom.store.GameStore`).
        clock: the join limits' clock (monotonic seconds; tests pass a fake one).
    """

    if TYPE_CHECKING:
        def _seat_left(self, game_id: int, role: str | None) -> None:
            """A seat left ``role``'s team (:meth:`sim.classroom.Classroom._seat_left`)."""

    def __init__(self, url: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(url)
        self.join_limits = JoinLimits(clock)

    # -- teacher ---------------------------------------------------------------------------
    def new_teacher_token(self) -> str:
        """A new secret token for the teacher's pages (printed in the teacher's URL)."""
        token = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(insert(db.teachers).values(token_hash=hash_token(token),
                                                    created_at=time.time()))
        return token

    def is_teacher(self, token: str | None) -> bool:
        """Whether ``token`` is a teacher token of this database (constant-time compare)."""
        if not token:
            return False
        wanted = hash_token(token)
        with self.engine.begin() as conn:
            hashes = conn.execute(select(db.teachers.c.token_hash)).scalars().all()
        return any(hmac.compare_digest(wanted, h) for h in hashes)

    # -- seats -----------------------------------------------------------------------------
    def find_game(self, code: str, client: Client = UNKNOWN, *,
                  closed: bool = False) -> FoundGame:
        """The open game of a join code and its teams (what the join form shows); with
        ``closed``, also an ended game or a locked room (what the projector and the debrief
        show).

        Raises:
            RateLimited: too many look-ups and joins from ``client``'s browser or address.
            ClassroomError: no open game has this code: the same answer for a wrong code, an
                ended game and a locked room (without ``closed``).
        """
        self.join_limits.take(client)
        return self._game_of_code(code, closed)

    def join(self, code: str, role: str, nickname: str = "", client: Client = UNKNOWN) -> str:
        """Take a seat in ``role``'s team (several students may share a team).

        Returns:
            The seat token: keep it (in the URL or a cookie) to act for the team.

        Raises:
            RateLimited: too many look-ups and joins from ``client``'s browser or address.
            ClassroomError: no open game has this code (as :meth:`find_game`), or ``role`` is
                not one of its teams.
        """
        self.join_limits.take(client)
        game = self._game_of_code(code, closed=False)
        ref = game.ref
        if role not in game.teams:
            raise ClassroomError(f"{role!r} is not a team of this game "
                                 f"(teams: {', '.join(game.teams)})")
        nickname = " ".join((nickname or "").split())[:40]
        with self.engine.begin() as conn:
            row = conn.execute(select(db.games.c.locked, db.games.c.ended)
                               .where(db.games.c.id == ref.id)).one()
            if row.locked or row.ended:  # closed since the look-up
                raise ClassroomError(NO_GAME)
            token = secrets.token_urlsafe(24)
            conn.execute(insert(db.seats).values(game_id=ref.id, role=role, nickname=nickname,
                                                 token_hash=hash_token(token),
                                                 created_at=time.time(), freed=False))
        self._notify(ref.id)
        return token

    def seat(self, token: str) -> tuple[int, str, int]:
        """(game id, role, seat id) of a seat token.

        Raises:
            NotAllowed: a forged or freed token.
        """
        if not token:
            raise NotAllowed("no seat token")
        wanted = hash_token(token)
        with self.engine.begin() as conn:
            row = conn.execute(select(db.seats).where(db.seats.c.token_hash == wanted)).first()
        if row is None or not hmac.compare_digest(row.token_hash, wanted) or row.freed:
            raise NotAllowed("this seat token is not valid (forged, or the seat was freed)")
        return row.game_id, row.role, row.id

    def free_seat(self, game_id: int, seat_id: int) -> None:
        """Free a seat (the teacher): its token stops working; the team may rejoin."""
        with self.engine.begin() as conn:
            role = conn.execute(select(db.seats.c.role).where(
                db.seats.c.id == seat_id, db.seats.c.game_id == game_id)).scalar_one_or_none()
            conn.execute(update(db.seats).where(db.seats.c.id == seat_id,
                                                db.seats.c.game_id == game_id)
                         .values(freed=True))
        self._seat_left(game_id, role)

    def reassign_seat(self, game_id: int, seat_id: int, role: str) -> None:
        """Move a seat to another team (the teacher)."""
        if role not in self._cached(game_id).settings["humans"]:
            raise ClassroomError(f"{role!r} is not a team of this game")
        with self.engine.begin() as conn:
            left = conn.execute(select(db.seats.c.role).where(
                db.seats.c.id == seat_id, db.seats.c.game_id == game_id)).scalar_one_or_none()
            conn.execute(update(db.seats).where(db.seats.c.id == seat_id,
                                                db.seats.c.game_id == game_id)
                         .values(role=role))
        self._seat_left(game_id, left)

    # -- internals ---------------------------------------------------------------------------
    def _game_of_code(self, code: str, closed: bool) -> FoundGame:
        """The open (or any, with ``closed``) game whose code is ``code``, found without
        telling by the time taken whether, or where, it failed: one query for every such game
        (the code is not in it), and every code compared in constant time."""
        wanted = normal_code(code).encode()
        query = select(db.games.c.id, db.games.c.code, db.games.c.settings)
        if not closed:
            query = query.where(~db.games.c.ended, ~db.games.c.locked)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
        found = None
        for row in rows:  # no early exit
            if hmac.compare_digest(row.code.encode(), wanted):
                found = row
        if found is None:
            raise ClassroomError(NO_GAME)
        return FoundGame(GameRef(found.id, found.code),
                        tuple(json.loads(found.settings)["humans"]))
