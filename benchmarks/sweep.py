"""Our sweep against ``mesa.batch_run`` on the same runs and seeds, both ending in Parquet.

    .venv/bin/python benchmarks/sweep.py [--steps 26] [--small 1000] [--large 10000] [--long 1280]

Each case runs in its own Python process (batch_run switches multiprocessing to spawn for the
whole process: docs/pitfalls-measured.md), which reports its wall time from start to finish
(its imports included: a sweep run from a fresh shell pays them), the CPU time of itself and
every worker process under it (sampled with psutil), and its own peak memory (ru_maxrss).
Printed:

* CPU seconds per run of ours and of batch_run, and their ratio (target: ours ≤ batch_run),
  on ``--small`` runs of ``--steps`` steps;
* our 2-worker speed-up over 1 worker (target ≥ 1.8 on 2 cores), on the same short sweep and
  on ``--long`` runs of the scenario's whole horizon (156 weekly steps): in wall time from
  process start to finish, and in runs per second once the first chunk is in. Every sweep
  first spends about a second that two workers cannot share (a fresh interpreter importing
  Mesa, pandas and scipy); a short sweep is about 10 s of work, so that second caps its
  speed-up near 1.75;
* the parent's peak memory at the small and the large sweep (target: grows by under 50 MB);
* at ``--analysis`` runs (default 10,000; ``--analysis-steps`` each, with ``--every 4``
  series): the files written (before and after compaction) and the time to read them back
  with pandas, and the time of ``sweep report`` and of ``sweep discover``
  (``--only-analysis`` measures just this).

The runs: Hikvision 2019 over a Latin hypercube of stockpile cover, licence rate and
retaliation probability, 10 replicates per point, seeds from SeedSequence(root, (point,
replicate)); batch_run drives a TradeModel subclass that looks up the same point and seed by
run number and reports :func:`sim.engine.metrics.summary` at the last step.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "hikvision_2019.yaml")
VARY = {"stockpile_cover": "0:104", "license_rate": "0:1", "retaliation_probability": "0:1"}
REPLICATES = 10


class CpuMeter:
    """CPU seconds of this process and all its descendants (workers exit before we could
    read them, so each is sampled while alive and its last reading kept).

    Listing descendants scans all of /proc, so it is done every ``refresh`` seconds only;
    the known ones are read every ``every`` seconds (cheap), which keeps the meter's own load
    on a busy 2-core machine well under 1% of a core.
    """

    def __init__(self, every: float = 0.1, refresh: float = 0.5):
        import psutil

        self.me = psutil.Process()
        self.known: dict[int, psutil.Process] = {}
        self.seen: dict[int, float] = {}
        self.every, self.refresh, self.stop = every, refresh, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        listed = 0.0
        while not self.stop.wait(self.every):
            if time.monotonic() - listed >= self.refresh:
                listed = time.monotonic()
                for child in self.me.children(recursive=True):
                    self.known.setdefault(child.pid, child)
            for pid, child in list(self.known.items()):
                try:
                    t = child.cpu_times()
                    self.seen[pid] = t.user + t.system
                except Exception:  # noqa: BLE001 - a child that has exited: keep its last
                    del self.known[pid]

    def __enter__(self) -> CpuMeter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        mine = self.me.cpu_times()
        self.total = mine.user + mine.system + sum(self.seen.values())


def case_ours(n: int, workers: int, steps: int | None, out: Path) -> dict[str, float]:
    from sim.sweep import run_sweep

    marks: list[tuple[float, int]] = []  # (time, runs done) at each finished chunk

    def progress(done: int, failed: int, planned: int) -> None:
        if done:
            marks.append((time.perf_counter(), done))

    run_sweep(SCENARIO, VARY, design="lhs", samples=n // REPLICATES, replicates=REPLICATES,
              steps=steps, workers=workers, out=out, progress=progress)
    (t0, done0), (t1, done1) = marks[0], marks[-1]
    return {"rate": (done1 - done0) / (t1 - t0)}  # runs/s once the first chunk is in


def case_batch_run(n: int, workers: int, steps: int | None, out: Path) -> dict[str, float]:
    import mesa
    import pandas as pd

    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel
    from sim.scenario import load_scenario
    from sim.sweep.plan import make_plan
    from sim.sweep.seeds import run_seed

    plan = make_plan(SCENARIO, VARY, design="lhs", samples=n // REPLICATES,
                     replicates=REPLICATES, steps=steps)
    cache: dict[int, object] = {}

    class SweepModel(TradeModel):
        def __init__(self, run: int, rng: object = None):
            point, rep = divmod(run, REPLICATES)
            if point not in cache:
                cache[point] = load_scenario(SCENARIO, plan.points[point])
            super().__init__(scenario=cache[point], rng=run_seed(plan.seed, point, rep),
                             steps=steps)
            self.datacollector = mesa.DataCollector(model_reporters={
                "summary": lambda m: summary(m) if m.recorder.steps == m.horizon else None})

        def step(self) -> None:  # batch_run reads what the model's DataCollector collected
            super().step()
            self.datacollector.collect(self)

    rows = mesa.batch_run(SweepModel, parameters={"run": range(plan.n_runs)},
                          number_processes=workers, iterations=1, max_steps=steps,
                          data_collection_period=-1, display_progress=False)
    table = pd.DataFrame([{"run": r["run"], **r["summary"]} for r in rows]).sort_values("run")
    table.to_parquet(out / "summary.parquet", compression="zstd")
    return {}


def case_analysis(n: int, workers: int, steps: int | None, out: Path) -> dict[str, float]:
    import pandas as pd

    from sim.sweep import run_sweep
    from sim.sweep.discover import write_discovery
    from sim.sweep.report import write_report

    parts: dict[str, int] = {}

    def progress(done: int, failed: int, planned: int) -> None:
        for kind in ("summary", "steps"):  # the most part files seen before compaction
            folder = out / kind
            if folder.exists():
                parts[kind] = max(parts.get(kind, 0), len(list(folder.glob("part-*"))))

    t0 = time.perf_counter()
    run_sweep(SCENARIO, VARY, design="lhs", samples=n // REPLICATES, replicates=REPLICATES,
               steps=steps, every=4, workers=workers, out=out, progress=progress)
    t1 = time.perf_counter()
    size = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    summary = pd.read_parquet(out / "summary")
    t2 = time.perf_counter()
    series = pd.read_parquet(out / "steps")
    t3 = time.perf_counter()
    write_report(out)
    t4 = time.perf_counter()
    write_discovery(out, "Hikvision.min_cover < Hikvision.min_cover.median()")
    t5 = time.perf_counter()
    return {"sweep_s": t1 - t0, "parts": sum(parts.values()), "files_after": len(list(
        out.rglob("*.parquet"))), "mb": size / 1e6, "rows": len(summary) + len(series),
        "read_summary_s": t2 - t1, "read_steps_s": t3 - t2, "report_s": t4 - t3,
        "discover_s": t5 - t4}


def child(case: str, n: int, workers: int, steps: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, CpuMeter() as meter:
        extra = {"ours": case_ours, "batch_run": case_batch_run, "analysis": case_analysis}[
            case](n, workers, steps, Path(tmp) / "o" if case != "batch_run" else Path(tmp))
        wall = time.time() - meter.me.create_time()  # since the process started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": meter.total, "peak_mb": peak, **extra}))


def measure(case: str, n: int, workers: int, steps: int | None) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", case, "--runs", str(n),
                          "--workers", str(workers), "--steps", str(steps or 0)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{case} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  {case:<9} {n:>6} runs of {steps or 'all'} steps, {workers} worker(s): "
          f"{result['wall']:7.1f} s wall, {result['cpu'] / n * 1000:6.2f} ms CPU/run, "
          f"parent peak {result['peak_mb']:6.0f} MB", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=26, help="steps per run of the short "
                        "sweeps (default 26: half a year)")
    parser.add_argument("--small", type=int, default=1000, help="runs of the short sweep")
    parser.add_argument("--large", type=int, default=10_000, help="runs of the memory sweep")
    parser.add_argument("--long", type=int, default=1280, help="runs of the whole-horizon "
                        "sweep (default: the size of the issue's example, 64 × 20; 0: skip)")
    parser.add_argument("--analysis", type=int, default=10_000, help="runs of the sweep whose "
                        "files, report and discovery are timed (0: skip)")
    parser.add_argument("--analysis-steps", type=int, default=26,
                        help="steps per run of that sweep")
    parser.add_argument("--only-analysis", action="store_true",
                        help="measure only the files, report and discovery")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.runs, args.workers, args.steps or None)  # 0: all
    print(f"hikvision_2019, LHS × {REPLICATES} replicates; wall times include start-up")
    if args.analysis:
        a = measure("analysis", args.analysis, 2, args.analysis_steps)
        print(f"  {args.analysis:,} runs of {args.analysis_steps} steps, series every 4: "
              f"sweep {a['sweep_s']:.1f} s; {a['parts']} part files, {a['files_after']} after "
              f"compaction ({a['mb']:.1f} MB, {a['rows']:,} rows); read summary "
              f"{a['read_summary_s']:.2f} s, series {a['read_steps_s']:.2f} s; report "
              f"{a['report_s']:.1f} s; discover {a['discover_s']:.1f} s", flush=True)
    if args.only_analysis:
        return
    ours1 = measure("ours", args.small, 1, args.steps)
    ours2 = measure("ours", args.small, 2, args.steps)
    if args.long:
        long1 = measure("ours", args.long, 1, None)
        long2 = measure("ours", args.long, 2, None)
    large = measure("ours", args.large, 2, args.steps)
    batch = measure("batch_run", args.small, 1, args.steps)  # last: spawn start method
    cpu_ours, cpu_batch = ours1["cpu"] / args.small, batch["cpu"] / args.small
    print()
    print(f"CPU per run: ours {cpu_ours * 1000:.2f} ms, batch_run {cpu_batch * 1000:.2f} ms, "
          f"ratio ours/batch_run {cpu_ours / cpu_batch:.2f} (target ≤ 1)")
    print("2-worker speed-up over 1 worker (target ≥ 1.8 on 2 cores):")
    pairs = [(f"{args.small:,} runs of {args.steps} steps", ours1, ours2)]
    if args.long:
        pairs.append((f"{args.long:,} runs of the whole horizon", long1, long2))
    for label, one, two in pairs:
        print(f"  {label}: {one['wall']:.1f} s / {two['wall']:.1f} s wall = "
              f"{one['wall'] / two['wall']:.2f}; runs per second once the first chunk is in: "
              f"{two['rate'] / one['rate']:.2f}")
    print(f"parent peak memory: {ours2['peak_mb']:.0f} MB at {args.small:,} runs, "
          f"{large['peak_mb']:.0f} MB at {args.large:,} runs: "
          f"+{large['peak_mb'] - ours2['peak_mb']:.0f} MB (target < 50 MB); "
          f"batch_run's parent at {args.small:,}: {batch['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
