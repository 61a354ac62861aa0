"""What a finished sweep says: fan charts, sensitivity, one self-contained HTML; CSV export.

``write_report(DIR)`` writes ``DIR/report/``: ``fan-*.png`` (median and 50%/90% bands over time
of per-step series, one line per value of each factor; needs ``--every``), ``sensitivity.png``
(a tornado of each headline metric's swing between the low and high values of each factor, or,
for a ``sobol`` design, first-order and total Sobol' indices from
:func:`scipy.stats.sobol_indices`), ``sensitivity.csv`` and ``report.html`` with the images
inlined. Failed runs are counted and listed, and left out of the statistics.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.engine.output import atomic_write

FAN_METRICS = ("output", "inventory_cover", "share_price")
MAX_LEVELS = 5


def load(out: Path) -> tuple[dict[str, Any], Any]:
    """The manifest and one pandas row per run: factors, status, error, headline metrics."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    summary = ds.dataset(out / "summary", format="parquet").to_table().to_pandas()
    cols = ["run"] + [c for c in summary.columns if c not in runs.columns]
    return manifest, runs.merge(summary[cols], on="run", how="left").sort_values("run")


def default_metrics(metrics: list[str]) -> list[str]:
    """The first firm's headlines and the first government's score."""
    firm = metrics[0].split(".")[0]
    score = [m for m in metrics if m.endswith(".score")][:1]
    return [m for m in metrics if m.startswith(firm + ".")] + score


def write_report(out: Path, metrics: list[str] | None = None) -> Path:
    """Write DIR/report/ (PNGs, sensitivity.csv, report.html); return the HTML's path."""
    import matplotlib

    matplotlib.use("Agg")
    from sim.sweep.plan import SweepError

    manifest, df = load(out)
    chosen = metrics or default_metrics(manifest["metrics"])
    unknown = [m for m in chosen if m not in manifest["metrics"]]
    if unknown:
        raise SweepError(f"--metric {unknown[0]}: not a summary column "
                         f"(columns: {', '.join(manifest['metrics'])})")
    factors = [f["name"] for f in manifest["factors"]]
    folder = out / "report"
    folder.mkdir(exist_ok=True)
    ok = df[df["status"] == "ok"]
    table = sensitivity(manifest, df, chosen, factors)
    atomic_write(folder / "sensitivity.csv", lambda tmp: table.to_csv(tmp, index=False))
    images = [_save(_sensitivity_figure(table, manifest["design"]), folder / "sensitivity.png")]
    if (out / "steps").exists():
        images += [_save(_fan_figure(out, ok, m, factors), folder / f"fan-{m}.png")
                   for m in FAN_METRICS]
    return _write_html(folder / "report.html", manifest, df, table, images)


def sensitivity(manifest: dict[str, Any], df: Any, metrics: list[str],
                factors: list[str]) -> Any:
    """One row per (metric, factor): mean at its low and high values and the swing; for a
    sobol design also S1 and ST (from point means over replicates)."""
    import pandas as pd

    ok = df[df["status"] == "ok"]
    rows = []
    for m in metrics:
        for f in factors:
            low, high = _ends(ok[f])
            lo_mean = ok.loc[low, m].mean()
            hi_mean = ok.loc[high, m].mean()
            rows.append({"metric": m, "factor": f, "low_mean": lo_mean, "high_mean": hi_mean,
                         "swing": hi_mean - lo_mean})
    table = pd.DataFrame(rows)
    if manifest["design"] == "sobol" and len(ok):
        table = table.merge(_sobol(manifest, df, metrics, factors), on=["metric", "factor"])
    return table


def _ends(values: Any) -> tuple[Any, Any]:
    """Masks of a factor's low and high values: its extreme levels, or its outer thirds."""
    if values.dtype == object or values.nunique() <= MAX_LEVELS:
        levels = sorted(values.unique(), key=lambda v: (str(type(v)), v))
        return values == levels[0], values == levels[-1]
    return values <= values.quantile(1 / 3), values >= values.quantile(2 / 3)


def _sobol(manifest: dict[str, Any], df: Any, metrics: list[str], factors: list[str]) -> Any:
    import pandas as pd
    from scipy.stats import sobol_indices

    n, d = manifest["samples"], len(factors)
    means = df.groupby("point")[metrics].mean().reindex(range(n * (d + 2)))
    y = means.to_numpy().T  # [metrics, points] in design order: A, B, AB_1..AB_d
    res = sobol_indices(func={"f_A": y[:, :n], "f_B": y[:, n:2 * n],
                              "f_AB": y[:, 2 * n:].reshape(len(metrics), d, n).transpose(1, 0, 2)},
                        n=n)
    s1, st = np.atleast_2d(res.first_order), np.atleast_2d(res.total_order)  # [metrics, d]
    return pd.DataFrame([{"metric": m, "factor": f, "S1": s1[i, j], "ST": st[i, j]}
                         for i, m in enumerate(metrics) for j, f in enumerate(factors)])


def _sensitivity_figure(table: Any, design: str) -> Any:
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 1.2 + 1.1 * len(metrics) *
                                                       max(1, table["factor"].nunique() / 3)),
                             squeeze=False)
    for ax, m in zip(axes[:, 0], metrics, strict=True):
        t = table[table["metric"] == m]
        if design == "sobol":
            y = np.arange(len(t))
            ax.barh(y - 0.2, t["S1"], 0.4, label="first order")
            ax.barh(y + 0.2, t["ST"], 0.4, label="total")
            ax.set_yticks(y, t["factor"])
            ax.legend(fontsize=7, loc="lower right")
        else:
            t = t.reindex(t["swing"].abs().sort_values().index)
            ax.barh(t["factor"], t["swing"],
                    color=["tab:red" if s < 0 else "tab:blue" for s in t["swing"]])
            ax.axvline(0, color="black", lw=0.8)
        ax.set_title(m, fontsize=9)
    axes[-1, 0].set_xlabel("Sobol' index" if design == "sobol"
                           else "high value − low value (mean of runs)")
    fig.tight_layout()
    return fig


def _fan_figure(out: Path, ok: Any, metric: str, factors: list[str]) -> Any:
    import matplotlib.pyplot as plt

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entity = manifest["metrics"][0].split(".")[0]
    data = ds.dataset(out / "steps", format="parquet").to_table(
        columns=["run", "step", "value"],
        filter=(ds.field("entity") == entity) & (ds.field("metric") == metric)).to_pandas()
    wide = data.pivot(index="run", columns="step", values="value")
    fig, axes = plt.subplots(1, len(factors), figsize=(4.5 * len(factors), 3.4), squeeze=False)
    for ax, f in zip(axes[0], factors, strict=True):
        for label, mask in _groups(ok.set_index("run")[f]):
            runs = wide.index.intersection(mask[mask].index)
            if not len(runs):
                continue
            q = np.nanquantile(wide.loc[runs].to_numpy(), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            line = ax.plot(wide.columns, q[2], label=label)[0]
            ax.fill_between(wide.columns, q[1], q[3], color=line.get_color(), alpha=0.25)
            ax.fill_between(wide.columns, q[0], q[4], color=line.get_color(), alpha=0.1)
        ax.set_title(f"{entity} {metric} by {f}", fontsize=9)
        ax.set_xlabel("step")
        ax.legend(fontsize=7, title="median; 50% and 90% of runs", title_fontsize=7)
    fig.tight_layout()
    return fig


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
        yield f"{lo:g}–{hi:g}", mask


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path


def _write_html(path: Path, manifest: dict[str, Any], df: Any, table: Any,
                images: list[Path]) -> Path:
    failed = df[df["status"] != "ok"]
    design = ", ".join(f"{f['name']} ({f['path']}): " + (
        ", ".join(map(str, f["values"])) if f["values"] is not None else f"{f['lo']} to {f['hi']}")
        for f in manifest["factors"])
    imgs = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></figure>' for p in images)
    if not (path.parent.parent / "steps").exists():
        imgs += "<p>No per-step series: run the sweep with <code>--every K</code> for fan " \
                "charts.</p>"
    errors = "".join(f"<li>run {r.run}: {html.escape(str(r.error))}</li>"
                     for r in failed.head(20).itertuples())
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Sweep: {html.escape(manifest['scenario_name'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body><h1>Sweep: {html.escape(manifest['scenario_name'])}</h1>
<p>{manifest['design']} design, {manifest['points']} points × {manifest['replicates']}
replicates = {manifest['n_runs']} runs of {manifest['steps']} steps (root seed
{manifest['seed']}); {len(df) - len(failed) - int(df['status'].isna().sum())} ok,
{len(failed) - int(df['status'].isna().sum())} failed, {int(df['status'].isna().sum())}
not run yet.</p><p>Varied: {html.escape(design)}</p>
<h2>Sensitivity</h2>{table.to_html(index=False, float_format=lambda x: f"{x:.4g}")}
<h2>Charts</h2>{imgs}
{"<h2>Failed runs</h2><ul>" + errors + "</ul>" if len(failed) else ""}
</body></html>"""
    atomic_write(path, lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))
    return path


def export_csv(out: Path) -> list[Path]:
    """DIR/summary.csv (runs joined with results) and DIR/steps.csv, streamed part by part."""
    runs = pq.read_table(out / "runs.parquet")
    written = []
    parts = sorted((out / "summary").glob("part-*.parquet"))
    written.append(atomic_write(out / "summary.csv", lambda tmp: _stream_csv(
        tmp, (_join(runs, pq.read_table(p)) for p in parts))))
    steps = sorted((out / "steps").glob("part-*.parquet"))
    if steps:
        written.append(atomic_write(out / "steps.csv", lambda tmp: _stream_csv(
            tmp, (pq.read_table(p) for p in steps))))
    return written


def _join(runs: pa.Table, part: pa.Table) -> pa.Table:
    factors = [c for c in runs.column_names if c not in part.column_names]
    picked = runs.take(part["run"])  # runs.parquet has one row per run, in run order
    cols = {c: part[c] for c in ("run", "point", "replicate", "seed")}
    cols.update({c: picked[c] for c in factors})
    cols.update({c: part[c] for c in part.column_names if c not in cols})
    return pa.table(cols)


def _stream_csv(path: str, tables: Iterator[pa.Table]) -> None:
    writer = None
    for t in tables:
        if writer is None:
            writer = pacsv.CSVWriter(path, t.schema)
        writer.write_table(t)
    if writer is not None:
        writer.close()
