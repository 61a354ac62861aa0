"""``chokepoint tournament``: play every combination of strategies per role (registered by
sim.cli).

```
chokepoint tournament FILE --roles US,CN --strategies all --seeds 20 --out DIR
chokepoint tournament FILE --roles US,CN --strategies responsive,grim_trigger --seeds 5 \\
    --workers 2 --out DIR          # run again to resume; --dask local|ADDRESS for a cluster
```
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.errors import escape


def add_tournament_parser(sub: Any) -> None:
    """Register ``tournament`` on the ``chokepoint`` command's subparsers."""
    p = sub.add_parser(
        "tournament", help="strategy tournament: payoffs, best responses, equilibria, ranks",
        description="Play every combination of strategies per role over seeded runs "
                    "(resumable) and write payoff tables with intervals, best responses, the "
                    "equilibria of the empirical game and an HTML report (docs/tournaments.md).")
    p.add_argument("file", metavar="FILE", help="the scenario")
    p.add_argument("--roles", required=True, metavar="A,B",
                   help="the countries that play (comma-separated); firms are refused: "
                        "only governments play in a tournament")
    p.add_argument("--strategies", default="all", metavar="all|S1,S2",
                   help="the strategies each role plays: `all` (every government strategy, "
                        "the default) or a list of government strategies (firms' strategies "
                        "are refused)")
    p.add_argument("--seeds", type=int, default=10, help="seeded runs per profile (default 10)")
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    p.add_argument("--steps", help="steps per run, or the date of the last one "
                                   "(default: the scenario's)")
    p.add_argument("--workers", type=int,
                   help="worker processes (default: CPU count; 0: in this process)")
    p.add_argument("--dask", metavar="ADDRESS|local",
                   help="run on Dask: a local cluster, or a scheduler address "
                        "(default: $DASK_SCHEDULER_ADDRESS if set)")
    p.add_argument("--chunk", type=int, help="runs per task (default: ~0.25 s of work)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (run the same command again to resume)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_tournament)


def cmd_tournament(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.sweep.plan import SweepError
    from sim.tournament import make_tournament, run_tournament, write_results
    from sim.tournament.plan import parse_names
    from sim.tournament.results import failures

    try:
        t = make_tournament(args.file, parse_names(args.roles), parse_names(args.strategies),
                            args.seeds, seed=args.seed, steps=args.steps)
        bar = _Bar(args.quiet)
        try:
            out = run_tournament(t, args.out, workers=args.workers, dask=args.dask,
                                 chunk=args.chunk, progress=bar.update, notice=_notice)
        finally:
            bar.close()
        written = write_results(out)
        failed, runs, first = failures(out)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    if failed:  # always shown, as a sweep's notices are
        print(f"chokepoint tournament: {failed} of {runs} runs failed (their payoffs are "
              f"missing); the first: {escape(str(first))}", file=sys.stderr)
    if not args.quiet:
        for path in written:
            print(f"wrote {escape(str(path))}")
    return 0


def _notice(message: str) -> None:
    print(f"chokepoint tournament: damaged: {escape(message)}", file=sys.stderr)


class _Bar:
    """A tqdm bar on stderr fed by the runs' progress (off with --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: Any = None

    def update(self, done: int, failed: int, total: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, initial=done, unit="run", file=sys.stderr,
                            dynamic_ncols=True, desc="tournament")
        else:
            self.bar.update(done - self.bar.n)
        self.bar.set_postfix(failed=failed, refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
