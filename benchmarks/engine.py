"""Engine speed and memory, with and without output, for 100, 1,000 and 10,000 firms.

Each world has suppliers and links in proportion to its firms (one supplier per five firms and
component, three sources per firm and component), a listing, an export control, a retaliating
government and stockpiling firms, so every phase does real work. Each measurement runs in a
fresh process (so peak memory is its own):

* the engine alone: CPU per step with recording switched off;
* with output: CPU per step of the same run recorded and written to Parquet (``write_run``),
  its peak memory, and the rows and bytes written.

* one whole shipped run: the CPU of one hikvision_2019 run in-process (156 steps, the model
  already built, recording on), the median of ``--repeats`` runs (target ≤ 150 ms; measured
  116–128 ms on a shared 2-core machine, about 0.8 ms a step for 4 firms; the profile is flat,
  some 900 small numpy calls a step, none above 5% of the time).

Printed: per-step CPU of both, their ratio (target ≤ 1.5: recording and writing add at most
half a step), the growth ratio from one size to the next (10× the firms: target ≤ 11×), and
peak memory (target for 10,000 firms × 440 steps: under 2 GB). Ratios are measured in this one
run, so a noisy machine moves all of them together.

    .venv/bin/python benchmarks/engine.py [--steps 440] [--sizes 100,1000,10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.engine.model import TradeModel
from sim.engine.output import write_run
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
        "calendar": {"start": dt.date(2020, 1, 6), "step": "week"}, "steps": steps, "seed": seed,
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


def measure(firms: int, steps: int, output: bool) -> dict[str, float]:
    """One run in this process: CPU per step, and with ``output`` the rows and bytes written."""
    model = TradeModel(scenario=synthetic_world(firms, steps), rng=1)
    if not output:  # the engine alone: nothing recorded
        model.recorder.record = lambda step: None  # type: ignore[method-assign]
    start = time.process_time()
    model.run()
    result: dict[str, float] = {}
    if output:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_run(model, Path(tmp) / "run.parquet")
            result["bytes"] = path.stat().st_size
            import pyarrow.parquet as pq

            result["rows"] = pq.ParquetFile(path).metadata.num_rows
    result["cpu_per_step"] = (time.process_time() - start) / steps
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def shipped_run_cpu(repeats: int, name: str = "hikvision_2019") -> float:
    """Median CPU seconds of one whole run of a shipped scenario, the model already built."""
    from sim.scenario import shipped

    scenario = shipped.load(name)
    times = []
    for seed in range(repeats):
        model = TradeModel(scenario=scenario, rng=seed)
        start = time.process_time()
        model.run()
        times.append(time.process_time() - start)
    return float(np.median(times))


def in_child(firms: int, steps: int, output: bool) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(firms), str(steps),
                          "1" if output else "0"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=440)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], bool(args.child[2]))))
        return
    whole = shipped_run_cpu(args.repeats)
    print(f"hikvision_2019, one whole run in-process (model built): {whole * 1e3:.0f} ms CPU "
          f"(median of {args.repeats}; target ≤ 150 ms)", flush=True)
    print(f"{'firms':>6} {'links':>7} {'engine ms':>10} {'+output ms':>11} {'ratio':>6} "
          f"{'× prev':>7} {'peak MB':>8} {'rows':>11} {'MB written':>11}")
    previous = None
    for n in (int(x) for x in args.sizes.split(",")):
        alone = in_child(n, args.steps, False)
        full = in_child(n, args.steps, True)
        links = n * len(COMPONENTS) * 3
        growth = f"{full['cpu_per_step'] / previous:7.2f}" if previous else f"{'':>7}"
        print(f"{n:>6} {links:>7} {alone['cpu_per_step'] * 1e3:>10.2f} "
              f"{full['cpu_per_step'] * 1e3:>11.2f} "
              f"{full['cpu_per_step'] / alone['cpu_per_step']:>6.2f} {growth} "
              f"{full['peak_mb']:>8.0f} {full['rows']:>11,.0f} {full['bytes'] / 1e6:>11.1f}",
              flush=True)
        previous = full["cpu_per_step"]
    print(f"{args.steps} steps. targets: ratio (engine + recording + writing Parquet over the "
          "engine alone) ≤ 1.5 at 1,000 firms; × prev ≤ 11 for 10× the firms; peak < 2,048 MB "
          "at 10,000 firms")


if __name__ == "__main__":
    main()
