"""Lever optimisation and robust optimisation with pymoo (docs/sweeps.md, "Optimisation").

The decision variables are levers (ranges); the objectives are outcomes of the sweep language
(:mod:`sim.sweep.outcomes`), each minimised or maximised by its ``direction``. With
uncertainties, every candidate setting is evaluated over the same scenarios (a Latin hypercube
of the uncertainties, on common seeds), and an objective is a statistic of the outcome over
them (:data:`STATISTICS`): robust optimisation. pymoo's NSGA-II proposes settings generation by
generation (its ask-and-tell interface); each generation is evaluated as a sweep, in
``OUT/gen-NNNN/``, on the sweep's executors (local processes or Dask) kept running across
generations. Since each generation is a resumable sweep folder and pymoo is seeded, running the
same optimisation again replays the generations already evaluated from their folders (no run
twice) and goes on: an interrupted optimisation resumes, and more ``generations`` extend it.
``OUT/optimise.json`` records the settings (a folder of another optimisation is refused);
:func:`sim.sweep.optimise_report.write_optimisation` writes the Pareto front, every
evaluation, the convergence and an HTML page.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.sweep import compaction, ledger, storage
from sim.sweep.analysis import load
from sim.sweep.design import Factor, make_design
from sim.sweep.executors import call, dask_address, run_chunks, start_fork_server
from sim.sweep.plan import Plan, SweepError, make_plan
from sim.sweep.runner import Progress, chunk_size, chunks_of, executors
from sim.sweep.worker import probe

# how one candidate's outcome values over the scenarios become one objective
STATISTICS = ("mean", "median", "worst10", "satisficing")
SETTINGS = "optimise.json"
FAILED = 1e30  # an objective of a candidate whose runs failed (minimised: never chosen)


@dataclass
class Optimisation:
    """What :func:`optimise` found: every evaluation, the Pareto front and the convergence."""

    folder: Path
    levers: list[str]
    objectives: list[str]
    statistic: str
    evaluations: Any  # generation, candidate, levers..., objectives...
    front: Any        # the non-dominated candidates of every evaluation: levers, objectives
    convergence: Any  # generation, runs, best of each objective so far, hypervolume
    runs: int         # runs evaluated in this call (0 when every generation was on disk)
    seconds: float    # wall time of this call

    def plot(self) -> Any:
        """The front (the first two objectives; every evaluation in grey) and the
        convergence of each objective's best value."""
        import matplotlib.pyplot as plt

        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
        ev, fr = self.evaluations, self.front
        x, y = self.objectives[0], self.objectives[-1]
        a.scatter(ev[x], ev[y] if x != y else ev["generation"], s=10, c="lightgrey",
                  label="evaluated")
        a.scatter(fr[x], fr[y] if x != y else fr["generation"], s=24, c="tab:red",
                  label="Pareto front" if x != y else "best")
        a.set_xlabel(x, fontsize=8)
        a.set_ylabel(y if x != y else "generation", fontsize=8)
        a.legend(fontsize=7)
        for o in self.objectives:
            b.plot(self.convergence["generation"], self.convergence[f"best {o}"], marker=".",
                   label=o)
        b.set_xlabel("generation", fontsize=8)
        b.set_ylabel(f"best {self.statistic} so far", fontsize=8)
        b.legend(fontsize=7)
        fig.tight_layout()
        return fig


def optimise(scenario: str | Path, levers: Mapping[str, Any], objectives: list[str], *,
             out: str | Path, uncertainties: Mapping[str, Any] | None = None,
             outcomes: Mapping[str, Any] | None = None, scenarios: int = 8,
             statistic: str = "mean", replicates: int = 1, population: int = 16,
             generations: int = 10, seed: int | None = None, steps: int | str | None = None,
             workers: int | None = None, dask: str | None = None,
             progress: Progress | None = None) -> Optimisation:
    """Search the levers' ranges for the settings that do best on the objectives.

    Args:
        scenario: the scenario file.
        levers: ``{name or path: "LO:HI"}``, the decision variables.
        objectives: outcome names (the scenario's, or ``outcomes``).
        out: the folder (run again to resume or extend).
        uncertainties: ``{name or path: "LO:HI" or [values]}``: evaluate each setting over
            ``scenarios`` points of them (robust optimisation); none: the scenario as written.
        outcomes: outcomes to add to the scenario's (as :func:`sim.sweep.run_sweep` takes).
        scenarios: Latin-hypercube points of the uncertainties.
        statistic: over the scenarios: ``mean``, ``median``, ``worst10`` (the worst tenth's
            edge: the 90th percentile of an outcome minimised) or ``satisficing`` (the share
            meeting the outcome's threshold, maximised).
        replicates: seeded runs per setting and scenario (common seeds across settings).
        population, generations: NSGA-II's population size and number of generations.
        seed: the root seed (default: the scenario's); seeds pymoo too.
        steps: horizon of each run (default: the scenario's).
        workers, dask: as :func:`sim.sweep.run_sweep`.
        progress: called with (runs done, runs failed, runs planned).
    """
    if statistic not in STATISTICS:
        raise SweepError(f"--statistic {statistic}: choose from {', '.join(STATISTICS)}")
    if not levers or not objectives:
        raise SweepError("optimise needs at least one --lever LO:HI and one --objective")
    if any(not isinstance(v, str) or ":" not in v for v in levers.values()):
        raise SweepError("optimise: each --lever is a range LO:HI")
    if population < 2 or generations < 1:
        raise SweepError("--population must be at least 2 and --generations at least 1")
    base = make_plan(scenario, dict(uncertainties or {}), levers=levers, design="lhs",
                     samples=scenarios, replicates=replicates, seed=seed, steps=steps,
                     outcomes=outcomes)
    for warning in base.warnings:  # events some candidates' horizon drops: never silent
        warnings.warn(warning, UserWarning, stacklevel=2)
    specs = {o.name: o for o in base.outcomes}
    unknown = [o for o in objectives if o not in specs]
    if unknown:
        raise SweepError(f"--objective {unknown[0]}: not an outcome (outcomes: "
                         f"{', '.join(specs) or 'none: add --outcome'})")
    if statistic == "satisficing" and any(specs[o].threshold is None for o in objectives):
        raise SweepError("--statistic satisficing needs a threshold on every objective")
    out = Path(out)
    workers = workers if workers is not None else os.cpu_count() or 1
    address = dask_address(dask)
    if workers and not address:
        start_fork_server()
    with storage.locked(out):
        _check_settings(out, base, levers, objectives, statistic, population)
        with executors(address, workers) as (make_executor, threads):
            return _search(base, out, objectives, statistic, population, generations,
                           make_executor, threads, progress)


def _check_settings(out: Path, base: Plan, levers: Mapping[str, str], objectives: list[str],
                    statistic: str, population: int) -> None:
    """Write ``optimise.json``, or refuse a folder holding another optimisation."""
    from sim.scenario import source_hash

    settings = {"scenario_sha256": source_hash(base.text), "levers": dict(levers),
                "factors": [f.to_json() for f in base.factors],
                "objectives": objectives, "statistic": statistic, "population": population,
                "outcomes": [o.to_json() for o in base.outcomes], "seed": base.seed,
                "steps": base.steps, "samples": base.samples, "replicates": base.replicates}
    path = out / SETTINGS
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SweepError(f"{path}: cannot be read ({exc})") from None
        diff = [k for k in settings if json.loads(json.dumps(settings[k], default=str))
                != old.get(k)]
        if diff:
            raise SweepError(f"{out}: holds another optimisation ({', '.join(diff)} differ); "
                             f"choose another --out")
        return
    storage.write_file(path, lambda tmp: Path(tmp).write_text(
        json.dumps(settings, indent=1, default=str), encoding="utf-8"))


def _search(base: Plan, out: Path, objectives: list[str], statistic: str, population: int,
            generations: int, make_executor: Callable[[], Any], threads: int,
            progress: Progress | None) -> Optimisation:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    levers = [f for f in base.factors if f.name in base.levers]
    others = [f for f in base.factors if f.name not in base.levers]
    cases = make_design(others, "lhs", base.samples, base.seed) if others else [{}]
    signs = np.array([1.0 if _minimised(base, o, statistic) else -1.0 for o in objectives])
    problem = Problem(n_var=len(levers), n_obj=len(objectives),
                      xl=np.array([f.lo for f in levers], float),
                      xu=np.array([f.hi for f in levers], float))
    algorithm = NSGA2(pop_size=population)
    algorithm.setup(problem, termination=("n_gen", generations), seed=base.seed % 2**32,
                    verbose=False)
    batch = _Batch(base, out, cases, make_executor, threads, progress,
                   population * generations * len(cases) * base.replicates)
    start, rows = time.perf_counter(), []
    try:
        gen = 0
        while algorithm.has_next():
            pop = algorithm.ask()
            x = pop.get("X")
            values = batch.evaluate(gen, [_setting(levers, xi) for xi in x], objectives,
                                    statistic)
            f = np.where(np.isnan(values), FAILED, values * signs)
            Evaluator().eval(StaticProblem(problem, F=f), pop)
            algorithm.tell(infills=pop)
            rows += [{"generation": gen, "candidate": i,
                      **{lv.name: v for lv, v in zip(levers, _setting(levers, xi).values(),
                                                     strict=True)},
                      **dict(zip(objectives, values[i], strict=True))}
                     for i, xi in enumerate(x)]
            gen += 1
    finally:
        batch.close()
    return _result(out, [f.name for f in levers], objectives, statistic, signs, rows,
                   batch.runs, time.perf_counter() - start)


def _minimised(base: Plan, name: str, statistic: str) -> bool:
    spec = next(o for o in base.outcomes if o.name == name)
    return statistic != "satisficing" and spec.direction == "min"


def _setting(levers: list[Factor], x: np.ndarray) -> dict[str, Any]:
    """A candidate's lever values (integer levers rounded), by path."""
    return {f.path: int(round(v)) if f.integer else float(v)
            for f, v in zip(levers, x, strict=True)}


class _Batch:
    """Evaluates one generation as a sweep folder ``OUT/gen-NNNN`` on executors kept between
    generations; a generation already on disk is read back, not run again."""

    def __init__(self, base: Plan, out: Path, cases: list[dict[str, Any]],
                 make_executor: Callable[[], Any], threads: int, progress: Progress | None,
                 planned: int):
        self.base, self.out, self.cases = base, out, cases
        self.make_executor, self.threads = make_executor, threads
        self.executor: Any = None
        self.chunk: int | None = None
        self.metrics: list[str] = []
        self.progress, self.planned, self.done, self.failed = progress, planned, 0, 0
        self.runs = 0

    def evaluate(self, gen: int, settings: list[dict[str, Any]], objectives: list[str],
                 statistic: str) -> np.ndarray:
        """candidates × objectives: each objective's statistic over the scenarios."""
        points = [{**s, **case} for s in settings for case in self.cases]
        plan = dataclasses.replace(self.base, points=points, design="given",
                                   scenarios=len(self.cases))
        folder = self.out / f"gen-{gen:04d}"
        manifest, done = self._prepare(plan, folder)
        todo = [i for i in range(manifest["chunks"]) if i not in done]
        if todo:
            self.executor = run_chunks(self.make_executor, chunks_of(
                plan, folder, manifest, iter(todo)), 2 * self.threads + 1,
                lambda entry: self._on_done(folder, entry), executor=self.executor, keep=True)
        compaction.compact(folder, manifest["chunks"])
        _, df = load(folder)
        specs = {o.name: o for o in plan.outcomes}
        df = df.assign(candidate=df["point"] // len(self.cases),
                       case=df["point"] % len(self.cases))
        out = np.full((len(settings), len(objectives)), np.nan)
        for j, name in enumerate(objectives):
            per_case = df.groupby(["candidate", "case"])[name].mean().unstack("case")
            for i, row in per_case.iterrows():
                out[int(i), j] = _statistic(row.to_numpy(), specs[name], statistic)
        return out

    def _prepare(self, plan: Plan, folder: Path) -> tuple[dict[str, Any], dict[int, Any]]:
        old = storage.read_manifest(folder)
        if old:
            storage.check_runs(folder, old)
            storage.check_resumable(folder, old, storage.make_manifest(
                plan, old["chunk"], old["metrics"]))
            compaction.recover(folder)
            found = ledger.audit(folder, old)
            ledger.settle(folder, found)
            return old, found.done
        if self.chunk is None:
            self.executor = self.executor or self.make_executor()
            self.metrics, seconds = call(self.executor, probe, plan.text, plan.file,
                                         plan.seed, plan.steps)
            self.metrics += [o.name for o in plan.outcomes]
            self.chunk = chunk_size(seconds, plan.n_runs, self.threads)
        manifest = storage.make_manifest(plan, self.chunk, self.metrics)
        storage.create(folder, plan, manifest)
        return manifest, {}

    def _on_done(self, folder: Path, entry: dict[str, Any]) -> None:
        storage.record_done(folder, entry)
        self.runs += entry["runs"]
        self.done += entry["runs"]
        self.failed += entry["failed"]
        if self.progress:
            self.progress(self.done, self.failed, self.planned)

    def close(self) -> None:
        if self.executor is not None:
            from sim.sweep.executors import shutdown

            shutdown(self.executor)


def _statistic(values: np.ndarray, spec: Any, statistic: str) -> float:
    v = values[~np.isnan(values)]
    if not len(v) or len(v) < len(values):
        return float("nan")  # a scenario with every run failed: the candidate is not judged
    if statistic == "mean":
        return float(v.mean())
    if statistic == "median":
        return float(np.median(v))
    if statistic == "worst10":
        return float(np.quantile(v, 0.9 if spec.direction == "min" else 0.1))
    return float(np.mean(spec.met(v)))


def _result(out: Path, levers: list[str], objectives: list[str], statistic: str,
            signs: np.ndarray, rows: list[dict[str, Any]], runs: int,
            seconds: float) -> Optimisation:
    import pandas as pd
    from pymoo.indicators.hv import HV
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    ev = pd.DataFrame(rows)
    f = np.nan_to_num(ev[objectives].to_numpy(float) * signs, nan=FAILED)
    front = ev.iloc[NonDominatedSorting().do(f, only_non_dominated_front=True)]
    front = front.drop_duplicates(subset=levers).sort_values(objectives).reset_index(drop=True)
    ok = f[(f < FAILED).all(axis=1)]
    ref = ok.max(axis=0) + 1e-9 if len(ok) else None
    conv = []
    for gen in sorted(ev["generation"].unique()):
        upto = ev["generation"] <= gen
        row: dict[str, Any] = {"generation": int(gen), "evaluations": int(upto.sum())}
        for j, o in enumerate(objectives):
            best = (f[upto.to_numpy(), j]).min()
            row[f"best {o}"] = best * signs[j] if best < FAILED else np.nan
        fu = f[upto.to_numpy()]
        fu = fu[(fu < FAILED).all(axis=1)]
        row["hypervolume"] = float(HV(ref_point=ref)(fu)) if ref is not None and len(fu) \
            else np.nan
        conv.append(row)
    return Optimisation(out, levers, objectives, statistic, ev, front, pd.DataFrame(conv), runs,
                        seconds)
