"""What a move costs, what the player's position is, and the debrief at the end of a game.

Everything here is measured, not assumed: a move's cost is the difference between two copies
of the played model stepped one turn ahead, with and without the move (same seed, so the only
difference is the move); the decisions that mattered most are found by replaying the game from
the start without each of the player's moves in turn (same seed, the other moves as made).
Nothing here imports Solara.
"""

from __future__ import annotations

import copy
import threading
import weakref
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import MoveCall, MoveError, TradeModel
from sim.engine.metrics import COUNTRY, FIRM, GROUPS
from sim.engine.model import LoggedMove
from sim.engine.objectives import OBJECTIVES
from sim.play.session import OBSERVE, Game


def _series(model: TradeModel, group: str, metric: str, name: str, start: int) -> np.ndarray:
    rec = model.recorder
    metrics = {"country": COUNTRY, "firm": FIRM}[group]
    i, j = list(metrics).index(metric), rec.entities[group].index(name)
    return rec.data[group][start:rec.steps, i, j]


@dataclass(frozen=True)
class Cost:
    """A move's measured effect on the mover's own objectives over the next ``steps``."""

    steps: int
    rows: list[tuple[str, float]]  # (what, change against not making the move)

    def sentence(self, unit: str) -> str:
        parts = ", ".join(f"{what} {delta:+.3g}" for what, delta in self.rows)
        return (f"Measured over the next {self.steps} {unit}s against not making it (same "
                f"seed): {parts}.")


# a move's cost, measured once for every page of the same game state: the pages of a
# classroom's team share one live model, and after each turn all of them would measure the
# same default move. Per model (weakly held: a game's model goes with it), only the current
# state's measures are kept; a measure under way is waited for, not started again.
_costs: weakref.WeakKeyDictionary[TradeModel, dict[tuple, Future]] = (
    weakref.WeakKeyDictionary())
_costs_lock = threading.Lock()
_GAVE_UP = object()  # the result of a measure cancelled before it was done


def move_cost(game: Game, move: str, target: str | None,
              params: dict[str, Any] | None = None,
              cancel: threading.Event | None = None) -> Cost | None:
    """What making ``move`` now would change for the role itself over the next turn: a
    government's score and each weighted objective (escalation included, as means); a
    firm's money (profit summed over the turn) and output. None when the move is refused,
    the game is over, the model cannot be copied (a classroom's live model might not), or
    ``cancel`` is set before the measure is done (it is checked between steps).

    Pages asking for the same measure of the same game state share one (see ``_costs``)."""
    if game.role == OBSERVE or game.finished:
        return None
    model = game.model
    with game.lock:
        key = (game.step_index, game.role, move, target or None,
               repr(sorted((params or {}).items())), repr(model.pending))
    while True:
        with _costs_lock:
            known = _costs.setdefault(model, {})
            for old in [k for k in known if k[0] != key[0]]:  # another state's: stale
                del known[old]
            future, owner = known.get(key), False
            if future is None:
                future, owner = known.setdefault(key, Future()), True
        if owner:
            try:
                cost = _measure(game, move, target, params, cancel, key)
            except BaseException as exc:
                with _costs_lock:
                    known.pop(key, None)
                future.set_exception(exc)
                raise
            if cost is _GAVE_UP:
                with _costs_lock:
                    known.pop(key, None)
                future.set_result(_GAVE_UP)
                return None
            future.set_result(cost)
            return cost  # type: ignore[return-value]
        while not future.done():  # another page is measuring it
            if cancel is not None and cancel.is_set():
                return None
            wait([future], timeout=0.05)
        cost = future.result()
        if cost is not _GAVE_UP:
            return cost
        # that page gave up (it moved on): measure it here, or wait for another that does


def _measure(game: Game, move: str, target: str | None, params: dict[str, Any] | None,
             cancel: threading.Event | None, key: tuple) -> Cost | None | object:
    """The measure itself (see :func:`move_cost`); ``_GAVE_UP`` when cancelled, or when the
    game moved on between the question (``key``) and the copy."""
    call = MoveCall(game.role, move, target or None, dict(params or {}))
    try:
        with game.lock:
            if (game.step_index, repr(game.model.pending)) != (key[0], key[-1]):
                return _GAVE_UP
            without = copy.deepcopy(game.model)
        with_move = copy.deepcopy(without)
    except (TypeError, copy.Error):  # a model holding something that cannot be copied
        return None
    try:
        with_move.submit(call)
    except MoveError:
        return None
    steps = min(game.turn_steps, game.horizon - game.step_index)
    start = without.step_index
    for _ in range(steps):
        if cancel is not None and cancel.is_set():
            return _GAVE_UP
        with_move.step()
        without.step()
    role, rows = game.role, []
    if role in game.scenario.countries:
        weights = game.weights()

        def gap(metric: str) -> float:
            return float(np.mean(_series(with_move, "country", metric, role, start))
                         - np.mean(_series(without, "country", metric, role, start)))

        rows.append(("your score", gap("score")))
        for metric in OBJECTIVES:
            if weights.get(metric, 0) > 0 or metric == "escalation":
                rows.append((f"{metric} (weight {weights.get(metric, 0):.2f})", gap(metric)))
    else:
        for metric, what in (("profit", "money (profit summed)"), ("output", "output")):
            rows.append((what, float(_series(with_move, "firm", metric, role, start).sum()
                                     - _series(without, "firm", metric, role, start).sum())))
    return Cost(steps, rows)


def position(game: Game) -> dict[str, Any]:
    """What the role can see of itself now: a firm's stock cover per component (steps of
    use), its sources per component, its money (profit so far, summed) and the score; a
    government's objectives now and its score."""
    out: dict[str, Any] = {"score": game.player_score()}
    model, role = game.model, game.role
    rec = model.recorder
    n = rec.steps
    with game.lock:
        if role in game.scenario.firms:
            w = model.world
            f = w.firms.index(role)
            cover = {}
            i = list(GROUPS["stock"]).index("cover")
            for j, name in enumerate(rec.entities["stock"]):
                firm, comp = name.split("/", 1)
                if firm == role:
                    cover[comp] = float(rec.data["stock"][n - 1, i, j]) if n else None
            sources: dict[str, list[str]] = {}
            for c, comp in enumerate(w.components):
                if w.bom[f, c] > 0:
                    sources[comp] = [s for k, s in enumerate(w.suppliers)
                                     if w.supplier_component[k] == c and model.links.has(f, k)]
            out["cover"] = cover
            out["sources"] = sources
            out["money"] = float(_series(model, "firm", "profit", role, 0).sum()) if n else 0.0
            out["pending"] = [f"qualifying {w.suppliers[s]} (ready {game.label(t)})"
                              for t, ff, s in model.policy.pending_sources if ff == f]
            out["pending"] += [f"redesign cutting {c_:.0%} of {w.components[c]} "
                               f"(ships {game.label(t)})"
                               for t, ff, c, c_, _ in model.policy.redesigns if ff == f]
        elif role in game.scenario.countries:
            out["objectives"] = {m: float(_series(model, "country", m, role, n - 1)[0])
                                 if n else 0.0 for m in OBJECTIVES}
    return out


# -- the debrief -----------------------------------------------------------------------------
def player_moves(game: Game) -> list[LoggedMove]:
    """The player's moves that took effect, in order."""
    return [e for e in game.model.log if e.call.actor == game.role and e.call.source == "player"]


def replay(game: Game, moves: list[LoggedMove], steps: int | None = None) -> TradeModel:
    """The game played again from the start with the same seed and only ``moves`` (each
    submitted before the step it took effect in; one the state now refuses is left out)."""
    model = TradeModel(scenario=game.scenario, rng=game.seed, players=(game.role,))
    by_step: dict[int, list[MoveCall]] = {}
    for e in moves:
        by_step.setdefault(e.step, []).append(e.call)
    for t in range(game.step_index if steps is None else steps):
        for call in by_step.get(t, ()):
            try:
                model.submit(call)
            except MoveError:
                pass
        model.step()
    return model


@dataclass(frozen=True)
class Decision:
    """One of the player's moves and what it was worth: the score with it minus without it."""

    step: int
    text: str
    worth: float


def decisions(game: Game, top: int = 3) -> list[Decision]:
    """The player's ``top`` moves that mattered most: for each move, the game replayed without
    it (same seed, every other move as made); ranked by how much the score changed."""
    moves = player_moves(game)
    score = game.score_of(game.model)
    out = []
    for k, e in enumerate(moves):
        other = replay(game, moves[:k] + moves[k + 1:])
        worth = score - game.score_of(other)
        text = f"{e.call.move.replace('_', ' ')}" + (f" {e.call.target}" if e.call.target
                                                     else "")
        out.append(Decision(e.step, text, worth))
    out.sort(key=lambda d: -abs(d.worth))
    return out[:top]


def debrief(game: Game) -> list[str]:
    """What happened and why, in a few sentences generated from the run."""
    out = []
    unit = game.scenario.calendar.step
    moves = player_moves(game)
    if game.role != OBSERVE:
        if moves:
            listed = "; ".join(f"{e.call.move.replace('_', ' ')}"
                               + (f" {e.call.target}" if e.call.target else "")
                               + f" ({unit} {e.step})" for e in moves[:6])
            more = f" and {len(moves) - 6} more" if len(moves) > 6 else ""
            out.append(f"As {game.role} you made {len(moves)} move"
                       f"{'s' if len(moves) > 1 else ''}: {listed}{more}.")
        else:
            out.append(f"As {game.role} you made no move: the rest of the world followed "
                       "its timeline and strategies.")
    others = [e for e in game.model.log if e.call.actor != game.role]
    if others:
        hostile = [e for e in others if e.hostile]
        out.append(f"Others made {len(others)} moves, {len(hostile)} of them restricting "
                   "trade" + (f" (first: {hostile[0].call.actor} "
                              f"{hostile[0].call.move.replace('_', ' ')}"
                              + (f" {hostile[0].call.target}" if hostile[0].call.target
                                 else "") + f", {unit} {hostile[0].step})" if hostile else "")
                   + ".")
    # the largest change in a firm's sales against the no-policy baseline, and its cause
    rec, base = game.model.recorder, game.baseline.recorder
    n = rec.steps
    if n:
        i = list(FIRM).index("sales")
        played = rec.data["firm"][:n, i].sum(0)
        ref = base.data["firm"][:n, i].sum(0)
        gaps = np.divide(played - ref, ref, out=np.zeros_like(ref), where=ref > 1e-9)
        j = int(np.argmax(np.abs(gaps)))
        if abs(gaps[j]) >= 0.01:
            name = rec.entities["firm"][j]
            out.append(f"Over the game {name} sold {abs(gaps[j]):.0%} "
                       f"{'less' if gaps[j] < 0 else 'more'} than without any policy — the "
                       "largest change of any firm.")
        k = list(FIRM).index("shortfall")
        short = rec.data["firm"][:n, k].sum(0)
        if short.max() > 0:
            j = int(np.argmax(short))
            worst = int(np.argmax(rec.data["firm"][:n, k, j]))
            out.append(f"{rec.entities['firm'][j]} lost {short[j]:,.0f} units of output for "
                       f"lack of parts, most in {unit} {worst}.")
    out += game.result()
    return out
