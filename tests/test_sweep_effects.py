"""Effects that hold on every design: a synthetic model with known effects, on the designs
where the old high-minus-low swing was fooled (small Saltelli and Morris samples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.sweep.analysis import sensitivity
from sim.sweep.design import Factor, make_design

FACTORS = [Factor("a", "x.a", None, 0.0, 10.0), Factor("b", "x.b", None, 0.0, 1.0),
           Factor("c", "x.c", None, 100.0, 200.0)]
# the outcome: 3 per unit of a (30 over its range), −5 over b's range, nothing from c
TRUE = {"a": 30.0, "b": -5.0, "c": 0.0}


def synthetic(design: str, samples: int, replicates: int,
              seed: int = 3) -> tuple[dict, pd.DataFrame]:
    points = make_design(FACTORS, design, samples, seed)
    rng = np.random.default_rng(seed)
    rows = []
    for p, point in enumerate(points):
        for r in range(replicates):
            y = 3 * point["x.a"] - 5 * point["x.b"] + rng.normal(0, 2)
            rows.append({"run": len(rows), "point": p, "replicate": r, "status": "ok",
                         "a": point["x.a"], "b": point["x.b"], "c": point["x.c"], "y": y})
    manifest = {"design": design, "seed": seed, "points": len(points), "samples": samples,
                "factors": [f.to_json() for f in FACTORS]}
    return manifest, pd.DataFrame(rows)


@pytest.mark.parametrize("design, samples, replicates", [
    ("sobol", 8, 2), ("morris", 6, 1), ("lhs", 30, 3), ("grid", 3, 4)])
def test_known_effects_are_found_and_a_factor_without_one_covers_zero(design, samples,
                                                                        replicates):
    manifest, df = synthetic(design, samples, replicates)
    table = sensitivity(manifest, df, ["y"], ["a", "b", "c"]).table
    effects = table[table["measure"] == "effect"].set_index("factor")
    for factor, true in TRUE.items():
        row = effects.loc[factor]
        assert row["ci_low"] <= true <= row["ci_high"], (factor, row.to_dict())
    assert effects.loc["c", "ci_low"] < 0 < effects.loc["c", "ci_high"]
    assert effects.loc["a", "ci_low"] > 20 and effects.loc["b", "ci_high"] < 0


def test_correlated_design_points_do_not_lend_one_factor_anothers_effect():
    """Points where a high c comes with a high a: the mean at high c minus at low c is large,
    but c does nothing; the regression holds a fixed and finds c's effect near zero."""
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 10, 40)
    c = 100 + 10 * a + rng.uniform(0, 20, 40)
    rows = [{"run": i, "point": i, "replicate": 0, "status": "ok", "a": a[i], "b": 0.5,
             "c": c[i], "y": 3 * a[i] + rng.normal(0, 1)} for i in range(40)]
    df = pd.DataFrame(rows)
    manifest = {"design": "lhs", "seed": 0, "points": 40, "samples": 40, "factors": []}
    effects = sensitivity(manifest, df, ["y"], ["a", "b", "c"]).table.set_index("factor")
    high, low = df[df.c > df.c.quantile(2 / 3)], df[df.c < df.c.quantile(1 / 3)]
    high_minus_low = high.y.mean() - low.y.mean()
    assert high_minus_low > 15  # what the old swing reported for c
    assert effects.loc["c", "ci_low"] < 0 < effects.loc["c", "ci_high"]
    assert "b" not in effects.index  # constant: no effect to estimate


def test_a_design_that_cannot_separate_its_factors_says_so():
    """Levers crossed with fewer scenarios than uncertainties: the uncertainties' values
    repeat scenario by scenario, so no regression can tell them apart."""
    rng = np.random.default_rng(1)
    scenarios = rng.uniform(0, 1, (4, 6))  # 4 scenarios of 6 uncertainties
    rows = []
    for setting in (0.0, 0.5, 1.0):
        for u in scenarios:
            rows.append({"run": len(rows), "point": len(rows), "replicate": 0, "status": "ok",
                         "lever": setting, **{f"u{k}": u[k] for k in range(6)},
                         "y": setting + u.sum()})
    df = pd.DataFrame(rows)
    manifest = {"design": "lhs", "seed": 0, "points": 12, "samples": 4, "factors": []}
    sens = sensitivity(manifest, df, ["y"], ["lever", *(f"u{k}" for k in range(6))])
    assert not len(sens.table)
    assert any("cannot tell its 7 factors apart" in n for n in sens.notes)
    # told which factor is a lever, and the crossing: the lever's effect within scenarios
    manifest.update(levers=["lever"], scenarios=4)
    df["y"] += np.random.default_rng(2).normal(0, 0.05, len(df))
    sens = sensitivity(manifest, df, ["y"], ["lever", *(f"u{k}" for k in range(6))])
    (row,) = sens.table.itertuples()
    assert row.factor == "lever" and row.ci_low <= 1.0 <= row.ci_high and row.ci_low > 0.8
