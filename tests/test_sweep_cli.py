"""`chokepoint sweep`: errors exit 2 before any run, plan files, report, export, a separate
Dask scheduler on 127.0.0.1, and a sweep killed mid-way then resumed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from sim.cli import main

ROOT = Path(__file__).parents[1]
SCENARIO = str(ROOT / "scenarios" / "hikvision_2019.yaml")
ARGS = ["--vary", "stockpile_cover=0,26", "--vary", "listing_week=20:30", "--samples", "3",
        "--steps", "26", "--chunk", "3", "-q"]


def sweep(*argv: str) -> int:
    return main(["sweep", *argv])


def summary(out: Path) -> pd.DataFrame:
    df = ds.dataset(out / "summary", format="parquet").to_table().to_pandas()
    return df.sort_values("run").reset_index(drop=True)


@pytest.mark.parametrize("argv, message", [
    (["--vary", "firms.Nobody.cover=1,2"], "firms.Nobody.cover: no such path"),
    (["--vary", "listing_week=5:30"], "5 is outside the parameter's range 20 to 150"),
    (["--vary", "firms.Hikvision.cover=-1,2"],
     "firms.Hikvision.cover: Input should be greater than or equal to 0 "
     "(with --vary firms.Hikvision.cover=-1)"),
    (["--vary", "listing_week=a:b"], "a range is LO:HI with two numbers"),
    (["--vary", "stockpile_cover"], "expected PATH=V1,V2"),
    (["--design", "sobol", "--samples", "12", "--vary", "license_rate=0:1"],
     "Saltelli's scheme needs a power of two (try 8 or 16)"),
    (["--design", "lhs"], "--design lhs needs at least one --vary"),
    (["--vary", "stockpile_cover=1", "--steps", "2018-01-01"], "before the scenario starts"),
    # bad input that once crashed or ran unbounded (docs/sweeps.md)
    (["--vary", "firms.Hikvision.country=[CN],CN"], "firms.Hikvision.country"),
    (["--replicates", str(10**12)], "--replicates 1000000000000: at most 10,000,000"),
    (["--vary", "stockpile_cover=0:104", "--design", "lhs", "--samples", "4000000",
      "--replicates", "3"], "a sweep has at most 10,000,000"),
    (["--vary", "stockpile_cover=1", "--steps", "1000000000"], "--steps:"),
])
def test_bad_vary_exits_2_before_any_run(tmp_path, capsys, argv, message):
    assert sweep(SCENARIO, *argv, "--out", str(tmp_path / "o"), "-q") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_sweep_killed_while_writing_its_plan_can_start_again(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".manifest.json.12345.abcd.tmp").write_text("{half")  # a dead writer's leftover
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    assert (out / "manifest.json").exists()


def test_a_damaged_manifest_is_refused_with_what_it_lacks(tmp_path, capsys):
    out = tmp_path / "o"
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["replicates"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "the manifest lacks replicates" in err and "Traceback" not in err


def test_folder_problems_exit_2(tmp_path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text(Path(SCENARIO).read_text().replace("seed: 2019", "seed: 7"))
    out = tmp_path / "o"
    assert sweep(str(other), *ARGS, "--out", str(out)) == 0
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 2
    assert "holds a sweep of a different scenario" in capsys.readouterr().err
    assert sweep(str(other), *ARGS, "--steps", "20", "--out", str(out)) == 2
    assert "(steps differ)" in capsys.readouterr().err
    assert sweep(str(other), *ARGS, "--samples", "4", "--out", str(out)) == 2  # a grid moves
    assert "does not extend" in capsys.readouterr().err
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    assert sweep(SCENARIO, *ARGS, "--out", str(junk)) == 2
    assert "not empty and holds no sweep" in capsys.readouterr().err
    (out / "manifest.json").write_text("{broken")
    assert sweep(str(other), *ARGS, "--out", str(out)) == 2
    assert "cannot read the sweep's manifest" in capsys.readouterr().err
    assert sweep("report", str(junk)) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_plan_file_report_and_export(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    shutil.copy(SCENARIO, tmp_path / "hik.yaml")
    plan.write_text("scenario: hik.yaml\nvary:\n  stockpile_cover: [0, 26]\n"
                    "  license_rate: '0:1'\ndesign: sobol\nsamples: 4\nsteps: 26\n"
                    "every: 5\nout: results\n")
    assert sweep(str(plan), "--workers", "0", "-q") == 0
    out = tmp_path / "results"
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 * (2 + 2) and runs["license_rate"].dtype == float
    assert sweep("report", str(out)) == 0
    html = (out / "report" / "report.html").read_text()
    # distribution, sensitivity, convergence, and a fan chart per default outcome (5)
    assert html.count("data:image/png;base64,") == 8
    table = pd.read_csv(out / "report" / "sensitivity.csv")
    assert list(table.columns) == ["metric", "factor", "measure", "estimate", "ci_low",
                                   "ci_high"]
    assert {"S1", "ST", "swing"} == set(table["measure"])
    assert set(table["factor"]) == {"stockpile_cover", "license_rate"}
    assert sweep("export", str(out), "--csv") == 0
    csv = pd.read_csv(out / "summary.csv")
    assert list(csv["run"]) == list(range(16))
    assert list(csv.columns[:7]) == ["run", "point", "replicate", "seed", "stockpile_cover",
                                     "license_rate", "status"]
    assert (out / "steps.csv").exists()
    capsys.readouterr()
    plan.write_text("scenario: hik.yaml\nvary: {stockpile_cover: [0]}\nsampels: 3\n")
    assert sweep(str(plan)) == 2
    assert f"{plan}:3:1: sampels: unknown key; did you mean 'samples'?" in capsys.readouterr().err


def _start(cmd: list[str], tmp_path: Path, name: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)


def test_sweep_on_a_separately_started_scheduler(tmp_path, monkeypatch):
    bin_ = Path(sys.executable).parent
    info = tmp_path / "scheduler.json"
    scheduler = _start([str(bin_ / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                        "--no-dashboard", "--scheduler-file", str(info)], tmp_path, "scheduler")
    worker = _start([str(bin_ / "dask"), "worker", "--scheduler-file", str(info),
                     "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "2",
                     "--no-dashboard"], tmp_path, "worker")
    try:
        for _ in range(300):
            if info.exists() and info.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
        assert sweep(SCENARIO, *ARGS, "--out", str(tmp_path / "d")) == 0
    finally:
        for proc in (worker, scheduler):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    assert sweep(SCENARIO, *ARGS, "--workers", "0", "--out", str(tmp_path / "s")) == 0
    pd.testing.assert_frame_equal(summary(tmp_path / "d"), summary(tmp_path / "s"))


def test_sweep_killed_then_resumed(tmp_path):
    """SIGKILL the whole `chokepoint sweep` process group mid-sweep, then run it again."""
    args = [SCENARIO, "--vary", "stockpile_cover=0,26", "--replicates", "8", "--chunk", "2",
            "--workers", "1", "-q"]
    proc = _start([sys.executable, "-m", "sim", "sweep", *args, "--out", str(tmp_path / "k")],
                  tmp_path, "killed")
    ledger = tmp_path / "k" / "status.jsonl"
    for _ in range(600):
        if ledger.exists() and len(ledger.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(ledger.read_text().splitlines())
    assert 2 <= done < 8, "the sweep should have been killed part-way"
    assert sweep(*args, "--out", str(tmp_path / "k")) == 0
    assert sweep(*args, "--out", str(tmp_path / "u")) == 0
    pd.testing.assert_frame_equal(summary(tmp_path / "k"), summary(tmp_path / "u"))
    assert not list((tmp_path / "k" / "summary").glob(".*.tmp"))
