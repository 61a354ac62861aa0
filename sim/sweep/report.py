"""What a sweep says: charts that explain, sensitivity with intervals, one HTML page; CSV export.

``write_report(DIR)`` writes ``DIR/report/``: ``distribution.png`` (each chosen outcome over
runs, with the no-policy baseline), ``sensitivity.png`` (effect bars, or the design's indices,
with 95% intervals), ``convergence.png`` (Sobol' indices against base samples), ``fan-*.png``
(per-step series of each chosen outcome: median and 50%/90% bands per factor level, dates on
x, events marked, the baseline dashed; needs ``--every``), ``sensitivity.csv`` and
``report.html``. Factors carry the scenario's ``label:``s and outcomes their units. A partial
sweep says what is done and computes only what is valid (:mod:`sim.sweep.analysis`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.sweep.analysis import Sensitivity, load, sensitivity
from sim.sweep.charts import (  # noqa: F401 - the explorer page uses these through report
    _save,
    convergence_figure,
    distribution_figure,
    fan_figure,
    sensitivity_figure,
)
from sim.sweep.labels import (  # noqa: F401 - ditto
    OUTCOMES,
    baseline_summary,
    factor_label,
    metric_label,
    scenario_of,
)
from sim.sweep.storage import parts, write_file

FIRM_HEADLINES = ("output_lost", "revenue_change", "min_cover", "share_price_change")


def default_metrics(metrics: list[str]) -> list[str]:
    """The sweep's outcomes, the first firm's headlines (``FIRM_HEADLINES``) and the first
    government's score."""
    outcomes = [m for m in metrics if "." not in m]
    firm = metrics[0].rpartition(".")[0]  # "ENTITY.metric"; a name may hold a dot
    score = [m for m in metrics if m.endswith(".score")][:1]
    return outcomes + [m for m in metrics if m.rpartition(".")[0] == firm
                       and m.rpartition(".")[2] in FIRM_HEADLINES] + score


def choose_metrics(manifest: dict[str, Any], metrics: list[str] | None) -> list[str]:
    """``--metric`` names checked against the summary's columns (default: a few)."""
    from sim.sweep.plan import SweepError

    chosen = metrics or default_metrics(manifest["metrics"])
    unknown = [m for m in chosen if m not in manifest["metrics"]]
    if unknown:
        raise SweepError(f"--metric {unknown[0]}: not a summary column "
                         f"(columns: {', '.join(manifest['metrics'])})")
    return chosen


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
    sens.notes[:0] = [f"warning: {w}" for w in manifest.get("warnings", [])]
    write_file(folder / "sensitivity.csv", lambda tmp: sens.table.to_csv(tmp, index=False))
    base = baseline_summary(manifest)
    images = [_save(distribution_figure(manifest, df, chosen, base), folder / "distribution.png")]
    if factors and len(sens.table):
        images.append(_save(sensitivity_figure(manifest, sens), folder / "sensitivity.png"))
    if len(sens.convergence):
        images.append(_save(convergence_figure(manifest, sens), folder / "convergence.png"))
    if (out / "steps").exists() and parts(out, "steps"):
        ok = df[df["status"] == "ok"]
        for m in [m for m in chosen if "." in m]:  # headlines: outcomes have no one series
            images.append(_save(fan_figure(out, manifest, ok, m, factors),
                                folder / f"fan-{m}.png"))
    robust = _robustness(manifest, df, chosen, folder, images)
    return _write_html(folder / "report.html", manifest, df, sens, images, robust)


def _robustness(manifest: dict[str, Any], df: Any, chosen: list[str], folder: Path,
                images: list[Path]) -> str:
    """With levers: each chosen outcome's robustness table (HTML) and chart (outcomes only:
    they say which direction is better; a headline's is unknown)."""
    from sim.sweep.robust import robustness

    if not manifest.get("levers") or not df["status"].eq("ok").any():
        return ""
    parts_html = []
    for m in [m for m in chosen if "." not in m]:
        r = robustness(manifest, df, m)
        images.append(_save(r.plot(), folder / f"robust-{m}.png"))
        threshold = "" if r.threshold is None else f", threshold {r.threshold:g}"
        parts_html.append(f"<h3>{html.escape(metric_label(m, manifest))} ({r.direction} is "
                          f"better{threshold})</h3>" + r.table.to_html(
                              index=False, float_format=lambda x: f"{x:.4g}"))
    return "<h2>Robustness of each lever setting</h2>" + "".join(parts_html)


def counts(df: Any) -> dict[str, int]:
    """Runs ok, failed and not run yet."""
    status = df["status"]
    return {"ok": int((status == "ok").sum()), "failed": int((status == "failed").sum()),
            "not run": int(status.isna().sum())}


def _write_html(path: Path, manifest: dict[str, Any], df: Any, sens: Sensitivity,
                images: list[Path], robust: str = "") -> Path:
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
{robust}
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
