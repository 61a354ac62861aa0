"""Outcomes as data: the expression language, its errors, and values computed in the workers;
events the horizon drops are warned about; --vary typos get a suggestion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.sweep import SweepError, run_sweep
from sim.sweep import open as sim_open
from sim.sweep.outcomes import BUILTINS, OutcomeError, evaluate, parse_option
from sim.sweep.plan import make_plan

SCENARIO = Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml"


def series_of(data: dict[str, list[float]]):
    def read(entity: str, metric: str, baseline: bool) -> np.ndarray:
        return np.asarray(data[("baseline." if baseline else "") + f"{entity}.{metric}"], float)
    return read


SERIES = series_of({"F.shortfall": [0, 0, 2, 3], "F.output": [10, 10, 8, 7],
                    "baseline.F.output": [10, 10, 10, 10], "camera/US.price": [1, 2, 3, 4]})


@pytest.mark.parametrize("expr, value", [
    ("sum(F.shortfall)", 5.0),
    ("sum(F.shortfall) / sum(F.output + F.shortfall)", 5 / 40),
    ("output_lost_share(F)", 5 / 40),
    ("output_lost_share(F) * 100", 12.5),
    ("sum(baseline.F.output - F.output)", 5.0),
    ("first_step(F.shortfall > 0)", 2.0),
    ("count(F.shortfall > 0) + share(F.output >= 8)", 2.75),
    ("max(series('camera/US', 'price'))", 4.0),
    ("last(F.output) < 8", 1.0),
    ("mean(where(F.shortfall > 2, 1, 0))", 0.25),
    ("-min(F.output, 9)[0] if 0 else -2 ** 2", None),
])
def test_expressions_evaluate_over_series(expr, value):
    if value is None:  # subscripts and conditional expressions are not in the language
        with pytest.raises(OutcomeError):
            evaluate(expr, SERIES)
        return
    assert evaluate(expr, SERIES) == pytest.approx(value)


def test_a_series_that_never_crosses_gives_nan():
    assert np.isnan(evaluate("first_step(F.shortfall > 100)", SERIES))


@pytest.mark.parametrize("expr, message", [
    ("__import__('os').system('true')", "only the functions"),
    ("(1).__class__", "ENTITY.metric"),
    ("F.output.__class__", "ENTITY.metric"),
    ("lambda: 1", "lambda is not allowed"),
    ("[F.output]", "list is not allowed"),
    ("F.output", "gives a series, not one number"),
    ("summ(F.output)", "did you mean 'sum'"),
    ("sum(F.output) +", "not an expression"),
    ("'text'", "only numbers"),
])
def test_anything_else_is_refused_never_run(expr, message):
    with pytest.raises(OutcomeError, match=message):
        evaluate(expr, SERIES)


def test_every_builtin_is_documented_in_docs_sweeps():
    text = (Path(__file__).parents[1] / "docs" / "sweeps.md").read_text(encoding="utf-8")
    for name in BUILTINS:
        assert f"`{name}(" in text, name


def test_command_line_outcome_options():
    name, spec = parse_option("loss = output_lost_share(Hikvision); threshold=0.1; "
                              "window=2019-10-07:60; direction=min")
    assert name == "loss" and spec == {"expr": "output_lost_share(Hikvision)",
                                       "threshold": "0.1", "window": ["2019-10-07", "60"],
                                       "direction": "min"}
    with pytest.raises(OutcomeError, match="did you mean 'threshold'"):
        parse_option("loss=sum(Hikvision.output); treshold=3")


def test_outcomes_are_computed_in_the_workers_from_each_runs_series(tmp_path):
    out = run_sweep(str(SCENARIO), {"stockpile_cover": [0, 26]}, out=tmp_path / "s",
                    replicates=2, steps=60, every=1, workers=0, outcomes={
                        "loss": "output_lost_share(Hikvision)",
                        "late": {"expr": "first_step(Hikvision.shortfall > 0)",
                                 "direction": "max", "window": [20, 59]},
                        "gap": "sum(baseline.Hikvision.output - Hikvision.output)"})
    summary = pd.read_parquet(out / "summary").set_index("run")
    steps = pd.read_parquet(out / "steps")
    firm = steps[steps["entity"] == "Hikvision"].pivot_table(
        index=["run", "step"], columns="metric", values="value")
    for run, rows in firm.groupby(level="run"):
        want = rows["shortfall"].sum() / (rows["output"] + rows["shortfall"]).sum()
        assert summary.loc[run, "loss"] == pytest.approx(want)
        short = rows["shortfall"].to_numpy()[20:60] > 0
        late = np.flatnonzero(short)[0] if short.any() else np.nan
        assert summary.loc[run, "late"] == pytest.approx(late, nan_ok=True)
    assert summary["loss"].iloc[0] > summary["loss"].iloc[-1]  # a stockpile cuts the loss
    # the no-policy world ran although --baseline was not given: without a stockpile the
    # listing costs output against it
    assert summary["gap"].notna().all() and summary.loc[0, "gap"] > 100
    assert "Hikvision.output_lost.baseline" not in summary.columns
    with pytest.raises(SweepError, match="outcomes differ"):  # another sweep: not resumed
        run_sweep(str(SCENARIO), {"stockpile_cover": [0, 26]}, out=out, replicates=2,
                  steps=60, every=1, workers=0, outcomes={"loss": "sum(Hikvision.output)"})


def test_a_declared_outcomes_problem_is_located_in_the_file(tmp_path):
    text = SCENARIO.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "outcomes:\n  loss: {expr: \"sum(Hikvison.shortfall)\"}\n",
                   encoding="utf-8")
    line = len(text.splitlines()) + 2
    with pytest.raises(ScenarioError) as err:
        make_plan(bad, {})
    problem = err.value.problems[0]
    assert (problem.line, problem.col) == (line, len('  loss: {expr: "sum(') + 1)
    assert "did you mean 'Hikvision'" in problem.message
    good = tmp_path / "good.yaml"
    good.write_text(text + "outcomes:\n  loss: {expr: \"output_lost_share(Hikvision)\", "
                           "threshold: 0.1, window: [2019-10-07, 100]}\n", encoding="utf-8")
    plan = make_plan(good, {})
    assert [(o.name, o.window, o.unit, o.threshold) for o in plan.outcomes] == [
        ("loss", (39, 100), "share of potential output", 0.1)]
    with pytest.raises(SweepError, match="already a factor's or outcome's name"):
        make_plan(good, {}, outcomes={"loss": "sum(Hikvision.output)"})


def test_events_the_horizon_drops_are_warned_about(tmp_path, capsys):
    assert main(["run", str(SCENARIO), "--set", "events.listing.at=62", "--steps", "52"]) == 0
    assert "warning: --steps 52 drops event 'listing' (step 62, 2020-03-16)" in \
        capsys.readouterr().err
    with pytest.warns(UserWarning, match="drops event 'listing_dahua'"):  # from Python too
        run_sweep(str(SCENARIO), {}, steps=30, workers=0, out=tmp_path / "w")
    assert any("listing_dahua" in w for w in sim_open(tmp_path / "w").warnings)
    plan = make_plan(SCENARIO, {"listing_week": "20:80"}, design="lhs", samples=20, steps=52)
    beyond = sum(p["events.listing.at"] > 51 for p in plan.points)
    assert 0 < beyond < 20
    assert plan.warnings == [f"--vary listing_week: {beyond} of 20 design points put event "
                             f"'listing' after the runs' last step (51): those runs never "
                             f"see it"]


@pytest.mark.parametrize("key, hint", [("stockpile_covr", "did you mean 'stockpile_cover'"),
                                       ("firms.Hikvison.cover", "did you mean 'Hikvision'")])
def test_vary_typos_get_a_suggestion(key, hint):
    with pytest.raises(SweepError, match=hint):
        make_plan(SCENARIO, {key: "1:2"})


def test_outcome_options_and_plan_files_on_the_command_line(tmp_path, capsys):
    argv = ["sweep", str(SCENARIO), "--steps", "20", "--workers", "0", "-q"]
    assert main([*argv, "--outcome", "x=sum(Hikvison.output)", "--out", str(tmp_path / "a")]) == 2
    assert "--outcome x: unknown entity 'Hikvison'; did you mean 'Hikvision'? (column 5)" in \
        capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"scenario: {SCENARIO}\nsteps: 20\nreplicates: 2\nlevers:\n"
                    f"  stockpile_cover: [0, 26]\noutcomes:\n"
                    f"  loss: {{expr: \"output_lost_share(Hikvision)\", threshold: 0.1}}\n"
                    f"  top: max(Hikvision.output)\nout: s\n", encoding="utf-8")
    assert main(["sweep", str(plan), "--workers", "0", "-q",
                 "--outcome", "low=min(Hikvision.output); direction=max"]) == 0
    summary = pd.read_parquet(tmp_path / "s" / "summary")
    assert {"loss", "top", "low"} <= set(summary.columns) and len(summary) == 4
    assert (summary["top"] >= summary["low"]).all()
