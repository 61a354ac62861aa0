"""A game's state as the replay of its log: the played model and the "nobody moved" model.

The log is folded into resolved turns (each a list of moves) and the current turn's pending
moves; the played model is rebuilt by submitting each turn's moves and stepping the turn, so
replaying the same log always gives the same state, byte for byte. Bots (roles nobody plays)
are the engine's own strategies; a human team that times out is played by its role's strategy
through :meth:`LiveGame.bot_moves`, which leaves the model's random generators untouched so
that a replay (which only re-submits the recorded moves) stays identical.

Each human team's strategy is one object for the whole game, so a strategy with a memory (tit
for tat remembers which hostile moves it has answered) keeps it from turn to turn. It watches
every turn, also those its team plays (it is asked at every turn's end, before the turn's moves
go in, and its proposals are used only when the team made no move), so its memory depends on
the log alone: a replay asks it at the same points and rebuilds the same memory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from sim.engine.model import TradeModel
from sim.errors import MoveError
from sim.play import roles
from sim.play.session import OBSERVE, Game, Live, no_policy
from sim.rules.moves import MoveCall, feasibility
from sim.rules.strategies import Strategy
from sim.scenario import Scenario


@dataclass(frozen=True)
class Move:
    """One move in the log: who made it, when, and whether a human or a bot did."""

    seq: int
    turn: int
    role: str
    move: str
    target: str | None
    params: dict[str, Any]
    made_by: str  # "human", "bot" or "teacher"

    def call(self) -> MoveCall:
        return MoveCall(self.role, self.move, self.target, dict(self.params), source="player")

    def text(self) -> str:
        """The move as a team reads it: "qualify HiSilicon {'lag': 8}"."""
        return self.call().text()


@dataclass
class Folded:
    """The log folded: resolved turns' moves, the current turn's pending moves and locks, and
    whether the teacher has started the game (a game opens in its lobby)."""

    turns: list[list[Move]] = field(default_factory=list)
    pending: list[Move] = field(default_factory=list)
    locked: set[str] = field(default_factory=set)
    started: bool = False


def fold(rows: list[Any]) -> Folded:
    """Fold log rows (ordered by ``seq``) into turns; an undo withdraws the last turn."""
    out = Folded()
    for r in rows:
        if r.kind == "start":
            out.started = True
        elif r.kind == "move":
            out.pending.append(Move(r.seq, r.turn, r.role, r.move, r.target,
                                    json.loads(r.params), r.made_by))
        elif r.kind == "withdraw":
            out.pending = [m for m in out.pending if m.role != r.role]
            out.locked.discard(r.role)
        elif r.kind == "lock":
            out.locked.add(r.role)
        elif r.kind == "resolve":
            out.turns.append(out.pending)
            out.pending, out.locked = [], set()
        elif r.kind == "undo":
            if out.turns:
                out.turns.pop()
            out.pending, out.locked = [], set()
    return out


class LiveGame:
    """The models of one game, rebuilt from its folded log; advanced turn by turn."""

    def __init__(self, scenario: Scenario, seed: int, humans: tuple[str, ...]):
        self.scenario, self.seed, self.humans = scenario, seed, humans
        self.model = TradeModel(scenario=scenario, rng=seed, players=humans)
        self.idle = TradeModel(scenario=scenario, rng=seed, players=humans)  # nobody moved
        self.turns: list[list[Move]] = []
        self._strategies: dict[str, Strategy] = {}  # each team's strategy, for the whole game
        self._baseline: TradeModel | None = None
        self._baseline_lock = threading.Lock()
        self._proposed: tuple[int, dict[str, list[MoveCall]]] | None = None  # (turn, calls)

    @classmethod
    def replay(cls, scenario: Scenario, seed: int, humans: tuple[str, ...],
               turns: list[list[Move]]) -> LiveGame:
        game = cls(scenario, seed, humans)
        for moves in turns:
            game.advance(moves)
        return game

    @property
    def step(self) -> int:
        return self.model.step_index

    @property
    def finished(self) -> bool:
        return self.step >= self.model.horizon

    @property
    def turn(self) -> int:
        """The current turn, 1-based (one past the last when finished)."""
        return len(self.turns) + 1

    @property
    def total_turns(self) -> int:
        t = self.scenario.turn_steps
        return -(-self.model.horizon // t)

    def advance(self, moves: list[Move]) -> None:
        """Submit a turn's moves and step the turn (shorter at the horizon)."""
        self.proposals()  # the teams' strategies watch every turn (see the module docstring)
        for m in moves:
            self.model.submit(m.call())
        n = min(self.scenario.turn_steps, self.model.horizon - self.step)
        for _ in range(n):
            self.model.step()
            self.idle.step()
        self.turns.append(list(moves))

    def check(self, role: str, move: str, target: str | None, params: dict[str, Any],
              earlier: list[Move] | tuple[Move, ...] = ()) -> None:
        """Refuse a move the role may not make, a bad target or parameter, or one the game's
        current state refuses (delisting a firm that is not listed, subsidizing a foreign
        supplier): the checks of :meth:`TradeModel.submit` and of the move's ``feasible``,
        without queuing it, so a refused move never enters the log.

        Args:
            earlier: the team's moves already pending this turn. The engine makes a turn's
                moves one after another, each checked against the state the ones before it
                left (:meth:`TradeModel.make_move`), so the move is checked after them: one
                that clashes with them (qualifying a supplier already being qualified, more
                moves than the role's ``moves_per_turn``) is refused now, naming the clash.

        Raises:
            MoveError: with the reason.
        """
        call = MoveCall(role, move, target, dict(params), source="player")
        reason = roles.refusal(self.scenario, role, move)
        if reason is None:  # the rules the engine applies when the turn resolves
            reason = feasibility(self.model, call)
        if reason is None and earlier:
            reason = self.model.clash(call, [m.call() for m in earlier])
        if reason is not None:
            raise MoveError(reason)

    def bot_moves(self, role: str) -> list[MoveCall]:
        """What the role's own strategy would do now, for a team that did not move."""
        return list(self.proposals().get(role, ()))

    def proposals(self) -> dict[str, list[MoveCall]]:
        """What each human team's strategy proposes at the end of the current turn (asked once
        per turn, in the order of ``humans``; refused proposals dropped).

        The strategies may draw from the model's generators; their states are restored so the
        live model and its replay stay identical.
        """
        if self._proposed is not None and self._proposed[0] == self.turn:
            return self._proposed[1]
        out: dict[str, list[MoveCall]] = {}
        for role in self.humans:
            kind, index = self.model.world.index[role]
            rng_state = self.model.rng.bit_generator.state
            random_state = self.model.random.getstate()
            try:
                calls = self._strategy(role).decide(self.model, index)
            finally:
                self.model.rng.bit_generator.state = rng_state
                self.model.random.setstate(random_state)
            out[role] = []
            for c in calls:
                try:
                    self.check(role, c.move, c.target, c.params)
                except MoveError:
                    continue
                out[role].append(c)
        self._proposed = (self.turn, out)
        return out

    def _strategy(self, role: str) -> Strategy:
        strategy = self._strategies.get(role)
        if strategy is None:
            strategy = self._strategies[role] = roles.strategy_of(self.scenario, role)
        return strategy

    # -- the game as a play session --------------------------------------------------------
    def baseline(self) -> TradeModel:
        """The no-policy baseline (:func:`sim.play.session.no_policy`), stepped as far as the
        game; built on first use and kept with the game (a replay after undo builds anew)."""
        with self._baseline_lock:
            if self._baseline is None:
                self._baseline = no_policy(self.scenario, self.seed)
            while self._baseline.step_index < self.step:
                self._baseline.step()
            return self._baseline

    def models(self, role: str = OBSERVE, lock: Any = None) -> Live:
        """The models a :class:`~sim.play.session.Game` of this game reads as ``role``: the
        played model, "nobody moved" as the do-nothing reference (a team is scored against
        it; none for an observer), the no-policy baseline; ``lock`` guards them (the
        classroom's game lock)."""
        return Live(self.model, None if role == OBSERVE else self.idle, self.baseline(),
                    lock if lock is not None else threading.RLock())

    def session(self, role: str = OBSERVE, lock: Any = None) -> Game:
        """The game as a play session seen by ``role`` (its charts, news, score)."""
        return Game(self.scenario, role, self.seed, live=self.models(role, lock))
