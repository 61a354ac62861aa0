"""Tokens and seats: teacher tokens, joining a team, seat tokens, the join rate limit.

Tokens come from :mod:`secrets`, are stored as SHA-256 hashes (never in clear) and compared
in constant time; join attempts are limited per client (``JOIN_LIMIT`` per ``JOIN_WINDOW``
seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy import insert, select, update

from sim.classroom import db
from sim.classroom.store import ClassroomError, GameStore, NotAllowed, RateLimited

JOIN_LIMIT = 20          # join attempts per client per JOIN_WINDOW seconds
JOIN_WINDOW = 60.0


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a token: what the database keeps of it."""
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens(GameStore):
    """The teacher's and the seats' tokens (a mixin of :class:`~sim.classroom.Classroom`)."""

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
    def join(self, code: str, role: str, nickname: str = "", client: str = "") -> str:
        """Take a seat in ``role``'s team (several students may share a team).

        Returns:
            The seat token: keep it (in the URL or a cookie) to act for the team.

        Raises:
            RateLimited: too many attempts from ``client``.
            ClassroomError: no such game, the room is locked, or not a team of this game.
        """
        self._rate_limit(client)
        ref = self.game_by_code(code)
        cached = self._cached(ref.id)
        nickname = " ".join((nickname or "").split())[:40]
        with self.engine.begin() as conn:
            game = conn.execute(select(db.games).where(db.games.c.id == ref.id)).one()
            if game.locked:
                raise ClassroomError("the room is locked: ask your teacher")
            if role not in cached.settings["humans"]:
                raise ClassroomError(f"{role!r} is not a team of this game "
                                     f"(teams: {', '.join(cached.settings['humans'])})")
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
            conn.execute(update(db.seats).where(db.seats.c.id == seat_id,
                                                db.seats.c.game_id == game_id)
                         .values(freed=True))
        self._notify(game_id)

    def reassign_seat(self, game_id: int, seat_id: int, role: str) -> None:
        """Move a seat to another team (the teacher)."""
        if role not in self._cached(game_id).settings["humans"]:
            raise ClassroomError(f"{role!r} is not a team of this game")
        with self.engine.begin() as conn:
            conn.execute(update(db.seats).where(db.seats.c.id == seat_id,
                                                db.seats.c.game_id == game_id)
                         .values(role=role))
        self._notify(game_id)

    # -- internals ---------------------------------------------------------------------------
    def _rate_limit(self, client: str) -> None:
        """Count a join attempt from ``client``; raise RateLimited past the limit."""
        now = time.monotonic()
        q = self._joins[client]
        while q and q[0] < now - JOIN_WINDOW:
            q.popleft()
        if len(q) >= JOIN_LIMIT:
            raise RateLimited("too many join attempts: wait a minute")
        q.append(now)
