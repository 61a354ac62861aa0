"""The report's figures (matplotlib, Agg): outcome distributions with the baseline, sensitivity
bars with intervals, Sobol' convergence, and fan charts of per-step series (median and 50%/90%
bands per factor level, dates on x, events marked; aligned on an event that a factor moves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.dataset as ds

from sim.sweep.analysis import MAX_LEVELS, Sensitivity
from sim.sweep.labels import (
    OUTCOMES,
    SERIES_UNITS,
    baseline_series,
    factor_label,
    metric_label,
    scenario_of,
)
from sim.sweep.storage import parts, write_file


def distribution_figure(manifest: dict[str, Any], df: Any, metrics: list[str],
                        base: dict[str, float]) -> Any:
    import matplotlib.pyplot as plt

    ok = df[df["status"] == "ok"]
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 1.9 * len(metrics) + 0.4),
                             squeeze=False)
    for ax, m in zip(axes[:, 0], metrics, strict=True):
        values = ok[m].dropna()
        if len(values):
            ax.hist(values, bins=min(40, max(5, len(values) // 5)), color="tab:blue", alpha=0.7)
            ax.axvline(values.median(), color="tab:blue", lw=1.5, label="median of runs")
        if m in base:
            ax.axvline(base[m], color="black", ls="--", lw=1.2, label="no-policy baseline")
        ax.set_xlabel(metric_label(m, manifest), fontsize=8)
        ax.set_ylabel("runs", fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(f"Outcomes over {len(ok)} runs", fontsize=10)
    fig.tight_layout()
    return fig


def sensitivity_figure(manifest: dict[str, Any], sens: Sensitivity) -> Any:
    """Bars with 95% intervals: the design's indices if it has them, else effects."""
    import matplotlib.pyplot as plt

    t = sens.table
    measures = [m for m in ("S1", "ST", "mu_star") if m in set(t["measure"])] or ["effect"]
    metrics = list(dict.fromkeys(t["metric"]))
    n_f = t["factor"].nunique()
    fig, axes = plt.subplots(len(metrics), 1, squeeze=False,
                             figsize=(7.5, 0.8 + len(metrics) * (0.7 + 0.35 * n_f)))
    for ax, m in zip(axes[:, 0], metrics, strict=True):
        width = 0.8 / len(measures)
        for k, measure in enumerate(measures):
            sub = t[(t["metric"] == m) & (t["measure"] == measure)]
            y = np.arange(len(sub)) + (k - (len(measures) - 1) / 2) * width
            err = np.vstack([sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]])
            ax.barh(y, sub["estimate"], width, xerr=np.abs(err), capsize=2,
                    label={"S1": "first order S1", "ST": "total ST", "mu_star": "μ*",
                           "effect": "effect, low → high end"}[measure])
            ax.set_yticks(np.arange(len(sub)),
                          [factor_label(manifest, f) for f in sub["factor"]], fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(metric_label(m, manifest), fontsize=8)
        ax.legend(fontsize=6, loc="lower right")
    axes[-1, 0].set_xlabel({"effect": "change from the factor's low to its high end, others "
                                      "held (regression; 95% interval over design points)",
                            "mu_star": "Morris μ* (95% interval)"}.get(
        measures[0], "Sobol' index (95% bootstrap interval)"), fontsize=8)
    for note in sens.notes:
        if note.startswith("warning"):
            fig.text(0.01, 0.005, note[:120], fontsize=6, color="tab:red")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def convergence_figure(manifest: dict[str, Any], sens: Sensitivity) -> Any:
    import matplotlib.pyplot as plt

    c = sens.convergence
    metrics = list(dict.fromkeys(c["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        for factor, g in c[(c["metric"] == m) & (c["measure"] == "ST")].groupby("factor"):
            line = ax.plot(g["samples"], g["estimate"], marker="o", ms=3,
                           label=factor_label(manifest, factor))[0]
            ax.fill_between(g["samples"], g["ci_low"], g["ci_high"], alpha=0.15,
                            color=line.get_color())
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples", fontsize=8)
        ax.set_ylabel("total index ST", fontsize=8)
        ax.set_title(metric_label(m, manifest), fontsize=7)
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def timeline_factors(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Factors that move an event (``events.ID.at``): runs differ in their timelines."""
    return [f for f in manifest["factors"] if f["path"].startswith("events.")
            and f["path"].endswith(".at")]


def fan_figure(out: Path, manifest: dict[str, Any], ok: Any, metric: str,
               factors: list[str]) -> Any:
    """Median and 50%/90% bands of ``metric``'s series, one line per factor level.

    When a factor moves an event, runs do not share a timeline; the x axis is then steps since
    that event, so the bands are computed over runs aligned on it (not point-wise over runs
    whose listing falls in different weeks).
    """
    import matplotlib.pyplot as plt

    entity, _, rest = metric.rpartition(".")  # "ENTITY.metric"; a name may hold a dot
    series = OUTCOMES.get(rest, ("", "", rest))[2]
    sc = scenario_of(manifest)
    data = ds.dataset([str(p) for p in parts(out, "steps")], format="parquet").to_table(
        columns=["run", "step", "value"],
        filter=(ds.field("entity") == entity) & (ds.field("metric") == series)).to_pandas()
    wide = data.pivot(index="run", columns="step", values="value")
    moved = timeline_factors(manifest)
    shift = pd_series_zero(ok) if not moved else ok.set_index("run")[moved[0]["name"]]
    groups: list[str | None] = list(factors) or [None]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.8 * len(groups), 3.6), squeeze=False)
    for ax, f in zip(axes[0], groups, strict=True):
        levels: Any = _groups(ok.set_index("run")[f]) if f else iter([("all runs", None)])
        for label, mask in levels:
            runs = wide.index if mask is None else wide.index.intersection(mask[mask].index)
            if not len(runs):
                continue
            x, y = _aligned(wide.loc[runs], shift.reindex(runs).to_numpy() if moved else None)
            q = np.nanquantile(y, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            xs = x if moved else [sc.date_of(int(s)) for s in x]
            line = ax.plot(xs, q[2], label=label)[0]
            ax.fill_between(xs, q[1], q[3], color=line.get_color(), alpha=0.25)
            ax.fill_between(xs, q[0], q[4], color=line.get_color(), alpha=0.1)
        if not moved:
            bx, by = baseline_series(manifest, entity, series)
            ax.plot([sc.date_of(int(s)) for s in bx], by, "k--", lw=1, label="no-policy baseline")
            _mark_events(ax, sc)
            ax.set_xlabel("date", fontsize=8)
            fig.autofmt_xdate()
        else:
            ax.axvline(0, color="grey", lw=0.8, ls=":")
            ax.set_xlabel(f"steps since {moved[0]['path'].split('.')[1]}", fontsize=8)
        ax.set_ylabel(f"{series} ({SERIES_UNITS.get(series, '')})", fontsize=8)
        ax.set_title(f"{entity} {series}" + (f" by {factor_label(manifest, f)}" if f else ""),
                     fontsize=8)
        ax.legend(fontsize=6, title="median; 50% and 90% of runs", title_fontsize=6)
    fig.tight_layout()
    return fig


def pd_series_zero(ok: Any) -> Any:
    import pandas as pd

    return pd.Series(0, index=ok["run"])


def _aligned(wide: Any, shift: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Series on their own steps, or interpolated onto steps since each run's event (only
    where at least a third of the runs have data, so the bands do not end in a few runs)."""
    steps = wide.columns.to_numpy().astype(float)
    values = wide.to_numpy()
    if shift is None:
        return steps, values
    rel = np.arange(int(steps.min() - shift.max()), int(steps.max() - shift.min()) + 1)
    out = np.full((len(values), len(rel)), np.nan)
    for i, s in enumerate(shift):
        own = steps - s
        inside = (rel >= own.min()) & (rel <= own.max())
        out[i, inside] = np.interp(rel[inside], own, values[i])
    keep = (~np.isnan(out)).sum(axis=0) >= max(1, len(values) / 3)
    return rel[keep], out[:, keep]


def _mark_events(ax: Any, sc: Any) -> None:
    """A dotted line at each event's step, named by the events' ids (one label a date)."""
    named: dict[dt.date, list[str]] = {}
    for e in sc.events:
        named.setdefault(sc.date_of(sc.step_of(e.at)), []).append(e.id or e.move)
    for when, names in named.items():
        ax.axvline(when, color="grey", lw=0.7, ls=":")
        ax.annotate(", ".join(names), (when, 1), xycoords=("data", "axes fraction"),
                    fontsize=6, rotation=90, va="top", ha="right", color="grey")


def _groups(values: Any) -> Iterator[tuple[str, Any]]:
    """Each level of a factor, or its thirds when it takes many values."""
    if values.dtype == object or values.nunique() <= MAX_LEVELS:
        for level in sorted(values.unique(), key=lambda v: (str(type(v)), v)):
            yield f"{level}", values == level
        return
    edges = values.quantile([0, 1 / 3, 2 / 3, 1]).to_numpy()
    for i in range(3):
        lo, hi = edges[i], edges[i + 1]
        mask = (values >= lo) & ((values < hi) if i < 2 else (values <= hi))
        yield f"{lo:.3g}–{hi:.3g}", mask


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path
