"""Sweeps as an analyst uses them: Monte Carlo and the baseline, dates, even integer ranges,
one sweep per folder, workers that die with their parent, the umask, compaction, partial
reports, SALib's indices with intervals, and scenario discovery."""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import SweepError, ledger, run_sweep
from sim.sweep.analysis import COLUMNS, load
from sim.sweep.design import Factor, make_design
from sim.sweep.plan import make_plan, parse_vary

ROOT = Path(__file__).parents[1]
SCENARIO = str(ROOT / "scenarios" / "hikvision_2019.yaml")


def test_monte_carlo_with_nothing_varied_and_its_baseline(tmp_path):
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel
    from sim.scenario import load_scenario

    out = run_sweep(SCENARIO, {}, replicates=4, steps=26, baseline=True, workers=0,
                    out=tmp_path / "mc")
    manifest, df = load(out)
    assert manifest["points"] == 1 and len(df) == 4 and (df["status"] == "ok").all()
    assert len(set(df["seed"])) == 4
    m = "Hikvision.output_lost"
    assert {m + ".baseline", m + ".vs_baseline"} <= set(df.columns)
    np.testing.assert_array_equal(df[m + ".vs_baseline"], df[m] - df[m + ".baseline"])
    seed = int(df["seed"][2])
    base = summary(TradeModel(scenario=load_scenario(SCENARIO).without_policy(), rng=seed,
                              steps=26).run())
    assert df[m + ".baseline"][2] == base[m]  # the no-policy world on the run's own seed


def test_dates_wherever_steps_are_accepted():
    plan = make_plan(SCENARIO, parse_vary(["listing_week=2019-06-03,2019-10-07",
                                           "events.rumour.at=2019-03-04:2019-04-29"]),
                     steps="2019-12-30")
    week, rumour = plan.factors
    start = dt.date(2019, 1, 7)  # the scenario's calendar: weekly from 2019-01-07
    assert week.values == ((dt.date(2019, 6, 3) - start).days // 7,
                           (dt.date(2019, 10, 7) - start).days // 7) == (21, 39)
    assert (rumour.lo, rumour.hi, rumour.integer) == (8, 16, True)
    assert plan.steps == 52  # the run ends with the step holding 2019-12-30
    with pytest.raises(SweepError, match="outside the parameter's range"):
        make_plan(SCENARIO, parse_vary(["listing_week=2019-01-14,2019-10-07"]))  # step 1


def test_integer_ranges_draw_their_ends_as_often_as_the_rest():
    design = make_design([Factor("a", "x.a", None, 0, 3, True)], "lhs", 4000, 1)
    assert collections.Counter(p["x.a"] for p in design) == {0: 1000, 1: 1000, 2: 1000,
                                                              3: 1000}


@pytest.mark.parametrize("design, samples, message", [
    ("sobol", 10, "power of two \\(try 8 or 16\\)"),
    ("fast", 32, "FAST needs more than 64"),
    ("lhs", 8, None),
])
def test_bad_design_sizes_are_refused_before_any_run(tmp_path, capsys, design, samples,
                                                     message):
    args = ["sweep", SCENARIO, "--vary", "stockpile_cover=0:52", "--design", design,
            "--samples", str(samples), "--out", str(tmp_path / "o"), "--steps", "3", "-q"]
    if message is None:
        assert main(args[:-1] + ["--vary", "license_rate=0:1", "-q", "--workers", "0"]) == 0
        return
    assert main(args) == 2
    assert message.replace("\\", "") in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "sweep", *args], cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _wait_for_chunks(out: Path, n: int) -> None:
    ledger = out / "status.jsonl"
    for _ in range(1200):
        if ledger.exists() and len(ledger.read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("the sweep did not get going")


LONG = [SCENARIO, "--vary", "stockpile_cover=0,26", "--replicates", "30", "--chunk", "2",
        "--steps", "52", "-q"]


def test_one_sweep_per_folder_and_a_dead_sweeps_lock_taken_over(tmp_path, capsys):
    out = tmp_path / "k"
    proc = _start([*LONG, "--workers", "1", "--out", str(out)], tmp_path / "first.log")
    try:
        _wait_for_chunks(out, 1)
        assert main(["sweep", *LONG, "--workers", "0", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"another sweep is running in this folder (pid {proc.pid} on " in err
    finally:
        proc.kill()
        proc.wait()
    assert f"pid {proc.pid} " in (out / ".lock").read_text()  # the dead sweep's lock...
    assert main(["sweep", *LONG, "--workers", "0", "--out", str(out)]) == 0  # ...taken over
    assert main(["sweep", *LONG, "--workers", "0", "--out", str(tmp_path / "u")]) == 0
    pd.testing.assert_frame_equal(load(out)[1], load(tmp_path / "u")[1])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_sweep_dies(tmp_path, sig):
    import psutil

    out = tmp_path / "w"
    proc = _start([*LONG, "--workers", "2", "--out", str(out)], tmp_path / "w.log")
    _wait_for_chunks(out, 1)
    below = psutil.Process(proc.pid).children(recursive=True)
    assert len(below) >= 3  # the fork server (and resource tracker) and two workers
    os.kill(proc.pid, sig)
    proc.wait()
    gone, alive = psutil.wait_procs(below, timeout=10)
    assert not alive, f"left running: {[(p.pid, p.cmdline()) for p in alive]}"
    done = len((out / "status.jsonl").read_text().splitlines())
    assert done < 30, "the sweep should have been stopped part-way"


def test_files_honour_the_umask_and_parts_are_compacted(tmp_path):
    old = os.umask(0o002)
    try:
        out = run_sweep(SCENARIO, {"stockpile_cover": [0, 26]}, replicates=3, steps=10,
                        every=5, chunk=2, workers=0, out=tmp_path / "m")
    finally:
        os.umask(old)
    for name in ("manifest.json", "runs.parquet", "summary/part-all.parquet",
                 "steps/part-all.parquet"):
        assert (out / name).stat().st_mode & 0o777 == 0o664, name
    assert [p.name for p in (out / "summary").iterdir()] == ["part-all.parquet"]
    assert len(pd.read_parquet(out / "summary")) == 6
    again = run_sweep(SCENARIO, {"stockpile_cover": [0, 26]}, replicates=3, steps=10,
                      every=5, chunk=2, workers=0, out=out, progress=lambda *a: None)
    assert len(ledger.done_chunks(again)) == 3  # resuming a compacted sweep runs nothing
    assert list(load(out)[1]["run"]) == list(range(6))


def test_a_partial_sobol_sweep_reports_what_is_done(tmp_path):
    from sim.sweep.report import write_report

    vary = {"stockpile_cover": "0:52", "license_rate": "0:1"}
    opts = dict(design="sobol", samples=8, steps=26, chunk=4, workers=0)  # 32 runs, 8 chunks

    def stop(done, failed, total):
        if done >= 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(SCENARIO, vary, out=tmp_path / "p", progress=stop, **opts)
    html = write_report(tmp_path / "p").read_text()
    assert "partial: 20 of 32 runs not run yet" in html
    assert "0 failed" in html and "Failed runs" not in html
    table = pd.read_csv(tmp_path / "p" / "report" / "sensitivity.csv")
    assert list(table.columns) == COLUMNS
    assert "Sobol&#x27; indices from 3 of 8 base samples" in html  # 12 runs = 3 blocks of 4
    s1 = table[table["measure"] == "S1"]
    assert len(s1) and (s1["ci_low"] <= s1["estimate"]).all()

    run_sweep(SCENARIO, vary, out=tmp_path / "p", **opts)
    html = write_report(tmp_path / "p").read_text()
    assert "<b>complete</b>" in html and "base samples" not in html
    assert "indices are noise" in html  # 8 base samples: the warning is there
    assert (tmp_path / "p" / "report" / "convergence.png").exists()


@pytest.mark.parametrize("design, samples, measures", [
    ("morris", 4, {"effect", "mu_star", "sigma"}),
    ("fast", 65, {"effect", "S1", "ST"}),
])
def test_morris_and_fast(tmp_path, design, samples, measures):
    from sim.sweep.report import write_report

    out = run_sweep(SCENARIO, {"stockpile_cover": "0:52", "license_rate": "0:1"},
                    design=design, samples=samples, steps=8, workers=0, out=tmp_path / "d")
    write_report(out, metrics=["Hikvision.min_cover"])
    table = pd.read_csv(out / "report" / "sensitivity.csv")
    assert set(table["measure"]) == measures
    assert set(table["factor"]) == {"stockpile_cover", "license_rate"}


def test_discover_finds_the_box_that_holds_the_condition(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", SCENARIO, "--vary", "stockpile_cover=0:52", "--vary",
                 "license_rate=0:1", "--design", "lhs", "--samples", "60", "--steps", "4",
                 "--workers", "0", "-q", "--out", str(out)]) == 0
    assert main(["sweep", "discover", str(out), "--where", "stockpile_cover > 30 and "
                 "Hikvision.min_cover > 0", "-q"]) == 0
    boxes = pd.read_csv(out / "discover" / "boxes.csv")
    first = boxes[(boxes["box"] == 1) & (boxes["factor"] == "stockpile_cover")].iloc[0]
    assert first["min"] > 29 and first["density"] == 1.0 and first["coverage"] > 0.9
    scores = pd.read_csv(out / "discover" / "feature_scores.csv")
    cond = scores[scores["outcome"] == "(condition)"].set_index("factor")["score"]
    assert cond["stockpile_cover"] > cond["license_rate"]
    assert "stockpile_cover" in (out / "discover" / "cart.txt").read_text()
    assert (out / "discover" / "parallel.png").exists()
    capsys.readouterr()
    assert main(["sweep", "discover", str(out), "--where", "nope > 1"]) == 2
    assert "--where 'nope > 1'" in capsys.readouterr().err
    assert main(["sweep", "discover", str(out)]) == 2
    assert main(["sweep", "report", str(out), "--metric", "Hikvision.nope"]) == 2
    assert "not a summary column" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["baseline"] is False


def test_replicates_and_points_are_added_in_place(tmp_path):
    vary = {"stockpile_cover": "0:52", "license_rate": "0:1"}
    opts = dict(design="sobol", steps=10, chunk=3, workers=0)
    out = run_sweep(SCENARIO, vary, samples=4, replicates=1, out=tmp_path / "x", **opts)
    before = load(out)[1]
    assert len(before) == 16
    run_sweep(SCENARIO, vary, samples=4, replicates=2, out=out, **opts)
    after = load(out)[1]
    assert len(after) == 32 and (after["status"] == "ok").all()
    pd.testing.assert_frame_equal(after.iloc[:16], before)  # old runs: same numbers, results
    assert set(after.iloc[16:]["replicate"]) == {1}
    run_sweep(SCENARIO, vary, samples=8, replicates=2, out=out, **opts)
    grown = load(out)[1]
    fresh = load(run_sweep(SCENARIO, vary, samples=8, replicates=2, out=tmp_path / "f",
                           **opts))[1]
    key = ["point", "replicate"]
    cols = [c for c in fresh.columns if c != "run"]
    pd.testing.assert_frame_equal(grown.sort_values(key)[cols].reset_index(drop=True),
                                  fresh.sort_values(key)[cols].reset_index(drop=True))
    assert [p.name for p in (out / "summary").iterdir()] == ["part-all.parquet"]
    assert len(ledger.done_chunks(out)) == json.loads(
        (out / "manifest.json").read_text())["chunks"]
    with pytest.raises(SweepError, match="can gain replicates in place but not lose them"):
        run_sweep(SCENARIO, vary, samples=8, replicates=1, out=out, **opts)
    lhs = dict(opts, design="lhs")
    run_sweep(SCENARIO, vary, samples=4, out=tmp_path / "l", **lhs)
    with pytest.raises(SweepError, match="does not extend"):
        run_sweep(SCENARIO, vary, samples=6, out=tmp_path / "l", **lhs)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_local_dask_workers_exit_when_the_sweep_dies(tmp_path, sig):
    pytest.importorskip("distributed")
    import psutil

    out = tmp_path / "d"
    proc = _start([*LONG, "--dask", "local", "--workers", "2", "--out", str(out)],
                  tmp_path / "d.log")
    _wait_for_chunks(out, 1)
    below = psutil.Process(proc.pid).children(recursive=True)
    assert len(below) >= 2  # the local cluster's worker processes (and their nannies)
    os.kill(proc.pid, sig)
    proc.wait()
    gone, alive = psutil.wait_procs(below, timeout=15)
    assert not alive, f"left running: {[(p.pid, p.cmdline()) for p in alive]}"
    done = len((out / "status.jsonl").read_text().splitlines())
    assert done < 30, "the sweep should have been stopped part-way"


def test_uncertainties_vary_every_declared_uncertainty(tmp_path, capsys):
    text = Path(SCENARIO).read_text()
    text = text.replace("stockpile_cover: {", "stockpile_cover: {kind: uncertainty, "
                        "distribution: triangular, mode: 10, ", 1)
    text = text.replace("listing_week: {", "listing_week: {kind: uncertainty, ", 1)
    text = text.replace("license_rate: {", "license_rate: {kind: lever, ", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    out = tmp_path / "u"
    assert main(["sweep", str(path), "--uncertainties", "--design", "lhs", "--samples", "16",
                 "--steps", "26", "--workers", "0", "--out", str(out), "-q"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["name"] for f in manifest["factors"]] == ["stockpile_cover", "listing_week"]
    assert manifest["factors"][0]["distribution"] == "triangular"
    assert "license_rate" not in runs.columns and len(runs) == 16
    assert runs["listing_week"].between(20, 150).all()
    assert runs["listing_week"].dtype == np.int64  # a range over steps stays whole
    assert runs["stockpile_cover"].between(0, 104).all()
    assert runs["stockpile_cover"].median() < 52 - 10  # drawn through its triangular shape
    # an uncertainty also named by --vary keeps what --vary says
    plan = make_plan(path, {"listing_week": "30:40"}, design="lhs", samples=8, seed=1,
                     uncertainties=True)
    assert {f.name: (f.lo, f.hi) for f in plan.factors} == {
        "listing_week": (30, 40), "stockpile_cover": (0, 104)}
    capsys.readouterr()
    assert main(["sweep", SCENARIO, "--uncertainties", "--out", str(tmp_path / "n")]) == 2
    err = capsys.readouterr().err
    assert "--uncertainties:" in err and "declares no parameter with kind: uncertainty" in err
    assert "stockpile_cover (no kind)" in err and not (tmp_path / "n").exists()


def test_a_name_holding_a_dot_keeps_its_headlines():
    from sim.sweep.report import default_metrics

    metrics = ["St. Lucia Co.output_lost", "St. Lucia Co.revenue_change", "St. Lucia Co.price",
               "St. Lucia.score", "Other.revenue_change"]
    assert default_metrics(metrics) == ["St. Lucia Co.output_lost",
                                        "St. Lucia Co.revenue_change", "St. Lucia.score"]
