"""The classroom service: games, seats, moves, turns, timers (no web code).

Pages, scripts and tests use the same calls::

    room = Classroom("sqlite:///class.db")
    game = room.create_game("scenarios/classroom/chip_race.yaml", seed=1, humans=["US", "CN"])
    seat = room.join(game.code, "US", nickname="team a")
    room.submit(seat, "entity_list", "Hikvision", license_rate=0.2)
    room.lock(seat)
    room.resolve(game.id)

Every change is one database transaction, validated before it is written; the game's state is
the replay of its log (:mod:`sim.classroom.replay`), cached in memory per game behind a
per-game lock and rebuilt by replay after a restart. Tokens come from :mod:`secrets`, are stored
as SHA-256 hashes and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from sim.classroom import db
from sim.classroom.replay import LiveGame, Move, fold
from sim.engine.metrics import COUNTRY, FIRM
from sim.errors import MoveError
from sim.scenario import Scenario, load_scenario
from sim.scenario.load import source_hash

log = logging.getLogger(__name__)
ADVANCE = ("all", "timer", "teacher")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
JOIN_LIMIT = 20          # join attempts per client per JOIN_WINDOW seconds
JOIN_WINDOW = 60.0


class ClassroomError(Exception):
    """A classroom call was refused; the message says why (shown to the user as is)."""


class NotAllowed(ClassroomError):
    """A token that is not valid for this action (forged, freed, another team's)."""


class RateLimited(ClassroomError):
    """Too many join attempts from one client."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class GameRef:
    """A created game: its id and the join code students type."""

    id: int
    code: str


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


@dataclass
class _Cached:
    live: LiveGame
    pending: list[Move]
    locked: set[str]
    settings: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock)


class Classroom:
    """Games stored in one database (any SQLAlchemy URL; SQLite file by default).

    Args:
        url: e.g. ``sqlite:///chokepoint-classroom.db`` (the default) or
            ``postgresql://user@host/db``.
    """

    def __init__(self, url: str | None = None):
        self.url = url or db.DEFAULT_URL
        self.engine = db.open_engine(self.url)
        self._games: dict[int, _Cached] = {}
        self._games_lock = threading.Lock()
        self._listeners: dict[int, list[Callable[[], None]]] = defaultdict(list)
        self._joins: dict[str, deque[float]] = defaultdict(deque)
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def close(self) -> None:
        """Stop the timer thread and release database connections."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.engine.dispose()

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

    # -- games -----------------------------------------------------------------------------
    def create_game(self, scenario: str | Path, *, seed: int | None = None,
                    humans: Iterable[str] = (), advance: str = "all",
                    turn_seconds: float | None = None, hide_ranks: bool = False,
                    source: str | None = None) -> GameRef:
        """Create a game from a scenario (YAML text or a path), stored as text with its hash.

        Args:
            scenario: YAML text or a path to a YAML file.
            seed: the game's seed (default: the scenario's).
            humans: roles students play; every other actor follows its strategy (a bot).
            advance: "all" (the turn resolves when every team has locked in), "timer" (when
                the timer runs out) or "teacher" (when the teacher resolves it).
            turn_seconds: the timer; with "all", a turn also resolves when it runs out.
            hide_ranks: hide the leaderboard's ranks on the projector.
            source: the name messages give the scenario when it is text (an uploaded
                file's name); a path names itself.

        Raises:
            ScenarioError: the scenario is invalid.
            ClassroomError: a bad setting.
        """
        text, name = _scenario_text(scenario)
        name = source or name
        spec = load_scenario(name, text=text)
        humans = tuple(dict.fromkeys(humans))
        unknown = [h for h in humans if h not in spec.roles]
        if unknown:
            raise ClassroomError(f"not a role of {spec.name!r}: {', '.join(unknown)} "
                                 f"(roles: {', '.join(spec.roles)})")
        if advance not in ADVANCE:
            raise ClassroomError(f"advance must be one of {', '.join(ADVANCE)}")
        if advance == "timer" and not turn_seconds:
            raise ClassroomError("advance='timer' needs turn_seconds")
        settings = {"humans": list(humans), "advance": advance, "turn_seconds": turn_seconds,
                    "hide_ranks": hide_ranks}
        now = time.time()
        with self.engine.begin() as conn:
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if conn.execute(select(db.games.c.id).where(db.games.c.code == code)).first() \
                        is None:
                    break
            key = conn.execute(insert(db.games).values(
                code=code, name=spec.name, scenario_text=text, scenario_hash=source_hash(text),
                seed=spec.seed if seed is None else int(seed), settings=json.dumps(settings),
                created_at=now, deadline=now + turn_seconds if turn_seconds else None,
                locked=False, ended=False, message="")).inserted_primary_key
            assert key is not None  # an INSERT always returns its key
            gid = key[0]
        return GameRef(int(gid), code)

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

    # -- moves -----------------------------------------------------------------------------
    def submit(self, seat: str, move: str, target: str | None = None, **params: Any) -> int:
        """A move for the seat's team in the current turn, checked by the engine at once.

        Returns:
            The move's sequence number in the log (its acknowledgement).

        Raises:
            NotAllowed: a forged or freed token.
            ClassroomError: the game is over or the team has locked its turn in.
            MoveError: a move the role may not make, a bad target or parameter.
        """
        game_id, role, seat_id = self.seat(seat)
        cached = self._cached(game_id)
        with cached.lock:
            self._check_open(cached, role)
            cached.live.check(role, move, target, params)
            seq = self._append(game_id, "move", cached.live.turn, role=role, move=move,
                               target=target, params=params, made_by="human", seat_id=seat_id)
            cached.pending.append(Move(seq, cached.live.turn, role, move, target,
                                       dict(params), "human"))
        self._notify(game_id)
        return seq

    def withdraw(self, seat: str) -> None:
        """Withdraw the team's moves of this turn (before it locks them in)."""
        game_id, role, seat_id = self.seat(seat)
        cached = self._cached(game_id)
        with cached.lock:
            self._check_open(cached, role)
            self._append(game_id, "withdraw", cached.live.turn, role=role, seat_id=seat_id)
            cached.pending = [m for m in cached.pending if m.role != role]
        self._notify(game_id)

    def lock(self, seat: str) -> None:
        """Lock the team's moves in; with advance="all", the last team's lock resolves."""
        game_id, role, seat_id = self.seat(seat)
        cached = self._cached(game_id)
        with cached.lock:
            self._check_open(cached, role)
            self._append(game_id, "lock", cached.live.turn, role=role, seat_id=seat_id)
            cached.locked.add(role)
            everyone = set(cached.settings["humans"]) <= cached.locked
            turn = cached.live.turn
        # resolve (and notify) without holding the game's lock: pages redraw in listeners'
        # threads and read the game under that lock
        if cached.settings["advance"] == "all" and everyone:
            self.resolve(game_id, turn=turn)
            return
        self._notify(game_id)

    def _check_open(self, cached: _Cached, role: str) -> None:
        if cached.live.finished:
            raise ClassroomError("the game is over")
        if role in cached.locked:
            raise ClassroomError(f"{role} has locked its moves in for this turn")

    # -- turns -----------------------------------------------------------------------------
    def resolve(self, game_id: int, turn: int | None = None) -> None:
        """The turn resolves: teams that did not lock in are played by their role's strategy
        (recorded as bot moves), then the engine steps one turn.

        Args:
            game_id: the game.
            turn: resolve only if this is still the current turn (two last lock-ins, or a
                timer and the teacher, at the same moment resolve it once).

        Raises:
            ClassroomError: the game is over.
        """
        cached = self._cached(game_id)
        with cached.lock:
            live = cached.live
            if turn is not None and turn != live.turn:
                return
            if live.finished:
                raise ClassroomError("the game is over")
            turn = live.turn
            bots: list[Move] = []
            rows: list[dict[str, Any]] = []
            for role in cached.settings["humans"]:
                if role in cached.locked or any(m.role == role for m in cached.pending):
                    continue
                for c in live.bot_moves(role):
                    rows.append(dict(kind="move", turn=turn, role=role, move=c.move,
                                     target=c.target, params=json.dumps(c.params),
                                     made_by="bot"))
            rows.append(dict(kind="resolve", turn=turn))
            seqs = self._append_many(game_id, rows, deadline=True)
            for seq, r in zip(seqs, rows[:-1], strict=False):
                bots.append(Move(seq, turn, r["role"], r["move"], r["target"],
                                 json.loads(r["params"]), "bot"))
            live.advance(cached.pending + bots)
            cached.pending, cached.locked = [], set()
        self._notify(game_id)

    def undo(self, game_id: int) -> None:
        """Withdraw the last resolved turn and its moves (appended to the log: nothing is
        deleted); the teams may submit again.

        Raises:
            ClassroomError: no turn to undo.
        """
        cached = self._cached(game_id)
        with cached.lock:
            if not cached.live.turns:
                raise ClassroomError("no resolved turn to undo")
            self._append_many(game_id, [dict(kind="undo", turn=cached.live.turn - 1)],
                              deadline=True)
            live = cached.live
            cached.live = LiveGame.replay(live.scenario, live.seed, live.humans,
                                          live.turns[:-1])
            cached.pending, cached.locked = [], set()
        self._notify(game_id)

    def inject(self, game_id: int, role: str, move: str, target: str | None = None,
               **params: Any) -> int:
        """The teacher makes a move (e.g. one of the scenario's events) for any actor; it
        takes effect when the turn resolves. Recorded as the teacher's."""
        cached = self._cached(game_id)
        with cached.lock:
            if cached.live.finished:
                raise ClassroomError("the game is over")
            from sim.rules.moves import MoveCall, check_move

            check_move(cached.live.model.world, MoveCall(role, move, target, dict(params)))
            if role not in cached.live.humans:
                raise MoveError(f"{role} is played by its strategy; inject moves for teams")
            seq = self._append(game_id, "move", cached.live.turn, role=role, move=move,
                               target=target, params=params, made_by="teacher")
            cached.pending.append(Move(seq, cached.live.turn, role, move, target,
                                       dict(params), "teacher"))
        self._notify(game_id)
        return seq

    # -- the room --------------------------------------------------------------------------
    def set_room(self, game_id: int, *, locked: bool | None = None,
                 message: str | None = None, ended: bool | None = None) -> None:
        """Lock or unlock the room, broadcast a message, end the game (the teacher)."""
        values: dict[str, Any] = {}
        if locked is not None:
            values["locked"] = locked
        if message is not None:
            values["message"] = message[:500]
        if ended is not None:
            values["ended"] = ended
            if ended:
                values["deadline"] = None
        with self.engine.begin() as conn:
            conn.execute(update(db.games).where(db.games.c.id == game_id).values(**values))
        self._notify(game_id)

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

    # -- reading -----------------------------------------------------------------------------
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

    def settings(self, game_id: int) -> dict[str, Any]:
        return dict(self._cached(game_id).settings)

    def log_rows(self, game_id: int) -> list[Any]:
        """The game's whole log, oldest first."""
        with self.engine.begin() as conn:
            return list(conn.execute(select(db.log).where(db.log.c.game_id == game_id)
                                     .order_by(db.log.c.seq)).all())

    def export(self, game_id: int, path: str | Path) -> Path:
        """The debrief ZIP (see :mod:`sim.classroom.export`)."""
        from sim.classroom.export import write_zip

        cached = self._cached(game_id)
        with cached.lock:
            return write_zip(self, game_id, Path(path))

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
    def _rate_limit(self, client: str) -> None:
        now = time.monotonic()
        q = self._joins[client]
        while q and q[0] < now - JOIN_WINDOW:
            q.popleft()
        if len(q) >= JOIN_LIMIT:
            raise RateLimited("too many join attempts: wait a minute")
        q.append(now)

    def _cached(self, game_id: int) -> _Cached:
        with self._games_lock:
            cached = self._games.get(game_id)
            if cached is not None:
                return cached
            with self.engine.begin() as conn:
                g = conn.execute(select(db.games).where(db.games.c.id == game_id)).first()
            if g is None:
                raise ClassroomError(f"no game {game_id}")
            settings = json.loads(g.settings)
            spec = load_scenario(f"game-{g.code}.yaml", text=g.scenario_text)
            folded = fold(self.log_rows(game_id))
            live = LiveGame.replay(spec, g.seed, tuple(settings["humans"]), folded.turns)
            cached = self._games[game_id] = _Cached(live, folded.pending, folded.locked,
                                                    settings)
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


def scores(live: LiveGame) -> dict[str, float]:
    """Each role's score against the same game with nobody moving: a government's mean score
    difference in points (×100), a firm's profit difference in % of the idle run's."""
    import numpy as np

    n = live.model.recorder.steps
    out: dict[str, float] = {}
    if n == 0:
        return {r: 0.0 for r in live.scenario.roles}
    for role in live.scenario.roles:
        kind = live.model.world.index[role][0]
        group, metric = ("country", "score") if kind == "country" else ("firm", "profit")
        readers = COUNTRY if group == "country" else FIRM
        i = list(readers).index(metric)
        j = live.model.recorder.entities[group].index(role)
        played = float(np.nansum(live.model.recorder.data[group][:n, i, j]))
        idle = float(np.nansum(live.idle.recorder.data[group][:n, i, j]))
        if group == "country":
            out[role] = round(100 * (played - idle) / n, 2)
        else:
            out[role] = round(100 * (played - idle) / max(abs(idle), 1e-9), 2)
    return out


def _scenario_text(scenario: str | Path) -> tuple[str, str]:
    """(YAML text, a name for messages) of a path or a text."""
    if isinstance(scenario, Path) or ("\n" not in scenario and scenario.endswith(
            (".yaml", ".yml"))):
        p = Path(scenario)
        return p.read_text(encoding="utf-8"), str(p)
    return scenario, "<uploaded scenario>"


__all__ = ["Classroom", "ClassroomError", "GameRef", "NotAllowed", "RateLimited", "View"]
