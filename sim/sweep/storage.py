"""The output folder of a sweep: what is planned, what is done, and the results.

```
OUT/manifest.json          scenario text and hash, design, root seed, chunking, versions
OUT/runs.parquet           one row per planned run: run, point, replicate, seed, factors...
OUT/status.jsonl           the ledger: one line per finished chunk
OUT/summary/part-NNNNNN.parquet   one row per run of a chunk: ids, status, error, headlines
OUT/steps/part-NNNNNN.parquet     per-step series of a chunk (with ``every``)
OUT/summary/part-all.parquet      every finished chunk's rows, once the sweep is complete
OUT/.lock                         held (``flock``) by the one process running the sweep
```
Every file is written to a temporary name and renamed (:func:`sim.engine.output.atomic_write`)
with the permissions the umask gives (not ``mkstemp``'s 0600); a ledger line is appended only
after its chunk's part files are in place, so a chunk is done when its line is there, and a
half-written last line (a crash mid-append) is ignored. Resuming checks the ledger and the part
files before trusting them (:mod:`sim.sweep.ledger`). A complete sweep's part files are
compacted into ``part-all.parquet``, swapped in atomically (:mod:`sim.sweep.compaction`): a
ledger chunk counts as done when its part file or the compacted file holds it, so resuming
still skips it. The manifest, its blocks of runs and the resume checks are in
:mod:`sim.sweep.manifest` (re-exported here).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine.output import SCHEMA, atomic_write
from sim.sweep.design import Factor
from sim.sweep.manifest import (  # noqa: F401 - storage.X stays the one name for callers
    FORMAT,
    IDENTITY,
    LOCK,
    MANIFEST,
    REQUIRED,
    RUNS,
    Block,
    block_chunks,
    block_runs,
    blocks_of,
    check_extension,
    check_resumable,
    check_runs,
    extend,
    make_manifest,
    read_manifest,
    run_ids,
    temporary,
)
from sim.sweep.plan import Plan, SweepError

LEDGER = "status.jsonl"
COMPACT = "part-all.parquet"
ROW_GROUP = 100_000  # rows per row group of a compacted file


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file(path: Path, write: Callable[[str], object]) -> Path:
    """:func:`atomic_write`, with the file's mode what the umask gives a new file (0644 under
    the usual 022), so colleagues and cluster workers running as another user can read it."""
    mode = 0o666 & ~_umask()

    def write_and_chmod(tmp: str) -> None:
        write(tmp)
        os.chmod(tmp, mode)

    return atomic_write(path, write_and_chmod)


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the folder's lock while a sweep runs in it: a second sweep is refused, naming the
    holder. The lock is an ``flock`` on ``OUT/.lock``, which the kernel releases when its
    process dies however it dies, so a dead sweep's lock (its file still naming it) is taken
    over safely: two processes cannot both take it. A folder this call created is removed
    again if the sweep fails before writing its manifest."""
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise SweepError(f"{out}: cannot create the folder or its lock ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
            raise SweepError(f"{out}: another sweep is running in this folder ({holder}); "
                             f"wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        try:
            yield
        except BaseException:
            if created and [p.name for p in out.iterdir()] == [LOCK]:
                (out / LOCK).unlink()
                out.rmdir()
            raise
    finally:
        os.close(fd)  # releases the flock



def part_path(out: Path, kind: str, chunk: int) -> Path:
    """``OUT/summary/part-000012.parquet`` (kind: summary or steps)."""
    return out / kind / f"part-{chunk:06d}.parquet"


def create(out: Path, plan: Plan, manifest: dict[str, Any]) -> None:
    """Write runs.parquet, then the manifest (last, so a folder with one is complete); when
    extending a sweep, both are rewritten the same way (old runs keep their rows)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(f"{out}: cannot create the folder ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise SweepError(f"{out}: cannot write to the folder")

    def write_runs(tmp: str) -> None:
        batches = _run_batches(plan, blocks_of(manifest))
        first = next(batches)
        with pq.ParquetWriter(tmp, first.schema, compression="zstd") as writer:
            writer.write_table(first)
            for batch in batches:
                writer.write_table(batch)

    write_file(out / RUNS, write_runs)
    write_file(out / MANIFEST, lambda tmp: Path(tmp).write_text(
        json.dumps(manifest, indent=1, default=str), encoding="utf-8"))


def _run_batches(plan: Plan, blocks: list[Block], size: int = 50_000) -> Iterator[pa.Table]:
    """runs.parquet in batches, so the parent never holds a whole large design as rows."""
    for block in blocks:
        for start in range(0, block_runs(block), size):
            ids = list(run_ids(block, start, min(start + size, block_runs(block))))
            cols: dict[str, Any] = {
                "run": pa.array([i[0] for i in ids], pa.int64()),
                "point": pa.array([i[1] for i in ids], pa.int64()),
                "replicate": pa.array([i[2] for i in ids], pa.int32()),
                "seed": pa.array([plan.run_seed(p, r) for _, p, r in ids], pa.int64()),
            }
            for f in plan.factors:
                kind = factor_type(f)
                cast = {pa.int64(): int, pa.float64(): float}.get(kind, str)
                cols[f.name] = pa.array([cast(plan.points[p][f.path]) for _, p, _ in ids],
                                        kind)
            yield pa.table(cols)


def factor_type(factor: Factor) -> pa.DataType:
    """A factor's column type: int64 (integer values), float64 (numbers) or string."""
    if factor.values is None:
        return pa.int64() if factor.integer else pa.float64()
    numbers = [isinstance(v, int | float) and not isinstance(v, bool) for v in factor.values]
    if all(numbers):
        return pa.int64() if all(isinstance(v, int) for v in factor.values) else pa.float64()
    return pa.string()


def record_done(out: Path, entry: dict[str, Any]) -> None:
    """Append one finished chunk to the ledger (one short line: a single write)."""
    with open(out / LEDGER, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def summary_table(rows: dict[str, list[Any]], metrics: tuple[str, ...]) -> pa.Table:
    """The fixed schema of summary part files: ids, status, error, then one float column per
    headline and outcome."""
    return pa.table({
        "run": pa.array(rows["run"], pa.int64()),
        "point": pa.array(rows["point"], pa.int64()),
        "replicate": pa.array(rows["replicate"], pa.int32()),
        "seed": pa.array(rows["seed"], pa.int64()),
        "status": pa.array(rows["status"], pa.string()),
        "error": pa.array(rows["error"], pa.string()),
        **{m: pa.array(rows[m], pa.float64()) for m in metrics},
    })


def steps_table(tidy: pa.Table | None, run: int) -> pa.Table:
    """A run's per-step series tagged with its run number (``tidy`` None: the empty table of
    the schema of ``steps/`` part files)."""
    schema = pa.schema([("run", pa.int64()), *SCHEMA])
    if tidy is None:
        return schema.empty_table()
    return pa.table([pa.array(np.full(tidy.num_rows, run), pa.int64()), *tidy.columns],
                    schema=schema)


def write_part(table: pa.Table, path: Path) -> None:
    """A part file, zstd-compressed, atomically."""
    write_file(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def compacted_chunks(out: Path, kind: str) -> int:
    """How many chunks (0…N−1) ``part-all.parquet`` holds (0 without one)."""
    path = out / kind / COMPACT
    if not path.exists():
        return 0
    meta = pq.read_schema(path).metadata or {}
    return int(meta.get(b"chokepoint_chunks", b"0"))


def part_files(folder: Path) -> list[tuple[int, Path]]:
    """(chunk, path) of a folder's ``part-NNNNNN.parquet`` files, by chunk."""
    found = []
    for path in folder.glob("part-*.parquet"):
        number = path.name[len("part-"):-len(".parquet")]
        if len(number) == 6 and number.isdigit():
            found.append((int(number), path))
    return sorted(found)


def parts(out: Path, kind: str) -> list[Path]:
    """The files holding a kind's rows, in run order: ``part-all.parquet`` (if the sweep was
    compacted) and the part files of chunks it does not hold (runs added since)."""
    folder = out / kind
    covered = compacted_chunks(out, kind)
    return ([folder / COMPACT] if covered else []) + [f for chunk, f in part_files(folder)
                                                     if chunk >= covered]
