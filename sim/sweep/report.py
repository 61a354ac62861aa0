"""What a sweep says: charts that explain, sensitivity with intervals, one HTML page; CSV export.

``write_report(DIR)`` writes ``DIR/report/``: ``distribution.png`` (each chosen outcome over
runs, with the no-policy baseline), ``sensitivity.png`` (swing bars, or the design's indices,
with 95% intervals), ``convergence.png`` (Sobol' indices against base samples), ``fan-*.png``
(per-step series of each chosen outcome: median and 50%/90% bands per factor level, dates on
x, events marked, the baseline dashed; needs ``--every``), ``sensitivity.csv`` and
``report.html``. Factors carry the scenario's ``label:``s and outcomes their units. A partial
sweep says what is done and computes only what is valid (:mod:`sim.sweep.analysis`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.sweep.analysis import MAX_LEVELS, Sensitivity, load, sensitivity
from sim.sweep.storage import parts, write_file

# a headline's name → (what it is, unit, the per-step series it summarises)
OUTCOMES = {
    "output_lost": ("output lost for lack of components", "units", "shortfall"),
    "revenue_change": ("revenue change, last turn vs first", "fraction", "revenue"),
    "min_cover": ("lowest stock cover", "steps of use", "inventory_cover"),
    "share_price_change": ("share price change", "fraction", "share_price"),
    "score": ("mean score", "index", "score"),
    "exited": ("exited (its cash ran out)", "1 or 0", "out"),
    "fines": ("fines collected", "money", "fines"),
}
SERIES_UNITS = {"shortfall": "units/step", "revenue": "per step", "inventory_cover":
                "steps of use", "share_price": "index, 100 at start", "score": "index",
                "out": "1 once exited", "fines": "per step"}
FIRM_HEADLINES = ("output_lost", "revenue_change", "min_cover", "share_price_change")


def default_metrics(metrics: list[str]) -> list[str]:
    """The first firm's headlines (``FIRM_HEADLINES``) and the first government's score."""
    firm = metrics[0].split(".")[0]
    score = [m for m in metrics if m.endswith(".score")][:1]
    return [m for m in metrics if m.startswith(firm + ".") and m.count(".") == 1
            and m.split(".")[1] in FIRM_HEADLINES] + score


def choose_metrics(manifest: dict[str, Any], metrics: list[str] | None) -> list[str]:
    """``--metric`` names checked against the summary's columns (default: a few)."""
    from sim.sweep.plan import SweepError

    chosen = metrics or default_metrics(manifest["metrics"])
    unknown = [m for m in chosen if m not in manifest["metrics"]]
    if unknown:
        raise SweepError(f"--metric {unknown[0]}: not a summary column "
                         f"(columns: {', '.join(manifest['metrics'])})")
    return chosen


@lru_cache(maxsize=8)
def _scenario(text: str, file: str) -> Any:
    from sim.scenario import validate_document, yamlio

    doc, positions = yamlio.load_text(text, file)
    return validate_document(doc, positions, file)


def scenario_of(manifest: dict[str, Any]) -> Any:
    """The sweep's scenario, from the text kept in its manifest."""
    return _scenario(manifest["scenario_text"], manifest["scenario_file"])


def factor_label(manifest: dict[str, Any], name: str) -> str:
    """A factor's ``label:`` in the scenario's ``parameters:`` (by name or path), or its name."""
    sc = scenario_of(manifest)
    path = next((f["path"] for f in manifest["factors"] if f["name"] == name), name)
    param = sc.parameters.get(name) or next(
        (p for p in sc.parameters.values() if p.path == path), None)
    return param.label or name if param else name


def metric_label(name: str) -> str:
    """``Hikvision.output_lost.vs_baseline`` → "Hikvision: output lost ... (units), vs baseline"."""
    entity, _, rest = name.partition(".")
    key, _, suffix = rest.partition(".")
    what, unit, _ = OUTCOMES.get(key, (key, "", ""))
    tail = {"baseline": ", no-policy baseline", "vs_baseline": ", run − baseline"}.get(suffix, "")
    return f"{entity}: {what}{tail}" + (f" ({unit})" if unit else "")


def write_report(out: Path, metrics: list[str] | None = None) -> Path:
    """Write DIR/report/ (PNGs, sensitivity.csv, report.html); return the HTML's path."""
    import matplotlib

    matplotlib.use("Agg")
    manifest, df = load(out)
    chosen = choose_metrics(manifest, metrics)
    factors = [f["name"] for f in manifest["factors"]]
    folder = out / "report"
    folder.mkdir(exist_ok=True)
    sens = sensitivity(manifest, df, chosen, factors)
    write_file(folder / "sensitivity.csv", lambda tmp: sens.table.to_csv(tmp, index=False))
    base = baseline_summary(manifest)
    images = [_save(distribution_figure(manifest, df, chosen, base), folder / "distribution.png")]
    if factors and len(sens.table):
        images.append(_save(sensitivity_figure(manifest, sens), folder / "sensitivity.png"))
    if len(sens.convergence):
        images.append(_save(convergence_figure(manifest, sens), folder / "convergence.png"))
    if (out / "steps").exists() and parts(out, "steps"):
        ok = df[df["status"] == "ok"]
        for m in chosen:
            images.append(_save(fan_figure(out, manifest, ok, m, factors),
                                folder / f"fan-{m}.png"))
    return _write_html(folder / "report.html", manifest, df, sens, images)


def baseline_summary(manifest: dict[str, Any]) -> dict[str, float]:
    """The no-policy world's headlines on the root seed (one run, here)."""
    return {k: v for k, v in _baseline(manifest).items() if k != "_model"}


def _baseline(manifest: dict[str, Any]) -> dict[str, Any]:
    return _baseline_run(manifest["scenario_text"], manifest["scenario_file"],
                         manifest["seed"], manifest["steps"])


@lru_cache(maxsize=4)
def _baseline_run(text: str, file: str, seed: int, steps: int) -> dict[str, Any]:
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel

    model = TradeModel(scenario=_scenario(text, file).without_policy(), rng=seed,
                       steps=steps).run()
    return {**summary(model), "_model": model}


def baseline_series(manifest: dict[str, Any], entity: str, series: str) -> Any:
    """(steps, values) of the baseline's per-step series for one entity."""
    from sim.engine.output import tidy_table

    t = tidy_table(_baseline(manifest)["_model"]).to_pandas()
    t = t[(t["entity"] == entity) & (t["metric"] == series)]
    return t["step"].to_numpy(), t["value"].to_numpy()


def counts(df: Any) -> dict[str, int]:
    """Runs ok, failed and not run yet."""
    status = df["status"]
    return {"ok": int((status == "ok").sum()), "failed": int((status == "failed").sum()),
            "not run": int(status.isna().sum())}


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
        ax.set_xlabel(metric_label(m), fontsize=8)
        ax.set_ylabel("runs", fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(f"Outcomes over {len(ok)} runs", fontsize=10)
    fig.tight_layout()
    return fig


def sensitivity_figure(manifest: dict[str, Any], sens: Sensitivity) -> Any:
    """Bars with 95% intervals: the design's indices if it has them, else swings."""
    import matplotlib.pyplot as plt

    t = sens.table
    measures = [m for m in ("S1", "ST", "mu_star") if m in set(t["measure"])] or ["swing"]
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
                           "swing": "high − low"}[measure])
            ax.set_yticks(np.arange(len(sub)),
                          [factor_label(manifest, f) for f in sub["factor"]], fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(metric_label(m), fontsize=8)
        ax.legend(fontsize=6, loc="lower right")
    axes[-1, 0].set_xlabel({"swing": "mean at high values − mean at low values (95% interval "
                                     "over runs)", "mu_star": "Morris μ* (95% interval)"}.get(
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
        ax.set_title(metric_label(m), fontsize=7)
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

    entity, _, rest = metric.partition(".")
    series = OUTCOMES.get(rest.split(".")[0], ("", "", rest))[2]
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


def _write_html(path: Path, manifest: dict[str, Any], df: Any, sens: Sensitivity,
                images: list[Path]) -> Path:
    n = counts(df)
    failed = df[df["status"] == "failed"]
    design = ", ".join(f"{html.escape(factor_label(manifest, f['name']))} "
                       f"(<code>{html.escape(f['path'])}</code>): " + html.escape(
                           ", ".join(map(str, f["values"])) if f["values"] is not None
                           else f"{f['lo']} to {f['hi']}") for f in manifest["factors"])
    imgs = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></figure>' for p in images)
    if not (path.parent.parent / "steps").exists():
        imgs += "<p>No per-step series: run the sweep with <code>--every K</code> for fan " \
                "charts.</p>"
    notes = "".join(f"<li>{html.escape(x)}</li>" for x in sens.notes)
    errors = "".join(f"<li>run {r.run}: {html.escape(str(r.error))}</li>"
                     for r in failed.head(20).itertuples())
    state = "complete" if not n["not run"] else \
        f"partial: {n['not run']} of {len(df)} runs not run yet (resume to finish)"
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Sweep: {html.escape(manifest['scenario_name'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body><h1>Sweep: {html.escape(manifest['scenario_name'])}</h1>
<p>{manifest['design']} design, {manifest['points']} points × {manifest['replicates']}
replicates = {manifest['n_runs']} runs of {manifest['steps']} steps (root seed
{manifest['seed']}){', each with its no-policy baseline' if manifest.get('baseline') else ''};
<b>{state}</b>: {n['ok']} ok, {n['failed']} failed, {n['not run']} not run yet.</p>
<p>Varied: {design or 'nothing (replicates of the scenario as written)'}</p>
{"<ul>" + notes + "</ul>" if notes else ""}
<h2>Sensitivity (95% intervals)</h2>
{sens.table.to_html(index=False, float_format=lambda x: f"{x:.4g}")}
<h2>Charts</h2>{imgs}
{"<h2>Failed runs</h2><ul>" + errors + "</ul>" if len(failed) else ""}
</body></html>"""
    write_file(path, lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))
    return path


def export_csv(out: Path) -> list[Path]:
    """DIR/summary.csv (runs joined with results) and DIR/steps.csv, streamed part by part."""
    runs = pq.read_table(out / "runs.parquet")
    written = [write_file(out / "summary.csv", lambda tmp: _stream_csv(
        tmp, (_join(runs, pq.read_table(p)) for p in parts(out, "summary"))))]
    steps = parts(out, "steps")
    if steps:
        written.append(write_file(out / "steps.csv", lambda tmp: _stream_csv(
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
