"""``run_tournament``: the tournament's runs on the sweep's machinery, resumable.

The runs are laid out like a sweep's (points × replicates, point-major, in chunks of
consecutive runs) and run by the sweep's worker (:func:`sim.sweep.worker.run_chunk`: the
scenario with the point's overrides, ``TradeModel(rng=seed)``, one summary row per run, part
files written atomically) on the sweep's executors (local processes, Dask, or this process),
with the sweep's ledger: a chunk is done when its ledger line and part file are sound, and
running the same command again runs only what is not (:mod:`sim.sweep.ledger`). Only the seeds
differ from a sweep's: every point uses the same seed per replicate (:mod:`sim.tournament.plan`),
and ``runs.parquet`` records them. The folder's manifest is a sweep manifest with a
``tournament`` key naming the roles, strategies and seeds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep import compaction, ledger, storage
from sim.sweep.executors import call, dask_address, start_fork_server
from sim.sweep.plan import Plan
from sim.sweep.runner import Progress, chunk_size, executors, run_pending
from sim.sweep.worker import KILL_ENV, Chunk, probe
from sim.tournament.plan import Tournament, TournamentError

Notice = Callable[[str], None]
SEEDING = ("numpy SeedSequence(seed, spawn_key=(0, replicate)), 64-bit state >> 1: the same "
           "seed for a replicate in every point (common random numbers)")


def run_tournament(t: Tournament, out: str | Path, *, workers: int | None = None,
                   dask: str | None = None, chunk: int | None = None,
                   progress: Progress | None = None, notice: Notice | None = None) -> Path:
    """Run (or resume) the tournament's runs into ``out``; return the folder.

    Args:
        t: the checked tournament (:func:`~sim.tournament.plan.make_tournament`).
        out: the output folder (created; one holding the same tournament is resumed).
        workers: local worker processes (default: CPU count; 0: in this process), or Dask
            workers with ``dask="local"``.
        dask: ``"local"`` or a scheduler address (default: ``DASK_SCHEDULER_ADDRESS``).
        chunk: runs per chunk (default: about a quarter of a second of work).
        progress: called with (runs done, runs failed, runs planned).
        notice: called with one message per damaged file found on resume.

    Raises:
        TournamentError: the folder holds something else, or the runs cannot go on.
    """
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0 or (chunk is not None and chunk < 1):
        raise TournamentError("--workers must be at least 0 and --chunk at least 1")
    address = dask_address(dask)
    if workers and not address:
        start_fork_server()
    out = Path(out)
    storage.read_manifest(out)  # a file, or a folder of other things: refused, left alone
    with storage.locked(out):
        manifest, done = _prepare(t, out, notice)
        with executors(address, workers) as (make_executor, threads):
            manifest, finished = run_pending(
                out, manifest, done, make_executor, 2 * threads + 1, t.n_runs,
                partial(_create, t, out, chunk, threads), partial(_chunks, t, out), progress)
        if finished >= set(range(manifest["chunks"])):
            compaction.compact(out, manifest["chunks"])
    return out


def _prepare(t: Tournament, out: Path, notice: Notice | None
             ) -> tuple[dict[str, Any] | None, dict[int, dict[str, Any]]]:
    """The folder's manifest and its chunks already done (none for a new folder)."""
    old = storage.read_manifest(out)
    if not old:
        return None, {}
    from sim.scenario import source_hash

    if old.get("tournament") != t.identity() or old["scenario_sha256"] != source_hash(
            t.text) or old["seed"] != t.seed or old["steps"] != (t.steps or t.scenario.steps):
        raise TournamentError(f"{out}: holds another tournament or a sweep; choose another "
                              f"--out or repeat the same command")
    compaction.recover(out)
    found = ledger.audit(out, old)
    for problem in found.problems:
        if notice:
            notice(problem)
    ledger.settle(out, found)
    return old, found.done


def _plan(t: Tournament) -> Plan:
    """The tournament as a sweep plan (for the manifest): its points, no factors."""
    return Plan(t.file, t.text, t.doc, t.positions, t.scenario, [], "tournament",
                len(t.strategies), t.seeds, t.seed, t.steps, None, False, t.points)


def _create(t: Tournament, out: Path, chunk: int | None, workers: int,
            executor: Any) -> dict[str, Any]:
    """Probe one run on ``executor``, then write runs.parquet, then the manifest (last: a
    folder with one is complete); return the manifest."""
    # the probe runs where the runs will, as a sweep's does
    metrics, seconds = call(executor, probe, t.text, t.file, t.seed, t.steps)
    size = chunk or chunk_size(seconds, t.n_runs, workers)
    manifest = storage.make_manifest(_plan(t), size, metrics)
    manifest.update(seeding=SEEDING, tournament=t.identity(), labels=t.labels)
    n = t.n_runs
    runs = pa.table({
        "run": pa.array(range(n), pa.int64()),
        "point": pa.array([r // t.seeds for r in range(n)], pa.int64()),
        "replicate": pa.array([r % t.seeds for r in range(n)], pa.int32()),
        "seed": pa.array([t.seed_of(r % t.seeds) for r in range(n)], pa.int64()),
        **{role: pa.array([t.labels[r // t.seeds][role] for r in range(n)], pa.string())
           for role in t.roles},
    })
    try:
        out.mkdir(parents=True, exist_ok=True)
        storage.write_file(out / storage.RUNS,
                           lambda tmp: pq.write_table(runs, tmp, compression="zstd"))
        storage.write_file(out / storage.MANIFEST, lambda tmp: Path(tmp).write_text(
            json.dumps(manifest, indent=1, default=str), encoding="utf-8"))
    except OSError as exc:
        raise TournamentError(f"{out}: cannot write ({exc.strerror})") from None
    return manifest


def _chunks(t: Tournament, out: Path, manifest: dict[str, Any],
            indices: Iterator[int]) -> Iterator[Chunk]:
    size = manifest["chunk"]
    kill = os.environ.get(KILL_ENV) or None  # the sweep's test hook: a worker dies once
    for i in indices:
        runs = range(i * size, min((i + 1) * size, t.n_runs))
        yield Chunk(index=i, out=str(out.resolve()), file=t.file, text=t.text,
                    runs=tuple((r, r // t.seeds, r % t.seeds, t.seed_of(r % t.seeds))
                               for r in runs),
                    overrides=tuple(t.points[r // t.seeds] for r in runs), steps=t.steps,
                    every=None, metrics=tuple(manifest["metrics"]), kill=kill)
