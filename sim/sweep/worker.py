"""What a worker does with one chunk of runs: run them and write the chunk's part files.

A chunk is a :class:`Chunk` (plain, picklable data). The worker parses the scenario text once
per process and validates each design point once (both cached), runs
``TradeModel(scenario, rng=seed, steps)`` for each run, and writes ``summary/`` (and, with
``every``, ``steps/``) part files atomically. A run that raises becomes a row with
``status="failed"`` and its error; the chunk goes on. With ``baseline``, each run's world
without policy (:meth:`Scenario.without_policy`: no events, no government strategy) runs on
the same seed, and every headline ``M`` gains ``M.baseline`` and ``M.vs_baseline`` (the run
minus its baseline). The sweep's outcomes (:mod:`sim.sweep.outcomes`) are computed here from
the series each run records (and its no-policy run's, when an outcome reads them), so no
per-step data need be written for them. Only what the parent needs for its ledger travels back.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.errors import ScenarioError
from sim.scenario import Scenario, apply_overrides, source_hash, validate_document, yamlio
from sim.sweep.outcomes import Outcome, run_values
from sim.sweep.storage import part_path, steps_table, summary_table, write_part

KILL_ENV = "CHOKEPOINT_SWEEP_TEST_KILL"  # "RUN:MARKER": tests kill a worker once, at run RUN


@dataclass(frozen=True)
class Chunk:
    """Runs ``first``… of a sweep, with everything a worker needs to do them."""

    index: int
    out: str
    file: str
    text: str
    runs: tuple[tuple[int, int, int, int], ...]  # (run, point, replicate, seed)
    overrides: tuple[dict[str, Any], ...]        # per run: the design point's values
    steps: int | None
    every: int | None
    metrics: tuple[str, ...]
    kill: str | None = None
    baseline: bool = False
    outcomes: tuple[dict[str, Any], ...] = ()  # Outcome.to_json() of each outcome
    outcome_baseline: bool = False  # an outcome reads the no-policy world

BASELINE = ".baseline"
VS_BASELINE = ".vs_baseline"


def with_baseline(metrics: list[str]) -> list[str]:
    """The summary columns of a sweep with ``--baseline``: each headline, its baseline value
    and the difference."""
    return metrics + [m + BASELINE for m in metrics] + [m + VS_BASELINE for m in metrics]


_DOCS: dict[str, tuple[Any, yamlio.Positions]] = {}
_SCENARIOS: dict[tuple[str, str], Scenario] = {}


def _scenario(text: str, file: str, overrides: dict[str, Any]) -> Scenario:
    """The scenario of a design point, validated once per process (a worker serves many
    sweeps, so the cache is keyed by the scenario text and the point's values)."""
    key = source_hash(text)
    point = repr(sorted(overrides.items()))
    if key not in _DOCS:
        _DOCS.clear()
        _SCENARIOS.clear()
        _DOCS[key] = yamlio.load_text(text, file)
    if (key, point) not in _SCENARIOS:
        if len(_SCENARIOS) > 256:
            _SCENARIOS.clear()
        doc, positions = _DOCS[key]
        doc = copy.deepcopy(doc)
        apply_overrides(doc, positions, overrides, file)
        _SCENARIOS[(key, point)] = validate_document(doc, positions, file)
    return _SCENARIOS[(key, point)]


def probe(text: str, file: str, seed: int, steps: int | None) -> tuple[list[str], float]:
    """Run the unmodified scenario once, where the sweep's runs will run: the summary's
    columns, and the seconds a run takes (which sizes the chunks)."""
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel

    scenario = _scenario(text, file, {})
    start = time.perf_counter()
    model = TradeModel(scenario=scenario, rng=seed, steps=steps).run()
    return list(summary(model)), time.perf_counter() - start


def run_one(chunk: Chunk, overrides: dict[str, Any], seed: int) -> tuple[dict[str, float], Any]:
    """One run of a chunk's sweep: its summary values (headlines, baseline columns, outcomes)
    and the finished model. Raises what the run raises."""
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel

    scenario = _scenario(chunk.text, chunk.file, overrides)
    model = TradeModel(scenario=scenario, rng=seed, steps=chunk.steps).run()
    values = summary(model)
    base = None
    if chunk.baseline or chunk.outcome_baseline:
        base = TradeModel.no_policy(scenario, rng=seed, steps=chunk.steps).run()
    if chunk.baseline:
        assert base is not None
        for m, v in summary(base).items():
            values[m + BASELINE] = v
            values[m + VS_BASELINE] = values[m] - v
    values.update(run_values([Outcome.from_json(o) for o in chunk.outcomes], model, base))
    return values, model


def run_chunk(chunk: Chunk) -> dict[str, Any]:
    """Run a chunk and write its part files; return its ledger entry."""
    from sim.engine.output import tidy_table

    start = time.perf_counter()
    rows: dict[str, list[Any]] = {k: [] for k in ("run", "point", "replicate", "seed",
                                                  "status", "error", *chunk.metrics)}
    series: list[pa.Table] = []
    for (run, point, replicate, seed), overrides in zip(chunk.runs, chunk.overrides,
                                                        strict=True):
        _maybe_die(chunk.kill, run)
        values: dict[str, float] = {}
        error = None
        try:
            values, model = run_one(chunk, overrides, seed)
            if chunk.every:
                series.append(steps_table(tidy_table(model, chunk.every), run))
        except ScenarioError as exc:
            error = "; ".join(str(p) for p in exc.problems)
        except Exception as exc:  # a failed run is a result: record it and go on
            error = f"{type(exc).__name__}: {exc}"
        for key, value in (("run", run), ("point", point), ("replicate", replicate),
                           ("seed", seed), ("status", "failed" if error else "ok"),
                           ("error", error)):
            rows[key].append(value)
        for m in chunk.metrics:
            rows[m].append(values.get(m, np.nan))
    out = Path(chunk.out)
    write_part(summary_table(rows, chunk.metrics), part_path(out, "summary", chunk.index))
    if chunk.every:
        table = pa.concat_tables(series) if series else steps_table(None, 0)
        write_part(table, part_path(out, "steps", chunk.index))
    failed = sum(s == "failed" for s in rows["status"])
    return {"chunk": chunk.index, "runs": len(chunk.runs), "failed": failed,
            "seconds": round(time.perf_counter() - start, 4)}


def _maybe_die(kill: str | None, run: int) -> None:
    """Test hook: exit this worker process abruptly at run ``RUN`` the first time only."""
    if not kill:
        return
    at, _, marker = kill.partition(":")
    if int(at) == run and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(17)
