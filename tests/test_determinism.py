"""Determinism: same seed → the same output file, byte for byte; different seeds differ; and a
golden-file regression of the Hikvision 2019 summary.

Regenerate the golden file after an intended model change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_determinism.py`` and commit it with the change.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim import TradeModel, load_scenario
from sim.cli import main
from sim.engine.metrics import summary

ROOT = Path(__file__).parents[1]
HIK = ROOT / "scenarios" / "hikvision_2019.yaml"
GOLDEN = Path(__file__).parent / "golden" / "hikvision_2019_summary.json"
GOLDEN_SEED = 2019


def run_to(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    assert main(["run", str(HIK), *args, "--out", str(out)]) == 0
    return out


def test_same_seed_gives_byte_identical_csv(tmp_path, capsys):
    a = run_to(tmp_path, "a.csv", "--seed", "11")
    b = run_to(tmp_path, "b.csv", "--seed", "11")
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes()) > 10_000


def test_same_seed_gives_identical_parquet(tmp_path, capsys):
    a = pq.read_table(run_to(tmp_path, "a.parquet", "--seed", "11"))
    b = pq.read_table(run_to(tmp_path, "b.parquet", "--seed", "11"))
    assert a.equals(b)


def test_default_seed_is_the_scenarios(tmp_path, capsys):
    a = run_to(tmp_path, "a.csv")
    b = run_to(tmp_path, "b.csv", "--seed", str(load_scenario(HIK).seed))
    assert a.read_bytes() == b.read_bytes()


def test_different_seeds_differ(tmp_path, capsys):
    a = run_to(tmp_path, "a.csv", "--seed", "1")
    b = run_to(tmp_path, "b.csv", "--seed", "2")
    assert a.read_bytes() != b.read_bytes()


def test_noise_is_the_only_randomness_without_strategies(tmp_path):
    """With demand noise off and no random strategy, seeds no longer matter."""
    overrides = {"products.camera.noise": 0, "countries.CN.strategy.probability": 1.0}
    sc = load_scenario(HIK, overrides=overrides)
    a, b = TradeModel(scenario=sc, rng=1).run(), TradeModel(scenario=sc, rng=2).run()
    assert summary(a) == summary(b)


def test_golden_summary():
    model = TradeModel(scenario=load_scenario(HIK), rng=GOLDEN_SEED).run()
    got = summary(model)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing: run UPDATE_GOLDEN=1 pytest tests/test_determinism.py")
    want = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(want)
    off = {k: (got[k], want[k]) for k in want
           if not math.isclose(got[k], want[k], rel_tol=1e-9, abs_tol=1e-12)}
    assert not off, f"summary differs from {GOLDEN.name} (UPDATE_GOLDEN=1 to accept): {off}"
