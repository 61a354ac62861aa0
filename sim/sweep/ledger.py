"""What a sweep folder says is done, checked before anything trusts it.

A chunk counts as done only when its ledger line is a sound entry of *this* sweep (a JSON object
with ``chunk``, ``runs``, ``failed`` and ``seconds``; the chunk one of the manifest's; its
``runs`` the chunk's size) and its part files are sound (Parquet that opens, with the columns
of the sweep's part files, and for ``summary/`` the chunk's rows: as many as its runs, run ids
its own). Anything else is damage, and the rule is the same for every kind: **the chunk is
not done, and runs again**. :func:`audit` finds it and says where (``FILE:LINE`` for a ledger
line, the file for a part file); :func:`settle`, on resume and under the folder's lock, moves
damaged or foreign files from ``summary/`` and ``steps/`` to ``damaged/`` (nothing is deleted,
and raw readers of the result folders never see them), keeps a copy of a damaged ledger there
too, and rewrites the ledger with the lines of the chunks that are done (so a last line cut
short by a crash is dropped, the next line appended starts a line of its own, and the same
damage is not reported twice). ``sweep report``,
``discover``, ``export`` and ``explore`` refuse a damaged folder (exit 2, naming what is
damaged), since their figures would be wrong: running the sweep again repairs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep import storage

DAMAGED = "damaged"
PART = re.compile(r"part-(\d{6})\.parquet")
KINDS = ("summary", "steps")


@dataclass
class Audit:
    """Chunk → ledger entry for the chunks that are done; what is damaged, and where."""

    done: dict[int, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    damaged: list[Path] = field(default_factory=list)  # files to move aside
    cut_short: bool = False  # the ledger's last line lacks its newline (a crash mid-append)
    lines: dict[int, bytes] = field(default_factory=dict)  # chunk → its last sound line


def chunk_runs(manifest: dict[str, Any]) -> list[tuple[int, int]]:
    """(first run, runs) of every chunk of the manifest, by chunk number."""
    size = manifest["chunk"]
    out: list[tuple[int, int]] = []
    for block in storage.blocks_of(manifest):
        total = storage.block_runs(block)
        out += [(block[0] + j, min(size, total - j)) for j in range(0, total, size)]
    return out


def _entry_problem(entry: Any, chunks: list[tuple[int, int]]) -> str | None:
    """Why a parsed ledger line is not an entry of this sweep (None: it is)."""
    if not isinstance(entry, dict):
        return "not a ledger entry (a JSON object with chunk, runs, failed, seconds)"
    for key in ("chunk", "runs", "failed"):
        value = entry.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            what = "missing" if value is None else "not a whole number"
            return f"not a ledger entry ({key!r} is {what})"
    if not isinstance(entry.get("seconds"), int | float) or isinstance(entry["seconds"], bool):
        return "not a ledger entry ('seconds' is missing or not a number)"
    chunk = entry["chunk"]
    if not 0 <= chunk < len(chunks):
        return f"chunk {chunk} is not one of this sweep's (0 to {len(chunks) - 1})"
    if entry["runs"] != chunks[chunk][1]:
        return f"chunk {chunk} has {chunks[chunk][1]} runs, the line says {entry['runs']}"
    if not 0 <= entry["failed"] <= entry["runs"]:
        return f"chunk {chunk}: {entry['failed']} failed runs of {entry['runs']}"
    return None


def _schemas(manifest: dict[str, Any]) -> dict[str, pa.Schema]:
    metrics = tuple(manifest["metrics"])
    return {"summary": storage.summary_table({k: [] for k in ("run", "point", "replicate", "seed",
                                                      "status", "error", *metrics)},
                                     metrics).schema,
            "steps": storage.steps_table(None, 0).schema}


def _part_problem(path: Path, schema: pa.Schema, runs: tuple[int, int] | None) -> str | None:
    """Why a part file is not sound: it does not open as Parquet, its columns are not the
    sweep's, or (``runs``: first run and count) its rows are not those runs."""
    try:
        meta = pq.read_metadata(path)
        got = meta.schema.to_arrow_schema().remove_metadata()
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"not a readable Parquet file ({str(exc).splitlines()[0][:120]})"
    if not got.equals(schema):
        want, have = schema.names, got.names
        diff = [n for n in want if n not in have] or [n for n in have if n not in want]
        return (f"not this sweep's columns ({', '.join(diff[:4])} differ)" if diff
                else "not this sweep's column types")
    if runs is None:
        return None
    first, n = runs
    if meta.num_rows != n:
        return f"holds {meta.num_rows} rows, its chunk has {n} runs"
    try:
        low, high = _run_range(path, meta)
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"not a readable Parquet file ({str(exc).splitlines()[0][:120]})"
    if (low, high) != (first, first + n - 1):
        return f"holds other runs than its chunk's ({first} to {first + n - 1})"
    return None


def _run_range(path: Path, meta: pq.FileMetaData) -> tuple[int | None, int | None]:
    """The lowest and highest ``run`` of a part file: from its row groups' statistics (written
    by every part writer; no data read), else from the column itself."""
    col = meta.schema.names.index("run")
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(col).statistics
        if stats is None or not stats.has_min_max:
            ids = pq.read_table(path, columns=["run"]).column("run").to_pylist()
            return (min(ids), max(ids)) if ids else (None, None)
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else (None, None)


def audit(out: Path, manifest: dict[str, Any]) -> Audit:
    """Check the ledger and the part files of a sweep folder (read only)."""
    result = Audit()
    chunks = chunk_runs(manifest)
    schemas = _schemas(manifest)
    kinds = KINDS if manifest.get("every") else KINDS[:1]
    covered: dict[str, int] = {}
    bad: set[tuple[str, int]] = set()
    for kind in KINDS:
        folder = out / kind
        covered[kind] = 0
        if not folder.is_dir():
            continue
        covered[kind] = _check_compacted(out, kind, chunks, schemas[kind], result)
        for path in sorted(folder.iterdir()):
            if path.name == storage.COMPACT or path.name.startswith((".", "_")):
                continue  # hidden: temporary files of atomic writes (readers skip them too)
            match = PART.fullmatch(path.name)
            if kind not in kinds or not match or int(match[1]) >= len(chunks):
                result.problems.append(f"{path}: not a part file of this sweep (resuming moves "
                                       f"it to {out / DAMAGED})")
                result.damaged.append(path)
                continue
            chunk = int(match[1])
            if chunk < covered[kind]:
                continue  # already in part-all.parquet: compaction removes it
            why = _part_problem(path, schemas[kind],
                                chunks[chunk] if kind == "summary" else None)
            if why:
                result.problems.append(f"{path}: {why}; chunk {chunk} runs again")
                result.damaged.append(path)
                bad.add((kind, chunk))
    for chunk, entry in sorted(_ledger(out / storage.LEDGER, chunks, result).items()):
        missing = [storage.part_path(out, kind, chunk) for kind in kinds
                   if chunk >= covered[kind] and (kind, chunk) not in bad
                   and not storage.part_path(out, kind, chunk).exists()]
        for path in missing:
            result.problems.append(f"{path}: missing, though the ledger lists chunk {chunk}; "
                                   f"chunk {chunk} runs again")
        if not missing and not any((kind, chunk) in bad for kind in kinds):
            result.done[chunk] = entry
    return result


def _check_compacted(out: Path, kind: str, chunks: list[tuple[int, int]], schema: pa.Schema,
                     result: Audit) -> int:
    """How many chunks a sound ``part-all.parquet`` holds (0 if none, or it is damaged)."""
    path = out / kind / storage.COMPACT
    if not path.exists():
        return 0
    try:
        covered = storage.compacted_chunks(out, kind)
    except (pa.ArrowException, OSError, ValueError):
        covered = -1
    why = _part_problem(path, schema, None)
    if not why and not 0 < covered <= len(chunks):
        why = "does not say which chunks it holds"
    if not why and kind == "summary":
        rows = pq.ParquetFile(path).metadata.num_rows
        want = sum(n for _, n in chunks[:covered])
        if rows != want:
            why = f"holds {rows} rows, its {covered} chunks have {want} runs"
    if why:
        result.problems.append(f"{path}: {why}; the chunks it held run again")
        result.damaged.append(path)
        return 0
    return covered


def _ledger(path: Path, chunks: list[tuple[int, int]], result: Audit) -> dict[int, dict]:
    """The sound entries of the ledger, chunk → its last entry; a problem per other line."""
    if not path.exists():
        return {}
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.problems.append(f"{path}: cannot be read ({exc.strerror}); every chunk runs "
                               f"again")
        return {}
    lines = data.split(b"\n")
    result.cut_short = bool(lines[-1])  # no newline after the last line
    entries: dict[int, dict] = {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        if number == len(lines):  # cut short by a crash mid-append: that chunk runs again
            continue
        why: str | None
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            entry, why = None, "not a ledger entry (not JSON)"
        else:
            why = _entry_problem(entry, chunks)
        if why:
            result.problems.append(f"{path}:{number}: {why}; its chunk, if any, runs again")
        else:
            entries[entry["chunk"]] = entry
            result.lines[entry["chunk"]] = raw
    return entries


def done_chunks(out: Path) -> dict[int, dict[str, Any]]:
    """Finished chunks whose ledger entry and part files are sound: chunk → ledger entry."""
    manifest = storage.read_manifest(out)
    return audit(out, manifest).done if manifest else {}


def settle(out: Path, found: Audit) -> None:
    """Resuming (under the folder's lock): move damaged files to ``OUT/damaged/``, and rewrite
    the ledger with the lines of the chunks that are done (a damaged ledger is kept in
    ``damaged/`` first; a line cut short is dropped), so that what runs next starts from sound
    files only and the same damage is not reported again."""
    ledger = out / storage.LEDGER
    damaged_ledger = any(p.startswith(f"{ledger}:") for p in found.problems)
    if not (found.damaged or found.cut_short or damaged_ledger
            or found.lines.keys() - found.done.keys()):
        return
    aside = out / DAMAGED
    for path in found.damaged + ([ledger] if damaged_ledger else []):
        aside.mkdir(exist_ok=True)
        target = aside / (f"{path.parent.name}-{path.name}" if path != ledger else path.name)
        n = 1
        while target.exists():
            n += 1
            target = target.with_name(f"{target.name.rsplit('.~', 1)[0]}.~{n}")
        if path == ledger:
            shutil.copyfile(path, target)
        else:
            os.replace(path, target)
    kept = b"".join(found.lines[c] + b"\n" for c in sorted(found.done))
    storage.write_file(ledger, lambda tmp: Path(tmp).write_bytes(kept))
