"""A finished tournament folder's results: the game read from its runs, and the tables.

```
OUT/payoffs.csv, payoffs.parquet   one row per profile: each role's strategy, mean payoff
                                   and 95% interval per role, seeds
OUT/payoff_runs.parquet            one row per profile and seed: each role's payoff
OUT/ranks.csv                      per role, strategies by mean payoff against the field
OUT/best_responses.csv             per role and the others' strategies, its best strategies
OUT/equilibria.csv                 equilibria of the mean-payoff game
OUT/report.html                    heatmaps, ranks, best responses, equilibria (one file)
```
Every file is written to a temporary name and renamed (:func:`sim.sweep.storage.write_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.sweep import ledger, storage
from sim.tournament.analysis import Game, best_responses, equilibria, ranks
from sim.tournament.plan import TournamentError


def load_game(out: Path) -> Game:
    """The tournament's payoffs, read from its folder (refused when damaged or unfinished)."""
    manifest = storage.read_manifest(out)
    if not manifest or "tournament" not in manifest:
        raise TournamentError(f"{out}: not a tournament folder (no tournament manifest)")
    found = ledger.audit(out, manifest)
    if found.problems or len(found.done) < manifest["chunks"]:
        raise TournamentError(f"{out}: the tournament is not complete; run it again to finish")
    info = manifest["tournament"]
    roles, strategies, seeds = tuple(info["roles"]), tuple(info["strategies"]), info["seeds"]
    cols = ["point", "replicate", "status", *(f"{r}.score" for r in roles)]
    table = pa.concat_tables([pq.read_table(p, columns=cols)
                              for p in storage.parts(out, "summary")])
    points = manifest["points"]
    score = np.full((points, seeds, len(roles)), np.nan)
    ok = np.asarray(table.column("status").to_pylist()) == "ok"
    p = table.column("point").to_numpy()[ok]
    s = table.column("replicate").to_numpy()[ok]
    for k, r in enumerate(roles):
        score[p, s, k] = table.column(f"{r}.score").to_numpy()[ok]
    profiles = len(strategies) ** len(roles)
    payoff = np.stack([score[:profiles, :, k] - score[profiles + k, :, k][None, :]
                       for k in range(len(roles))])
    return Game(roles, strategies, payoff)


def failures(out: Path) -> tuple[int, int, str | None]:
    """(runs failed, runs, the first failed run's error) of a finished tournament folder: a
    failed run leaves its profile's payoffs NaN, so the command and the report say so."""
    table = pa.concat_tables([pq.read_table(p, columns=["run", "status", "error"])
                              for p in storage.parts(out, "summary")]).sort_by("run")
    failed = [e for st, e in zip(table.column("status").to_pylist(),
                                 table.column("error").to_pylist(), strict=True) if st != "ok"]
    return len(failed), table.num_rows, (failed[0] if failed else None)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    table = pa.Table.from_pylist(rows) if rows else pa.table({"none": pa.array([], pa.string())})
    return storage.write_file(path, lambda tmp: pacsv.write_csv(table, tmp))


def payoff_table(game: Game) -> pa.Table:
    """One row per profile: each role's strategy, and per role its mean payoff, interval."""
    low, high = game.interval()
    mean = game.mean().reshape(len(game.roles), -1)
    n = np.sum(~np.isnan(game.payoff), axis=2).min(axis=0)
    profiles = game.profiles()
    cols: dict[str, Any] = {role: [game.strategies[p[r]] for p in profiles]
                            for r, role in enumerate(game.roles)}
    for r, role in enumerate(game.roles):
        cols[f"{role}.payoff"] = mean[r]
        cols[f"{role}.low"] = low[r]
        cols[f"{role}.high"] = high[r]
    cols["seeds"] = n
    return pa.table(cols)


def runs_table(game: Game) -> pa.Table:
    """One row per profile and seed: each role's strategy and payoff."""
    profiles = game.profiles()
    seeds = game.payoff.shape[2]
    cols: dict[str, Any] = {role: [game.strategies[p[r]] for p in profiles for _ in range(seeds)]
                            for r, role in enumerate(game.roles)}
    cols["replicate"] = [s for _ in profiles for s in range(seeds)]
    for r, role in enumerate(game.roles):
        cols[f"{role}.payoff"] = game.payoff[r].ravel()
    return pa.table(cols)


def write_results(out: Path) -> list[Path]:
    """Write the tables and the report of a finished tournament; return their paths."""
    from sim.tournament.report import write_report

    game = load_game(out)
    table = payoff_table(game)
    rank_rows = ranks(game)
    responses = best_responses(game)
    eq_rows, note = equilibria(game)
    written = [
        storage.write_file(out / "payoffs.csv", lambda tmp: pacsv.write_csv(table, tmp)),
        storage.write_file(out / "payoffs.parquet", lambda tmp: pq.write_table(table, tmp)),
        storage.write_file(out / "payoff_runs.parquet",
                           lambda tmp: pq.write_table(runs_table(game), tmp)),
        _write_csv(out / "ranks.csv", rank_rows),
        _write_csv(out / "best_responses.csv", responses),
        _write_csv(out / "equilibria.csv", eq_rows),
    ]
    manifest = storage.read_manifest(out) or {}
    written.append(write_report(out, game, rank_rows, responses, eq_rows, note,
                                manifest.get("scenario_name", ""), failures(out)))
    return written
