"""A strategy tournament against ``chokepoint sweep`` doing the same runs.

    .venv/bin/python benchmarks/tournament.py [--quick] [--workers 2]

The tournament: hikvision_2019, roles US and CN, six strategies each (``STRATEGIES``: 36
profiles, plus a do-nothing reference per role), ``--seeds`` seeds (default 20; ``--quick``: 3
strategies and 4 seeds), ``--workers`` processes. The comparison: ``chokepoint sweep`` over
the same profiles (a grid of ``countries.US.strategy.name`` × ``countries.CN.strategy.name``,
on a copy of the scenario that names a strategy for both) with as many replicates. Each runs
as a fresh ``chokepoint`` process, timed from start to finish (imports, planning, the probe
run, writing and, for the tournament, its tables and report included). Printed: runs, wall
seconds and runs per second of each, and the ratio of the tournament's seconds per run to the
sweep's (goal: ≤ 1.1).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hikvision_2019.yaml"
STRATEGIES = ["scripted", "responsive", "grim_trigger", "generous_tit_for_tat",
              "escalate_then_negotiate", "fictitious_play"]


def timed(args: list[str]) -> float:
    """Wall seconds of ``python -m sim ARGS`` (it must succeed)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def sweep_scenario(folder: Path) -> Path:
    """hikvision_2019 with a strategy written for both roles, so that a sweep can vary it."""
    text = SCENARIO.read_text(encoding="utf-8")
    text = text.replace("  US: {region: US, objectives:",
                        "  US: {region: US, strategy: {name: responsive}, objectives:", 1)
    text = text.replace("strategy: {name: tit_for_tat, delay: 4, probability: 0.6, share: 0.3}",
                        "strategy: {name: responsive}", 1)
    path = folder / "hikvision_2019_strategies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 strategies, 4 seeds")
    parser.add_argument("--seeds", type=int, help="seeds per profile (default 20; quick 4)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    strategies = STRATEGIES[:3] if args.quick else STRATEGIES
    seeds = args.seeds or (4 if args.quick else 20)
    names = ",".join(strategies)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tournament_runs = (len(strategies) ** 2 + 2) * seeds
        t_tour = timed(["tournament", str(SCENARIO), "--roles", "US,CN", "--strategies", names,
                        "--seeds", str(seeds), "--workers", str(args.workers), "-q",
                        "--out", str(folder / "tournament")])
        sweep_runs = len(strategies) ** 2 * seeds
        t_sweep = timed(["sweep", str(sweep_scenario(folder)),
                         "--vary", f"countries.US.strategy.name={names}",
                         "--vary", f"countries.CN.strategy.name={names}",
                         "--replicates", str(seeds), "--workers", str(args.workers), "-q",
                         "--out", str(folder / "sweep")])
    print(f"hikvision_2019, roles US,CN, {len(strategies)} strategies, {seeds} seeds, "
          f"{args.workers} workers")
    print(f"tournament: {tournament_runs} runs in {t_tour:.1f} s = "
          f"{tournament_runs / t_tour:.1f} runs/s (tables and report included)")
    print(f"sweep:      {sweep_runs} runs in {t_sweep:.1f} s = {sweep_runs / t_sweep:.1f} runs/s")
    ratio = (t_tour / tournament_runs) / (t_sweep / sweep_runs)
    print(f"ratio of seconds per run, tournament / sweep: {ratio:.2f} (goal ≤ 1.1)")


if __name__ == "__main__":
    main()
