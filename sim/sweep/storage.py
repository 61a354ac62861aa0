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
still skips it.
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
IDENTITY = ("scenario_sha256", "design", "factors", "seed", "steps", "every", "baseline")
# what readers of a manifest rely on (resume, report, discover, explore)
REQUIRED = (*IDENTITY, "points", "replicates", "samples", "metrics", "scenario_text",
            "scenario_file", "scenario_name", "chunk", "chunks")
# a block of runs: (first run, first point, end point, first replicate, end replicate, first
# chunk); runs are numbered point-major within a block, and blocks are added when replicates
# or points are added to a sweep in place
Block = tuple[int, int, int, int, int, int]


def block_runs(block: Block) -> int:
    _, p0, p1, r0, r1, _ = block
    return (p1 - p0) * (r1 - r0)


def blocks_of(manifest: dict[str, Any]) -> list[Block]:
    """The manifest's blocks (one for a sweep never extended)."""
    default = [[0, 0, manifest["points"], 0, manifest["replicates"], 0]]
    return [tuple(b) for b in manifest.get("blocks", default)]


def block_chunks(block: Block, chunk: int) -> int:
    return -(-block_runs(block) // chunk)


def run_ids(block: Block, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, int,
                                                                                    int]]:
    """(run, point, replicate) of a block's runs ``start``…``stop`` (in the block)."""
    first, p0, _, r0, r1, _ = block
    r = r1 - r0
    for k in range(start, block_runs(block) if stop is None else stop):
        yield first + k, p0 + k // r, r0 + k % r


def extend(old: dict[str, Any], plan: Plan) -> list[Block]:
    """The blocks of ``old`` plus those that add ``plan``'s extra replicates and points."""
    blocks = blocks_of(old)
    chunk = old["chunk"]
    points, reps = old["points"], old["replicates"]

    def add(p0: int, p1: int, r0: int, r1: int) -> None:
        last = blocks[-1]
        blocks.append((last[0] + block_runs(last), p0, p1, r0, r1,
                       last[5] + block_chunks(last, chunk)))

    if plan.replicates > reps:
        add(0, points, reps, plan.replicates)
    if len(plan.points) > points:
        add(points, len(plan.points), 0, plan.replicates)
    return blocks


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


def make_manifest(plan: Plan, chunk: int, metrics: list[str],
                  blocks: list[Block] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce, resume and read a sweep."""
    from sim.scenario import source_hash

    blocks = blocks or [(0, 0, len(plan.points), 0, plan.replicates, 0)]

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
        "chunks": sum(block_chunks(b, chunk) for b in blocks),
        "blocks": [list(b) for b in blocks],
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
        # a sweep killed while writing its plan leaves only its lock and temporary files
        if out.exists() and any(p.name != LOCK and not temporary(p) for p in out.iterdir()):
            raise SweepError(f"{out}: the folder is not empty and holds no sweep "
                             f"({MANIFEST} is missing); choose another --out")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SweepError(f"{path}: cannot read the sweep's manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SweepError(f"{path}: not a chokepoint sweep manifest")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise SweepError(f"{path}: the manifest lacks {', '.join(missing)}; it was edited or "
                         f"damaged: start the sweep in another folder")
    wrong = _manifest_problem(manifest)
    if wrong:
        raise SweepError(f"{path}: {wrong}; the manifest was edited or damaged: start the "
                         f"sweep in another folder")
    return manifest


def _manifest_problem(m: dict[str, Any]) -> str | None:
    """Why a manifest's values cannot be this program's (None: they can)."""
    from sim.scenario import source_hash

    def whole(v: Any, low: int = 0) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    for key, low in (("points", 1), ("replicates", 1), ("samples", 1), ("seed", 0),
                     ("chunk", 1), ("chunks", 1)):
        if not whole(m[key], low):
            return f"{key} is {m[key]!r}, not a whole number of at least {low}"
    for key in ("steps", "every"):
        if m[key] is not None and not whole(m[key], 1):
            return f"{key} is {m[key]!r}, not a whole number of at least 1"
    if not isinstance(m["baseline"], bool):
        return f"baseline is {m['baseline']!r}, not true or false"
    if not (isinstance(m["metrics"], list) and all(isinstance(x, str) for x in m["metrics"])):
        return "metrics is not a list of names"
    if not isinstance(m["scenario_text"], str) or source_hash(m["scenario_text"]) != m[
            "scenario_sha256"]:
        return "scenario_sha256 does not match its scenario_text"
    try:
        factors = [Factor.from_json(f) for f in m["factors"]]
        blocks = blocks_of(m)
    except (TypeError, ValueError):
        return "its factors or blocks are not a sweep's"
    if not all(f.name and f.path for f in factors):
        return "its factors are not a sweep's"
    if not blocks or not all(len(b) == 6 and all(whole(x) for x in b) for b in blocks):
        return "its blocks are not a sweep's"
    made = sum(block_chunks(b, m["chunk"]) for b in blocks)
    if m["chunks"] != made:
        return f"chunks is {m['chunks']}, its blocks make {made}"
    return None


def temporary(p: Path) -> bool:
    """A temporary file of an atomic write (``.NAME.<pid>.<random>.tmp``)."""
    return p.name.startswith(".") and p.name.endswith(".tmp")


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
    for key, what in (("replicates", "replicates"), ("points", "design points")):
        if new[key] < old[key]:
            raise SweepError(f"{out}: holds {old[key]} {what}; a sweep can gain {what} in "
                             f"place but not lose them (asked for {new[key]})")


def check_runs(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse a ``runs.parquet`` that does not open, or is not the manifest's runs."""
    path = out / RUNS
    want = sum(block_runs(b) for b in blocks_of(manifest))
    names = ["run", "point", "replicate", "seed", *(f["name"] for f in manifest["factors"])]
    try:
        meta = pq.ParquetFile(path).metadata
        have = meta.schema.to_arrow_schema().names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SweepError(f"{path}: cannot be read ({str(exc).splitlines()[0][:120]}); the "
                         f"sweep's plan is damaged: start the sweep in another folder") from None
    missing = [n for n in names if n not in have]
    if missing or meta.num_rows != want:
        why = (f"lacks {', '.join(missing)}" if missing
               else f"holds {meta.num_rows} runs, the manifest {want}")
        raise SweepError(f"{path}: {why}; the sweep's plan is damaged: start the sweep in "
                         f"another folder")


def check_extension(out: Path, old: dict[str, Any], plan: Plan) -> None:
    """Refuse added points unless the old points are the new design's first ones (true of
    ``sobol`` and ``morris`` with more samples; a grid's or a Latin hypercube's every point
    moves)."""
    if len(plan.points) == old["points"]:
        return
    runs = pq.read_table(out / RUNS).to_pandas()
    first = runs[runs["replicate"] == 0].sort_values("point")
    for f in plan.factors:
        new = [plan.points[p][f.path] for p in first["point"]]
        if list(first[f.name]) != new:
            raise SweepError(f"{out}: --samples {plan.samples} does not extend the sweep's "
                             f"{old['samples']} ({plan.design} designs move every point); "
                             f"choose another --out")


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
                "seed": pa.array([run_seed(plan.seed, p, r) for _, p, r in ids], pa.int64()),
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


def done_chunks(out: Path) -> dict[int, dict[str, Any]]:
    """Finished chunks whose ledger entry and part files are sound: chunk → ledger entry
    (:func:`sim.sweep.ledger.audit`)."""
    from sim.sweep.ledger import audit

    manifest = read_manifest(out)
    return audit(out, manifest).done if manifest else {}


def record_done(out: Path, entry: dict[str, Any]) -> None:
    """Append one finished chunk to the ledger (one short line: a single write)."""
    with open(out / LEDGER, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


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
