"""``run``'s headline compares the run with the no-policy run of the same seed (not the last
turn with the first), and says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim import TradeModel, load_scenario
from sim.cli import main
from sim.engine.metrics import against_baseline

HIK = Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml"


def test_the_no_policy_run_against_itself_is_zero():
    sc = load_scenario(HIK).without_policy()
    row = against_baseline(TradeModel(scenario=sc, rng=3, steps=40).run(),
                           TradeModel(scenario=sc, rng=3, steps=40).run())
    firms = [v for k, v in row.items() if k.endswith(("output_lost", "revenue_change",
                                                      "share_price_change"))]
    assert firms and np.allclose(firms, 0.0)


def test_the_headline_is_the_run_against_its_no_policy_run():
    sc = load_scenario(HIK)
    run = TradeModel(scenario=sc, rng=3, steps=60).run()
    base = TradeModel(scenario=sc.without_policy(), rng=3, steps=60).run()
    row = against_baseline(run, base)
    rev = run.recorder.series("firm", "revenue", "Hikvision").sum()
    rev0 = base.recorder.series("firm", "revenue", "Hikvision").sum()
    assert np.isclose(row["Hikvision.revenue_change"], rev / rev0 - 1)
    out = run.recorder.series("firm", "output", "Hikvision").sum()
    out0 = base.recorder.series("firm", "output", "Hikvision").sum()
    assert np.isclose(row["Hikvision.output_lost"], out0 - out)
    price = run.recorder.series("firm", "share_price", "Hikvision")[-1]
    price0 = base.recorder.series("firm", "share_price", "Hikvision")[-1]
    assert np.isclose(row["Hikvision.share_price_change"], price / price0 - 1)
    assert row["Hikvision.share_price_change"] < 0  # the listing costs it value


def test_run_prints_it_and_says_so(capsys):
    assert main(["run", str(HIK), "--seed", "3", "--steps", "60"]) == 0
    out = capsys.readouterr().out
    assert "against the no-policy run of the same seed" in out
    assert "last turn vs first" not in out
