"""The sweep explorer: one sweep folder in the browser (``chokepoint explore DIR``).

Pick an outcome and see its distribution over runs with the no-policy baseline, its fan chart
against dates with events marked (or against steps since a moved event), one chart per factor,
the outcome against each factor, the effects with 95% intervals, the robustness of each lever
setting (a sweep with levers) and the boxes ``sweep discover`` found, under the condition they
answer; filter runs by factor values (each slider says its range, as dates for an event's
step). Charts are laid out full size in a grid that reads at 1440 px. Every chart is drawn by
:mod:`sim.sweep` (the same charts as ``sweep report``); the page holds no analysis of its own.
It reads the folder named by :data:`FOLDER_ENV`, which :func:`serve_explorer` sets, and builds
nothing at import.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any, cast

import solara

FOLDER_ENV = "CHOKEPOINT_EXPLORE_DIR"
APP = str(Path(__file__).resolve())
# two charts a row in the main column at 1440 px, one on a narrow screen
GRID = {"display": "grid", "grid-template-columns": "repeat(auto-fill, minmax(440px, 1fr))",
        "gap": "12px", "width": "100%", "align-items": "start"}


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
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@solara.component
def Img(fig: Any, key: str, alt: str):
    """A matplotlib figure as an <img> at the width of its cell (``id`` for tests)."""
    solara.v.Html(tag="img", attributes={"src": _png(fig), "id": f"chart-{key}", "alt": alt,
                                         "class": "chart",
                                         "style": "width: 100%; height: auto;"})


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


def value_text(manifest: dict[str, Any], factor: dict[str, Any], value: float) -> str:
    """A factor's value as the page shows it: a step of a moved event with its date."""
    from sim.sweep.charts import timeline_factors
    from sim.sweep.labels import scenario_of

    if factor in timeline_factors(manifest):
        step = int(round(value))
        return f"step {step} ({scenario_of(manifest).date_of(step):%d %b %Y})"
    return f"{value:.4g}"


@solara.component
def Filters(manifest: dict[str, Any], df: Any, limits: dict[str, tuple[float, float]],
            on_limits: Any):
    from sim.sweep.labels import factor_label

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

        solara.Text(factor_label(manifest, f["name"]), style={"display": "block",
                                                              "margin-top": "8px"})
        solara.SliderRangeFloat(label="", min=lo, max=hi, step=step, value=value,
                                on_value=set_range, thumb_label=False)
        solara.Text(f"{value_text(manifest, f, value[0])} to {value_text(manifest, f, value[1])}",
                    classes=["slider-value"], style={"display": "block",
                                                     "margin": "-16px 0 6px 0",
                                                     "font-size": "0.85em"})


@solara.component
def Charts(folder: str, manifest: dict[str, Any], chosen: Any, outcome: str,
           factors: list[str]):
    from sim.sweep import report

    base = solara.use_memo(lambda: report.baseline_summary(manifest), dependencies=[folder])
    with solara.Card(title="Distribution", subtitle="over the filtered runs"):
        with solara.Div(style={"max-width": "900px"}):
            Img(report.distribution_figure(manifest, chosen, [outcome], base), "distribution",
                f"distribution of {outcome}")
    if "." in outcome and report.parts(Path(folder), "steps"):
        with solara.Card(title="Over time",
                         subtitle="median, 50% and 90% bands, one line per level or third"):
            with solara.Div(style=GRID):
                for i, f in enumerate(factors or [None]):
                    Img(report.fan_figure(Path(folder), manifest, chosen, outcome,
                                          [f] if f else []), f"fan-{i}",
                        f"fan chart of {outcome}" + (f" by {f}" if f else ""))
    if factors:
        with solara.Card(title="Outcome against each factor"):
            with solara.Div(style=GRID):
                for i, f in enumerate(factors):
                    Img(_scatter(manifest, chosen, outcome, f), f"scatter-{i}",
                        f"{outcome} against {f}")


@solara.component
def Analyses(folder: str, manifest: dict[str, Any], df: Any, outcome: str,
             factors: list[str]):
    import pandas as pd

    from sim.sweep.analysis import sensitivity

    sens = solara.use_memo(lambda: sensitivity(manifest, df, [outcome], factors),
                           dependencies=[folder, outcome])
    if factors:
        with solara.Card(title="Sensitivity", subtitle="all runs; 95% intervals"):
            if len(sens.table):
                with solara.Div(style={"max-width": "900px"}):
                    Img(sens.plot(), "sensitivity", f"sensitivity of {outcome}")
            solara.DataFrame(sens.table.round(4), items_per_page=20)
            for note in sens.notes:
                solara.Text(note, style={"display": "block"})
    if manifest.get("levers"):
        Robust(folder, manifest, df, outcome)
    boxes = Path(folder) / "discover" / "boxes.csv"
    condition = Path(folder) / "discover" / "condition.txt"
    where = condition.read_text(encoding="utf-8") if condition.exists() else None
    with solara.Card(title="Discovered boxes",
                     subtitle=f"runs where {where}" if where else
                     "from chokepoint sweep discover"):
        if boxes.exists():
            solara.Text(f"Boxes of the runs where: {where}" if where else
                        "Boxes of the last discovery", classes=["boxes-condition"],
                        style={"display": "block", "font-weight": "bold"})
            solara.DataFrame(pd.read_csv(boxes, keep_default_na=False).round(4))
            Peeling(folder)
        else:
            solara.Text(f"None yet: chokepoint sweep discover {folder} --where "
                        f"\"{outcome} > ...\"")


@solara.component
def Peeling(folder: str):
    """Box 1's peeling trajectory, any step of it chosen with a slider and inspected: its
    restrictions with quasi-p-values, coverage, density and flag (from ``sweep discover``'s
    ``trajectory.csv`` and ``limits.csv``)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from sim.sweep.boxes import flag

    picked, set_step = solara.use_state(cast(int | None, None))  # None: PRIM's choice
    found = Path(folder) / "discover"
    if not (found / "trajectory.csv").exists():
        return
    traj = pd.read_csv(found / "trajectory.csv")
    traj = traj[traj["box"] == 1].reset_index(drop=True)
    lims = pd.read_csv(found / "limits.csv")
    chosen = int(traj.loc[traj["chosen"], "step"].iloc[0]) if traj["chosen"].any() else 0
    step = chosen if picked is None else picked
    row = traj[traj["step"] == step].iloc[0]
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    ax.plot(traj["coverage"], traj["density"], marker=".", color="tab:blue")
    ax.scatter([row["coverage"]], [row["density"]], s=90, facecolors="none",
               edgecolors="tab:red", lw=1.5, label=f"step {step}")
    ax.set_xlabel("coverage", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    solara.Text("Box 1's peeling trajectory: choose a step", style={"display": "block",
                                                                    "margin-top": "12px"})
    solara.SliderInt(label="", min=0, max=int(traj["step"].max()), value=step,
                     on_value=set_step)
    note = " (PRIM's choice)" if step == chosen else ""
    solara.Text(f"step {step}{note}: "
                f"coverage {row['coverage']:.2f}, density {row['density']:.2f}, mass "
                f"{row['mass']:.2f}. {flag(float(row['density']))}", classes=["box-step"],
                style={"display": "block"})
    with solara.Div(style=GRID):
        Img(fig, "peeling", "box 1's peeling trajectory")
        sel = lims[(lims["box"] == 1) & (lims["step"] == step)]
        solara.DataFrame(sel[["factor", "min", "max", "qp"]].round(4))


@solara.component
def Robust(folder: str, manifest: dict[str, Any], df: Any, outcome: str):
    from sim.sweep.plan import SweepError
    from sim.sweep.robust import robustness

    def compute() -> Any:
        try:
            return robustness(manifest, df, outcome)
        except SweepError as exc:
            return str(exc)

    result = solara.use_memo(compute, dependencies=[folder, outcome])
    with solara.Card(title="Robustness of each lever setting",
                     subtitle="over the scenarios: percentiles, regret, satisficing"):
        if isinstance(result, str):
            solara.Text(result)
            return
        with solara.Div(style={"max-width": "900px"}):
            Img(result.plot(), "robustness", f"robustness of {outcome}")
        solara.DataFrame(result.table.round(4), items_per_page=20)


@solara.component
def Page():
    from sim.sweep import report

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
        for warning in manifest.get("warnings", []):
            solara.Warning(warning, dense=True)
        solara.Select(label="Outcome", values=metrics, value=outcome, on_value=set_outcome)
        solara.Text(report.metric_label(outcome, manifest), style={"display": "block",
                                                                   "margin-bottom": "12px"})
        Filters(manifest, df, limits, set_limits)
        solara.Text(f"{len(chosen)} of {n['ok']} ok runs shown", classes=["runs-shown"])
    with solara.Column(style={"width": "100%"}):
        solara.v.Html(tag="h2", children=["Sweep explorer"])
        Charts(folder, manifest, chosen, outcome, factors)
        Analyses(folder, manifest, df, outcome, factors)


def _scatter(manifest: dict[str, Any], ok: Any, outcome: str, factor: str) -> Any:
    import matplotlib.pyplot as plt

    from sim.sweep.charts import timeline_factors
    from sim.sweep.labels import factor_label, metric_label, scenario_of

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    ax.scatter(ok[factor], ok[outcome], s=10, alpha=0.5)
    if any(f["name"] == factor for f in timeline_factors(manifest)):
        sc = scenario_of(manifest)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [f"{sc.date_of(int(t)):%b %Y}" if t >= 0 else "" for t in ticks],
                      fontsize=7)
        ax.set_xlim(ok[factor].min() - 1, ok[factor].max() + 1)
    ax.set_xlabel(factor_label(manifest, factor), fontsize=8)
    unit = next((o["unit"] for o in manifest.get("outcomes", []) if o["name"] == outcome), None)
    ax.set_ylabel(metric_label(outcome) if unit is None else  # an outcome: its name and unit
                  f"{outcome}" + (f" ({unit})" if unit else ""), fontsize=7)
    fig.tight_layout()
    return fig
