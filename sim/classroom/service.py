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
per-game lock and rebuilt by replay after a restart (:mod:`sim.classroom.store`). Tokens come
from :mod:`secrets`, are stored as SHA-256 hashes and compared in constant time
(:mod:`sim.classroom.tokens`). :class:`Classroom` makes and resolves the moves and turns here;
its mixins add the seats and tokens, the timers (:mod:`sim.classroom.timers`) and what pages
read (:mod:`sim.classroom.views`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from sim.classroom import db
from sim.classroom.groups import Groups
from sim.classroom.limits import CODE_ALPHABET, CODE_LENGTH, Client
from sim.classroom.replay import LiveGame, Move
from sim.classroom.store import CachedGame, ClassroomError, GameRef, NotAllowed, RateLimited
from sim.classroom.timers import Timers
from sim.classroom.tokens import FoundGame, Tokens, hash_token
from sim.classroom.views import SeatInfo, View, Views, scores
from sim.errors import MoveError
from sim.play.difficulty import resolve
from sim.scenario import load_scenario
from sim.scenario.load import source_hash

ADVANCE = ("all", "timer", "teacher")


class Classroom(Tokens, Timers, Views, Groups):
    """Games stored in one database (any SQLAlchemy URL; SQLite file by default).

    Args:
        url: e.g. ``sqlite:///chokepoint-classroom.db`` (the default) or
            ``postgresql://user@host/db``.
        clock: the join limits' clock (monotonic seconds; tests pass a fake one).
    """

    # -- games -----------------------------------------------------------------------------
    def create_game(self, scenario: str | Path, *, seed: int | None = None,
                    humans: Iterable[str] = (), advance: str = "all",
                    turn_seconds: float | None = None, hide_ranks: bool = False,
                    source: str | None = None, lobby: bool = False,
                    difficulty: str = "medium") -> GameRef:
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
            lobby: open the game in its lobby (the teacher's page does): students join and
                see who else has, but nothing is played and no timer runs until
                :meth:`start`; without it the game starts at once (scripts, tests).
            difficulty: how the governments no team plays answer: "easy", "medium" or
                "hard" (:mod:`sim.play.difficulty`; hard needs the scenario's hard file
                and otherwise plays medium). Its strategies are stored with the settings.

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
        try:
            chosen = resolve(difficulty, spec, humans, None if source else name)
        except ValueError as exc:
            raise ClassroomError(str(exc)) from None
        settings = {"humans": list(humans), "advance": advance, "turn_seconds": turn_seconds,
                    "hide_ranks": hide_ranks, "lobby": lobby, "difficulty": chosen.level,
                    "difficulty_note": chosen.note, "overrides": chosen.overrides}
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
                created_at=now,
                deadline=now + turn_seconds if turn_seconds and not lobby else None,
                locked=False, ended=False, message="")).inserted_primary_key
            assert key is not None  # an INSERT always returns its key
            gid = key[0]
        return GameRef(int(gid), code)

    def start(self, game_id: int) -> None:
        """The teacher starts a game waiting in its lobby: turn 1 begins, and its timer with
        it (a game already started is left as it is)."""
        cached = self._cached(game_id)
        with cached.lock:
            if cached.started:
                return
            self._append_many(game_id, [dict(kind="start", turn=cached.live.turn)],
                              deadline=True)
            cached.started = True
        self._notify(game_id)

    # -- moves -----------------------------------------------------------------------------
    def submit(self, seat: str, move: str, target: str | None = None, **params: Any) -> int:
        """A move for the seat's team in the current turn, checked by the engine at once.

        Returns:
            The move's sequence number in the log (its acknowledgement).

        Raises:
            NotAllowed: a forged or freed token.
            ClassroomError: the game is over or the team has locked its turn in.
            MoveError: a move the role may not make, a bad target or parameter, one the
                game's state refuses, or one that clashes with the team's pending moves of
                this turn (the engine would refuse it when the turn resolves).
        """
        game_id, role, seat_id = self.seat(seat)
        cached = self._cached(game_id)
        with cached.lock:
            self._check_open(cached, role)
            cached.live.check(role, move, target, params,
                              earlier=[m for m in cached.pending if m.role == role])
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
            everyone = self._everyone_locked(game_id, cached)
            turn = cached.live.turn
        # resolve (and notify) without holding the game's lock: pages redraw in listeners'
        # threads and read the game under that lock
        if everyone:
            self.resolve(game_id, turn=turn)
            return
        self._notify(game_id)

    def _seat_left(self, game_id: int, role: str | None) -> None:
        """A seat of ``role``'s team was freed or moved to another team (the teacher).

        A team left with no student before it locked in is its bot's, as a team nobody sits
        in (docs/classroom/README.md, "Bots"): the moves it had not locked in are withdrawn
        (the log says so), and when every team still seated has locked in, the turn resolves
        now, its bot playing that team, instead of waiting for the timer.
        """
        cached = self._cached(game_id)
        with cached.lock:
            live = cached.live
            if cached.started and not live.finished and role not in self.seated(game_id) \
                    and role not in cached.locked \
                    and any(m.role == role for m in cached.pending):
                self._append(game_id, "withdraw", live.turn, role=role, made_by="teacher")
                cached.pending = [m for m in cached.pending if m.role != role]
            everyone = cached.started and not live.finished and \
                self._everyone_locked(game_id, cached)
            turn = live.turn
        if everyone:  # resolved outside the game's lock, as in :meth:`lock`
            self.resolve(game_id, turn=turn)
            return
        self._notify(game_id)

    def _everyone_locked(self, game_id: int, cached: CachedGame) -> bool:
        """With advance "all": every team with a student has locked in, and there is one (a
        team nobody sits in is its bot's: the turn does not wait for it)."""
        seated = self.seated(game_id)
        return cached.settings["advance"] == "all" and bool(seated) and seated <= cached.locked

    def _check_open(self, cached: CachedGame, role: str) -> None:
        if not cached.started:
            raise ClassroomError("the game has not started yet: wait for your teacher")
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
            if not cached.started:
                raise ClassroomError("the game is still in its lobby: press Start first")
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

    # -- reading (and :mod:`sim.classroom.views`) -------------------------------------------
    def export(self, game_id: int, path: str | Path) -> Path:
        """The debrief ZIP (see :mod:`sim.classroom.export`)."""
        from sim.classroom.export import write_zip

        cached = self._cached(game_id)
        with self.engine.begin() as conn:
            seat_rows = list(conn.execute(select(db.seats).where(db.seats.c.game_id == game_id)
                                          .order_by(db.seats.c.id)).all())
        with cached.lock:
            return write_zip(cached.live, self.view(game_id).code, Path(path),
                             self.log_rows(game_id), seat_rows)


def _scenario_text(scenario: str | Path) -> tuple[str, str]:
    """(YAML text, a name for messages) of a path or a text."""
    if isinstance(scenario, Path) or ("\n" not in scenario and scenario.endswith(
            (".yaml", ".yml"))):
        p = Path(scenario)
        return p.read_text(encoding="utf-8"), str(p)
    return scenario, "<uploaded scenario>"


# the names that lived here before the split stay importable from here
__all__ = ["Classroom", "ClassroomError", "Client", "FoundGame", "GameRef", "NotAllowed",
           "RateLimited", "SeatInfo", "View", "hash_token", "scores"]
