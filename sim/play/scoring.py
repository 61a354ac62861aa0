"""The player's score: how much better than a counterfactual run a role did (one function, one
scale, for the play page, the what-if debrief and the classroom).

The scale (docs/architecture.md, "The score"): a government scores 100 × (its mean weighted
score − the counterfactual's), in *points* (the engine's weighted score lies in [−1, 1], so a
point is a hundredth of its range); a firm scores 100 × (its mean profit − the
counterfactual's) / |the counterfactual's mean profit|, in *% of the counterfactual's profit*.
Means skip steps that recorded no value (NaN); a run that recorded none means 0. Both runs are
compared over the steps both have recorded, so doing nothing scores exactly 0.
"""

from __future__ import annotations

import numpy as np

from sim.engine.metrics import GROUPS
from sim.engine.model import TradeModel
from sim.scenario import Scenario

SCALE = 100.0  # points of score (a government), % of profit (a firm)


def mean_of(model: TradeModel, group: str, metric: str, name: str,
            steps: int | None = None) -> float:
    """The mean of one recorded series over its first ``steps`` steps (all when None),
    skipping steps without a value; 0 when there is none."""
    rec = model.recorder
    n = rec.steps if steps is None else min(steps, rec.steps)
    i, j = list(GROUPS[group]).index(metric), rec.entities[group].index(name)
    values = rec.data[group][:n, i, j]
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else 0.0


def is_firm(scenario: Scenario, role: str) -> bool:
    """Whether the role is a firm (scored on profit) rather than a government."""
    return role in scenario.firms


def score(model: TradeModel, reference: TradeModel, scenario: Scenario, role: str) -> float:
    """The role's score of ``model`` against ``reference`` (the same scenario and seed with
    the role, or every human team, making no move), over the steps both have recorded."""
    n = min(model.recorder.steps, reference.recorder.steps)
    if n == 0:
        return 0.0
    if not is_firm(scenario, role):
        return SCALE * (mean_of(model, "country", "score", role, n)
                        - mean_of(reference, "country", "score", role, n))
    played = mean_of(model, "firm", "profit", role, n)
    done = mean_of(reference, "firm", "profit", role, n)
    return SCALE * (played - done) / max(abs(done), 1e-9)


def unit(scenario: Scenario, role: str) -> str:
    """What a score of the role counts: "points" or "% of the do-nothing profit"."""
    return "% of the do-nothing profit" if is_firm(scenario, role) else "points"


def shown(value: float) -> str:
    """A score as pages show it: ``+1.23``."""
    return f"{value:+.2f}"
