"""Sensitivity of a sweep's outcomes to its factors, with an interval on every number.

:func:`load` joins the planned runs with the results written so far (a run not yet written has
``status`` NaN: *not run*, never *failed*). :func:`sensitivity` gives one long table,
``metric, factor, measure, estimate, ci_low, ci_high`` (95% intervals):

* ``effect`` (every design): each factor's main effect, the change in the outcome from the low
  to the high end of the factor's range with the other factors held, from a linear regression
  on the design points' means over replicates (so it holds where factors are correlated, as in
  a small Saltelli or Morris sample); the interval from a bootstrap over design points, a
  point's replicates kept together (a grid's points are fixed: its replicates are resampled
  within each point instead). A list of non-numbers is taken in its order;
* ``S1``, ``ST`` (``sobol``): SALib's ``sobol.analyze`` on point means over replicates, the
  intervals its bootstrap's; only base samples whose ``d + 2`` points all have a result count;
* ``mu_star``, ``sigma`` (``morris``): SALib's ``morris.analyze`` on complete trajectories;
* ``S1``, ``ST`` (``fast``): SALib's ``fast.analyze``, once every point has a result.

It also returns notes: what was left out and why, and warnings where indices are noise (an
interval wider than 0.2, S1 below −0.05 or ST above 1.05: add samples).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.sweep.design import Factor, salib_problem, unit_sample
from sim.sweep.storage import parts

MAX_LEVELS = 5
BOOTSTRAP = 200
COLUMNS = ["metric", "factor", "measure", "estimate", "ci_low", "ci_high"]
NOISY_WIDTH = 0.2


def load(out: Path) -> tuple[dict[str, Any], Any]:
    """The manifest and one pandas row per planned run: factors, status, error, headlines."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    files = parts(out, "summary")
    if not files:
        return manifest, runs.assign(status=None, error=None,
                                     **{m: np.nan for m in manifest["metrics"]})
    summary = ds.dataset([str(f) for f in files], format="parquet").to_table().to_pandas()
    cols = ["run"] + [c for c in summary.columns if c not in runs.columns]
    df = runs.merge(summary[cols], on="run", how="left").sort_values("run")
    return manifest, df.reset_index(drop=True)


@dataclass
class Sensitivity:
    """The long table (:data:`COLUMNS`), convergence rows for a plot, and notes."""

    table: Any
    convergence: Any
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def plot(self) -> Any:
        """Bars with 95% intervals: the design's indices if it has them, else effects."""
        from sim.sweep.charts import sensitivity_figure

        return sensitivity_figure(self.manifest, self)

    def plot_convergence(self) -> Any:
        """Sobol' total indices against the number of base samples used."""
        from sim.sweep.charts import convergence_figure

        return convergence_figure(self.manifest, self)


def sensitivity(manifest: dict[str, Any], df: Any, metrics: list[str],
                factors: list[str]) -> Sensitivity:
    """Effects for every design, and the design's own indices where they are valid."""
    import pandas as pd

    rng = np.random.default_rng(manifest["seed"])
    ok = df[df["status"] == "ok"]
    notes: list[str] = []
    rows = _effects(manifest, ok, metrics, factors, rng, notes)
    result = Sensitivity(pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(columns=[
        "metric", "factor", "measure", "samples", "estimate", "ci_low", "ci_high"]), notes,
        manifest)
    design = manifest["design"]
    if factors and design in ("sobol", "morris", "fast"):
        means = ok.groupby("point")[metrics].mean().reindex(range(manifest["points"]))
        {"sobol": _sobol, "morris": _morris, "fast": _fast}[design](
            manifest, means, metrics, factors, result)
        _warn_noise(result)
    return result


def _effects(manifest: dict[str, Any], ok: Any, metrics: list[str], factors: list[str],
             rng: np.random.Generator, notes: list[str]) -> list[dict[str, Any]]:
    """Main effects (see the module's docstring) of every factor on every metric."""
    if not len(ok) or not factors:
        return []
    x = _unit_factors(ok, factors, {f["name"]: f for f in manifest["factors"]})
    varied = [f for f in factors if x[f].nunique() > 1]
    rows = []
    for m in metrics:
        data = ok[["point", m]].assign(**{f: x[f] for f in varied}).dropna()
        points = data.groupby("point")
        means = points.mean()
        if len(means) <= len(varied) + 1:
            notes.append(f"effects on {m}: {len(means)} design points with results, more "
                         f"than {len(varied) + 1} needed")
            continue
        est = _ols(means[varied].to_numpy(), means[m].to_numpy())
        if np.isnan(est).all():
            levers = [f for f in manifest.get("levers", []) if f in varied]
            notes.append(f"effects on {m}: the design cannot tell its {len(varied)} factors "
                         f"apart (their values are confounded over its {len(means)} points, "
                         f"e.g. fewer scenarios than uncertainties): add --samples"
                         + ("; the levers' effects are within scenarios" if levers else ""))
            if levers and manifest.get("scenarios"):
                rows += _lever_effects(means, levers, m, manifest["scenarios"], rng)
            continue
        if manifest["design"] == "grid" and points.size().min() > 1:
            boot = _within_points(data, varied, m, rng)
        else:
            boot = _over_points(means, varied, m, rng)
        boot = boot[~np.isnan(boot).any(axis=1)]  # resamples that cannot separate them
        if len(boot) < BOOTSTRAP // 2:
            notes.append(f"effects on {m}: most resamples of the design points cannot tell "
                         f"the factors apart: no intervals; add --samples")
            continue
        low, high = np.quantile(boot, [0.025, 0.975], axis=0)
        rows += [{"metric": m, "factor": f, "measure": "effect", "estimate": est[j],
                  "ci_low": low[j], "ci_high": high[j]} for j, f in enumerate(varied)]
    return rows


def _lever_effects(means: Any, levers: list[str], m: str, scenarios: int,
                   rng: np.random.Generator) -> list[dict[str, Any]]:
    """Levers crossed with scenarios: each lever's effect within scenarios (the outcome and
    the levers taken relative to their scenario's mean, which holds every uncertainty fixed),
    the interval from a bootstrap over scenarios, a scenario's settings kept together."""
    case = np.asarray(means.index) % scenarios
    x, y = means[levers].to_numpy(), means[m].to_numpy()

    def fit(pick: np.ndarray) -> np.ndarray:
        xs, ys = [], []
        for c in pick:  # a scenario drawn twice counts twice
            inside = case == c
            xs.append(x[inside] - x[inside].mean(axis=0))
            ys.append(y[inside] - y[inside].mean())
        coef, _, rank, _ = np.linalg.lstsq(np.vstack(xs), np.concatenate(ys), rcond=None)
        return coef if rank == len(levers) else np.full(len(levers), np.nan)

    cases = np.unique(case)
    est = fit(cases)
    boot = np.array([fit(rng.choice(cases, len(cases))) for _ in range(BOOTSTRAP)])
    boot = boot[~np.isnan(boot).any(axis=1)]
    if np.isnan(est).any() or len(boot) < BOOTSTRAP // 2:
        return []
    low, high = np.quantile(boot, [0.025, 0.975], axis=0)
    return [{"metric": m, "factor": f, "measure": "effect", "estimate": est[j],
             "ci_low": low[j], "ci_high": high[j]} for j, f in enumerate(levers)]


def _unit_factors(df: Any, factors: list[str], specs: dict[str, dict[str, Any]]) -> Any:
    """Each factor scaled to [0, 1] over its range (a list: over its values; a list of
    non-numbers: by its order)."""
    x = df[factors].copy()
    for f in factors:
        col, spec = x[f], specs.get(f, {})
        if col.dtype == object:
            levels = sorted(col.unique(), key=lambda v: (str(type(v)), v))
            col = col.map({v: i for i, v in enumerate(levels)})
        col = col.astype(float)
        lo, hi = (spec["lo"], spec["hi"]) if spec.get("lo") is not None else (col.min(),
                                                                                col.max())
        x[f] = (col - lo) / (hi - lo) if hi > lo else 0.0
    return x


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes of ``y ~ 1 + x`` (NaN where the design cannot separate the factors)."""
    a = np.column_stack([np.ones(len(x)), x])
    coef, _, rank, _ = np.linalg.lstsq(a, y, rcond=None)
    return coef[1:] if rank == a.shape[1] else np.full(x.shape[1], np.nan)


def _over_points(means: Any, varied: list[str], m: str, rng: np.random.Generator) -> np.ndarray:
    x, y = means[varied].to_numpy(), means[m].to_numpy()
    picks = rng.integers(0, len(y), (BOOTSTRAP, len(y)))
    return np.array([_ols(x[i], y[i]) for i in picks])


def _within_points(data: Any, varied: list[str], m: str,
                   rng: np.random.Generator) -> np.ndarray:
    groups = [g[m].to_numpy() for _, g in data.groupby("point")]
    x = data.groupby("point")[varied].first().to_numpy()
    out = []
    for _ in range(BOOTSTRAP):
        y = np.array([g[rng.integers(0, len(g), len(g))].mean() for g in groups])
        out.append(_ols(x, y))
    return np.array(out)


def _complete_blocks(means: Any, size: int) -> tuple[np.ndarray, int, int]:
    """Block numbers (of ``size`` consecutive points) in which every point has a result."""
    y = means.to_numpy()
    blocks = y.shape[0] // size
    full = ~np.isnan(y[: blocks * size]).reshape(blocks, size, -1).any(axis=(1, 2))
    return np.flatnonzero(full), blocks, size


def _rows(metric: str, factors: list[str], measure: str, est: Any, conf: Any) -> list[dict]:
    est, conf = np.asarray(est, float), np.asarray(conf, float)
    return [{"metric": metric, "factor": f, "measure": measure, "estimate": est[j],
             "ci_low": est[j] - conf[j], "ci_high": est[j] + conf[j]}
            for j, f in enumerate(factors)]


def _sobol(manifest: dict[str, Any], means: Any, metrics: list[str], factors: list[str],
           result: Sensitivity) -> None:
    import pandas as pd
    from SALib.analyze import sobol

    d = len(factors)
    keep, total, size = _complete_blocks(means, d + 2)
    if len(keep) < total:
        result.notes.append(f"Sobol' indices from {len(keep)} of {total} base samples: the "
                            f"others have points not run yet or with every run failed")
    if len(keep) < 2:
        result.notes.append("Sobol' indices need at least 2 complete base samples")
        return
    y = means.to_numpy()[: total * size].reshape(total, size, -1)[keep]
    rows, conv = [], []
    problem = salib_problem(d)
    for i, m in enumerate(metrics):
        ys = y[:, :, i]
        if np.nanstd(ys) == 0:
            result.notes.append(f"{m} does not vary: no Sobol' indices")
            continue
        for n in _prefixes(len(keep)):
            res = sobol.analyze(problem, ys[:n].reshape(-1), calc_second_order=False,
                                seed=manifest["seed"])
            for measure in ("S1", "ST"):
                part = _rows(m, factors, measure, res[measure], res[f"{measure}_conf"])
                conv += [{**r, "samples": n} for r in part]
                if n == len(keep):
                    rows += part
    result.table = pd.concat([result.table, pd.DataFrame(rows, columns=COLUMNS)],
                             ignore_index=True)
    result.convergence = pd.DataFrame(conv)


def _prefixes(n: int) -> list[int]:
    """Base-sample counts for the convergence plot: powers of two below ``n``, then ``n``."""
    out = [k for k in (2 ** p for p in range(2, 20)) if k < n]
    return out + [n]


def _morris(manifest: dict[str, Any], means: Any, metrics: list[str], factors: list[str],
            result: Sensitivity) -> None:
    import pandas as pd
    from SALib.analyze import morris

    from sim.sweep.design import MORRIS_LEVELS

    d = len(factors)
    keep, total, size = _complete_blocks(means, d + 1)
    if len(keep) < total:
        result.notes.append(f"Morris measures from {len(keep)} of {total} trajectories")
    if len(keep) < 2:
        result.notes.append("Morris measures need at least 2 complete trajectories")
        return
    fs = [Factor.from_json(f) for f in manifest["factors"]]
    u = unit_sample(len(fs), "morris", manifest["samples"], manifest["seed"])
    x = u[: total * size].reshape(total, size, d)[keep].reshape(-1, d)
    y = means.to_numpy()[: total * size].reshape(total, size, -1)[keep]
    rows = []
    for i, m in enumerate(metrics):
        res = morris.analyze(salib_problem(d), x, y[:, :, i].reshape(-1),
                             num_levels=MORRIS_LEVELS, seed=manifest["seed"])
        rows += _rows(m, factors, "mu_star", res["mu_star"], res["mu_star_conf"])
        rows += [{"metric": m, "factor": f, "measure": "sigma", "estimate": res["sigma"][j],
                  "ci_low": np.nan, "ci_high": np.nan} for j, f in enumerate(factors)]
    result.table = pd.concat([result.table, pd.DataFrame(rows, columns=COLUMNS)],
                             ignore_index=True)


def _fast(manifest: dict[str, Any], means: Any, metrics: list[str], factors: list[str],
          result: Sensitivity) -> None:
    import pandas as pd
    from SALib.analyze import fast

    from sim.sweep.design import FAST_M

    missing = int(means.isna().any(axis=1).sum())
    if missing:
        result.notes.append(f"FAST indices need every point: {missing} of {len(means)} have "
                            f"no result yet")
        return
    import warnings

    result.notes.append("FAST intervals come from a bootstrap that SALib calls indicative "
                        "only (SALib issue 649)")
    rows = []
    for i, m in enumerate(metrics):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res = fast.analyze(salib_problem(len(factors)), means.to_numpy()[:, i], M=FAST_M,
                               seed=manifest["seed"])
        rows += _rows(m, factors, "S1", res["S1"], res["S1_conf"])
        rows += _rows(m, factors, "ST", res["ST"], res["ST_conf"])
    result.table = pd.concat([result.table, pd.DataFrame(rows, columns=COLUMNS)],
                             ignore_index=True)


def _warn_noise(result: Sensitivity) -> None:
    t = result.table
    idx = t[t["measure"].isin(["S1", "ST"])]
    noisy = idx[(idx["ci_high"] - idx["ci_low"] > NOISY_WIDTH)
                | ((idx["measure"] == "S1") & (idx["estimate"] < -0.05))
                | ((idx["measure"] == "ST") & (idx["estimate"] > 1.05))]
    if len(noisy):
        worst = noisy.iloc[0]
        result.notes.append(
            f"warning: {len(noisy)} of {len(idx)} indices are noise (e.g. {worst['measure']} of "
            f"{worst['factor']} on {worst['metric']}: {worst['estimate']:.2f}, 95% interval "
            f"{worst['ci_low']:.2f} to {worst['ci_high']:.2f}); run more --samples")
