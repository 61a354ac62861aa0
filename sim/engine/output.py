"""Run results as a long, tidy table (step, date, entity, metric, value), written atomically.

CSV or Parquet is chosen by the file's extension. Files are written to a temporary name in the
same folder and renamed into place, so a reader never sees half a file and a failed write leaves
the old file (or none).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.engine.metrics import GROUPS
from sim.errors import OutputError

if TYPE_CHECKING:
    from sim.engine.model import TradeModel

FORMATS = (".csv", ".parquet")


def tidy_table(model: TradeModel) -> pa.Table:
    """Every recorded value of a run: one row per (step, entity, metric), in a stable order
    (step, then firms, firm/component stocks, suppliers, countries, markets)."""
    rec = model.recorder
    n = rec.steps
    steps, entities, metrics, values = [], [], [], []
    for group, readers in GROUPS.items():
        names = rec.entities[group]
        data = rec.data[group][:n]  # [n, M, E]
        if not names:
            continue
        # entity-major within a step: for each entity, all its metrics
        block = data.transpose(0, 2, 1)  # [n, E, M]
        steps.append(np.repeat(np.arange(n), block.shape[1] * block.shape[2]))
        entities.append(np.tile(np.repeat(np.array(names, dtype=object), len(readers)), n))
        metrics.append(np.tile(np.array(list(readers), dtype=object), n * len(names)))
        values.append(block.reshape(-1))
    step = np.concatenate(steps)
    order = np.argsort(step, kind="stable")
    dates = np.array([model.spec.date_of(i).isoformat() for i in range(n)], dtype=object)
    step = step[order]
    return pa.table({
        "step": pa.array(step, pa.int32()),
        "date": pa.array(dates[step], pa.string()),
        "entity": pa.array(np.concatenate(entities)[order], pa.string()),
        "metric": pa.array(np.concatenate(metrics)[order], pa.string()),
        "value": pa.array(np.concatenate(values)[order], pa.float64()),
    })


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:100]}."


def _sweep(target: Path) -> None:
    """Remove temporary files a killed writer of ``target`` left behind (its pid is gone)."""
    prefix = _temp_prefix(target)
    for old in target.parent.glob(f"{glob_escape(prefix)}*.tmp"):
        pid = old.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            old.unlink(missing_ok=True)


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
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


def write_table(table: pa.Table, path: str | Path) -> Path:
    """Write a table as CSV or Parquet (by extension), atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(path, "the name must end in .csv or .parquet")
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: pacsv.write_csv(table, tmp))
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
