"""``chokepoint sweep``: run a sweep, report on it, export it (registered by sim.cli).

```
chokepoint sweep FILE --vary PATH=V1,V2|LO:HI ... --out DIR   # run, or resume, a sweep
chokepoint sweep PLAN.yaml [options]                          # the same, declared in a file
chokepoint sweep FILE --replicates 50 --baseline --out DIR    # Monte Carlo, with baseline
chokepoint sweep report DIR [--metric NAME ...]               # plots, sensitivity, HTML
chokepoint sweep discover DIR --where "EXPR"                  # PRIM boxes, CART, scores
chokepoint sweep export DIR --csv                             # CSV files for spreadsheets
chokepoint explore DIR                                        # the sweep explorer page
```
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.sweep.design import DESIGNS


def add_sweep_parser(sub: Any) -> None:
    """Register ``sweep`` and ``explore`` on the ``chokepoint`` command's subparsers."""
    p = sub.add_parser(
        "sweep", help="seeded runs over varied parameters (resumable); report; export",
        description="Run a parameter sweep of a scenario (FILE or PLAN.yaml), or "
                    "`sweep report DIR` / `sweep export DIR --csv` on a finished one.")
    p.add_argument("target",
                   metavar="FILE|PLAN.yaml|report|discover|robust|rerun|optimise|export")
    p.add_argument("folder", nargs="?", metavar="DIR",
                   help="the sweep folder (report, discover, robust, rerun, export); "
                        "optimise: the scenario FILE")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=V1,V2|LO:HI",
                   help="a varied parameter: a path or a scenario parameter's name, with a "
                        "list of values or a range (repeatable)")
    p.add_argument("--lever", action="append", default=[], metavar="PATH=V1,V2|LO:HI",
                   help="a policy choice: like --vary, but each setting (a list, or a range's "
                        "5 levels) is crossed with the other factors' design (repeatable)")
    p.add_argument("--outcome", action="append", default=[],
                   metavar="NAME=EXPR[; window=A:B; direction=min|max; unit=U; threshold=T]",
                   help="an outcome computed per run from its per-step series, e.g. "
                        "\"loss=output_lost_share(Hikvision); threshold=0.1\" (repeatable; "
                        "docs/sweeps.md, Outcomes)")
    p.add_argument("--design", choices=DESIGNS,
                   help="grid (default), lhs, sobol, morris or fast")
    p.add_argument("--samples", type=int,
                   help="levels per range (grid), points (lhs), base samples (sobol: a power "
                        "of 2), trajectories (morris), points per factor (fast: over 64); "
                        "default 8")
    p.add_argument("--replicates", type=int, help="seeded runs per design point (default 1)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    p.add_argument("--steps", help="steps per run, or the date of the last one "
                                   "(default: the scenario's)")
    p.add_argument("--baseline", action="store_true", default=None,
                   help="also run each run's no-policy world on the same seed; summaries "
                        "gain M.baseline and M.vs_baseline")
    p.add_argument("--uncertainties", action="store_true", default=None,
                   help="also vary every parameter the scenario declares kind: uncertainty, "
                        "over its min:max and distribution")
    p.add_argument("--every", type=int, metavar="K",
                   help="also write per-step series every K steps (steps/)")
    p.add_argument("--workers", type=int,
                   help="worker processes (default: CPU count; 0: in this process)")
    p.add_argument("--dask", metavar="ADDRESS|local",
                   help="run on Dask: a local cluster, or a scheduler such as tcp://host:8786 "
                        "(default: $DASK_SCHEDULER_ADDRESS if set)")
    p.add_argument("--chunk", type=int,
                   help="runs per task and part file (default: ~0.25 s of work; more in "
                        "sweeps that would otherwise write over 2,000 part files)")
    p.add_argument("--out", metavar="DIR", help="output folder (run it again to resume)")
    p.add_argument("--metric", action="append", default=[],
                   help="report, discover: an outcome (summary column) to chart (repeatable; "
                        "default: the first firm's headlines and a score)")
    p.add_argument("--where", metavar="EXPR",
                   help="discover: the runs of interest, e.g. \"`Hikvision.output_lost` > 100\" "
                        "(pandas query; bare names need no backquotes)")
    p.add_argument("--inspect", type=int, metavar="STEP",
                   help="discover: show this step of box 1's peeling trajectory instead of "
                        "the one PRIM chose")
    p.add_argument("--threshold", type=float,
                   help="robust: what a scenario must meet (default: the outcome's threshold)")
    p.add_argument("--run", type=int, metavar="N", help="rerun: the run to replay")
    p.add_argument("--objective", action="append", default=[], metavar="OUTCOME",
                   help="optimise: an outcome to minimise or maximise (its direction; "
                        "repeatable)")
    p.add_argument("--statistic", default="mean",
                   help="optimise: over the scenarios, mean (default), median, worst10 or "
                        "satisficing")
    p.add_argument("--scenarios", type=int, default=8,
                   help="optimise: Latin-hypercube points of the --vary uncertainties "
                        "(default 8)")
    p.add_argument("--population", type=int, default=16,
                   help="optimise: NSGA-II's population (default 16)")
    p.add_argument("--generations", type=int, default=10,
                   help="optimise: generations (default 10; more extend a finished run)")
    p.add_argument("--csv", action="store_true", help="export: write CSV files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    add_explore_parser(sub)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.plan import SweepError

    try:
        commands = {"report": _report, "export": _export, "discover": _discover,
                    "robust": _robust, "rerun": _rerun, "optimise": _optimise}
        if args.target in commands:
            return commands[args.target](args)
        return _run(args)
    except SweepError as exc:
        raise UsageError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.outcomes import OutcomeError, parse_option
    from sim.sweep.plan import parse_vary
    from sim.sweep.runner import run_sweep
    from sim.sweep.spec import SweepPlan, is_plan_file, load_plan_file

    if args.folder:
        raise UsageError(f"unexpected argument {args.folder!r} (report and export take DIR)")
    plan = load_plan_file(args.target) if is_plan_file(args.target) else SweepPlan(
        args.target)
    try:
        given = dict(parse_option(text) for text in args.outcome)
    except OutcomeError as exc:
        raise UsageError(str(exc)) from None
    changes: dict[str, Any] = {
        "vary": {**plan.vary, **parse_vary(args.vary)},
        "levers": {**plan.levers, **parse_vary(args.lever, "--lever")},
        "outcomes": {**plan.outcomes, **given}}
    for key in ("design", "samples", "replicates", "seed", "steps", "every", "baseline",
                "uncertainties", "out"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    with _progress_bar(args.quiet) as progress:
        out = run_sweep(plan.replace(**changes), workers=args.workers, dask=args.dask,
                        chunk=args.chunk, progress=progress, notice=_notice)
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def _notice(message: str) -> None:
    """What resuming found damaged (its chunk runs again), and the plan's warnings (events
    the horizon drops): always shown, on stderr."""
    from sim.errors import escape

    print(f"chokepoint sweep: {escape(message)}", file=sys.stderr)


class _progress_bar:
    """A tqdm bar on stderr fed by run_sweep's progress callback (off with --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: Any = None  # a tqdm bar once the first count arrives

    def __enter__(self) -> Any:
        return None if self.quiet else self.update

    def update(self, done: int, failed: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, initial=done, unit="run", file=sys.stderr,
                            dynamic_ncols=True, desc="sweep")
        else:
            self.bar.update(done - self.bar.n)
        self.bar.set_postfix(failed=failed, refresh=True)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()


def _folder(args: argparse.Namespace) -> Any:
    from sim.errors import UsageError
    from sim.sweep.api import check_folder

    if not args.folder:
        raise UsageError(f"sweep {args.target} DIR: the sweep folder is missing")
    out = Path(args.folder)
    check_folder(out)
    return out


def _report(args: argparse.Namespace) -> int:
    from sim.sweep.report import write_report

    html = write_report(_folder(args), metrics=args.metric or None)
    if not args.quiet:
        print(f"wrote {html}")
    return 0


def _discover(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.discover import write_discovery

    if not args.where:
        raise UsageError('sweep discover DIR --where "EXPR": the condition is missing')
    path = write_discovery(_folder(args), args.where, metrics=args.metric or None,
                           inspect=args.inspect)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


def _robust(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.api import open_sweep

    if len(args.metric) != 1:
        raise UsageError("sweep robust DIR --metric NAME: name one outcome")
    sweep = open_sweep(_folder(args))
    result = sweep.robustness(args.metric[0], threshold=args.threshold)
    path = sweep.write_robustness(result)
    if not args.quiet:
        print(result.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        for note in result.notes:
            print(note)
        print(f"wrote {path}")
    return 0


def _optimise(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.optimise import optimise
    from sim.sweep.optimise_report import write_optimisation
    from sim.sweep.outcomes import OutcomeError, parse_option
    from sim.sweep.plan import parse_vary

    if not args.folder or not args.out:
        raise UsageError("sweep optimise FILE --lever NAME=LO:HI --objective OUTCOME --out DIR")
    try:
        outcomes = dict(parse_option(text) for text in args.outcome)
    except OutcomeError as exc:
        raise UsageError(str(exc)) from None
    import warnings

    with _progress_bar(args.quiet) as progress, warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", UserWarning)
        result = optimise(args.folder, parse_vary(args.lever, "--lever"), args.objective,
                          out=args.out, uncertainties=parse_vary(args.vary),
                          outcomes=outcomes, scenarios=args.scenarios,
                          statistic=args.statistic, replicates=args.replicates or 1,
                          population=args.population, generations=args.generations,
                          seed=args.seed, steps=args.steps, workers=args.workers,
                          dask=args.dask, progress=progress)
    for warning in said:
        _notice(f"warning: {warning.message}")
    page = write_optimisation(result)
    if not args.quiet:
        print(result.front.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"wrote {page}")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    from sim.engine.output import write_run
    from sim.errors import UsageError, escape
    from sim.sweep.rerun import rerun

    if args.run is None:
        raise UsageError("sweep rerun DIR --run N: which run?")
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out {args.out}: must end in .csv or .parquet")
    replay = rerun(_folder(args), args.run)
    print(f"run {replay.run} (point {replay.point}, replicate {replay.replicate}, seed "
          f"{replay.seed})")
    if args.out:
        write_run(replay.model, args.out)
        print(f"wrote {args.out}")
    if not replay.stored:
        print("not run in the sweep yet: nothing to compare with")
        return 0
    if replay.differences:
        for key, old, new in replay.differences:
            print(f"  {escape(key)}: stored {old}, replayed {new}")
        print(f"{len(replay.differences)} of {len(replay.values)} values differ from the "
              f"stored row")
        return 1
    print(f"identical to the stored row ({len(replay.values)} values)")
    return 0


def add_explore_parser(sub: Any) -> None:
    """Register ``explore DIR`` (the sweep explorer page) on the ``chokepoint`` command."""
    p = sub.add_parser("explore", help="the sweep explorer in the browser (offline)",
                       description="Open a sweep folder in the browser: outcome "
                                   "distributions, fan charts, sensitivity, discovered boxes.")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--port", type=int, default=8766)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--no-browser", action="store_true")
    p.set_defaults(func=cmd_explore)


def cmd_explore(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.plan import SweepError

    args.target = "explore"
    try:
        out = _folder(args)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    try:
        from dashboards.explore.page import serve_explorer
    except ImportError as exc:
        raise UsageError(f"explore needs the web app: pip install 'chokepoint[app]' "
                         f"({exc})") from None
    serve_explorer(out, host=args.host, port=args.port, open_browser=not args.no_browser)
    return 0


def _export(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.report import export_csv

    if not args.csv:
        raise UsageError("sweep export: choose a format (--csv)")
    for path in export_csv(_folder(args)):
        if not args.quiet:
            print(f"wrote {path}")
    return 0
