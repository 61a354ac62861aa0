"""The sweep explorer: one sweep folder in the browser (``chokepoint explore DIR``).

Pick an outcome and see its distribution over runs with the no-policy baseline, its fan chart
against dates with events marked (or against steps since a moved event), the outcome against
each factor, the sensitivity table with 95% intervals and the boxes ``sweep discover`` found;
filter runs by factor values. Every chart is drawn by :mod:`sim.sweep.report` (the same charts
as ``sweep report``); the page holds no analysis of its own. It reads the folder named by
:data:`FOLDER_ENV`, which :func:`serve_explorer` sets, and builds nothing at import.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import solara

FOLDER_ENV = "CHOKEPOINT_EXPLORE_DIR"
APP = str(Path(__file__).resolve())


def serve_explorer(out: Path, *, host: str = "127.0.0.1", port: int = 8766,
                   open_browser: bool = True) -> None:
    """Serve this page offline for the sweep in ``out`` until Ctrl-C."""
    from dashboards.server import restart_for_memory, serve

    restart_for_memory()
    serve(APP, host=host, port=port, open_browser=open_browser,
          env={FOLDER_ENV: str(Path(out).resolve())},
          banner="The sweep explorer is at {url}")


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@solara.component
def Img(fig: Any, key: str, alt: str):
    """A matplotlib figure as an <img> (``id`` for tests)."""
    solara.v.Html(tag="img", attributes={"src": _png(fig), "id": f"chart-{key}", "alt": alt,
                                         "class": "chart",
                                         "style": "max-width: 100%; height: auto;"})


def _load(folder: str) -> tuple[dict[str, Any], Any]:
    import matplotlib

    matplotlib.use("Agg")
    from sim.sweep.analysis import load

    return load(Path(folder))


def _filtered(df: Any, limits: dict[str, tuple[float, float]]) -> Any:
    keep = df["status"] == "ok"
    for name, (lo, hi) in limits.items():
        keep &= df[name].between(lo, hi)
    return df[keep]


@solara.component
def Filters(manifest: dict[str, Any], df: Any, limits: dict[str, tuple[float, float]],
            on_limits: Any):
    from sim.sweep.report import factor_label

    for f in manifest["factors"]:
        col = df[f["name"]]
        if col.dtype == object:
            continue
        lo, hi = float(col.min()), float(col.max())
        if lo == hi:
            continue
        value = limits.get(f["name"], (lo, hi))
        step = 1.0 if f.get("integer") else (hi - lo) / 100

        def set_range(v: Any, name: str = f["name"]) -> None:
            on_limits({**limits, name: (float(v[0]), float(v[1]))})

        solara.SliderRangeFloat(label=factor_label(manifest, f["name"]), min=lo, max=hi,
                                step=step, value=value, on_value=set_range)


@solara.component
def Page():
    from sim.sweep import report
    from sim.sweep.analysis import sensitivity

    folder = os.environ.get(FOLDER_ENV, "")
    data = solara.use_memo(lambda: _load(folder), dependencies=[folder])
    manifest, df = data
    metrics = manifest["metrics"]
    outcome, set_outcome = solara.use_state(report.default_metrics(metrics)[0])
    limits, set_limits = solara.use_state({})
    factors = [f["name"] for f in manifest["factors"]]
    chosen = _filtered(df, limits)
    n = report.counts(df)
    solara.Title("Sweep explorer")
    with solara.Sidebar():
        solara.v.Html(tag="h3", children=[manifest["scenario_name"]])
        solara.Text(f"{manifest['design']} design, {manifest['points']} points × "
                    f"{manifest['replicates']} replicates: {n['ok']} ok, {n['failed']} failed, "
                    f"{n['not run']} not run yet", classes=["sweep-counts"])
        solara.Select(label="Outcome", values=metrics, value=outcome, on_value=set_outcome)
        solara.Text(report.metric_label(outcome))
        Filters(manifest, df, limits, set_limits)
        solara.Text(f"{len(chosen)} of {n['ok']} ok runs shown", classes=["runs-shown"])
    with solara.Column():
        solara.v.Html(tag="h2", children=["Sweep explorer"])
        base = solara.use_memo(lambda: report.baseline_summary(manifest), dependencies=[folder])
        with solara.Card(title="Distribution", subtitle="over the filtered runs"):
            Img(report.distribution_figure(manifest, chosen, [outcome], base), "distribution",
                f"distribution of {outcome}")
        steps = Path(folder) / "steps"
        if steps.exists() and report.parts(Path(folder), "steps"):
            with solara.Card(title="Over time", subtitle="median, 50% and 90% bands"):
                Img(report.fan_figure(Path(folder), manifest, chosen, outcome, factors), "fan",
                    f"fan chart of {outcome}")
        if factors:
            with solara.Card(title="Outcome against each factor"):
                Img(_scatter(manifest, chosen, outcome, factors), "scatter",
                    f"{outcome} against each factor")
            sens = solara.use_memo(lambda: sensitivity(manifest, df, [outcome], factors),
                                   dependencies=[folder, outcome])
            with solara.Card(title="Sensitivity", subtitle="all runs; 95% intervals"):
                solara.DataFrame(sens.table.round(4), items_per_page=20)
                for note in sens.notes:
                    solara.Text(note, style={"display": "block"})
        boxes = Path(folder) / "discover" / "boxes.csv"
        with solara.Card(title="Discovered boxes", subtitle="from chokepoint sweep discover"):
            if boxes.exists():
                import pandas as pd

                solara.DataFrame(pd.read_csv(boxes).round(4))
            else:
                solara.Text(f"None yet: chokepoint sweep discover {folder} --where "
                            f"\"{outcome} > ...\"")


def _scatter(manifest: dict[str, Any], ok: Any, outcome: str, factors: list[str]) -> Any:
    import matplotlib.pyplot as plt

    from sim.sweep.report import factor_label, metric_label

    fig, axes = plt.subplots(1, len(factors), figsize=(3.6 * len(factors), 3), squeeze=False)
    for ax, f in zip(axes[0], factors, strict=True):
        ax.scatter(ok[f], ok[outcome], s=8, alpha=0.5)
        ax.set_xlabel(factor_label(manifest, f), fontsize=8)
        ax.set_ylabel(metric_label(outcome), fontsize=7)
    fig.tight_layout()
    return fig
