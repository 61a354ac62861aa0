"""The ``chokepoint`` command: the only module that prints or exits.

Errors in user input are printed as ``FILE:LINE:COL: message`` (one per line, all of them) and
exit with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.errors import OutputError, Problem, ScenarioError, UsageError, escape
from sim.play.setup import MAX_SEED

EXIT_USAGE = 2
EXIT_PIPE = 141  # as a shell reports a process stopped by SIGPIPE
EXIT_TERM = 143  # as a shell reports a process stopped by SIGTERM
MAX_STEPS = 100_000  # the scenario format's own bound (sim.scenario.models.MAX_STEPS)


def check_range(option: str, value: int | None, lo: int, hi: int) -> None:
    """Refuse an integer option outside [lo, hi] (None: not given)."""
    if value is not None and not lo <= value <= hi:
        raise UsageError(f"{option} must be between {lo:,} and {hi:,}")


def parse_assignments(items: Sequence[str], option: str) -> dict[str, Any]:
    """``["a.b=3", ...]`` → ``{"a.b": 3}`` with YAML-typed values."""
    from sim.scenario import parse_value

    out: dict[str, Any] = {}
    for item in items:
        path, sep, value = item.partition("=")
        shown = repr(item if len(item) <= 80 else item[:77] + "...")
        if not sep or not path.strip():
            raise UsageError(f"{option} {shown}: expected PATH=VALUE")
        try:
            out[path.strip()] = parse_value(value)
        except ScenarioError as exc:
            raise UsageError(f"{option} {shown}: {exc.problems[0].message}") from None
    return out


def scenario_file(arg: str) -> str | Path:
    """A scenario argument: a file as given, else the file of the shipped scenario of that name.

    Raises:
        UsageError: ``arg`` looks like a name (no folder, no suffix), is not a file and names
            no shipped scenario.
    """
    from sim.scenario import shipped

    if Path(arg).exists():
        return arg
    found = shipped.find(arg)
    if found is not None:
        return found
    if Path(arg).name == arg and not Path(arg).suffix:
        near = difflib.get_close_matches(arg, list(shipped.all_paths()), n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise UsageError(f"{arg!r} is neither a file nor a shipped scenario ({hint}"
                         "'chokepoint scenarios' lists them)")
    return arg


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.scenario import shipped

    rows = shipped.catalogue()
    name_w = max(len("name"), *(len(r.name) for r in rows))
    title_w = max(len("title"), *(len(r.title) for r in rows))
    lines = [f"{'name':<{name_w}}  {'title':<{title_w}}  roles"]
    for group, heading in shipped.GROUPS.items():
        if group:
            lines += ["", f"{heading} (for 'chokepoint classroom'; they run and play too):"]
        lines += [f"{r.name:<{name_w}}  {r.title:<{title_w}}  {', '.join(r.roles) or '-'}"
                  for r in rows if r.group == group]
    lines += ["", f"files in {shipped.root()} (copy one to write your own)"]
    print("\n".join(escape(line) for line in lines))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    problems: list[Problem] = []
    for file in args.files:
        try:
            sc = load_scenario(scenario_file(file))
        except ScenarioError as exc:
            problems += exc.problems
            continue
        if not args.quiet:
            print(f"{file}: ok — {sc.name!r}, {sc.steps} steps, {len(sc.firms)} firms, "
                  f"{len(sc.suppliers)} suppliers, {len(sc.events)} events")
    if problems:
        raise ScenarioError(problems)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel
    from sim.engine.output import FORMATS, write_run
    from sim.scenario import load_scenario
    from sim.scenario.load import size_problem

    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {args.out}: must end in .csv or .parquet")
    check_range("--steps", args.steps, 1, MAX_STEPS)
    check_range("--seed", args.seed, 0, MAX_SEED)
    sc = load_scenario(scenario_file(args.file), parse_assignments(args.set, "--set"))
    too_big = size_problem(sc, args.steps)
    if too_big:
        raise UsageError(f"--steps {args.steps}: {too_big}" if args.steps else too_big)
    model = TradeModel(scenario=sc, rng=args.seed if args.seed is not None else sc.seed,
                       steps=args.steps)
    model.run()
    if args.out:
        write_run(model, args.out)
    print(format_summary(model, summary(model), args.seed if args.seed is not None else sc.seed))
    if args.out:
        print(f"\nwrote {args.out}")
    return 0


def format_summary(model: Any, row: dict[str, float], seed: int) -> str:
    """The headline table ``run`` prints."""
    w, n = model.world, model.recorder.steps
    lines = [f"{model.spec.name} — {n} steps from {model.spec.calendar.start}, seed {seed}", ""]
    lines.append(f"{'firm':<16}{'output lost':>12}{'revenue':>10}{'min cover':>11}"
                 f"{'share price':>13}")
    for f in w.firms:
        lines.append(f"{f:<16}{row[f + '.output_lost']:>12,.0f}"
                     f"{row[f + '.revenue_change']:>+10.1%}{row[f + '.min_cover']:>11.1f}"
                     f"{row[f + '.share_price_change']:>+13.1%}")
    lines += ["", f"{'supplier':<16}{'revenue':>10}"]
    lines += [f"{s:<16}{row[s + '.revenue_change']:>+10.1%}" for s in w.suppliers]
    lines += ["", f"{'government':<16}{'score':>10}"]
    lines += [f"{g:<16}{row[g + '.score']:>+10.3f}" for g in w.countries]
    lines += ["", "revenue: last turn vs first turn; min cover: steps of use; "
                  "score: mean over the run"]
    return "\n".join(lines)


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from dashboards.server import restart_for_memory  # (imports no web code)
    from sim.scenario import load_scenario

    restart_for_memory()
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: must be between 1 and 65535")
    file = scenario_file(args.file) if args.file else None
    if file:
        load_scenario(file)  # refuse a bad file before the server starts
    from dashboards.server import APP, serve  # the only path from the CLI to web code
    from sim.play.setup import SCENARIO_ENV

    env = {SCENARIO_ENV: str(Path(file).resolve())} if file else {}
    serve(APP, host=args.host, port=args.port, open_browser=not args.no_browser, env=env)
    return 0


def version() -> str:
    """The installed package's version (from its metadata)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("chokepoint")
    except PackageNotFoundError:
        return "(not installed: pip install -e . in the checkout)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chokepoint",
        description="Trade-policy scenario simulation: validate and run YAML scenarios.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("scenarios", help="list the shipped scenarios: name, title, roles")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="check scenario files; report every problem")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a scenario file, or a shipped scenario's name")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="run a scenario; print headline results, write the series")
    p.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's name")
    p.add_argument("--seed", type=int,
                   help="random seed, 0 or more (default: the scenario's)")
    p.add_argument("--steps", type=int,
                   help=f"number of steps, 1 to {MAX_STEPS:,} (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value, e.g. firms.Hikvision.cover=8 (repeatable)")
    p.add_argument("--out", metavar="F.csv|F.parquet",
                   help="write the tidy series (step, date, entity, metric, value)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("schema", help="print the scenario format as JSON Schema")
    p.set_defaults(func=cmd_schema)

    from sim.sweep.cli import add_sweep_parser

    add_sweep_parser(sub)

    from sim.tournament.cli import add_tournament_parser

    add_tournament_parser(sub)

    from sim.classroom.cli import add_classroom_parser

    add_classroom_parser(sub)

    p = sub.add_parser("play", help="play a scenario in the browser (offline Solara app)")
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="scenario offered first (a file, or a shipped scenario's name)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default: 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=cmd_play)
    return parser


class Terminated(SystemExit):
    """SIGTERM, raised as an exception so that half-written files are removed on the way out."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated(EXIT_TERM)


def _quiet_stdout() -> None:
    """After a broken pipe: send what is left of stdout nowhere, so exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (tests, embedding): leave signals alone
        pass
    try:
        return args.func(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, OutputError) as exc:
        print(f"chokepoint {args.command}: {escape(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
