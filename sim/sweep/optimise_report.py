"""What an optimisation writes (docs/sweeps.md, "Optimisation"): ``front.csv``,
``evaluations.csv``, ``convergence.csv``, ``optimise.png`` and ``optimise.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.sweep import storage
from sim.sweep.optimise import Optimisation


def _write_csv(path: Path, frame: Any) -> None:
    storage.write_file(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_optimisation(result: Optimisation) -> Path:
    """``OUT/front.csv``, ``evaluations.csv``, ``convergence.csv``, ``optimise.png`` and
    ``optimise.html``; return the page."""
    import base64
    import html

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = result.folder
    for name, frame in (("front", result.front), ("evaluations", result.evaluations),
                        ("convergence", result.convergence)):
        _write_csv(folder / f"{name}.csv", frame)
    fig = result.plot()
    png = storage.write_file(folder / "optimise.png",
                             lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)

    def table(t: Any) -> str:
        return t.to_html(index=False, float_format=lambda v: f"{v:.4g}")

    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Optimisation</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head>
<body><h1>Lever optimisation</h1>
<p>Levers: {html.escape(", ".join(result.levers))}; objectives
({html.escape(result.statistic)} over the scenarios): {html.escape(", ".join(result.objectives))};
{len(result.evaluations)} candidates in {result.evaluations["generation"].nunique()}
generations.</p>
<h2>Pareto front</h2>{table(result.front)}
<h2>Convergence</h2>{table(result.convergence)}
<img alt="front and convergence" src="data:image/png;base64,{base64.b64encode(
        png.read_bytes()).decode()}"></body></html>"""
    return storage.write_file(folder / "optimise.html",
                              lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))
