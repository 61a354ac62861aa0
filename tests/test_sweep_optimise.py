"""Lever optimisation on the sweep executors: a Pareto front, convergence, robust statistics
over common scenarios, resuming without running anything twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim.sweep
from sim.sweep import SweepError
from sim.sweep.optimise import optimise
from sim.sweep.optimise_report import write_optimisation

SCENARIO = str(Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml")
OUTCOMES = {"loss": {"expr": "output_lost_share(Hikvision)", "threshold": 0.1},
            "stock": "mean(Hikvision.inventory_cover)"}
ARGS = dict(uncertainties={"license_rate": "0:1"}, outcomes=OUTCOMES, scenarios=3,
            statistic="worst10", population=6, generations=2, steps=50, workers=0)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("opt") / "o"
    return optimise(SCENARIO, {"stockpile_cover": "0:52"}, ["loss", "stock"], out=out, **ARGS)


def test_the_front_is_the_non_dominated_evaluations(result):
    ev, front = result.evaluations, result.front
    assert len(ev) == 12 and set(ev["generation"]) == {0, 1}
    assert ev["stockpile_cover"].between(0, 52).all()
    f = ev[["loss", "stock"]].to_numpy()
    for row in front[["loss", "stock"]].to_numpy():  # nothing evaluated dominates it
        assert not ((f <= row).all(axis=1) & (f < row).any(axis=1)).any()
    for row in f:  # every evaluation is on the front or dominated by a point of it
        on = (front[["loss", "stock"]].to_numpy() <= row).all(axis=1)
        assert on.any()
    assert list(result.convergence["evaluations"]) == [6, 12]
    assert (np.diff(result.convergence["hypervolume"]) >= 0).all()
    assert write_optimisation(result).exists() and (result.folder / "front.csv").exists()


def test_each_generation_is_a_sweep_on_common_scenarios(result):
    gen = sim.sweep.open(result.folder / "gen-0000")
    ex = gen.experiments
    assert len(ex) == 6 * 3
    per_candidate = [g.sort_values("point")[["license_rate", "seed"]].reset_index(drop=True)
                     for _, g in ex.assign(c=ex["point"] // 3).groupby("c")]
    for other in per_candidate[1:]:
        assert other.equals(per_candidate[0])
    # the objective is the statistic over the scenarios: worst10 of a minimised outcome
    loss = gen.data.assign(c=gen.data["point"] // 3).groupby("c")["loss"].quantile(0.9)
    g0 = result.evaluations[result.evaluations["generation"] == 0]
    assert list(g0["loss"]) == pytest.approx(list(loss))


def test_running_again_resumes_from_the_folders(result):
    again = optimise(SCENARIO, {"stockpile_cover": "0:52"}, ["loss", "stock"],
                     out=result.folder, **ARGS)
    assert again.runs == 0
    assert again.evaluations.equals(result.evaluations)
    with pytest.raises(SweepError, match="holds another optimisation"):
        optimise(SCENARIO, {"stockpile_cover": "0:26"}, ["loss", "stock"], out=result.folder,
                 **ARGS)


def test_bad_objectives_are_refused(tmp_path):
    with pytest.raises(SweepError, match="not an outcome"):
        optimise(SCENARIO, {"stockpile_cover": "0:52"}, ["lost"], out=tmp_path / "x", **ARGS)
    with pytest.raises(SweepError, match="a range LO:HI"):
        optimise(SCENARIO, {"stockpile_cover": [0, 26]}, ["loss"], out=tmp_path / "x", **ARGS)


def test_optimise_on_the_command_line(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "o"
    assert main(["sweep", "optimise", SCENARIO, "--lever", "stockpile_cover=0:52",
                 "--outcome", "top=max(Hikvision.output); direction=max", "--objective", "top",
                 "--population", "2", "--generations", "1", "--steps", "20", "--workers", "0",
                 "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and (out / "optimise.html").exists()
    assert main(["sweep", "optimise", SCENARIO, "--lever", "stockpile_cover=0:52",
                 "--objective", "top", "--statistic", "best", "--out", str(out)]) == 2
    assert "--statistic best: choose from" in capsys.readouterr().err


def test_a_generations_run_replays_exactly(result):
    from sim.sweep.rerun import rerun

    replay = rerun(result.folder / "gen-0001", 7)
    assert replay.stored and not replay.differences
