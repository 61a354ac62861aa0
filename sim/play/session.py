"""The game session (docs/architecture.md, "The session"): the played model, its two
counterfactuals, its turns and its move queue, and what a page shows of them.

A :class:`Game` is built per play-page tab (never at import) from a scenario, a role and a
seed, or per classroom page on the classroom game's own models. It steps three
:class:`~sim.engine.model.TradeModel` in lock-step with the same seed: the played model, the
*do-nothing reference* (the same scenario, the player's role making no move, the rest of the
world as scripted; the player is scored against it, so doing nothing scores 0) and the
*no-policy baseline* (:func:`no_policy`) that charts overlay. The news feed
(:mod:`sim.play.news`) and the score (:mod:`sim.play.scoring`) are plain functions of the
recorders; nothing here imports Solara.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim import MoveCall, Scenario, TradeModel
from sim.engine.objectives import OBJECTIVES, weights_of
from sim.engine.output import csv_bytes
from sim.errors import MoveError
from sim.play import roles, scoring
from sim.play.news import News, NewsItem
from sim.play.roles import OBSERVE
from sim.play.scoring import mean_of
from sim.rules.moves import feasibility
from sim.scenario import shipped


def no_policy(scenario: Scenario, seed: int, steps: int = 0) -> TradeModel:
    """The no-policy baseline of a game (:meth:`Scenario.without_policy`, the same seed),
    stepped ``steps`` steps: the one place a game's baseline is built."""
    model = TradeModel.no_policy(scenario, rng=seed)
    for _ in range(steps):
        model.step()
    return model


@dataclass(frozen=True)
class Live:
    """The models a session reads: the played one, the do-nothing reference (None when
    observing), the no-policy baseline, and the lock that guards them. A session builds its
    own; a classroom's game hands over the models it keeps (its log's replay)."""

    model: TradeModel
    reference: TradeModel | None
    baseline: TradeModel
    lock: Any  # threading.RLock (a factory function, not a type)


class Game(News):
    """A scenario being played in one tab.

    Args:
        scenario: the loaded scenario (with the player's parameter overrides applied).
        role: an actor from ``scenario.roles``, or ``"observe"``.
        seed: the seed of both the played model and the baseline.
        overrides: the slider values the scenario was loaded with (a saved game keeps them).
        live: models to read instead of building them (a classroom game's, see
            :meth:`sim.classroom.replay.LiveGame.models`).
        difficulty: the level the game plays (:mod:`sim.play.difficulty`; its strategies
            are among ``overrides``, already applied to ``scenario``).
        note: why the level differs from the one asked for (hard without data), shown.
    """

    def __init__(self, scenario: Scenario, role: str = OBSERVE, seed: int | None = None,
                 overrides: dict[str, Any] | None = None, *, live: Live | None = None,
                 difficulty: str = "medium", note: str | None = None):
        self.scenario = scenario
        self.role = role
        self.difficulty, self.difficulty_note = difficulty, note
        self.seed = scenario.seed if seed is None else int(seed)
        # the slider values the scenario was loaded with (a saved game keeps them)
        self.overrides: dict[str, Any] = dict(overrides or {})
        if live is None:
            players = () if role == OBSERVE else (role,)
            live = Live(TradeModel(scenario=scenario, rng=self.seed, players=players),
                        (TradeModel(scenario=scenario, rng=self.seed, players=players)
                         if players else None),
                        no_policy(scenario, self.seed), threading.RLock())
        self.model, self.reference, self.baseline = live.model, live.reference, live.baseline
        self.lock = live.lock  # the play loop steps while the page renders
        self.queued: list[MoveCall] = []
        # (step it was queued at, move): every move the player queued and did not cancel
        self.submitted: list[tuple[int, MoveCall]] = []
        self._effects: dict[int, list[NewsItem]] = {}
        self._gaps: dict[str, float] = {}  # revenue gap to the baseline last reported
        self._history: TradeModel | None = None  # the scripted path, built for the result

    # -- progress ---------------------------------------------------------------------------
    @property
    def step_index(self) -> int:
        """Steps done so far."""
        return self.model.step_index

    @property
    def horizon(self) -> int:
        return self.model.horizon

    @property
    def finished(self) -> bool:
        return not self.model.running or self.step_index >= self.horizon

    @property
    def turn_steps(self) -> int:
        return self.scenario.turn_steps

    @property
    def turn(self) -> int:
        """The current turn, 1-based."""
        return self.step_index // self.turn_steps + 1

    def step(self, n: int = 1) -> int:
        """Advance both models up to ``n`` steps; return how many were made."""
        done = 0
        with self.lock:
            while done < n and not self.finished:
                self.model.step()
                self.baseline.step()
                if self.reference is not None:
                    self.reference.step()
                done += 1
                if self.step_index % self.turn_steps == 0 or self.finished:
                    self._effects[self.step_index] = self._turn_effects(self.step_index)
            if done:
                self.queued = [c for c in self.queued if c in self.model.pending]
        return done

    def steps_to_turn_end(self) -> int:
        """Steps left in the current turn."""
        return min(self.turn_steps - self.step_index % self.turn_steps,
                   self.horizon - self.step_index)

    # -- moves ------------------------------------------------------------------------------
    def submit(self, move: str, target: str | None, params: dict[str, Any]) -> MoveCall:
        """Queue the player's move for the next step.

        Raises:
            MoveError: with the reason, when the move is refused.
        """
        call = MoveCall(actor=self.role, move=move, target=target or None, params=dict(params))
        with self.lock:
            reason = self.model.clash(call)  # with a move already queued this turn
            if reason is not None:
                raise MoveError(reason)
            self.model.submit(call)
            self.queued.append(call)
            self.submitted.append((self.step_index, call))
        return call

    def wait_quiet(self, cancel: threading.Event) -> None:
        """Return when background work (a move's cost) may take the CPU without slowing what
        the pages must draw: at once here; a classroom game waits for its class's redraws."""

    def feasibility(self, move: str, target: str | None,
                    params: dict[str, Any] | None = None) -> str | None:
        """Why the role's move cannot take effect now (None when it can)."""
        call = MoveCall(actor=self.role, move=move, target=target or None,
                        params=dict(params or {}))
        with self.lock:
            return feasibility(self.model, call)

    def cancel(self, index: int) -> None:
        """Withdraw the ``index``-th queued move before it takes effect."""
        with self.lock:
            if 0 <= index < len(self.queued):
                call = self.queued.pop(index)
                if call in self.model.pending:
                    self.model.pending.remove(call)
                self.submitted = [(s, c) for s, c in self.submitted if c is not call]

    def role_moves(self) -> list[str]:
        """Exactly the moves the role may make (none when observing)."""
        return roles.role_moves(self.scenario, self.role)

    # -- the score (sim/play/scoring.py) -----------------------------------------------------
    def weights(self) -> dict[str, float]:
        """What the role's score weighs: a government's objective weights (normalised to sum
        1, as the engine scores them), or a firm's profit."""
        if self.role in self.scenario.countries:
            return weights_of(self.scenario, self.role)
        if self.role in self.scenario.firms:
            return {"profit": 1.0}
        return {}

    def player_score(self) -> float | None:
        """The player's score: how much better than doing nothing the role did so far.

        On the scale of :mod:`sim.play.scoring` (a government's points, a firm's % of the
        reference's profit). 0 by construction when the player makes no move; None when
        observing or before the first step.
        """
        ref = self.reference
        if ref is None or ref.recorder.steps == 0:
            return None
        return self.score_of(self.model)

    def score_of(self, model: TradeModel) -> float:
        """The role's score of any run of this scenario (the played one, a replay without a
        move, the scripted history) against the do-nothing reference, as
        :meth:`player_score` computes it (:func:`sim.play.scoring.score`)."""
        ref = self.reference
        assert ref is not None, "an observer has no reference"
        return scoring.score(model, ref, self.scenario, self.role)

    def score_card(self) -> list[tuple[str, float, float | None, float]]:
        """(measure, played, do-nothing reference, no-policy baseline) for the role: a
        government's score and objectives, a firm's profit, sales and share price; all
        governments' scores when observing (no reference)."""
        if self.model.recorder.steps == 0:
            return []
        ref = self.reference
        rows: list[tuple[str, float, float | None, float]] = []

        def row(label: str, group: str, metric: str, name: str) -> None:
            rows.append((label, mean_of(self.model, group, metric, name),
                         None if ref is None else mean_of(ref, group, metric, name),
                         mean_of(self.baseline, group, metric, name)))

        entities = self.model.recorder.entities
        if self.role in entities["country"]:
            weights = self.weights()
            row(f"{self.role} score (mean)", "country", "score", self.role)
            for metric in OBJECTIVES:
                row(f"{self.role} {metric} (mean, weight {weights[metric]:.2f})", "country",
                    metric, self.role)
        elif self.role in entities["firm"]:
            for metric in ("profit", "sales", "share_price"):
                row(f"{self.role} {metric.replace('_', ' ')} (mean)", "firm", metric, self.role)
        else:
            for name in entities["country"]:
                row(f"{name} score (mean)", "country", "score", name)
        return rows

    def result(self) -> list[str]:
        """The result in sentences: better or worse than doing nothing, by how much, on each
        objective (weighted), and where the historical path ranks."""
        score = self.player_score()
        if score is None:
            return []
        verdict = ("better than" if score > 1e-9 else "worse than" if score < -1e-9
                   else "the same as")
        unit = scoring.unit(self.scenario, self.role)
        out = [f"{self.role} did {verdict} doing nothing: {scoring.shown(score)} {unit}."]
        if self.role in self.scenario.countries:
            assert self.reference is not None
            parts = []
            for metric, weight in self.weights().items():
                if weight <= 0:
                    continue
                gap = (mean_of(self.model, "country", metric, self.role)
                       - mean_of(self.reference, "country", metric, self.role))
                parts.append(f"{metric} {gap:+.3f} × {weight:.2f}")
            if parts:
                out.append("By objective (gap to doing nothing × weight): "
                           + "; ".join(parts) + ".")
        history = self.history_score() if self.finished and self.model.hints else None
        if history is not None:
            rank = "above" if score > history + 1e-9 else \
                "below" if score < history - 1e-9 else "level with"
            out.append(f"What {self.role} really did (the scripted history) scores "
                       f"{scoring.shown(history)}: "
                       f"you ranked {rank} history.")
        return out

    def history_score(self) -> float | None:
        """The score of the historical path (the scenario as scripted, the role included)
        over the steps played so far, against the same do-nothing reference."""
        ref = self.reference
        if ref is None or ref.recorder.steps == 0:
            return None
        if self._history is None or self._history.recorder.steps != ref.recorder.steps:
            with self.lock:
                hist = TradeModel(scenario=self.scenario, rng=self.seed)
                for _ in range(ref.recorder.steps):
                    hist.step()
                self._history = hist
        return scoring.score(self._history, ref, self.scenario, self.role)

    def hints(self) -> list[tuple[int, str]]:
        """The role's own historical moves (not made for the player): (step, text)."""
        return list(self.model.hints)

    def replay_zip(self) -> bytes:
        """The run with its moves: ``replay.yaml`` (:func:`replay_scenario`), ``run.csv`` and a
        README with the command that replays the YAML to the same CSV."""
        name = "replay.yaml"
        cmd = (f"chokepoint run {name} --seed {self.seed} --steps {self.step_index} "
               "--out replayed.csv")
        with self.lock:
            text = yaml.safe_dump(replay_scenario(self), sort_keys=False, allow_unicode=True)
            csv = self.csv_bytes()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, text)
            z.writestr("run.csv", csv)
            z.writestr("README.txt", f"{self.scenario.name}, played as {self.role}, seed "
                       f"{self.seed}, {self.step_index} steps.\nReplay: {cmd}\n"
                       "replayed.csv then equals run.csv.\n")
        return buf.getvalue()

    def csv_bytes(self) -> bytes:
        """The run so far as CSV, exactly as ``chokepoint run --out F.csv`` writes it."""
        with self.lock:
            return csv_bytes(self.model)


def replay_scenario(game: Game) -> dict[str, Any]:
    """The game as a scenario document that ``chokepoint run`` replays to the same CSV: the
    role's scripted events replaced by the moves the player made (each at the step it took
    effect) and the role's strategy switched off, as in the game."""
    doc = scenario_document(game.scenario)
    if game.role == OBSERVE:
        return doc
    doc["events"] = [e for e in doc.get("events", []) if e["by"] != game.role]
    doc.pop("parameters", None)  # sliders may name the removed events; the values are applied
    for entry in game.model.log:
        if entry.call.actor == game.role and entry.call.source == "player":
            doc["events"].append({"at": entry.step, "by": game.role, "move": entry.call.move,
                                  **({"target": entry.call.target} if entry.call.target
                                     else {}), **entry.call.params})
    for kind in ("countries", "firms"):
        if game.role in doc.get(kind, {}):  # the role's strategy off: its default plays
            default = roles.DEFAULT_STRATEGY[roles.kind_of(game.scenario, game.role)]
            doc[kind][game.role]["strategy"] = {"name": default}
    return doc


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a document the scenario format accepts (what a YAML file would hold)."""
    doc = scenario.model_dump(mode="json", exclude_none=True)
    # dates as dates (JSON mode writes them as text, which the scenario format refuses)
    doc["calendar"]["start"] = scenario.calendar.start
    for event, spec in zip(doc.get("events", []), scenario.events, strict=True):
        event["at"] = spec.at
        if event.get("chance") == 1.0:  # the default: left out, as in the file
            del event["chance"]
    return doc


def domestic_substitutes(game: Game) -> tuple[list[str], str | None]:
    """Suppliers in the country of the firm the policy targets (the first firm a move or an
    event names), and that firm: the "domestic substitutes" whose share rises after a listing."""
    model = game.model
    calls = [c for step in sorted(model.events) for c in model.events[step]]
    calls += [e.call for e in model.log]
    w = model.world
    for call in calls:
        if call.target in w.firms:
            country = game.scenario.firms[call.target].country
            return [s for s in w.suppliers if game.scenario.suppliers[s].country == country], \
                call.target
    return [], None


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped with Chokepoint (name → path; :mod:`sim.scenario.shipped`)."""
    return shipped.paths()
