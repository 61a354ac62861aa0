"""The core scenario format (docs/scenarios.md) is accepted as the product's design brief wrote it.

The brief's own example (tests/data/design_brief_example.yaml, copied as the brief wrote it)
validates and runs as is, and so does a scenario written from the format's description alone
(tests/data/from_design.yaml) on month, day and week calendars; dates map to the step whose
period contains them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim import TradeModel, load_scenario
from sim.cli import main

HERE = Path(__file__).parent
EXAMPLE = HERE / "data" / "design_brief_example.yaml"
FROM_DESIGN = HERE / "data" / "from_design.yaml"


@pytest.fixture(scope="module")
def example() -> Path:
    return EXAMPLE


def test_design_example_validates_and_runs(example, capsys):
    assert main(["validate", str(example)]) == 0
    sc = load_scenario(example)
    assert sc.name == "Entity List 2019" and sc.steps == 156 and sc.turn_steps == 13
    model = TradeModel(scenario=sc).run()
    assert model.step_index == 156
    # the timeline took effect on the steps its dates fall in
    by_id = {e.id: sc.step_of(e.at) for e in sc.events if e.id}
    assert by_id == {"rumour": 19, "listing": 39}
    news_steps = {s for s, text in model.news if "Hikvision" in text and "entity list" in text}
    assert by_id["listing"] in news_steps
    risk = model.recorder.series("firm", "risk", "Hikvision")
    assert risk[by_id["rumour"] - 1] == 0 and risk[by_id["rumour"]] == pytest.approx(0.5)
    assert risk[by_id["listing"]] == 1.0


def test_design_example_runs_from_the_cli(example, tmp_path, capsys):
    out = tmp_path / "ex.csv"
    assert main(["run", str(example), "--steps", "60", "--out", str(out)]) == 0
    assert out.exists() and "Hikvision" in capsys.readouterr().out


def test_design_example_parameters_are_settable(example):
    sc = load_scenario(example)
    overrides = {p.path: p.min for p in sc.parameters.values()}
    low = load_scenario(example, overrides=overrides)
    assert low.firms["Hikvision"].strategy.values["cover"] == 0
    assert low.step_of(next(e.at for e in low.events if e.id == "listing")) == 20


def test_written_from_design_validates_and_runs(capsys):
    assert main(["validate", str(FROM_DESIGN)]) == 0
    sc = load_scenario(FROM_DESIGN)
    assert sc.calendar.step == "month" and sc.turn_steps == 3
    model = TradeModel(scenario=sc).run()
    assert model.step_index == 36
    # dates as `at` on a month calendar starting 2021-03-01
    assert {e.id: sc.step_of(e.at) for e in sc.events if e.id} == {
        "warning": 3, "listing": 8, "relief": 10}
    assert sorted(model.events) == [3, 8, 10, 13, 15, 18]
    moves = [(e.step, e.call.move) for e in model.log if e.call.source == "event"]
    assert moves == [(3, "announce"), (8, "entity_list"), (10, "general_license"),
                     (13, "export_control"), (15, "subsidize"), (18, "tariff")]
    assert model.recorder.series("firm", "risk", "Voltmotor")[8] == 1.0


def test_written_from_design_on_a_day_calendar(tmp_path, capsys):
    out = tmp_path / "days.parquet"
    code = main(["run", str(FROM_DESIGN), "--set", "calendar.step=day", "--set", "steps=800",
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    sc = load_scenario(FROM_DESIGN, overrides={"calendar.step": "day", "steps": 800})
    assert sc.step_of(dt.date(2021, 6, 10)) == (dt.date(2021, 6, 10) - dt.date(2021, 3, 1)).days
    assert sc.date_of(100) == dt.date(2021, 3, 1) + dt.timedelta(days=100)
    assert out.exists()


def test_set_event_date_by_id():
    sc = load_scenario(FROM_DESIGN, overrides={"events.listing.at": dt.date(2022, 2, 20)})
    assert sc.step_of(next(e.at for e in sc.events if e.id == "listing")) == 11
    sc = load_scenario(FROM_DESIGN, overrides={"events.listing.at": 5})
    model = TradeModel(scenario=sc).run()
    assert [e.step for e in model.log if e.call.move == "entity_list"] == [5]


def test_set_event_date_by_id_from_the_cli(tmp_path, capsys):
    out = tmp_path / "moved.csv"
    assert main(["run", str(FROM_DESIGN), "--set", "events.listing.at=2022-02-20",
                 "--out", str(out)]) == 0
    lines = [line for line in out.read_text().splitlines() if ',"Voltmotor","risk",' in line]
    risk = [float(line.rsplit(",", 1)[1]) for line in lines]
    assert risk[10] < 1.0 and risk[11] == 1.0


# -- date → step mapping ---------------------------------------------------------------------

def calendar(start: str, step: str):
    return load_scenario(FROM_DESIGN, overrides={"calendar.start": dt.date.fromisoformat(start),
                                                 "calendar.step": step, "steps": 2000,
                                                 "events": [], "parameters": {}})


@pytest.mark.parametrize("start, unit, date, step", [
    ("2019-01-07", "week", "2019-01-07", 0),
    ("2019-01-07", "week", "2019-01-13", 0),
    ("2019-01-07", "week", "2019-01-14", 1),
    ("2019-01-07", "week", "2019-05-21", 19),
    ("2019-01-07", "week", "2019-10-07", 39),
    ("2020-01-01", "day", "2020-01-01", 0),
    ("2020-01-01", "day", "2020-03-01", 60),  # a leap year
    ("2021-03-01", "month", "2021-03-31", 0),
    ("2021-03-01", "month", "2021-04-01", 1),
    ("2021-03-15", "month", "2021-04-14", 0),
    ("2021-03-15", "month", "2021-04-15", 1),
    ("2021-03-15", "month", "2022-03-15", 12),
])
def test_date_maps_to_step(start, unit, date, step):
    sc = calendar(start, unit)
    assert sc.step_of(dt.date.fromisoformat(date)) == step
    assert sc.step_of(step) == step


@pytest.mark.parametrize("start, unit", [
    ("2019-01-07", "week"), ("2020-02-27", "day"), ("2021-03-01", "month"),
    ("2021-03-15", "month"), ("2021-01-28", "month"),
])
def test_each_date_falls_in_the_period_of_its_step(start, unit):
    sc = calendar(start, unit)
    first = dt.date.fromisoformat(start)
    for offset in range(0, 800, 3):
        day = first + dt.timedelta(days=offset)
        k = sc.step_of(day)
        assert sc.date_of(k) <= day < sc.date_of(k + 1), (day, k)


def test_month_calendar_starting_on_the_31st():
    sc = calendar("2020-01-31", "month")
    assert sc.date_of(1) == dt.date(2020, 2, 29)
    assert sc.step_of(dt.date(2020, 2, 29)) == 1


def test_model_records_dates_of_steps():
    sc = calendar("2021-03-15", "month")
    model = TradeModel(scenario=sc, steps=3).run()
    assert model.recorder.steps == 3
    assert [sc.date_of(i) for i in range(3)] == [
        dt.date(2021, 3, 15), dt.date(2021, 4, 15), dt.date(2021, 5, 15)]
    assert np.isfinite(model.recorder.data["firm"][:3]).all()
