"""Run results as a long, tidy table (step, date, entity, metric, value), written atomically.

CSV or Parquet is chosen by the file's extension. Files are written to a temporary name in the
same folder and renamed into place, so a reader never sees half a file and a failed write leaves
the old file (or none).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.engine.metrics import GROUPS

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


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` and rename the result to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_table(table: pa.Table, path: str | Path) -> Path:
    """Write a table as CSV or Parquet (by extension), atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: output must end in .csv or .parquet")
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: pacsv.write_csv(table, tmp))
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
