"""Sweeps that decide: levers crossed with uncertainties, robustness, discovery that tells lever
settings apart, qualified PRIM, replaying a run, and the notebook API (one small sweep)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.sweep
from sim.cli import main
from sim.sweep import SweepError, SweepPlan, run_sweep
from sim.sweep.boxes import MIN_DENSITY
from sim.sweep.robust import robustness

SCENARIO = str(Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml")
PLAN = SweepPlan(SCENARIO, vary={"license_rate": "0:1", "listing_week": "20:40"},
                 levers={"stockpile_cover": [0, 13, 26]}, design="lhs", samples=8,
                 replicates=2, steps=56,
                 outcomes={"loss": {"expr": "output_lost_share(Hikvision)", "threshold": 0.1}})


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return run_sweep(PLAN.replace(out=tmp_path_factory.mktemp("decide") / "s"), workers=0)


@pytest.fixture(scope="module")
def sweep(folder):
    return sim.sweep.open(folder)


def test_levers_are_crossed_with_the_same_scenarios_on_the_same_seeds(sweep):
    ex = sweep.experiments
    assert sweep.levers == ["stockpile_cover"]
    assert sweep.uncertainties == ["license_rate", "listing_week"]
    assert len(ex) == 3 * 8 * 2
    by_setting = [g.sort_values(["point", "replicate"])[["license_rate", "listing_week", "seed"]]
                  .reset_index(drop=True) for _, g in ex.groupby("stockpile_cover")]
    for other in by_setting[1:]:  # every setting meets the same scenarios on the same seeds
        pd.testing.assert_frame_equal(other, by_setting[0])
    assert list(sweep.outcomes.columns[:2]) == ["run", "Hikvision.output_lost"]
    assert "loss" in sweep.outcomes.columns


def test_robustness_regret_and_satisficing_per_setting(sweep):
    r = sweep.robustness("loss")
    t = r.table.set_index("stockpile_cover")
    values = sweep.data.groupby("point").agg(stockpile_cover=("stockpile_cover", "first"),
                                             license_rate=("license_rate", "first"),
                                             listing_week=("listing_week", "first"),
                                             loss=("loss", "mean"))
    wide = values.pivot_table(index=["license_rate", "listing_week"],
                              columns="stockpile_cover", values="loss")
    regret = wide.sub(wide.min(axis=1), axis=0)
    for setting in (0, 13, 26):
        assert t.loc[setting, "max_regret"] == pytest.approx(regret[setting].max())
        assert t.loc[setting, "satisficing"] == pytest.approx((wide[setting] <= 0.1).mean())
        assert t.loc[setting, "p90"] == pytest.approx(np.quantile(wide[setting], 0.9))
    assert list(r.table["max_regret"]) == sorted(r.table["max_regret"])  # most robust first
    assert t.loc[0, "satisficing"] < t.loc[26, "satisficing"]  # no stockpile, more loss
    assert r.plot() is not None
    looser = sweep.robustness("loss", threshold=1.0)
    assert (looser.table["satisficing"] == 1).all()


def test_robustness_needs_levers(folder):
    manifest = {**sim.sweep.open(folder).manifest, "levers": []}
    with pytest.raises(SweepError, match="robustness needs levers"):
        robustness(manifest, sim.sweep.open(folder).data, "loss")


def test_discovery_searches_uncertainties_and_tells_settings_apart(sweep):
    d = sweep.discover("loss > 0.1")
    assert list(d.x.columns) == ["license_rate", "listing_week"]
    share = d.by_lever.set_index("stockpile_cover")["share"]
    ok = sweep.data[sweep.data.status == "ok"]
    for setting, rows in ok.groupby("stockpile_cover"):
        assert share[setting] == pytest.approx((rows["loss"] > 0.1).mean())
    # every step of the trajectory can be inspected; the chosen one is the boxes table's
    first = d.boxes[d.boxes["box"] == 1]
    chosen = d.inspect(1)
    assert list(chosen["factor"]) == list(first["factor"])
    assert (chosen["qp"] >= 0).all() and (chosen["qp"] <= 1).all()
    step0 = d.inspect(1, 0)
    assert len(step0) == 0 or step0["coverage"].iloc[0] >= chosen["coverage"].iloc[0]
    low = d.boxes[d.boxes["density"] < MIN_DENSITY]
    assert (low["flag"] != "").all() and (d.boxes[d.boxes["density"] >= MIN_DENSITY]["flag"]
                                          == "").all()
    assert set(d.stability["factor"]) == {"license_rate", "listing_week"}
    assert d.plot_stacking() is not None and d.plot_tradeoff() is not None


def test_rerun_replays_a_run_exactly(folder, tmp_path, capsys):
    assert main(["sweep", "rerun", str(folder), "--run", "21", "--out",
                 str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "identical to the stored row" in out and (tmp_path / "r.csv").exists()
    from sim.sweep.rerun import rerun

    replay = rerun(folder, 21)
    stored = sim.sweep.open(folder).outcomes.set_index("run").loc[21]
    assert replay.values == pytest.approx(stored.to_dict(), nan_ok=True)
    assert main(["sweep", "rerun", str(folder), "--run", "999"]) == 2
    assert "no run 999" in capsys.readouterr().err


def test_run_sweep_takes_a_plan_object_only_with_nothing_else(tmp_path):
    with pytest.raises(SweepError, match="takes no vary or plan options"):
        run_sweep(PLAN.replace(out=tmp_path / "x"), {"a": [1]})
    with pytest.raises(SweepError, match="--out DIR is required"):
        run_sweep(PLAN)


def test_sobol_with_levers_is_refused(tmp_path):
    with pytest.raises(SweepError, match="must be grid or lhs"):
        run_sweep(PLAN.replace(design="sobol", out=tmp_path / "x"), workers=0)


def test_robust_and_discover_on_the_command_line(folder, capsys):
    assert main(["sweep", "robust", str(folder), "--metric", "loss", "--threshold", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "max_regret" in out and (folder / "robust" / "loss.csv").exists()
    table = pd.read_csv(folder / "robust" / "loss.csv")
    assert table["satisficing"].max() == 1.0
    assert main(["sweep", "robust", str(folder), "--metric", "los"]) == 2
    assert "los: not an outcome of this sweep" in capsys.readouterr().err
    assert main(["sweep", "discover", str(folder), "--where", "loss > 0.1", "--inspect", "0",
                 "-q"]) == 0
    page = (folder / "discover" / "discover.html").read_text(encoding="utf-8")
    assert "Box 1, step 0 of its trajectory" in page
    assert (folder / "discover" / "condition.txt").read_text() == "loss > 0.1"
    assert (folder / "discover" / "by_lever.csv").exists()
    assert main(["sweep", "report", str(folder), "-q"]) == 0  # robustness in the report
    report = (folder / "report" / "report.html").read_text(encoding="utf-8")
    assert "Robustness of each lever setting" in report and "max_regret" in report
    assert (folder / "report" / "robust-loss.png").exists()
    effects = pd.read_csv(folder / "report" / "sensitivity.csv")
    assert {"stockpile_cover", "license_rate", "listing_week"} <= set(effects["factor"])
