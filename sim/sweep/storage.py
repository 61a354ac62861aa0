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
half-written last line (a crash mid-append) is ignored. A complete sweep's part files are
compacted into ``part-all.parquet`` (written, then the parts removed): a ledger chunk counts as
done when its part file or the compacted file exists, so resuming still skips it.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine.output import atomic_write
from sim.sweep.design import Factor
from sim.sweep.plan import Plan, SweepError
from sim.sweep.seeds import run_seed

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
LEDGER = "status.jsonl"
LOCK = ".lock"
COMPACT = "part-all.parquet"
ROW_GROUP = 100_000  # rows per row group of a compacted file
FORMAT = "chokepoint-sweep/1"
# what must match for a folder to be resumed
IDENTITY = ("scenario_sha256", "design", "samples", "factors", "replicates", "seed", "steps",
            "every", "n_runs", "baseline")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file(path: Path, write: Callable[[str], None]) -> Path:
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


def make_manifest(plan: Plan, chunk: int, metrics: list[str]) -> dict[str, Any]:
    """Everything needed to reproduce, resume and read a sweep."""
    from sim.scenario import source_hash

    return {
        "format": FORMAT,
        "scenario_file": plan.file,
        "scenario_name": plan.scenario.name,
        "scenario_sha256": source_hash(plan.text),
        "scenario_text": plan.text,
        "design": plan.design,
        "samples": plan.samples,
        "factors": [f.to_json() for f in plan.factors],
        "points": len(plan.points),
        "replicates": plan.replicates,
        "n_runs": plan.n_runs,
        "seed": plan.seed,
        "seeding": "numpy SeedSequence(seed, spawn_key=(point, replicate)), 64-bit state >> 1",
        "steps": plan.steps if plan.steps is not None else plan.scenario.steps,
        "every": plan.every,
        "baseline": plan.baseline,
        "chunk": chunk,
        "chunks": -(-plan.n_runs // chunk),
        "metrics": metrics,
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("chokepoint", "mesa", "numpy", "scipy", "pyarrow", "distributed"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's manifest, ``None`` if it has none; SweepError if it cannot be read."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out}: exists and is not a folder")
    path = out / MANIFEST
    if not path.exists():
        if out.exists() and any(p.name != LOCK for p in out.iterdir()):
            raise SweepError(f"{out}: the folder is not empty and holds no sweep "
                             f"({MANIFEST} is missing); choose another --out")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SweepError(f"{path}: cannot read the sweep's manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SweepError(f"{path}: not a chokepoint sweep manifest")
    return manifest


def check_resumable(out: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse to resume into a folder that holds another sweep."""
    if old["scenario_sha256"] != new["scenario_sha256"]:
        raise SweepError(f"{out}: holds a sweep of a different scenario "
                         f"({old.get('scenario_name')!r} from {old.get('scenario_file')}); "
                         f"choose another --out")
    diff = [k for k in IDENTITY if old.get(k) != new.get(k)]
    if diff:
        raise SweepError(f"{out}: holds a different sweep of this scenario ({', '.join(diff)} "
                         f"differ); choose another --out or repeat the same command")


def create(out: Path, plan: Plan, manifest: dict[str, Any]) -> None:
    """Write runs.parquet, then the manifest (last, so a folder with one is complete)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(f"{out}: cannot create the folder ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise SweepError(f"{out}: cannot write to the folder")

    def write_runs(tmp: str) -> None:
        batches = _run_batches(plan)
        first = next(batches)
        with pq.ParquetWriter(tmp, first.schema, compression="zstd") as writer:
            writer.write_table(first)
            for batch in batches:
                writer.write_table(batch)

    write_file(out / RUNS, write_runs)
    write_file(out / MANIFEST, lambda tmp: Path(tmp).write_text(
        json.dumps(manifest, indent=1, default=str), encoding="utf-8"))


def _run_batches(plan: Plan, size: int = 50_000) -> Iterator[pa.Table]:
    """runs.parquet in batches, so the parent never holds a whole large design as rows."""
    r = plan.replicates
    for start in range(0, plan.n_runs, size):
        ids = range(start, min(start + size, plan.n_runs))
        cols: dict[str, Any] = {
            "run": pa.array(ids, pa.int64()),
            "point": pa.array([i // r for i in ids], pa.int64()),
            "replicate": pa.array([i % r for i in ids], pa.int32()),
            "seed": pa.array([run_seed(plan.seed, i // r, i % r) for i in ids], pa.int64()),
        }
        for f in plan.factors:
            values = [plan.points[i // r][f.path] for i in ids]
            kind = factor_type(f)
            cast = {pa.int64(): int, pa.float64(): float}.get(kind, str)
            cols[f.name] = pa.array([cast(v) for v in values], kind)
        yield pa.table(cols)


def factor_type(factor: Factor) -> pa.DataType:
    """A factor's column type: int64 (integer values), float64 (numbers) or string."""
    if factor.values is None:
        return pa.int64() if factor.integer else pa.float64()
    numbers = [isinstance(v, int | float) and not isinstance(v, bool) for v in factor.values]
    if all(numbers):
        return pa.int64() if all(isinstance(v, int) for v in factor.values) else pa.float64()
    return pa.string()


def done_chunks(out: Path) -> dict[int, dict[str, Any]]:
    """Finished chunks from the ledger whose part files exist: chunk → ledger entry."""
    path = out / LEDGER
    if not path.exists():
        return {}
    done: dict[int, dict[str, Any]] = {}
    compacted = (out / "summary" / COMPACT).exists()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash: that chunk simply runs again
        if isinstance(entry, dict) and "chunk" in entry and (
                compacted or part_path(out, "summary", entry["chunk"]).exists()):
            done[entry["chunk"]] = entry
    return done


def record_done(out: Path, entry: dict[str, Any]) -> None:
    """Append one finished chunk to the ledger (one short line: a single write)."""
    with open(out / LEDGER, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def write_part(table: pa.Table, path: Path) -> None:
    """A part file, zstd-compressed, atomically."""
    write_file(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def compact(out: Path) -> None:
    """Merge a complete sweep's part files into one ``part-all.parquet`` per kind (summary in
    run order), then remove the parts. Streamed part by part, so memory stays flat; a crash
    part-way leaves either the parts alone or the compacted file (with or without some parts:
    ``part-all`` wins when both exist, see :func:`parts`)."""
    for kind in ("summary", "steps"):
        folder = out / kind
        files = sorted(p for p in folder.glob("part-*.parquet") if p.name != COMPACT)
        if not files or (folder / COMPACT).exists():  # done before a crash: tidy up
            for f in files:
                f.unlink()
            continue

        def merge(tmp: str, files: list[Path] = files) -> None:
            writer, held, rows = None, [], 0
            for f in files + [None]:  # row groups of about ROW_GROUP rows: memory stays flat
                if f is not None:
                    held.append(pq.read_table(f))
                    rows += held[-1].num_rows
                if held and (f is None or rows >= ROW_GROUP):
                    table = pa.concat_tables(held)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                    writer.write_table(table, row_group_size=max(rows, 1))
                    held, rows = [], 0
            assert writer is not None
            writer.close()

        write_file(out / kind / COMPACT, merge)
        for f in files:
            f.unlink()


def parts(out: Path, kind: str) -> list[Path]:
    """The files holding a kind's rows: ``part-all.parquet`` alone once the sweep was compacted
    (part files a crash left beside it are its duplicates), else the part files in order."""
    folder = out / kind
    if (folder / COMPACT).exists():
        return [folder / COMPACT]
    return sorted(folder.glob("part-*.parquet"))
