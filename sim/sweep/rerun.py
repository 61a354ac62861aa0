"""``chokepoint sweep rerun DIR --run N``: replay one run of a sweep exactly, from its folder.

The manifest holds everything a run depends on: the scenario's text, the design (rebuilt from
its factors, design, samples, levers and seed), the run's seed, the horizon, ``--baseline`` and
the outcomes. :func:`rerun` runs it again in this process, through the same code as a worker
(:func:`sim.sweep.worker.run_one`), and compares every summary value with the stored row:
seeded runs are exactly reproducible, so they must be identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.sweep.design import Factor, make_crossed, make_design
from sim.sweep.outcomes import Outcome, check
from sim.sweep.plan import SweepError
from sim.sweep.storage import RUNS, parts, read_manifest
from sim.sweep.worker import Chunk, run_one


@dataclass
class Replay:
    """A run replayed: its ids, the stored and the replayed values, and the model."""

    run: int
    point: int
    replicate: int
    seed: int
    stored: dict[str, Any]   # the summary row in the folder (empty if the run is not done)
    values: dict[str, float]
    model: Any

    @property
    def differences(self) -> list[tuple[str, Any, float]]:
        """(column, stored, replayed) where they differ (NaN equals NaN)."""
        out = []
        for key, value in self.values.items():
            old = self.stored.get(key)
            if old is None or not (old == value or (math.isnan(old) and math.isnan(value))):
                out.append((key, old, value))
        return out


def points_of(out: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """A sweep's design points, rebuilt from its manifest (levers crossed as planned), or read
    from ``runs.parquet`` for points given one by one (an optimiser's generation)."""
    factors = [Factor.from_json(f) for f in manifest["factors"]]
    if manifest["design"] == "given":
        runs = pq.read_table(out / RUNS).to_pandas().drop_duplicates("point").sort_values(
            "point")
        return [{f.path: row[f.name] for f in factors} for _, row in runs.iterrows()]
    levers = [f for f in factors if f.name in manifest.get("levers", [])]
    others = [f for f in factors if f not in levers]
    if levers and others:
        return make_crossed(levers, others, manifest["design"], manifest["samples"],
                            manifest["seed"])
    return make_design(factors, manifest["design"], manifest["samples"], manifest["seed"])


def rerun(out: Path, run: int) -> Replay:
    """Run ``run`` of the sweep in ``out`` again, here; compare it with its stored row."""
    from sim.sweep.labels import scenario_of

    manifest = read_manifest(out)
    if manifest is None:
        raise SweepError(f"{out}: not a sweep folder (no manifest.json)")
    rows = pq.read_table(out / RUNS, filters=[("run", "==", run)]).to_pylist()
    if not rows:
        raise SweepError(f"{out}: no run {run} (runs 0 to {manifest['n_runs'] - 1})")
    row = rows[0]
    steps = manifest["steps"]
    outcomes = [Outcome.from_json(o) for o in manifest.get("outcomes", [])]
    scenario = scenario_of(manifest)
    chunk = Chunk(index=-1, out=str(out), file=manifest["scenario_file"],
                  text=manifest["scenario_text"], runs=(), overrides=(), steps=steps,
                  every=None, metrics=tuple(manifest["metrics"]),
                  baseline=manifest["baseline"],
                  outcomes=tuple(o.to_json() for o in outcomes),
                  outcome_baseline=any(check(o, scenario, steps) for o in outcomes))
    values, model = run_one(chunk, points_of(out, manifest)[row["point"]], row["seed"])
    return Replay(run, row["point"], row["replicate"], row["seed"], _stored(out, run),
                  {m: values.get(m, math.nan) for m in manifest["metrics"]}, model)


def _stored(out: Path, run: int) -> dict[str, Any]:
    files = parts(out, "summary")
    if not files:
        return {}
    found = ds.dataset([str(f) for f in files], format="parquet").to_table(
        filter=ds.field("run") == run).to_pylist()
    return found[0] if found else {}
