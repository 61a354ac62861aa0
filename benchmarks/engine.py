"""Engine speed: time per step for synthetic worlds of 10, 100 and 1,000 firms.

Each world has suppliers and links in proportion to its firms (one supplier per five firms and
component, three sources per firm and component), a listing, a retaliating government and
stockpiling firms, so every phase does real work. Prints, for each size, the time per step, the
ratio to the previous size (10× the firms should cost at most about 12× the time) and the share
of a step spent recording (target: under a third). Ratios are measured in this one run, so a
noisy machine moves all sizes together.

    .venv/bin/python benchmarks/engine.py [--steps 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sim.engine.model import TradeModel
from sim.scenario import Scenario, validate_document

COUNTRIES = ["US", "CN", "EU", "JP"]
COMPONENTS = ["soc", "memory", "sensor"]


def synthetic_world(firms: int, steps: int, seed: int = 0) -> Scenario:
    """A scenario with ``firms`` firms, firms/5 suppliers per component, 3 sources each."""
    rng = np.random.default_rng(seed)
    n_sup = max(3, firms // 5)
    suppliers = {
        f"S{c}{i}": {"country": COUNTRIES[i % 4], "component": c,
                     "capacity": float(15 * 3 / 3 * 5), "price": float(8 + rng.random() * 4),
                     **({"ramp": {"capacity": 150.0, "steps": 26}} if i % 4 == 1 else {})}
        for c in COMPONENTS for i in range(n_sup)}
    firm_table = {}
    for f in range(firms):
        sources = {c: [f"S{c}{j}" for j in rng.choice(n_sup, 3, replace=False)]
                   for c in COMPONENTS}
        firm_table[f"F{f}"] = {
            "country": COUNTRIES[f % 4], "product": f"p{f % 3}", "capacity": 12.0,
            "bom": {"soc": 1, "memory": 2, "sensor": 1}, "sources": sources, "cover": 4,
            "strategy": {"name": "stockpile_on_risk", "threshold": 0.3, "cover": 12}}
    doc = {
        "schema": "chokepoint/1", "name": f"synthetic {firms}",
        "calendar": {"start": "2020-01-06", "step": "week"}, "steps": steps, "seed": seed,
        "regions": ["US", "CN", "EU", "ROW"],
        "countries": {"US": {"region": "US"}, "EU": {"region": "EU"}, "JP": {"region": "ROW"},
                      "CN": {"region": "CN", "strategy": {"name": "tit_for_tat", "delay": 4}}},
        "products": {f"p{p}": {"price": 100, "elasticity": 1.0,
                               "demand": {r: firms * 10 / 3 / 4 for r in
                                          ["US", "CN", "EU", "ROW"]}} for p in range(3)},
        "components": {c: {"critical": True} for c in COMPONENTS},
        "suppliers": suppliers, "firms": firm_table,
        "events": [{"at": 5, "by": "US", "move": "announce", "target": "F1", "risk": 0.6},
                   {"at": 10, "by": "US", "move": "entity_list", "target": "F1"},
                   {"at": 12, "by": "US", "move": "export_control", "target": "soc",
                    "to": ["CN"], "license_rate": 0.3}],
    }
    return validate_document(doc, {}, "<synthetic>")


def time_steps(scenario: Scenario, steps: int) -> tuple[float, float]:
    """(seconds per step, seconds per step spent recording) over ``steps`` steps."""
    model = TradeModel(scenario=scenario, rng=1)
    recording = 0.0
    record = model.record

    def timed_record() -> None:
        nonlocal recording
        t = time.perf_counter()
        record()
        recording += time.perf_counter() - t

    model.record = timed_record  # type: ignore[method-assign]
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    total = time.perf_counter() - start
    return total / steps, recording / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    print(f"{'firms':>6} {'links':>7} {'ms/step':>9} {'× prev':>8} {'recording':>10}")
    previous = None
    for n in (10, 100, 1000):
        sc = synthetic_world(n, args.steps)
        runs = [time_steps(sc, args.steps) for _ in range(args.repeat)]
        per_step, rec = min(runs)
        links = n * len(COMPONENTS) * 3
        ratio = f"{per_step / previous:8.2f}" if previous else f"{'':>8}"
        print(f"{n:>6} {links:>7} {per_step * 1e3:>9.3f} {ratio} {rec / per_step:>9.0%}")
        previous = per_step
    print("targets: each 10× in firms costs ≤ ~12× time; recording < 33% of a step")


if __name__ == "__main__":
    main()
