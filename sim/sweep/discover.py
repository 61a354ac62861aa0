"""Scenario discovery: where in factor space does a condition hold?

``chokepoint sweep discover DIR --where "Hikvision.output_lost > 100"`` marks the runs of
interest (a pandas query over the factors and summary columns of the ok runs), then:

* PRIM (the ``prim`` package, Kwakkel's port of EMA Workbench's): up to :data:`MAX_BOXES`
  boxes, each with its limits per factor, *coverage* (share of the runs of interest inside)
  and *density* (share of the runs inside that are of interest), and its peeling trajectory;
* a CART tree (scikit-learn's ``DecisionTreeClassifier``, depth 3) as a second view: its rules
  as text and each leaf that predicts the condition, with coverage and density;
* feature scores: for every chosen outcome, each factor's importance in an extra-trees
  regression (as EMA Workbench's ``feature_scoring``), and for the condition itself;
* parallel coordinates of the runs (of interest in red), the first box drawn over them.

Written to ``DIR/discover/``: ``boxes.csv``, ``cart.txt``, ``feature_scores.csv``,
``parallel.png``, ``tradeoff.png`` and ``discover.html``.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.sweep.analysis import load
from sim.sweep.plan import SweepError
from sim.sweep.report import choose_metrics, factor_label, metric_label
from sim.sweep.storage import write_file

MAX_BOXES = 3


@dataclass
class Discovery:
    """What :func:`discover` found (pandas frames)."""

    where: str
    interesting: Any   # bool per ok run
    x: Any             # factor values of the ok runs
    boxes: Any         # box, factor, min, max, coverage, density, mass
    trajectory: Any    # box, coverage, density, mass, res dim
    cart: str
    leaves: Any        # leaf, rule, runs, coverage, density
    scores: Any        # outcome, factor, score


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
    """Run PRIM, CART and feature scoring on the ok runs of a sweep."""
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
    x = ok[factors].copy()
    for c in x.columns:
        if x[c].dtype == object:
            x[c] = x[c].astype("category")
    boxes, trajectory = _prim(x, y)
    cart, leaves = _cart(x, y, manifest["seed"])
    chosen = choose_metrics(manifest, metrics)
    scores = _scores(x, ok, chosen, y, manifest["seed"])
    return Discovery(where, pd.Series(y), x, boxes, trajectory, cart, leaves, scores)


def _prim(x: Any, y: np.ndarray) -> tuple[Any, Any]:
    import warnings

    import pandas as pd
    import prim

    rows, traj = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, y.astype(float), threshold=0.5, threshold_type=">")
        for k in range(MAX_BOXES):
            try:
                box = p.find_box()
            except Exception:  # noqa: BLE001 - prim raises when no box remains
                break
            if box is None:
                break
            stats = box.stats
            for factor, lim in box.limits.iterrows():
                rows.append({"box": k + 1, "factor": factor, "min": lim["min"],
                             "max": lim["max"], "coverage": float(stats["coverage"]),
                             "density": float(stats["density"]), "mass": float(stats["mass"])})
            t = box.peeling_trajectory[["coverage", "density", "mass", "res dim"]].copy()
            t.insert(0, "box", k + 1)
            traj.append(t)
            if float(stats["coverage"]) >= 0.999:
                break
    return (pd.DataFrame(rows, columns=["box", "factor", "min", "max", "coverage", "density",
                                        "mass"]),
            pd.concat(traj, ignore_index=True) if traj else pd.DataFrame())


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


def write_discovery(out: Path, where: str, metrics: list[str] | None = None) -> Path:
    """Write DIR/discover/ (CSV, text, PNGs, HTML); return the HTML's path."""
    import matplotlib

    matplotlib.use("Agg")
    import json

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    d = discover(out, where, metrics)
    folder = out / "discover"
    folder.mkdir(exist_ok=True)
    write_file(folder / "boxes.csv", lambda tmp: d.boxes.to_csv(tmp, index=False))
    write_file(folder / "feature_scores.csv", lambda tmp: d.scores.to_csv(tmp, index=False))
    write_file(folder / "cart.txt", lambda tmp: Path(tmp).write_text(d.cart, encoding="utf-8"))
    images = [_save(parallel_figure(manifest, d), folder / "parallel.png")]
    if len(d.trajectory):
        images.append(_save(tradeoff_figure(d), folder / "tradeoff.png"))
    imgs = "".join(f'<figure><img alt="{p.stem}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.read_bytes()).decode()}"></figure>' for p in images)
    scores = d.scores.pivot(index="factor", columns="outcome", values="score") \
        if len(d.scores) else d.scores
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Discovery</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head>
<body><h1>Scenario discovery: {html.escape(manifest['scenario_name'])}</h1>
<p>Runs of interest: <code>{html.escape(where)}</code>, {int(d.interesting.sum())} of
{len(d.interesting)} ok runs.</p>
<h2>PRIM boxes</h2>{d.boxes.to_html(index=False, float_format=lambda v: f"{v:.4g}")}
<h2>CART (a second view)</h2><pre>{html.escape(d.cart)}</pre>
{d.leaves.to_html(index=False, float_format=lambda v: f"{v:.3g}")}
<h2>Feature scores (extra trees)</h2>
{scores.to_html(float_format=lambda v: f"{v:.3f}")}
<p>{", ".join(html.escape(metric_label(m)) for m in d.scores["outcome"].unique()
              if m != "(condition)")}</p>
<h2>Charts</h2>{imgs}</body></html>"""
    return write_file(folder / "discover.html",
                      lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))


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
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    for box, t in d.trajectory.groupby("box"):
        ax.plot(t["coverage"], t["density"], marker=".", label=f"box {box}")
    ax.set_xlabel("coverage", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_title("PRIM peeling trajectory", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path
