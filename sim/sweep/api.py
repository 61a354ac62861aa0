"""The notebook API: ``sim.sweep.open(DIR)`` (docs/sweeps.md, "From a notebook").

:func:`open_sweep` checks a sweep folder (refusing a damaged one, as the commands do) and
returns a :class:`Sweep`: its experiments and outcomes as pandas DataFrames, and analysis and
discovery as methods returning objects with ``plot`` methods (:class:`~sim.sweep.analysis.
Sensitivity`, :class:`~sim.sweep.robust.Robustness`, :class:`~sim.sweep.discover.Discovery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.sweep.plan import SweepError

IDS = ["run", "point", "replicate", "seed"]


def check_folder(out: Path) -> dict[str, Any]:
    """The manifest of a sound sweep folder; SweepError naming the damage otherwise."""
    from sim.sweep.ledger import audit
    from sim.sweep.storage import read_manifest

    if not (out / "manifest.json").is_file():
        raise SweepError(f"{out}: not a sweep folder (no manifest.json)")
    manifest = read_manifest(out)  # readable, and a sweep's
    assert manifest is not None
    found = audit(out, manifest)
    if found.problems:
        shown = "; ".join(found.problems[:3])
        more = f" (and {len(found.problems) - 3} more)" if len(found.problems) > 3 else ""
        raise SweepError(f"{out}: damaged: {shown}{more}; run the sweep again to repair it "
                         f"(damaged files are moved to {out / 'damaged'} and their runs "
                         f"run again)")
    return manifest


def open_sweep(folder: str | Path) -> Sweep:
    """Open a sweep folder (finished or not) for analysis."""
    from sim.sweep.analysis import load

    out = Path(folder)
    check_folder(out)
    manifest, df = load(out)
    return Sweep(out, manifest, df)


@dataclass
class Sweep:
    """A sweep folder, read: ``experiments`` (what each run was) and ``outcomes`` (what it
    gave), and the analyses."""

    folder: Path
    manifest: dict[str, Any]
    data: Any  # one row per planned run: ids, factors, status, error, summary columns

    @property
    def factors(self) -> list[str]:
        return [f["name"] for f in self.manifest["factors"]]

    @property
    def levers(self) -> list[str]:
        return list(self.manifest.get("levers", []))

    @property
    def uncertainties(self) -> list[str]:
        """The varied factors that are not levers."""
        return [f for f in self.factors if f not in self.levers]

    @property
    def experiments(self) -> Any:
        """One row per planned run: ``run, point, replicate, seed``, the factors, ``status``
        (``ok``, ``failed``, or None for not run yet)."""
        return self.data[[*IDS, *self.factors, "status"]]

    @property
    def outcomes(self) -> Any:
        """One row per planned run: ``run``, then every summary column and outcome (NaN for
        runs failed or not run)."""
        return self.data[["run", *self.manifest["metrics"]]]

    @property
    def warnings(self) -> list[str]:
        """What the plan warned about (events the horizon drops)."""
        return list(self.manifest.get("warnings", []))

    def series(self, entity: str, metric: str) -> Any:
        """Per-step series of one entity's metric (``run, step, date, value``; needs
        ``--every``)."""
        import pyarrow.dataset as ds

        from sim.sweep.storage import parts

        files = parts(self.folder, "steps")
        if not files:
            raise SweepError(f"{self.folder}: no per-step series (run the sweep with --every)")
        return ds.dataset([str(f) for f in files], format="parquet").to_table(
            columns=["run", "step", "date", "value"],
            filter=(ds.field("entity") == entity) & (ds.field("metric") == metric)).to_pandas()

    def sensitivity(self, metrics: list[str] | None = None) -> Any:
        """Effects for every design and the design's own indices (Sobol', Morris, FAST)."""
        from sim.sweep.analysis import sensitivity
        from sim.sweep.report import choose_metrics

        return sensitivity(self.manifest, self.data, choose_metrics(self.manifest, metrics),
                           self.factors)

    def robustness(self, outcome: str, *, threshold: float | None = None,
                   direction: str | None = None) -> Any:
        """Each lever setting over the scenarios: percentiles, regret, satisficing."""
        from sim.sweep.robust import robustness

        return robustness(self.manifest, self.data, outcome, threshold=threshold,
                          direction=direction)

    def discover(self, where: str, metrics: list[str] | None = None) -> Any:
        """Where the condition holds: qualified PRIM boxes, CART, feature scores."""
        from sim.sweep.discover import discover

        return discover(self.folder, where, metrics)

    def report(self, metrics: list[str] | None = None) -> Path:
        """Write ``DIR/report/``; return its HTML page."""
        from sim.sweep.report import write_report

        return write_report(self.folder, metrics)

    def write_robustness(self, result: Any) -> Path:
        """Write ``DIR/robust/OUTCOME.csv`` and ``.png``; return the CSV."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sim.sweep.storage import write_file

        folder = self.folder / "robust"
        folder.mkdir(exist_ok=True)
        fig = result.plot()
        write_file(folder / f"{result.outcome}.png",
                   lambda tmp: fig.savefig(tmp, format="png", dpi=110))
        plt.close(fig)
        return write_file(folder / f"{result.outcome}.csv",
                          lambda tmp: result.table.to_csv(tmp, index=False))
