"""``run_sweep``: plan, check, run in chunks, resume.

One sweep = design points × replicates. Runs are numbered in design order
(``run = point × replicates + replicate``) and grouped into chunks of consecutive runs, each
carrying about a quarter of a second of work so that scheduling costs little. Workers write each
chunk's part files; the parent only appends the chunk to the ledger and counts, so its memory
stays flat. Run the same call again on the same folder and only the chunks not in the ledger
run: after a crash, a Ctrl-C, or a killed worker, nothing done is lost or done twice. One
sweep runs in a folder at a time (:func:`storage.locked`); when the last chunk is in, the part
files are compacted (:func:`compaction.compact`). Run it again with more replicates (or, for
``sobol`` and ``morris``, more samples) and the new runs are added in place as a new block
(:func:`storage.extend`): the old runs keep their numbers, seeds and results.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sim.sweep import compaction, ledger, storage
from sim.sweep.executors import (
    SequentialExecutor,
    call,
    dask_address,
    dask_client,
    process_pool,
    run_chunks,
    shutdown,
    start_fork_server,
)
from sim.sweep.plan import Plan, SweepError, make_plan
from sim.sweep.spec import SweepPlan, VaryValues
from sim.sweep.worker import KILL_ENV, Chunk, probe, with_baseline

Progress = Callable[[int, int, int], None]  # (runs done, runs failed, runs planned)
Notice = Callable[[str], None]  # what resuming found damaged, and does about it
CHUNK_SECONDS = 0.25  # work per chunk: Dask costs ~5 ms a task, a process pool ~0.2 ms
MAX_CHUNK = 200       # runs per chunk at most: bounds a worker's memory with --every
PARTS = 2_000         # part files a sweep aims not to exceed: big sweeps get bigger chunks


def run_sweep(plan: SweepPlan | str | Path, vary: Mapping[str, VaryValues] | None = None, *,
              workers: int | None = None, dask: str | None = None, chunk: int | None = None,
              progress: Progress | None = None, notice: Notice | None = None,
              **options: Any) -> Path:
    """Run (or resume) a sweep; return its output folder.

    ``run_sweep(SweepPlan(...))``, or ``run_sweep(scenario, vary, out=..., **options)`` with
    the fields of :class:`~sim.sweep.spec.SweepPlan` as ``options`` (``design``,
    ``samples``, ``replicates``, ``levers``, ``outcomes``...). ``out`` is required.

    Args:
        plan: the sweep, or the scenario file (then ``vary`` and ``options`` make the plan).
        vary: see :class:`~sim.sweep.spec.SweepPlan`.
        workers: local worker processes (default: CPU count; 0: run in this process), or
            Dask workers with ``dask="local"``.
        dask: ``"local"`` for a local Dask cluster, or a scheduler address
            (default: ``DASK_SCHEDULER_ADDRESS`` if set, else no Dask).
        chunk: runs per chunk (default: about a quarter of a second of work each).
        progress: called with (runs done, runs failed, runs planned) at start and per chunk.
        notice: called with one message per damaged ledger line or part file found on
            resume (each such chunk runs again; :mod:`sim.sweep.ledger`), and per warning of
            the plan (events the horizon drops).
        options: fields of :class:`~sim.sweep.spec.SweepPlan`, when ``plan`` is a file.

    Raises:
        ScenarioError, SweepError: bad input, found before any run starts.
    """
    if not isinstance(plan, SweepPlan):
        plan = SweepPlan(scenario=plan, vary=dict(vary or {}), **options)
    elif vary or options:
        raise SweepError("run_sweep(SweepPlan(...)) takes no vary or plan options: put them "
                         "in the plan (plan.replace(...))")
    if plan.out is None:
        raise SweepError("--out DIR is required (the folder for results; run again to resume)")
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0 or (chunk is not None and chunk < 1):
        raise SweepError("--workers must be at least 0 and --chunk at least 1")
    address = dask_address(dask)
    if workers and not address:
        start_fork_server()  # imports the model on another core while this one plans
    checked = make_plan(plan.scenario, plan.vary, design=plan.design, samples=plan.samples,
                        replicates=plan.replicates, seed=plan.seed, steps=plan.steps,
                        every=plan.every, baseline=plan.baseline,
                        uncertainties=plan.uncertainties, levers=plan.levers,
                        outcomes=plan.outcomes)
    for warning in checked.warnings:  # never silent: a notebook gets a Python warning
        if notice:
            notice(f"warning: {warning}")
        else:
            warnings.warn(warning, UserWarning, stacklevel=2)
    out = Path(plan.out)
    storage.read_manifest(out)  # a file, or a folder of other things: refused, left alone
    with storage.locked(out):
        _run_locked(checked, out, address, workers, chunk, progress, notice)
    return out


def _run_locked(plan: Plan, out: Path, address: str | None, workers: int, chunk: int | None,
                progress: Progress | None, notice: Notice | None) -> None:
    old = storage.read_manifest(out)
    manifest = None
    sound: dict[int, dict[str, Any]] = {}  # chunks already done (checked)
    if old:  # resuming: refuse another sweep's folder before connecting to anything
        blocks = storage.extend(old, plan)
        manifest = storage.make_manifest(plan, old["chunk"], old["metrics"], blocks)
        storage.check_resumable(out, old, manifest)
        storage.check_runs(out, old)
        storage.check_extension(out, old, plan)
        compaction.recover(out)
        found = ledger.audit(out, old)
        for problem in found.problems:
            if notice:
                notice(f"damaged: {problem}")
        ledger.settle(out, found)
        sound = found.done
        if blocks != storage.blocks_of(old):  # replicates or points added in place
            storage.create(out, plan, manifest)
    with executors(address, workers) as (make_executor, threads):
        _, done = run_pending(out, manifest, sound, make_executor, 2 * threads + 1, plan.n_runs,
                              partial(_create, plan, out, chunk, threads),
                              partial(chunks_of, plan, out), progress)
    chunks = (storage.read_manifest(out) or {}).get("chunks", 0)
    if done >= set(range(chunks)):
        compaction.compact(out, chunks)


@contextmanager
def executors(address: str | None, workers: int) -> Iterator[tuple[Callable[[], Any], int]]:
    """(a maker of executors, how many runs they run at once): Dask's, a local process pool's,
    or this process's (``workers`` 0)."""
    if address:
        with dask_client(address, max(workers, 1)) as client:
            threads = sum(w.get("nthreads", 1) for w in
                          client.scheduler_info().get("workers", {}).values()) or 1
            yield (lambda: client.get_executor(pure=False)), threads
    elif workers == 0:
        yield SequentialExecutor, 1
    else:
        yield (lambda: process_pool(workers)), workers


def run_pending(out: Path, manifest: dict[str, Any] | None, done: dict[int, dict[str, Any]],
                make_executor: Callable[[], Any], window: int, n_runs: int,
                create: Callable[[Any], dict[str, Any]],
                chunks: Callable[[dict[str, Any], Iterator[int]], Iterator[Chunk]],
                progress: Progress | None) -> tuple[dict[str, Any], set[int]]:
    """Run a folder's chunks not done yet, recording each in the ledger as it finishes.

    Shared by sweeps and tournaments (:mod:`sim.tournament.runner`).

    Args:
        out: the output folder.
        manifest: the folder's manifest, or None for a new folder (then ``create`` makes it).
        done: the chunks already done (checked by :func:`ledger.audit`).
        make_executor: a new executor (:func:`executors`).
        window: chunks in flight at most.
        n_runs: the runs planned (for ``progress``).
        create: probes on the executor it is given, writes the folder's files and returns
            the manifest; the executor is shut down if it raises.
        chunks: the chunks of the given indices, under the given manifest.
        progress: called with (runs done, runs failed, runs planned) at start and per chunk.

    Returns:
        The manifest and the chunks done.
    """
    executor = make_executor()
    if manifest is None:
        try:
            manifest = create(executor)
        except BaseException:
            shutdown(executor)
            raise
    counts = [sum(e["runs"] for e in done.values()), sum(e["failed"] for e in done.values())]
    if progress:
        progress(counts[0], counts[1], n_runs)

    finished = set(done)

    def on_done(entry: dict[str, Any]) -> None:
        storage.record_done(out, entry)
        finished.add(entry["chunk"])
        counts[0] += entry["runs"]
        counts[1] += entry["failed"]
        if progress:
            progress(counts[0], counts[1], n_runs)

    todo = (i for i in range(manifest["chunks"]) if i not in done)
    run_chunks(make_executor, chunks(manifest, todo), window, on_done, executor=executor)
    return manifest, finished


def _create(plan: Plan, out: Path, chunk: int | None, workers: int,
            executor: Any) -> dict[str, Any]:
    """Probe one run on ``executor``, then create the new sweep's folder; return its manifest."""
    # the probe runs where the runs will: the parent need not import the model
    metrics, seconds = call(executor, probe, plan.text, plan.file, plan.seed, plan.steps)
    if plan.baseline:
        metrics = with_baseline(metrics)
    metrics += [o.name for o in plan.outcomes]
    manifest = storage.make_manifest(
        plan, chunk or chunk_size(seconds, plan.n_runs, workers), metrics)
    storage.create(out, plan, manifest)
    return manifest


def chunks_of(plan: Plan, out: Path, manifest: dict[str, Any],
            indices: Iterator[int]) -> Iterator[Chunk]:
    size = manifest["chunk"]
    blocks = storage.blocks_of(manifest)
    kill = os.environ.get(KILL_ENV) or None
    for i in indices:
        block = next(b for b in reversed(blocks) if b[5] <= i)
        j = (i - block[5]) * size
        ids = list(storage.run_ids(block, j, min(j + size, storage.block_runs(block))))
        yield Chunk(
            index=i, out=str(out.resolve()), file=plan.file, text=plan.text,
            runs=tuple((n, p, r, plan.run_seed(p, r)) for n, p, r in ids),
            overrides=tuple(plan.points[p] for _, p, _ in ids),
            steps=plan.steps, every=plan.every, metrics=tuple(manifest["metrics"]), kill=kill,
            baseline=plan.baseline, outcomes=tuple(o.to_json() for o in plan.outcomes),
            outcome_baseline=plan.outcome_baseline)


def chunk_size(seconds: float, n_runs: int, workers: int) -> int:
    """Runs per chunk: about CHUNK_SECONDS of work, or more if that would make over PARTS part
    files (a million runs should not be a million small files), but at most MAX_CHUNK, and at
    least 4 chunks per worker."""
    size = max(math.ceil(CHUNK_SECONDS / max(seconds, 1e-4)), math.ceil(n_runs / PARTS))
    return max(1, min(size, MAX_CHUNK, math.ceil(n_runs / (4 * workers))))
