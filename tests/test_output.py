"""Run output: dictionary-encoded labels, real dates, streamed row groups, and CSV and Parquet
holding the same rows in the same order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sim import TradeModel, load_scenario
from sim.engine.metrics import GROUPS
from sim.engine.output import STEPS_PER_GROUP, csv_bytes, tidy_table, write_run
from sim.errors import OutputError

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def model() -> TradeModel:
    m = TradeModel(scenario=load_scenario(ROOT / "scenarios" / "zte_2018.yaml"), rng=5, steps=30)
    return m.run()


def test_labels_are_dictionary_encoded_and_dates_are_dates(model):
    table = tidy_table(model)
    assert pa.types.is_dictionary(table.schema.field("entity").type)
    assert pa.types.is_dictionary(table.schema.field("metric").type)
    assert table.schema.field("date").type == pa.date32()
    start = model.spec.calendar.start
    assert table["date"][0].as_py() == start
    last = table["date"][table.num_rows - 1].as_py()
    assert last == start + dt.timedelta(weeks=29)


def test_rows_follow_the_recorder_step_by_step(model):
    table = tidy_table(model)
    rec = model.recorder
    per_step = sum(len(GROUPS[g]) * len(rec.entities[g]) for g in GROUPS)
    assert table.num_rows == per_step * 30
    steps = np.asarray(table["step"])
    assert (np.diff(steps) >= 0).all()
    # a value picked from the middle of the table is the recorder's
    f = rec.entities["firm"].index("ZTE")
    m = list(GROUPS["firm"]).index("output")
    rows = table.filter(pc.and_(
        pc.equal(table["step"], 17),
        pc.and_(pc.equal(table["entity"].cast(pa.string()), "ZTE"),
                        pc.equal(table["metric"].cast(pa.string()), "output"))))
    assert rows.num_rows == 1
    assert rows["value"][0].as_py() == rec.data["firm"][17, m, f]


def test_every_keeps_every_nth_step(model):
    table = tidy_table(model, every=10)
    assert sorted(set(np.asarray(table["step"]).tolist())) == [0, 10, 20]


def test_parquet_is_written_in_row_groups_with_the_csv_rows(model, tmp_path):
    pq_path = write_run(model, tmp_path / "run.parquet")
    csv_path = write_run(model, tmp_path / "run.csv")
    meta = pq.ParquetFile(pq_path).metadata
    assert meta.num_row_groups == -(-30 // STEPS_PER_GROUP)
    a = pq.read_table(pq_path)
    b = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(
        column_types={"date": pa.string()}))
    assert a.num_rows == b.num_rows
    assert a["value"].to_pylist() == b["value"].to_pylist()
    assert a["entity"].cast(pa.string()).to_pylist() == b["entity"].to_pylist()
    assert [d.isoformat() for d in a["date"].to_pylist()] == b["date"].to_pylist()
    assert csv_path.read_bytes() == csv_bytes(model)
    assert csv_path.read_bytes().splitlines()[1].startswith(b'0,"2018-01-01",')


def test_unknown_extension_is_refused(model, tmp_path):
    with pytest.raises(OutputError, match="must end in .csv or .parquet"):
        write_run(model, tmp_path / "run.txt")
    assert list(tmp_path.iterdir()) == []
