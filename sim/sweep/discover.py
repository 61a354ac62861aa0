"""Scenario discovery: where in factor space does a condition hold?

``chokepoint sweep discover DIR --where "Hikvision.output_lost > 100"`` marks the runs of
interest (a pandas query over the factors and summary columns of the ok runs), then:

* PRIM, qualified (:mod:`sim.sweep.boxes`): up to three boxes, each with its limits per
  factor and their quasi-p-values, *coverage* and *density*, a flag when the density is low,
  every step of its peeling trajectory (any of which can be inspected), and how often each
  factor is restricted when PRIM runs again on subsamples;
* with levers, the boxes are searched in the uncertainties only, and each lever setting gets
  the share of its runs where the condition holds and its own first box: which settings hold
  across which uncertainties;
* a CART tree (scikit-learn's ``DecisionTreeClassifier``, depth 3) as a second view: its rules
  as text and each leaf that predicts the condition, with coverage and density;
* feature scores: for every chosen outcome, each factor's importance in an extra-trees
  regression (as EMA Workbench's ``feature_scoring``), and for the condition itself;
* parallel coordinates of the runs (of interest in red), the first box drawn over them, and
  dimensional stacking.

Written to ``DIR/discover/``: ``boxes.csv``, ``trajectory.csv``, ``limits.csv``,
``stability.csv``, ``by_lever.csv`` (with levers), ``cart.txt``, ``feature_scores.csv``,
``condition.txt``, ``parallel.png``, ``tradeoff.png``, ``stacking.png`` and
``discover.html``.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.sweep.analysis import load
from sim.sweep.boxes import MIN_DENSITY, RESAMPLES, flag, prim_boxes, stability, stacking_figure
from sim.sweep.plan import SweepError
from sim.sweep.report import choose_metrics, factor_label, metric_label
from sim.sweep.storage import write_file

CONDITION = "condition.txt"  # the --where the last discovery answered (the explorer shows it)


@dataclass
class Discovery:
    """What :func:`discover` found (pandas frames), with plots and box inspection."""

    where: str
    interesting: Any   # bool per ok run
    x: Any             # values of the searched factors (uncertainties, with levers) of ok runs
    boxes: Any         # box, step, factor, min, max, qp, coverage, density, mass, flag
    trajectory: Any    # box, step, coverage, density, mass, res dim, chosen
    limits: Any        # box, step, factor, min, max, qp: every step of every trajectory
    stability: Any     # factor, restricted (share of resamples), resamples
    cart: str
    leaves: Any        # leaf, runs, coverage, density
    scores: Any        # outcome, factor, score
    by_lever: Any      # lever setting..., runs, share, box (first box over uncertainties)
    manifest: dict[str, Any] = field(default_factory=dict)

    def inspect(self, box: int = 1, step: int | None = None) -> Any:
        """One step of a box's peeling trajectory (default: the one PRIM chose): its
        restricted factors with limits and quasi-p-values, and its coverage, density, mass."""
        t = self.trajectory[self.trajectory["box"] == box]
        if not len(t):
            raise SweepError(f"no box {box} (boxes: {sorted(self.trajectory['box'].unique())})")
        step = int(t.loc[t["chosen"], "step"].iloc[0]) if step is None else step
        if step not in set(t["step"]):
            raise SweepError(f"box {box} has steps 0 to {int(t['step'].max())}")
        stats = t[t["step"] == step].iloc[0]
        lim = self.limits[(self.limits["box"] == box) & (self.limits["step"] == step)]
        return lim.assign(coverage=stats["coverage"], density=stats["density"],
                          mass=stats["mass"], flag=flag(float(stats["density"]))
                          ).reset_index(drop=True)

    def plot_tradeoff(self) -> Any:
        """The peeling trajectories: coverage against density, chosen boxes marked."""
        return tradeoff_figure(self)

    def plot_parallel(self) -> Any:
        """Parallel coordinates of the runs, the first box drawn over them."""
        return parallel_figure(self.manifest, self)

    def plot_stacking(self) -> Any:
        """Dimensional stacking over the factors with the highest scores for the condition."""
        cond = self.scores[self.scores["outcome"] == "(condition)"].sort_values(
            "score", ascending=False)
        order = list(cond["factor"]) or list(self.x.columns)
        return stacking_figure(self.x, self.interesting.to_numpy(), order, self.where)


def quote_columns(where: str, columns: list[str]) -> str:
    """Backquote dotted column names (``Hikvision.output_lost``) so pandas can query them."""
    for c in sorted((c for c in columns if not c.isidentifier()), key=len, reverse=True):
        where = re.sub(rf"(?<![`\w.]){re.escape(c)}(?![\w`])", f"`{c}`", where)
    return where


def select(df: Any, where: str) -> Any:
    """The boolean mask of the rows where ``where`` holds (SweepError if it cannot be read)."""
    try:
        mask = df.eval(quote_columns(where, list(df.columns)))
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise SweepError(f"--where {where!r}: {type(exc).__name__}: {exc} (columns: "
                         f"{', '.join(df.columns)})") from None
    if str(getattr(mask, "dtype", "")) != "bool":
        raise SweepError(f"--where {where!r}: not a condition (true or false for each run)")
    return mask


def discover(out: Path, where: str, metrics: list[str] | None = None) -> Discovery:
    """Run PRIM (qualified), CART and feature scoring on the ok runs of a sweep; with levers,
    search the uncertainties and tell the lever settings apart."""
    import pandas as pd

    manifest, df = load(out)
    factors = [f["name"] for f in manifest["factors"]]
    if not factors:
        raise SweepError(f"{out}: nothing was varied, so there is no factor space to search")
    ok = df[df["status"] == "ok"].reset_index(drop=True)
    if len(ok) < 10:
        raise SweepError(f"{out}: {len(ok)} ok runs; discovery needs at least 10")
    y = select(ok, where).to_numpy()
    if y.all() or not y.any():
        raise SweepError(f"--where {where!r} holds in {int(y.sum())} of {len(y)} runs: "
                         f"nothing to tell apart")
    levers = [f for f in manifest.get("levers", []) if f in factors]
    space = [f for f in factors if f not in levers] or factors
    x = _categorical(ok[space])
    boxes, trajectory, limits = prim_boxes(x, y)
    cart, leaves = _cart(x, y, manifest["seed"])
    chosen = choose_metrics(manifest, metrics)
    scores = _scores(x, ok, chosen, y, manifest["seed"])
    by_lever = _by_lever(ok, y, levers, space) if levers and space != factors else \
        pd.DataFrame()
    return Discovery(where, pd.Series(y), x, boxes, trajectory, limits,
                     stability(x, y, manifest["seed"]), cart, leaves, scores, by_lever,
                     manifest)


def _categorical(x: Any) -> Any:
    x = x.copy()
    for c in x.columns:
        if x[c].dtype == object:
            x[c] = x[c].astype("category")
    return x


def _by_lever(ok: Any, y: np.ndarray, levers: list[str], space: list[str]) -> Any:
    """Per lever setting: its runs, the share where the condition holds, and its first PRIM
    box over the uncertainties (where it has runs of both kinds)."""
    import pandas as pd

    rows = []
    for setting, idx in ok.groupby(levers, sort=True).indices.items():
        key = setting if isinstance(setting, tuple) else (setting,)
        ys = y[idx]
        row: dict[str, Any] = dict(zip(levers, key, strict=True))
        row.update(runs=len(idx), share=float(ys.mean()), box="", coverage=np.nan,
                   density=np.nan)
        if len(idx) >= 10 and 0 < ys.sum() < len(ys):
            b, _, _ = prim_boxes(_categorical(ok.iloc[idx][space]).reset_index(drop=True), ys)
            first = b[b["box"] == 1]
            if len(first):
                row.update(box="; ".join(f"{r.factor} {_span(r.min, r.max)}"
                                         for r in first.itertuples()),
                           coverage=float(first["coverage"].iloc[0]),
                           density=float(first["density"].iloc[0]))
        rows.append(row)
    return pd.DataFrame(rows)


def _span(lo: Any, hi: Any) -> str:
    return f"in {{{lo}}}" if isinstance(lo, str) else f"{lo:.4g} to {hi:.4g}"


def _cart(x: Any, y: np.ndarray, seed: int) -> tuple[str, Any]:
    import pandas as pd
    from sklearn.tree import DecisionTreeClassifier, export_text

    xn = x.apply(lambda c: c.cat.codes if c.dtype.name == "category" else c)
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=max(5, len(y) // 50),
                                  random_state=seed).fit(xn, y)
    text = export_text(tree, feature_names=list(x.columns))
    leaf = tree.apply(xn)
    rows = []
    for node in np.unique(leaf):
        inside = leaf == node
        hits = int((inside & y).sum())
        if hits * 2 > inside.sum():  # the leaf predicts the condition
            rows.append({"leaf": int(node), "runs": int(inside.sum()),
                         "coverage": hits / y.sum(), "density": hits / inside.sum()})
    return text, pd.DataFrame(rows, columns=["leaf", "runs", "coverage", "density"])


def _scores(x: Any, ok: Any, metrics: list[str], y: np.ndarray, seed: int) -> Any:
    import pandas as pd
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    xn = x.apply(lambda c: c.cat.codes if c.dtype.name == "category" else c)
    rows = []
    targets = [(m, ok[m].to_numpy()) for m in metrics] + [("(condition)", y)]
    for name, target in targets:
        keep = ~pd.isna(target)
        if keep.sum() < 10 or np.nanstd(target.astype(float)) == 0:
            continue
        model = (ExtraTreesClassifier if name == "(condition)" else ExtraTreesRegressor)(
            n_estimators=100, random_state=seed, n_jobs=1).fit(xn[keep], target[keep])
        rows += [{"outcome": name, "factor": f, "score": float(s)}
                 for f, s in zip(x.columns, model.feature_importances_, strict=True)]
    return pd.DataFrame(rows, columns=["outcome", "factor", "score"])


def write_discovery(out: Path, where: str, metrics: list[str] | None = None,
                    inspect: int | None = None) -> Path:
    """Write DIR/discover/ (CSV, text, PNGs, HTML); return the HTML's path. ``inspect``: a
    step of box 1's peeling trajectory to show instead of the one PRIM chose."""
    import matplotlib

    matplotlib.use("Agg")
    d = discover(out, where, metrics)
    folder = out / "discover"
    folder.mkdir(exist_ok=True)
    tables = {"boxes": d.boxes, "trajectory": d.trajectory, "limits": d.limits,
              "stability": d.stability, "feature_scores": d.scores, "by_lever": d.by_lever}
    for name, frame in tables.items():
        if len(frame):
            _write_csv(folder / f"{name}.csv", frame)
    write_file(folder / "cart.txt", lambda tmp: Path(tmp).write_text(d.cart, encoding="utf-8"))
    write_file(folder / CONDITION, lambda tmp: Path(tmp).write_text(where, encoding="utf-8"))
    images = [_save(d.plot_parallel(), folder / "parallel.png")]
    if len(d.trajectory):
        images.append(_save(d.plot_tradeoff(), folder / "tradeoff.png"))
    images.append(_save(d.plot_stacking(), folder / "stacking.png"))
    imgs = "".join(f'<figure><img alt="{p.stem}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.read_bytes()).decode()}"></figure>' for p in images)
    scores = d.scores.pivot(index="factor", columns="outcome", values="score") \
        if len(d.scores) else d.scores
    chosen = d.inspect(1, inspect) if len(d.trajectory) else d.limits
    t1 = d.trajectory[d.trajectory["box"] == 1]
    step = inspect if inspect is not None else (
        int(t1.loc[t1["chosen"], "step"].iloc[0]) if len(t1) else "-")

    def table(t: Any) -> str:
        return t.to_html(index=False, float_format=lambda v: f"{v:.4g}")

    flags = "".join(f"<p><b>box {b}: {html.escape(f)}</b></p>" for b, f in
                    d.boxes[d.boxes["flag"] != ""].groupby("box")["flag"].first().items())
    levers = (f"<h2>Lever settings</h2><p>Share of each setting's runs where the condition "
              f"holds, and its first box over the uncertainties.</p>{table(d.by_lever)}"
              if len(d.by_lever) else "")
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Discovery</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head>
<body><h1>Scenario discovery: {html.escape(d.manifest['scenario_name'])}</h1>
<p>Runs of interest: <code>{html.escape(where)}</code>, {int(d.interesting.sum())} of
{len(d.interesting)} ok runs; searched: {html.escape(", ".join(d.x.columns))}.</p>
<h2>PRIM boxes</h2>{flags}{table(d.boxes)}
<p>qp: quasi-p-value of each restriction (above 0.05 it may be noise).</p>
<h3>Box 1, step {step} of its trajectory</h3>
{table(chosen) if len(chosen) else "<p>No restriction at this step: the whole space.</p>"}
<h3>Resampling stability</h3><p>Share of {RESAMPLES} PRIM runs on subsamples whose first box
restricts each factor.</p>{table(d.stability)}
{levers}
<h2>CART (a second view)</h2><pre>{html.escape(d.cart)}</pre>
{table(d.leaves)}
<h2>Feature scores (extra trees)</h2>
{scores.to_html(float_format=lambda v: f"{v:.3f}")}
<p>{", ".join(html.escape(metric_label(m, d.manifest)) for m in d.scores["outcome"].unique()
              if m != "(condition)")}</p>
<h2>Charts</h2>{imgs}</body></html>"""
    return write_file(folder / "discover.html",
                      lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))


def _write_csv(path: Path, frame: Any) -> None:
    write_file(path, lambda tmp: frame.to_csv(tmp, index=False))


def parallel_figure(manifest: dict[str, Any], d: Discovery) -> Any:
    """Parallel coordinates: each run a line over its factors scaled to [0, 1]."""
    import matplotlib.pyplot as plt

    x = d.x.apply(lambda c: c.cat.codes if c.dtype.name == "category" else c).astype(float)
    lo, hi = x.min(), x.max()
    scaled = (x - lo) / (hi - lo).replace(0, 1)
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * x.shape[1]), 3.8))
    pos = np.arange(x.shape[1])
    y = d.interesting.to_numpy()
    sample = np.random.default_rng(0).permutation(len(x))[:600]
    for i in sample:
        ax.plot(pos, scaled.iloc[i], color="tab:red" if y[i] else "lightgrey",
                lw=0.8 if y[i] else 0.5, alpha=0.6 if y[i] else 0.4, zorder=2 if y[i] else 1)
    first = d.boxes[d.boxes["box"] == 1] if len(d.boxes) else d.boxes
    for _, b in first.iterrows():
        if isinstance(b["min"], str):  # a set of categories: no interval to draw
            continue
        j = list(x.columns).index(b["factor"])
        span = float(hi.iloc[j] - lo.iloc[j]) or 1.0
        ax.add_patch(plt.Rectangle((j - 0.08, (b["min"] - lo.iloc[j]) / span), 0.16,
                                   (b["max"] - b["min"]) / span, fill=False, ec="black", lw=1.5,
                                   zorder=3))
    ax.set_xticks(pos, [f"{factor_label(manifest, c)}\n{lo[c]:.3g}–{hi[c]:.3g}" for c in x.columns],
                  fontsize=7)
    ax.set_ylabel("value, scaled to its range", fontsize=8)
    ax.set_title(f"runs where {d.where} (red); PRIM box 1 (black)", fontsize=9)
    fig.tight_layout()
    return fig


def tradeoff_figure(d: Discovery) -> Any:
    """Each box's peeling trajectory, coverage against density, the chosen step ringed."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.8))
    for box, t in d.trajectory.groupby("box"):
        line = ax.plot(t["coverage"], t["density"], marker=".", label=f"box {box}")[0]
        pick = t[t["chosen"]]
        ax.scatter(pick["coverage"], pick["density"], s=80, facecolors="none",
                   edgecolors=line.get_color(), lw=1.5)
    ax.axhline(MIN_DENSITY, color="grey", ls=":", lw=1, label="density flag")
    ax.set_xlabel("coverage", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_title("PRIM peeling trajectories (ringed: the chosen box)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path
