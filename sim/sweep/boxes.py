"""PRIM, qualified (docs/sweeps.md, "Scenario discovery"): boxes with their whole peeling
trajectory, quasi-p-values and resampling stability, and dimensional stacking.

:func:`prim_boxes` runs the ``prim`` package (Kwakkel's port of EMA Workbench's PRIM) for up
to :data:`MAX_BOXES` boxes. For every step of each box's peeling trajectory it keeps coverage
(share of the runs of interest inside), density (share of the runs inside that are of
interest), mass, the restricted factors with their limits and each restriction's quasi-p-value
(Bryant and Lempert 2010: a one-sided binomial test of whether the restriction matters; above
0.05 it may be noise). The box PRIM chose is marked; any step can be inspected instead. A box
whose density is below :data:`MIN_DENSITY` is flagged: most runs in it are not of interest.
:func:`stability` reruns PRIM on subsamples and counts how often each factor is restricted.
:func:`stacking_figure` draws EMA Workbench's dimensional stacking: the share of runs of
interest over two factors on each axis, each cut into bins.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

MAX_BOXES = 3
MIN_DENSITY = 0.5
RESAMPLES = 10
SUBSAMPLE = 0.8
BINS = 3


def _prim(x: Any, y: np.ndarray) -> Any:
    import prim

    return prim.Prim(x, y.astype(float), threshold=MIN_DENSITY, threshold_type=">")


def prim_boxes(x: Any, y: np.ndarray) -> tuple[Any, Any, Any]:
    """(boxes, trajectory, limits): the chosen boxes (one row per restricted factor), every
    step of every box's trajectory, and every step's limits with quasi-p-values."""
    import pandas as pd

    boxes, traj, lims = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = _prim(x, y)
        for k in range(1, MAX_BOXES + 1):
            try:
                box = p.find_box()
            except Exception:  # noqa: BLE001 - prim raises when no box remains
                break
            if box is None:
                break
            t = box.peeling_trajectory[["coverage", "density", "mass", "res dim"]].copy()
            chosen = int(box._cur_box)
            t.insert(0, "step", range(len(t)))
            t.insert(0, "box", k)
            t["chosen"] = t["step"] == chosen
            traj.append(t)
            for step in range(len(t)):  # while this box is PRIM's current one
                for factor, (lo, hi, qp) in _step_limits(box, x, step).items():
                    lims.append({"box": k, "step": step, "factor": factor, "min": lo,
                                 "max": hi, "qp": qp})
            stats = t.iloc[chosen]
            for factor, (lo, hi, qp) in _step_limits(box, x, chosen).items():
                boxes.append({"box": k, "step": chosen, "factor": factor, "min": lo,
                              "max": hi, "qp": qp, "coverage": stats["coverage"],
                              "density": stats["density"], "mass": stats["mass"],
                              "flag": flag(stats["density"])})
            if float(stats["coverage"]) >= 0.999:
                break
    columns = ["box", "step", "factor", "min", "max", "qp", "coverage", "density", "mass",
               "flag"]
    return (pd.DataFrame(boxes, columns=columns),
            pd.concat(traj, ignore_index=True) if traj else pd.DataFrame(
                columns=["box", "step", "coverage", "density", "mass", "res dim", "chosen"]),
            pd.DataFrame(lims, columns=["box", "step", "factor", "min", "max", "qp"]))


def flag(density: float) -> str:
    """Why a box should not be trusted as it is ('' if it can)."""
    return (f"density {density:.2f} below {MIN_DENSITY}: most runs inside are not of interest"
            if density < MIN_DENSITY else "")


def _step_limits(box: Any, x: Any, step: int) -> dict[str, tuple[Any, Any, float]]:
    """Restricted factor → (min, max, quasi-p) at one step of a box's trajectory."""
    qp = box._calculate_quasi_p(step)
    lims = box._box_lims[step]
    out = {}
    for factor in sorted(qp, key=lambda f: qp[f]):
        lo, hi = lims[factor][0], lims[factor][1]
        if x[factor].dtype.name == "category":  # a set of categories
            lo = hi = ", ".join(map(str, sorted(lo)))
        out[factor] = (lo, hi, float(qp[factor]))
    return out


def stability(x: Any, y: np.ndarray, seed: int) -> Any:
    """For each factor, the share of :data:`RESAMPLES` PRIM runs on random subsamples
    (:data:`SUBSAMPLE` of the runs) whose first box restricts it."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(x.columns, 0)
    done = 0
    for _ in range(RESAMPLES):
        pick = np.sort(rng.choice(len(y), int(SUBSAMPLE * len(y)), replace=False))
        if y[pick].all() or not y[pick].any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                box = _prim(x.iloc[pick].reset_index(drop=True), y[pick]).find_box()
            except Exception:  # noqa: BLE001 - no box in this subsample
                continue
        done += 1
        for factor in box._calculate_quasi_p(box._cur_box):
            counts[factor] += 1
    return pd.DataFrame({"factor": list(counts),
                         "restricted": [c / done if done else np.nan for c in counts.values()],
                         "resamples": done})


def stacking_figure(x: Any, y: np.ndarray, order: list[str], where: str) -> Any:
    """Dimensional stacking: share of runs of interest, the first two factors of ``order``
    stacked on the rows and the next two on the columns, each in :data:`BINS` bins."""
    import matplotlib.pyplot as plt
    import pandas as pd

    dims = order[:4]
    binned = pd.DataFrame({f: _bins(x[f]) for f in dims})
    binned["y"] = y
    rows, cols = dims[: (len(dims) + 1) // 2], dims[(len(dims) + 1) // 2:]
    table = binned.pivot_table(index=rows, columns=cols or None, values="y", aggfunc="mean",
                               observed=False) if cols else binned.groupby(rows, observed=False)[
        "y"].mean().to_frame("all")
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * table.shape[1], 1.0 + 0.35 * table.shape[0]))
    im = ax.imshow(table.to_numpy(float), cmap="Reds", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [" / ".join(map(str, c)) if isinstance(c, tuple)
                                          else str(c) for c in table.columns], rotation=60,
                  ha="right", fontsize=6)
    ax.set_yticks(range(table.shape[0]), [" / ".join(map(str, r)) if isinstance(r, tuple)
                                          else str(r) for r in table.index], fontsize=6)
    ax.set_xlabel(" / ".join(cols) or "", fontsize=7)
    ax.set_ylabel(" / ".join(rows), fontsize=7)
    ax.set_title(f"share of runs where {where}", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    return fig


def _bins(values: Any) -> Any:
    import pandas as pd

    if values.dtype.name == "category" or values.nunique() <= BINS:
        return values.astype(str)
    return pd.qcut(values, BINS, duplicates="drop").map(
        lambda i: f"{i.left:.3g}–{i.right:.3g}").astype(str)
