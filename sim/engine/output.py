"""Run results as a long, tidy table (step, date, entity, metric, value), written atomically.

``entity`` and ``metric`` are dictionary-encoded, ``date`` is a date; tables are built from
integer codes and numpy arrays, never from per-row Python objects, and runs are written in row
groups of a few steps so that writing takes little memory whatever the horizon.

CSV or Parquet is chosen by the file's extension. Files are written to a temporary name in the
same folder and renamed into place, so a reader never sees half a file and a failed write leaves
the old file (or none).
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import tempfile
from collections.abc import Callable
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.engine.metrics import GROUPS
from sim.errors import OutputError
from sim.processes import pid_alive

if TYPE_CHECKING:
    from sim.engine.model import TradeModel

FORMATS = (".csv", ".parquet")
STEPS_PER_GROUP = 13  # steps per Parquet row group / CSV batch: memory stays flat with horizon
_EPOCH = dt.date(1970, 1, 1)
_LABEL = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema([("step", pa.int32()), ("date", pa.date32()), ("entity", _LABEL),
                    ("metric", _LABEL), ("value", pa.float64())])


class Layout:
    """The row order of a run's tidy table and its dictionaries, computed once per run.

    Within a step, rows go group by group (firms, firm/component stocks, suppliers, countries,
    markets), entity by entity, metric by metric. ``entity`` and ``metric`` are integer codes
    into :attr:`entities` and :attr:`metrics`, so no row ever holds a Python string.
    """

    def __init__(self, model: TradeModel, label: Callable[[str], str] = str):
        rec = model.recorder
        entity_code: dict[str, int] = {}
        metric_code: dict[str, int] = {}
        ent, met = [], []
        self.groups = [g for g in GROUPS if rec.entities[g]]
        for group in self.groups:
            names, metrics = rec.entities[group], list(GROUPS[group])
            e = np.array([entity_code.setdefault(n, len(entity_code)) for n in names], np.int32)
            m = np.array([metric_code.setdefault(k, len(metric_code)) for k in metrics],
                         np.int32)
            ent.append(np.repeat(e, len(m)))
            met.append(np.tile(m, len(e)))
        self.entities = pa.array([label(n) for n in entity_code], pa.string())
        self.metrics = pa.array([label(n) for n in metric_code], pa.string())
        self.entity = np.concatenate(ent) if ent else np.zeros(0, np.int32)
        self.metric = np.concatenate(met) if met else np.zeros(0, np.int32)
        spec = model.spec
        self.days = np.array([(spec.date_of(t) - _EPOCH).days for t in range(rec.steps)],
                             np.int32)

    def table(self, model: TradeModel, steps: np.ndarray) -> pa.Table:
        """The rows of the given steps (ascending), as a table of :data:`SCHEMA`."""
        rec = model.recorder
        n, per = len(steps), len(self.entity)
        # [steps, metrics, entities] → [steps, entities, metrics], groups side by side
        values = np.concatenate(
            [rec.data[g][steps].transpose(0, 2, 1).reshape(n, -1 if n else 0)  # 0 steps: 0 columns
             for g in self.groups],
            axis=1) if self.groups else np.zeros((n, 0))
        return pa.table([
            pa.array(np.repeat(steps.astype(np.int32), per), pa.int32()),
            pa.array(np.repeat(self.days[steps], per), pa.date32()),
            pa.DictionaryArray.from_arrays(pa.array(np.tile(self.entity, n)), self.entities),
            pa.DictionaryArray.from_arrays(pa.array(np.tile(self.metric, n)), self.metrics),
            pa.array(values.reshape(-1), pa.float64()),
        ], schema=SCHEMA)


def tidy_table(model: TradeModel, every: int = 1) -> pa.Table:
    """Every recorded value of a run (or of every ``every``-th step): one row per (step,
    entity, metric), in a stable order (see :class:`Layout`)."""
    return Layout(model).table(model, np.arange(0, model.recorder.steps, every))


def write_run(model: TradeModel, path: str | Path) -> Path:
    """Write a run's tidy table as CSV or Parquet (by extension), atomically, streamed
    :data:`STEPS_PER_GROUP` steps at a time (a Parquet row group or a CSV batch each)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(path, "the name must end in .csv or .parquet")
    return atomic_write(path, lambda tmp: _stream(model, tmp, suffix == ".csv"))


def csv_bytes(model: TradeModel, label: Callable[[str], str] = str) -> bytes:
    """The run so far as CSV, exactly as :func:`write_run` writes it (for downloads);
    ``label`` rewrites entity and metric names (e.g. to make them spreadsheet-safe)."""
    buf = io.BytesIO()
    _stream(model, buf, csv=True, label=label)
    return buf.getvalue()


def _stream(model: TradeModel, sink: str | BinaryIO, csv: bool,
            label: Callable[[str], str] = str) -> None:
    layout = Layout(model, label)
    n = model.recorder.steps
    # CSV quotes strings: the date goes out as text, as it always has, so files stay the same
    schema = SCHEMA.set(1, pa.field("date", pa.string())) if csv else SCHEMA
    # dictionary pages for the labels only (hashing 8-byte floats costs more than it saves),
    # statistics for step and date only (what readers filter on); measured in
    # benchmarks/engine.py: 3.6 → 1.1 ms per step at 1,000 firms, and a smaller file
    writer = (pacsv.CSVWriter(sink, schema) if csv
              else pq.ParquetWriter(sink, schema, compression="zstd", compression_level=1,
                                    use_dictionary=["entity", "metric"],
                                    write_statistics=["step", "date"]))
    with writer:
        for start in range(0, max(n, 1), STEPS_PER_GROUP):
            table = layout.table(model, np.arange(start, min(n, start + STEPS_PER_GROUP)))
            if csv:
                table = table.set_column(1, "date", table["date"].cast(pa.string()))
            writer.write_table(table)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask



def _temp_prefix(target: Path) -> str:
    return f".{target.name[:100]}."


def _sweep(target: Path) -> None:
    """Remove temporary files a killed writer of ``target`` left behind (its pid is gone)."""
    prefix = _temp_prefix(target)
    for old in target.parent.glob(f"{glob_escape(prefix)}*.tmp"):
        pid = old.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            old.unlink(missing_ok=True)


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` and rename the result to ``path``.

    The file gets the usual permissions (0666 less the umask). The temporary file is removed
    if anything fails or the process is asked to stop (SIGTERM, Ctrl-C); one left by a killed
    process is removed by the next write of the same file.

    Raises:
        OutputError: the file cannot be written (naming the path and the reason).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder")
        _sweep(target)
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(target)}{os.getpid()}.",
                                   suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(target, exc.strerror or str(exc)) from None
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError | pa.ArrowException):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise OutputError(target, reason) from None
        raise
    return target
