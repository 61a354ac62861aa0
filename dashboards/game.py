"""One browser tab's game: the played model, its no-policy baseline, and what the page shows.

A :class:`Game` is built per tab (never at import) from a scenario, a role and a seed. It steps
the played :class:`~sim.engine.model.TradeModel` and a baseline built from
``scenario.without_policy()`` with the same seed in lock-step, so every chart can overlay what
would have happened without any policy move. The news feed, the timeline and the score card are
plain functions of the two recorders; nothing here imports Solara.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import MoveCall, Scenario, TradeModel
from sim.engine.metrics import COUNTRY, FIRM, SUPPLIER
from sim.engine.objectives import OBJECTIVES
from sim.engine.output import csv_bytes

OBSERVE = "observe"
EFFECT_THRESHOLD = 0.05  # a gap to the baseline moving by 5 points makes the news
MAX_EFFECTS = 4  # per turn


@dataclass(frozen=True)
class NewsItem:
    """One line of the news feed."""

    step: int
    text: str
    kind: str  # "move" (a move took effect), "effect" (what it did), "refused"


class Game:
    """A scenario being played in one tab.

    Args:
        scenario: the loaded scenario (with the player's parameter overrides applied).
        role: an actor from ``scenario.roles``, or ``"observe"``.
        seed: the seed of both the played model and the baseline.
    """

    def __init__(self, scenario: Scenario, role: str = OBSERVE, seed: int | None = None):
        self.scenario = scenario
        self.role = role
        self.seed = scenario.seed if seed is None else int(seed)
        players = () if role == OBSERVE else (role,)
        self.model = TradeModel(scenario=scenario, rng=self.seed, players=players)
        self.baseline = TradeModel(scenario=scenario.without_policy(), rng=self.seed)
        self.lock = threading.RLock()  # the play loop steps while the page renders
        self.queued: list[MoveCall] = []
        self._effects: dict[int, list[NewsItem]] = {}
        self._gaps: dict[str, float] = {}  # revenue gap to the baseline last reported

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

    def label(self, step: int) -> str:
        """"Week 41 (2019-10-07)" for a 0-based step."""
        unit = self.scenario.calendar.step.capitalize()
        return f"{unit} {step} ({self.scenario.date_of(step).isoformat()})"

    def step(self, n: int = 1) -> int:
        """Advance both models up to ``n`` steps; return how many were made."""
        done = 0
        with self.lock:
            while done < n and not self.finished:
                self.model.step()
                self.baseline.step()
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
            self.model.submit(call)
            self.queued.append(call)
        return call

    def role_moves(self) -> list[str]:
        """Exactly the moves the role may make (none when observing)."""
        role = self.scenario.roles.get(self.role)
        return list(role.moves) if role else []

    # -- what the page shows -----------------------------------------------------------------
    def news(self) -> list[NewsItem]:
        """Every move that took effect or was refused, and each turn's effects, oldest first."""
        items = [NewsItem(step, text, "refused" if " refused: " in text else "move")
                 for step, text in self.model.news]
        for effects in self._effects.values():
            items += effects
        return sorted(items, key=lambda i: (i.step, i.kind == "effect"))

    def _turn_effects(self, end: int) -> list[NewsItem]:
        """What the policy did to firms' and suppliers' sales over the turn ending at step
        ``end``: revenue against the no-policy baseline, reported when the gap has moved by
        at least 5 points since it was last reported; largest first."""
        start = max(0, end - self.turn_steps)
        rows = []
        for group, metrics in (("supplier", SUPPLIER), ("firm", FIRM)):
            i = list(metrics).index("revenue")
            played = self.model.recorder.data[group][start:end, i].mean(0)
            base = self.baseline.recorder.data[group][start:end, i].mean(0)
            for j, name in enumerate(self.model.recorder.entities[group]):
                if base[j] <= 1e-9:
                    continue
                gap = played[j] / base[j] - 1
                if abs(gap - self._gaps.get(name, 0.0)) >= EFFECT_THRESHOLD:
                    rows.append((abs(gap), name, gap))
        rows.sort(reverse=True)
        items = []
        for _, name, gap in rows[:MAX_EFFECTS]:
            self._gaps[name] = gap
            text = (f"{name} loses {-gap:.0%} of its sales against" if gap < 0 else
                    f"{name}'s sales are {gap:.0%} above")
            items.append(NewsItem(end - 1, text + " the no-policy baseline this turn",
                                  "effect"))
        return items

    def timeline(self) -> list[tuple[int, str]]:
        """Scheduled events from now on: (step, "Week 39 (2019-10-07): US entity list ...")."""
        out = []
        for step in sorted(self.model.events):
            if step < self.step_index:
                continue
            for call in self.model.events[step]:
                params = ", ".join(f"{k} {v}" for k, v in call.params.items())
                text = f"{self.label(step)}: {call.actor} {call.move.replace('_', ' ')}"
                text += f" {call.target}" if call.target else ""
                out.append((step, text + (f" ({params})" if params else "")))
        return out

    def markers(self) -> list[tuple[int, str]]:
        """(step, label) for chart markers: the moves that took effect, one entry per step."""
        by_step: dict[int, list[str]] = {}
        for e in self.model.log:
            text = f"{e.call.actor} {e.call.move.replace('_', ' ')}"
            by_step.setdefault(e.step, []).append(text + (f" {e.call.target}"
                                                          if e.call.target else ""))
        return [(step, "; ".join(dict.fromkeys(labels))) for step, labels in by_step.items()]

    def score_card(self) -> list[tuple[str, float, float]]:
        """(measure, played, baseline) for the role: a government's score and objectives,
        a firm's sales, profit and share price; all governments' scores when observing."""
        n = self.model.recorder.steps
        if n == 0:
            return []

        def mean(model: TradeModel, group: str, metrics: dict, metric: str, name: str) -> float:
            rec = model.recorder
            i, j = list(metrics).index(metric), rec.entities[group].index(name)
            return float(np.nanmean(rec.data[group][:n, i, j]))

        rows = []
        entities = self.model.recorder.entities
        if self.role in entities["country"]:
            for metric in ("score", *OBJECTIVES):
                rows.append((f"{self.role} {metric} (mean)",
                             mean(self.model, "country", COUNTRY, metric, self.role),
                             mean(self.baseline, "country", COUNTRY, metric, self.role)))
        elif self.role in entities["firm"]:
            for metric in ("sales", "profit", "share_price"):
                rows.append((f"{self.role} {metric.replace('_', ' ')} (mean)",
                             mean(self.model, "firm", FIRM, metric, self.role),
                             mean(self.baseline, "firm", FIRM, metric, self.role)))
        else:
            for name in entities["country"]:
                rows.append((f"{name} score (mean)",
                             mean(self.model, "country", COUNTRY, "score", name),
                             mean(self.baseline, "country", COUNTRY, "score", name)))
        return rows

    def csv_bytes(self) -> bytes:
        """The run so far as CSV, exactly as ``chokepoint run --out F.csv`` writes it."""
        with self.lock:
            return csv_bytes(self.model)


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


def shipped_scenarios(root: Path | None = None) -> dict[str, Path]:
    """The YAML scenarios shipped in ``scenarios/`` (name → path)."""
    root = root or Path(__file__).resolve().parent.parent / "scenarios"
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}
