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
from typing import Any

from sim.sweep.design import DESIGNS

DEFAULTS = {"design": "grid", "samples": 8, "replicates": 1}


def add_sweep_parser(sub: Any) -> None:
    """Register ``sweep`` and ``explore`` on the ``chokepoint`` command's subparsers."""
    p = sub.add_parser(
        "sweep", help="seeded runs over varied parameters (resumable); report; export",
        description="Run a parameter sweep of a scenario (FILE or PLAN.yaml), or "
                    "`sweep report DIR` / `sweep export DIR --csv` on a finished one.")
    p.add_argument("target", metavar="FILE|PLAN.yaml|report|discover|export")
    p.add_argument("folder", nargs="?", metavar="DIR",
                   help="the sweep folder (report, discover, export)")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=V1,V2|LO:HI",
                   help="a varied parameter: a path or a scenario parameter's name, with a "
                        "list of values or a range (repeatable)")
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
    p.add_argument("--csv", action="store_true", help="export: write CSV files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    add_explore_parser(sub)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.plan import SweepError

    try:
        if args.target in ("report", "export", "discover"):
            return {"report": _report, "export": _export, "discover": _discover}[args.target](
                args)
        return _run(args)
    except SweepError as exc:
        raise UsageError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.plan import is_plan_file, load_plan_file, parse_vary
    from sim.sweep.runner import run_sweep

    if args.folder:
        raise UsageError(f"unexpected argument {args.folder!r} (report and export take DIR)")
    options: dict[str, Any] = {}
    vary: dict[str, Any] = {}
    scenario = args.target
    if is_plan_file(args.target):
        plan = load_plan_file(args.target)
        scenario, vary = plan.scenario, dict(plan.vary)
        options = plan.model_dump(exclude={"scenario", "vary"}, exclude_none=True)
    vary.update(parse_vary(args.vary))
    for key in ("design", "samples", "replicates", "seed", "steps", "every", "baseline",
                "uncertainties", "out"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    for key, value in DEFAULTS.items():
        options.setdefault(key, value)
    if "out" not in options:
        raise UsageError("--out DIR is required (the folder for results; run again to resume)")
    with _progress_bar(args.quiet) as progress:
        out = run_sweep(scenario, vary, workers=args.workers, dask=args.dask, chunk=args.chunk,
                        progress=progress, notice=_notice, **options)
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def _notice(message: str) -> None:
    """What resuming found damaged (its chunk runs again): always shown, on stderr."""
    from sim.errors import escape

    print(f"chokepoint sweep: damaged: {escape(message)}", file=sys.stderr)


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
    from pathlib import Path

    from sim.errors import UsageError
    from sim.sweep.ledger import audit
    from sim.sweep.storage import read_manifest

    if not args.folder:
        raise UsageError(f"sweep {args.target} DIR: the sweep folder is missing")
    out = Path(args.folder)
    if not (out / "manifest.json").is_file():
        raise UsageError(f"{out}: not a sweep folder (no manifest.json)")
    manifest = read_manifest(out)  # readable, and a sweep's
    assert manifest is not None
    found = audit(out, manifest)
    if found.problems:
        shown = "; ".join(found.problems[:3])
        more = f" (and {len(found.problems) - 3} more)" if len(found.problems) > 3 else ""
        raise UsageError(f"{out}: damaged: {shown}{more}; run the sweep again to repair it "
                         f"(damaged files are moved to {out / 'damaged'} and their runs "
                         f"run again)")
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
    path = write_discovery(_folder(args), args.where, metrics=args.metric or None)
    if not args.quiet:
        print(f"wrote {path}")
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
