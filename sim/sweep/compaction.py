"""Compaction: a complete sweep's part files merged into one file per kind, swapped in at once.

When a sweep's last chunk is in, ``summary/`` (and ``steps/``) hold one small file per chunk;
:func:`compact` merges them (and an earlier ``part-all.parquet``, when runs were added since)
into one ``part-all.parquet`` per kind, in run order, streamed in row groups so that memory
stays flat, recording in its metadata that it holds chunks 0…N−1.

A raw reader of a result folder (``pandas.read_parquet("OUT/summary")``) must never see a run
twice, even when the sweep is killed in the middle of this. So the merged file is written into
a new hidden folder ``OUT/.summary.new/``, and that folder and ``OUT/summary/`` are exchanged in
one atomic ``renameat2(RENAME_EXCHANGE)`` (Linux); the old parts, now in the hidden folder, are
removed after. At every moment ``summary/`` holds either every part file or the merged file.
Where the exchange is not available (another OS, a file system without it), two renames are
used (``summary`` → ``.summary.old``, then ``.summary.new`` → ``summary``): a reader between
them finds no folder, never a run twice. :func:`recover`, run before a sweep resumes, puts a
folder left between the two renames back and removes the hidden folders a crash left.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep.storage import COMPACT, ROW_GROUP, compacted_chunks, part_files, write_file

KINDS = ("summary", "steps")
# test hook: "STAGE" kills the process at that point of compaction (merged, swapped, moved;
# "moved" also forces the two-rename path)
KILL_ENV = "CHOKEPOINT_SWEEP_TEST_COMPACT_KILL"


def compact(out: Path, chunks: int) -> None:
    """Merge each kind's part files into ``part-all.parquet`` and swap it in atomically."""
    for kind in KINDS:
        folder = out / kind
        if not folder.is_dir():
            continue
        covered = compacted_chunks(out, kind)
        files = part_files(folder)
        fresh = [f for chunk, f in files if chunk >= covered]
        if not fresh:  # at most parts a merged file already holds (left by an older version)
            for _, f in files:
                f.unlink()
            continue
        new = _hidden(out, kind, "new")
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        sources = ([folder / COMPACT] if covered else []) + fresh
        write_file(new / COMPACT, functools.partial(_merge, sources=sources, chunks=chunks))
        _checkpoint("merged")
        _exchange(new, folder)
        _checkpoint("swapped")
        shutil.rmtree(new, ignore_errors=True)  # the old parts (gone already after renames)


def recover(out: Path) -> None:
    """Undo what a compaction killed part-way left (run under the folder's lock)."""
    for kind in KINDS:
        folder, new, old = out / kind, _hidden(out, kind, "new"), _hidden(out, kind, "old")
        if old.exists() and not folder.exists():  # killed between the two renames
            os.rename(old, folder)
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _hidden(out: Path, kind: str, what: str) -> Path:
    return out / f".{kind}.{what}"


def _checkpoint(stage: str) -> None:
    if os.environ.get(KILL_ENV) == stage:
        os._exit(17)


def _exchange(new: Path, folder: Path) -> None:
    """Swap two folders' contents: atomically where the OS can, else by two renames."""
    if os.environ.get(KILL_ENV) != "moved" and _rename_exchange(new, folder):
        return
    old = folder.with_name(f".{folder.name}.old")
    os.rename(folder, old)
    _checkpoint("moved")
    os.rename(new, folder)
    shutil.rmtree(old)


def _rename_exchange(a: Path, b: Path) -> bool:
    """``renameat2(a, b, RENAME_EXCHANGE)``; False where the system has no such call."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _merge(tmp: str, sources: list[Path], chunks: int) -> None:
    writer: pq.ParquetWriter | None = None
    held: list[pa.Table] = []
    rows = 0

    def flush() -> None:
        nonlocal writer, held, rows
        table = pa.concat_tables(held)
        if writer is None:
            schema = table.schema.with_metadata({"chokepoint_chunks": str(chunks)})
            writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        writer.write_table(table.replace_schema_metadata(writer.schema.metadata),
                           row_group_size=max(rows, 1))
        held, rows = [], 0

    for f in sources:
        for batch in pq.ParquetFile(f).iter_batches(batch_size=ROW_GROUP):
            held.append(pa.Table.from_batches([batch]).replace_schema_metadata(None))
            rows += batch.num_rows
            if rows >= ROW_GROUP:
                flush()
    if held:
        flush()
    if writer is None:  # every source empty (a steps/ folder whose runs all failed)
        schema = pq.read_schema(sources[0]).remove_metadata()
        pq.write_table(schema.with_metadata({"chokepoint_chunks": str(chunks)}).empty_table(),
                       tmp, compression="zstd")
        return
    writer.close()
