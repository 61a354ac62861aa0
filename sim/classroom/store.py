"""The classroom's game store: the database, the in-memory cache of live games, the log.

:class:`GameStore` is the base of :class:`~sim.classroom.service.Classroom` and of its
mixins (:mod:`~sim.classroom.tokens`, :mod:`~sim.classroom.timers`,
:mod:`~sim.classroom.views`): it opens the database, replays a game's log into a cached
:class:`~sim.classroom.replay.LiveGame` (behind a per-game lock) the first time the game is
asked for, appends to the log in one transaction each time, and tells the listeners (the
pages' hub) about every change.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from sim.classroom import db
from sim.classroom.replay import LiveGame, Move, fold
from sim.scenario import Scenario, load_scenario

log = logging.getLogger(__name__)


class ClassroomError(Exception):
    """A classroom call was refused; the message says why (shown to the user as is)."""


class NotAllowed(ClassroomError):
    """A token that is not valid for this action (forged, freed, another team's)."""


class RateLimited(ClassroomError):
    """Too many join attempts from one client."""


@dataclass(frozen=True)
class GameRef:
    """A created game: its id and the join code students type."""

    id: int
    code: str


@dataclass
class CachedGame:
    """A game in memory: its models, this turn's pending moves and lock-ins, its settings,
    whether it has left its lobby, and the lock that guards them."""

    live: LiveGame
    pending: list[Move]
    locked: set[str]
    settings: dict[str, Any]
    started: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)


class GameStore:
    """Games stored in one database (any SQLAlchemy URL; SQLite file by default): the state
    that :class:`~sim.classroom.Classroom` and its mixins share.

    Args:
        url: e.g. ``sqlite:///chokepoint-classroom.db`` (the default) or
            ``postgresql://user@host/db``.
    """

    def __init__(self, url: str | None = None):
        self.url = url or db.DEFAULT_URL
        self.engine = db.open_engine(self.url)
        self._games: dict[int, CachedGame] = {}
        self._games_lock = threading.Lock()
        self._listeners: dict[int, list[Callable[[], None]]] = defaultdict(list)
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def close(self) -> None:
        """Stop the timer thread and release database connections."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.engine.dispose()

    # -- games -----------------------------------------------------------------------------
    def games(self) -> list[GameRef]:
        """Every game in the database, newest first."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(db.games.c.id, db.games.c.code)
                                .order_by(db.games.c.id.desc())).all()
        return [GameRef(r.id, r.code) for r in rows]

    def game_by_code(self, code: str) -> GameRef:
        code = (code or "").strip().upper()
        with self.engine.begin() as conn:
            row = conn.execute(select(db.games.c.id).where(db.games.c.code == code)).first()
        if row is None:
            raise ClassroomError(f"no game with code {code!r}")
        return GameRef(row.id, code)

    def scenario(self, game_id: int) -> Scenario:
        """The game's scenario, from the text stored with it."""
        return self._cached(game_id).live.scenario

    def live(self, game_id: int) -> LiveGame:
        """The game's models (read them under :meth:`game_lock`)."""
        return self._cached(game_id).live

    def game_lock(self, game_id: int) -> threading.RLock:
        return self._cached(game_id).lock

    def settings(self, game_id: int) -> dict[str, Any]:
        return dict(self._cached(game_id).settings)

    def log_rows(self, game_id: int) -> list[Any]:
        """The game's whole log, oldest first."""
        with self.engine.begin() as conn:
            return list(conn.execute(select(db.log).where(db.log.c.game_id == game_id)
                                     .order_by(db.log.c.seq)).all())

    # -- listeners (the pages' hub subscribes here) --------------------------------------------
    def subscribe(self, game_id: int, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every change of the game; returns the unsubscriber."""
        self._listeners[game_id].append(callback)

        def unsubscribe() -> None:
            try:
                self._listeners[game_id].remove(callback)
            except ValueError:
                pass
        return unsubscribe

    def listeners(self, game_id: int) -> int:
        return len(self._listeners[game_id])

    def _notify(self, game_id: int) -> None:
        for cb in list(self._listeners[game_id]):
            try:
                cb()
            except Exception:  # a closed page must not stop the game
                log.exception("classroom listener of game %s failed", game_id)

    # -- internals ---------------------------------------------------------------------------
    def _cached(self, game_id: int) -> CachedGame:
        with self._games_lock:
            cached = self._games.get(game_id)
            if cached is not None:
                return cached
            with self.engine.begin() as conn:
                g = conn.execute(select(db.games).where(db.games.c.id == game_id)).first()
            if g is None:
                raise ClassroomError(f"no game {game_id}")
            settings = json.loads(g.settings)
            # a difficulty's strategies for the governments no team plays (settings)
            spec = load_scenario(f"game-{g.code}.yaml", settings.get("overrides") or None,
                                 text=g.scenario_text)
            folded = fold(self.log_rows(game_id))
            live = LiveGame.replay(spec, g.seed, tuple(settings["humans"]), folded.turns)
            # a game opened in its lobby starts with the teacher's "start" (games of older
            # databases, and games made without a lobby, start when created)
            started = folded.started or not settings.get("lobby", False)
            cached = self._games[game_id] = CachedGame(live, folded.pending, folded.locked,
                                                       settings, started)
            return cached

    def _append(self, game_id: int, kind: str, turn: int, *, role: str | None = None,
                move: str | None = None, target: str | None = None,
                params: dict[str, Any] | None = None, made_by: str = "human",
                seat_id: int | None = None) -> int:
        return self._append_many(game_id, [dict(kind=kind, turn=turn, role=role, move=move,
                                                target=target, params=json.dumps(params or {}),
                                                made_by=made_by, seat_id=seat_id)])[0]

    def _append_many(self, game_id: int, rows: list[dict[str, Any]],
                     deadline: bool = False) -> list[int]:
        """Append rows to the log in one transaction (and re-arm the timer on a turn change)."""
        now = time.time()
        seqs = []
        with self.engine.begin() as conn:
            for r in rows:
                values = {"params": "{}", "made_by": "human", **r, "game_id": game_id, "at": now}
                key = conn.execute(insert(db.log).values(**values)).inserted_primary_key
                assert key is not None  # an INSERT always returns its key
                seqs.append(int(key[0]))
            if deadline:
                secs = self._cached_settings(conn, game_id).get("turn_seconds")
                conn.execute(update(db.games).where(db.games.c.id == game_id).values(
                    deadline=now + secs if secs else None, paused_left=None))
        return seqs

    @staticmethod
    def _cached_settings(conn: Any, game_id: int) -> dict[str, Any]:
        return json.loads(conn.execute(select(db.games.c.settings)
                                       .where(db.games.c.id == game_id)).scalar_one())

