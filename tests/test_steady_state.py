"""The no-policy world is a steady state (docs/model.md, "the no-policy steady state"): on
every shipped scenario and the worlds of tests/data (one written from the format's description
alone, and our fictional one), a run without policy keeps every firm's output, every
supplier's capacity and every share price where it started — exactly when demand noise is
switched off, within a few percent with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import TradeModel, load_scenario

ROOT = Path(__file__).parents[1]
WORLDS = sorted((ROOT / "scenarios").rglob("*.yaml")) + sorted((ROOT / "tests" / "data").glob(
    "*.yaml"))  # a scenario written from the format's description, and our fictional world


def baseline(path: Path, noise: bool, seed: int = 1) -> TradeModel:
    sc = load_scenario(path)
    if not noise:
        sc = load_scenario(path, {f"products.{p}.noise": 0 for p in sc.products})
    return TradeModel(scenario=sc.without_policy(), rng=seed).run()


def drift(x: np.ndarray) -> float:
    """Largest relative distance from step 0 over the run and the entities."""
    return float(np.max(np.abs(x - x[0]) / np.maximum(np.abs(x[0]), 1e-9)))


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.stem)
def test_without_noise_nothing_moves(path):
    model = baseline(path, noise=False)
    rec = model.recorder
    # exactly, also where firms compete for a component their suppliers cannot make enough
    # of: the step-0 plans are the fixed point of the step's rules (sim/engine/steady.py)
    tol = 1e-6
    assert drift(rec.metric("firm", "output")) < tol
    assert drift(rec.metric("firm", "share_price")) < tol
    assert drift(rec.metric("firm", "price")) < tol
    assert drift(rec.metric("supplier", "capacity")) == 0.0
    assert drift(rec.metric("supplier", "shipments")) < tol
    assert drift(rec.metric("supplier", "share_price")) < tol
    assert drift(rec.metric("firm", "cash")) < tol
    assert not rec.metric("firm", "out").any()


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.stem)
def test_with_noise_nothing_drifts_more_than_a_few_percent(path):
    model = baseline(path, noise=True)
    rec, turn = model.recorder, model.spec.turn_steps

    def turn_means(x: np.ndarray) -> np.ndarray:
        return np.array([x[i:i + turn].mean(axis=0) for i in range(0, len(x) - turn + 1, turn)])

    assert drift(turn_means(rec.metric("firm", "output"))) < 0.05
    assert drift(rec.metric("supplier", "capacity")) == 0.0  # noise is not unmet demand
    assert drift(turn_means(rec.metric("firm", "share_price"))) < 0.08
    assert drift(turn_means(rec.metric("supplier", "share_price"))) < 0.08
    assert not rec.metric("firm", "out").any()
