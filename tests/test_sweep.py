"""Sweeps: designs, seeds, executors agree, resume, failures kept (small designs, short runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from sim.sweep import SweepError, run_sweep
from sim.sweep.design import Factor, make_design
from sim.sweep.seeds import run_seed
from sim.sweep.worker import KILL_ENV

SCENARIO = str(Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml")
VARY = {"stockpile_cover": [0, 26], "listing_week": "20:30"}
SMALL = dict(samples=3, replicates=2, steps=26, chunk=3, every=5)  # 12 runs, 4 chunks


def read(out: Path, kind: str = "summary") -> pd.DataFrame:
    table = ds.dataset(out / kind, format="parquet").to_table().to_pandas()
    keys = ["run", "step", "entity", "metric"] if kind == "steps" else ["run"]
    return table.sort_values(keys).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run in this process, sequentially: what every executor must reproduce."""
    return run_sweep(SCENARIO, VARY, out=tmp_path_factory.mktemp("seq") / "s", workers=0,
                     **SMALL)


def test_reference_sweep_has_every_planned_run(reference):
    runs = pq.read_table(reference / "runs.parquet").to_pandas()
    summary = read(reference)
    assert len(runs) == len(summary) == 12
    assert list(summary["run"]) == list(range(12))
    assert (summary["status"] == "ok").all()
    assert sorted(runs["listing_week"].unique()) == [20, 25, 30]  # integer range stays integer
    assert runs["listing_week"].dtype == np.int64
    assert list(runs["seed"]) == [run_seed(2019, p, r) for p in range(6) for r in range(2)]
    steps = read(reference, "steps")
    assert sorted(steps["step"].unique()) == [0, 5, 10, 15, 20, 25]
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["chunks"] == 4 and manifest["scenario_name"] == "Hikvision 2019"
    assert len((reference / "status.jsonl").read_text().splitlines()) == 4


def test_seeds_do_not_depend_on_the_size_of_the_sweep():
    small = {(p, r): run_seed(7, p, r) for p in range(3) for r in range(2)}
    large = {(p, r): run_seed(7, p, r) for p in range(10) for r in range(5)}
    assert all(large[k] == v for k, v in small.items())
    assert len(set(large.values())) == len(large)


def test_designs_cover_their_ranges():
    factors = [Factor("a", "x.a", None, 0, 10, True), Factor("b", "x.b", (1.5, 2.5))]
    grid = make_design(factors, "grid", 3, 1)
    assert [tuple(p.values()) for p in grid] == [(0, 1.5), (0, 2.5), (5, 1.5), (5, 2.5),
                                                  (10, 1.5), (10, 2.5)]
    lhs = make_design(factors, "lhs", 20, 1)
    assert len(lhs) == 20 and all(isinstance(p["x.a"], int) and 0 <= p["x.a"] <= 10
                                  for p in lhs)
    assert make_design(factors, "lhs", 20, 1) == lhs  # reproducible
    assert len(make_design(factors, "sobol", 8, 1)) == 8 * (2 + 2)


def test_process_pool_survives_a_killed_worker(reference, tmp_path, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_ENV, f"7:{marker}")
    out = run_sweep(SCENARIO, VARY, out=tmp_path / "p", workers=2, **SMALL)
    assert marker.exists()  # a worker did die (os._exit) at run 7
    pd.testing.assert_frame_equal(read(out), read(reference))
    pd.testing.assert_frame_equal(read(out, "steps"), read(reference, "steps"))


def test_local_dask_cluster_survives_a_killed_worker(reference, tmp_path, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_ENV, f"4:{marker}")
    out = run_sweep(SCENARIO, VARY, out=tmp_path / "d", workers=2, dask="local", **SMALL)
    assert marker.exists()
    pd.testing.assert_frame_equal(read(out), read(reference))
    pd.testing.assert_frame_equal(read(out, "steps"), read(reference, "steps"))


def test_interrupted_sweep_resumes_to_the_same_files(reference, tmp_path):
    def interrupt(done, failed, total):
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(SCENARIO, VARY, out=tmp_path / "r", workers=0, progress=interrupt, **SMALL)
    assert len((tmp_path / "r" / "status.jsonl").read_text().splitlines()) == 2
    seen = []
    out = run_sweep(SCENARIO, VARY, out=tmp_path / "r", workers=0,
                    progress=lambda d, f, t: seen.append(d), **SMALL)
    assert seen == [6, 9, 12]  # only the missing chunks ran
    lines = (out / "status.jsonl").read_text().splitlines()
    ledger = [json.loads(line)["chunk"] for line in lines]
    assert sorted(ledger) == [0, 1, 2, 3]
    for kind in ("summary", "steps"):
        for part in sorted((reference / kind).iterdir()):
            assert pq.read_table(out / kind / part.name).equals(pq.read_table(part))
    assert pq.read_table(out / "runs.parquet").equals(pq.read_table(reference / "runs.parquet"))


def test_failed_runs_are_recorded_in_design_order(tmp_path, monkeypatch):
    import sim.engine.metrics

    real = sim.engine.metrics.summary

    def flaky(model):
        if model.spec.firms["Hikvision"].strategy.values["cover"] == 26:
            raise RuntimeError("model blew up")
        return real(model)

    monkeypatch.setattr(sim.engine.metrics, "summary", flaky)
    out = run_sweep(SCENARIO, VARY, out=tmp_path / "f", workers=0, **SMALL)
    summary = read(out)
    assert list(summary["run"]) == list(range(12))
    failed = summary[summary["status"] == "failed"]
    assert list(failed["run"]) == list(range(6, 12))  # the second half of the grid
    assert (failed["error"] == "RuntimeError: model blew up").all()
    assert failed["Hikvision.output_lost"].isna().all()
    assert summary.loc[summary["status"] == "ok", "error"].isna().all()
    entries = [json.loads(x) for x in (out / "status.jsonl").read_text().splitlines()]
    assert sum(e["failed"] for e in entries) == 6


def test_bad_input_is_refused_before_any_run(tmp_path):
    with pytest.raises(SweepError, match="no such path"):
        run_sweep(SCENARIO, {"firms.Nobody.cover": [1, 2]}, out=tmp_path / "a")
    with pytest.raises(SweepError, match="outside the parameter's range"):
        run_sweep(SCENARIO, {"listing_week": "5:30"}, out=tmp_path / "a")
    with pytest.raises(SweepError, match="outside the parameter's range"):
        run_sweep(SCENARIO, {"firms.Hikvision.strategy.cover": [0, 500]}, out=tmp_path / "a")
    assert not (tmp_path / "a").exists()


def test_a_worker_serving_two_sweeps_keeps_their_points_apart(tmp_path):
    """Same scenario, same point number and seed, different values: different results."""
    a = run_sweep(SCENARIO, {"stockpile_cover": [0]}, out=tmp_path / "a", workers=0, steps=26)
    b = run_sweep(SCENARIO, {"stockpile_cover": [0], "listing_week": [20]}, out=tmp_path / "b",
                  workers=0, steps=26)
    assert read(a)["seed"][0] == read(b)["seed"][0]
    metrics = [c for c in read(a).columns if "." in c]
    assert not read(a)[metrics].equals(read(b)[metrics])


def test_the_parent_of_a_sweep_never_imports_the_model(tmp_path):
    """``run_sweep`` starts the fork server before planning, so the server's second of
    importing Mesa overlaps the parent's work; that only works while ``import sim.sweep`` stays
    light. The probe run happens in a worker, so the parent never imports the model at all."""
    import subprocess
    import sys

    heavy = "sorted(m for m in ('mesa', 'scipy.stats', 'sim.engine.model') if m in sys.modules)"
    code = ("import sys, sim.sweep, sim.sweep.cli\n"
            "if __name__ == '__main__':\n"  # worker processes import this file too
            f"    print({heavy})\n"
            f"    sim.sweep.run_sweep({SCENARIO!r}, {{'stockpile_cover': [0, 26]}}, "
            f"out={str(tmp_path / 's')!r}, workers=1, steps=5)\n"
            f"    print({heavy})\n")
    script = tmp_path / "sweep.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], check=True)
    after_import, after_sweep = out.stdout.strip().splitlines()
    assert after_import == "[]"
    assert after_sweep == "[]"  # a grid needs no sampler; the probe and runs were elsewhere
    assert len(read(tmp_path / "s")) == 2


def test_the_engine_names_are_still_importable_from_sim():
    import sim

    assert sim.TradeModel.__name__ == "TradeModel"
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        sim.Nope  # noqa: B018


def test_a_script_without_main_guard_gets_a_clear_error_and_no_folder(tmp_path):
    """Workers import the main module; an unguarded script would start the sweep again in
    each, which breaks the pool. The user is told why, and nothing is written."""
    import subprocess
    import sys

    out = tmp_path / "sweep"
    script = tmp_path / "unguarded.py"
    script.write_text("from sim.sweep import run_sweep\n"
                      f"run_sweep({SCENARIO!r}, {{'stockpile_cover': [0, 26]}}, out={str(out)!r},"
                      " workers=2, steps=5)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1], timeout=120)
    assert done.returncode != 0
    assert "without an `if __name__ == '__main__':` guard" in done.stderr.splitlines()[-1]
    assert not out.exists()


@pytest.mark.parametrize("seconds, n_runs, workers, size", [
    (0.066, 1_280, 2, 4),           # whole-horizon runs: about a quarter of a second each
    (0.013, 10_000, 2, 20),         # short runs: more of them per chunk
    (0.066, 100_000, 2, 50),        # a big sweep: at most about 2,000 part files
    (0.066, 1_000_000, 2, 200),     # ...but never more than 200 runs in a chunk
    (0.066, 20, 2, 3),              # a tiny sweep: still 4 chunks per worker to share
    (5.0, 100, 8, 1),
])
def test_chunk_size(seconds, n_runs, workers, size):
    from sim.sweep.runner import chunk_size

    assert chunk_size(seconds, n_runs, workers) == size


def test_a_parameters_distribution_shapes_sampled_draws():
    u = np.linspace(0.0005, 0.9995, 1000)
    flat = Factor("x", "p", None, 0.0, 10.0)
    tri = Factor("x", "p", None, 0.0, 10.0, distribution="triangular", mode=2.0)
    normal = Factor("x", "p", None, 0.0, 10.0, distribution="normal", mode=5.0, sd=1.0)
    assert abs(np.median(flat.scale(u)) - 5.0) < 0.01
    assert abs(np.median(tri.scale(u)) - (10 - np.sqrt(0.5 * 10 * 8))) < 0.05  # below 5
    x = np.array(normal.scale(u))
    assert x.min() >= 0.0 and x.max() <= 10.0
    assert np.mean(np.abs(x - 5.0) < 1.0) == pytest.approx(0.683, abs=0.01)
    assert Factor.from_json(tri.to_json()) == tri


def test_a_named_parameters_distribution_reaches_the_sweep(tmp_path):
    from sim.sweep.plan import make_plan

    text = Path(SCENARIO).read_text()
    text = text.replace("stockpile_cover: {", "stockpile_cover: {distribution: triangular, "
                        "mode: 10, kind: uncertainty, ", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    plan = make_plan(path, {"stockpile_cover": "0:104"}, design="lhs", samples=64, seed=1)
    (factor,) = plan.factors
    assert factor.distribution == "triangular" and factor.mode == 10
    draws = [p[factor.path] for p in plan.points]
    assert np.median(draws) < 52 - 10  # pulled toward the mode, not the middle
