"""Robustness of each lever setting over the uncertainty ensemble (docs/sweeps.md, "Robustness").

A sweep with levers (``--lever``, or parameters declared ``kind: lever``) crosses every lever
setting with the same scenarios (points of the other factors). For one outcome, each setting
gets, over the scenarios (its value in a scenario: the mean over replicates):

* percentiles (10th, 50th, 90th) and the mean;
* regret: in each scenario, how far the setting falls short of the best setting there
  (Savage's minimax regret, as EMA Workbench computes it), its maximum and mean;
* satisficing: the share of scenarios where it meets the outcome's threshold (at most with
  ``direction: min``, at least with ``max``).

Settings are listed most robust first (lowest maximum regret).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.sweep.plan import SweepError


@dataclass
class Robustness:
    """The robustness table of one outcome (one row per lever setting), per-scenario values,
    and notes."""

    outcome: str
    direction: str
    threshold: float | None
    levers: list[str]
    uncertainties: list[str]
    table: Any        # levers..., scenarios, mean, p10, p50, p90, max_regret, mean_regret,
    #                   satisficing
    values: Any       # scenario × setting: the outcome (mean over replicates)
    notes: list[str] = field(default_factory=list)

    def plot(self, ax: Any = None) -> Any:
        """Each setting's distribution over scenarios (box), its satisficing share as text."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(self.table) + 2), 3.6))
        labels = [_setting(row, self.levers) for _, row in self.table.iterrows()]
        data = [self.values[tuple(row[self.levers])].dropna().to_numpy()
                if len(self.levers) > 1 else self.values[row[self.levers[0]]].dropna().to_numpy()
                for _, row in self.table.iterrows()]
        ax.boxplot(data, tick_labels=labels, whis=(10, 90), showfliers=False)
        if self.threshold is not None:
            ax.axhline(self.threshold, color="tab:red", ls="--", lw=1,
                       label="threshold (red: share of scenarios meeting it)")
            for i, share in enumerate(self.table["satisficing"], 1):
                ax.annotate(f"{share:.0%}", (i, 1.0), xycoords=("data", "axes fraction"),
                            ha="center", va="bottom", fontsize=7, color="tab:red")
            ax.legend(fontsize=7)
        ax.set_ylabel(self.outcome, fontsize=8)
        ax.set_xlabel(", ".join(self.levers) + " (most robust first; whiskers 10–90%)",
                      fontsize=8)
        ax.tick_params(labelsize=7)
        ax.figure.tight_layout()
        return ax.figure


def _setting(row: Any, levers: list[str]) -> str:
    return ", ".join(f"{row[lever]:g}" if isinstance(row[lever], float) else str(row[lever])
                     for lever in levers)


def robustness(manifest: dict[str, Any], df: Any, outcome: str, *,
               threshold: float | None = None, direction: str | None = None,
               levers: list[str] | None = None) -> Robustness:
    """Robustness of every lever setting for ``outcome`` (a summary column or outcome name).

    ``threshold`` and ``direction`` default to the outcome's (``min`` for a headline);
    ``levers`` to the sweep's.
    """
    import pandas as pd

    spec: dict[str, Any] = next(
        (o for o in manifest.get("outcomes", []) if o["name"] == outcome), {})
    direction = direction or spec.get("direction") or "min"
    threshold = threshold if threshold is not None else spec.get("threshold")
    if outcome not in df.columns:
        raise SweepError(f"{outcome}: not an outcome of this sweep (outcomes: "
                         f"{', '.join(manifest['metrics'])})")
    factors = [f["name"] for f in manifest["factors"]]
    levers = levers if levers is not None else list(manifest.get("levers", []))
    if not levers:
        raise SweepError("robustness needs levers: run the sweep with --lever (or vary "
                         "parameters declared kind: lever)")
    unknown = [x for x in levers if x not in factors]
    if unknown:
        raise SweepError(f"{unknown[0]}: not a factor of this sweep ({', '.join(factors)})")
    others = [f for f in factors if f not in levers]
    ok = df[df["status"] == "ok"]
    means = ok.groupby("point").agg({**{f: "first" for f in factors}, outcome: "mean"})
    scenario = means.groupby(others, sort=False).ngroup() if others else pd.Series(
        0, index=means.index)
    values = means.assign(scenario=scenario.to_numpy()).pivot_table(
        index="scenario", columns=levers, values=outcome, aggfunc="mean")
    notes = []
    complete = values.dropna()
    if len(complete) < len(values):
        notes.append(f"regret over the {len(complete)} of {len(values)} scenarios with a "
                     f"result for every setting")
    best = complete.min(axis=1) if direction == "min" else complete.max(axis=1)
    regret = (complete.sub(best, axis=0)).abs()
    rows = []
    for setting in values.columns:
        v = values[setting].dropna().to_numpy()
        key = setting if isinstance(setting, tuple) else (setting,)
        row = dict(zip(levers, key, strict=True))
        row.update(scenarios=len(v), mean=v.mean() if len(v) else np.nan,
                   p10=_q(v, 0.1), p50=_q(v, 0.5), p90=_q(v, 0.9),
                   max_regret=regret[setting].max(), mean_regret=regret[setting].mean(),
                   satisficing=(np.mean(v <= threshold if direction == "min" else
                                        v >= threshold) if threshold is not None and len(v)
                                else np.nan))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values(["max_regret", "mean_regret"]).reset_index(
        drop=True)
    return Robustness(outcome, direction, threshold, levers, others, table, values, notes)


def _q(v: np.ndarray, q: float) -> float:
    return float(np.quantile(v, q)) if len(v) else float("nan")
