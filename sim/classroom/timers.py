"""Turn timers: pause, resume and extend a turn's timer; resolve the turns that run out.

A game's deadline lives in the database (a paused timer keeps the seconds left), so a restarted
server re-arms the timers; :meth:`Timers.start_timers` checks them in a background thread.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from sim.classroom import db
from sim.classroom.store import ClassroomError, GameStore


class Timers(GameStore):
    """The turn timers (a mixin of :class:`~sim.classroom.Classroom`)."""

    if TYPE_CHECKING:
        def resolve(self, game_id: int, turn: int | None = None) -> None:
            """Resolve the turn (:meth:`sim.classroom.Classroom.resolve`)."""

    def pause(self, game_id: int) -> None:
        """Pause the timer (the seconds left are kept)."""
        with self.engine.begin() as conn:
            g = conn.execute(select(db.games).where(db.games.c.id == game_id)).one()
            if g.deadline is not None:
                conn.execute(update(db.games).where(db.games.c.id == game_id).values(
                    deadline=None, paused_left=max(0.0, g.deadline - time.time())))
        self._notify(game_id)

    def resume(self, game_id: int) -> None:
        with self.engine.begin() as conn:
            g = conn.execute(select(db.games).where(db.games.c.id == game_id)).one()
            if g.paused_left is not None:
                conn.execute(update(db.games).where(db.games.c.id == game_id).values(
                    deadline=time.time() + g.paused_left, paused_left=None))
        self._notify(game_id)

    def hold_timers(self, since: float) -> list[int]:
        """Pause every running timer with the time it had left at ``since`` (when the
        previous server was last alive): after a restart no turn runs out while the class
        reconnects; the teacher resumes each game (docs/classroom/README.md, "Restarting the
        server"). Returns the ids of the games held."""
        with self.engine.begin() as conn:
            running = conn.execute(select(db.games.c.id, db.games.c.deadline).where(
                db.games.c.deadline.is_not(None), db.games.c.ended.is_(False))).all()
            for gid, deadline in running:
                conn.execute(update(db.games).where(db.games.c.id == gid).values(
                    deadline=None, paused_left=max(0.0, deadline - since)))
        for gid, _ in running:
            self._notify(gid)
        return [gid for gid, _ in running]

    def extend(self, game_id: int, seconds: float) -> None:
        """Give the teams more time this turn."""
        with self.engine.begin() as conn:
            g = conn.execute(select(db.games).where(db.games.c.id == game_id)).one()
            if g.deadline is not None:
                values = {"deadline": g.deadline + seconds}
            else:
                values = {"paused_left": (g.paused_left or 0.0) + seconds}
            conn.execute(update(db.games).where(db.games.c.id == game_id).values(**values))
        self._notify(game_id)

    def tick(self, now: float | None = None) -> list[int]:
        """Resolve every game whose timer has run out; return their ids."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            due = conn.execute(select(db.games.c.id).where(
                db.games.c.deadline.is_not(None), db.games.c.deadline <= now,
                db.games.c.ended.is_(False))).scalars().all()
        done = []
        for gid in due:
            try:
                cached = self._cached(gid)
                with cached.lock:  # still due? (the teacher may have resolved it meanwhile)
                    with self.engine.begin() as conn:
                        deadline = conn.execute(select(db.games.c.deadline)
                                                .where(db.games.c.id == gid)).scalar_one()
                    turn = cached.live.turn
                if deadline is None or deadline > now:
                    continue
                self.resolve(gid, turn=turn)
                done.append(gid)
            except ClassroomError:
                with self.engine.begin() as conn:  # finished: no timer
                    conn.execute(update(db.games).where(db.games.c.id == gid)
                                 .values(deadline=None))
        return done

    def start_timers(self, interval: float = 0.25) -> None:
        """Resolve timed-out turns in a background thread (deadlines live in the database, so
        a restarted server re-arms them)."""
        if self._ticker is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - a timer must outlive one bad game
                    time.sleep(interval)

        self._ticker = threading.Thread(target=run, name="classroom-timers", daemon=True)
        self._ticker.start()
