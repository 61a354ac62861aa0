"""Strategy tournaments (docs/tournaments.md): the empirical game's analysis on synthetic games
(a dominated strategy never ranks first, intervals shrink with seeds, equilibria), and real
tournaments on the sweep's machinery (the game's payoff definition, resuming, the command)."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sim import TradeModel, load_scenario
from sim.cli import main
from sim.tournament import TournamentError, make_tournament, run_tournament, write_results
from sim.tournament.analysis import Game, equilibria, pure_equilibria, ranks, t_interval
from sim.tournament.results import load_game

ROOT = Path(__file__).parents[1] / "scenarios"
TARIFF_WAR = ROOT / "classroom" / "tariff_war.yaml"
SMALL = ["scripted", "responsive", "escalate_then_negotiate"]


def synthetic(means: np.ndarray, seeds: int, noise: float, seed: int = 0) -> Game:
    """A game whose payoffs are ``means`` [role, s_1, ..., s_R] plus normal noise per seed."""
    R, S = means.shape[0], means.shape[1]
    rng = np.random.default_rng(seed)
    flat = means.reshape(R, -1)
    payoff = flat[:, :, None] + noise * rng.standard_normal((*flat.shape, seeds))
    return Game(tuple(f"R{r}" for r in range(R)), tuple(f"s{s}" for s in range(S)), payoff)


# -- the analysis, on synthetic games ------------------------------------------------------
@pytest.mark.parametrize("trial", range(40))
def test_a_dominated_strategy_never_ranks_first(trial):
    rng = np.random.default_rng(trial)
    R, S = (2, 4) if trial % 2 else (3, 3)
    means = rng.normal(size=(R,) + (S,) * R)
    # plant, for every role, a strategy 0 dominated by strategy 1: worse against everything
    for r in range(R):
        view = np.moveaxis(means[r], r, 0)
        view[0] = view[1] - rng.uniform(0.001, 1.0, size=view[1].shape)
    game = synthetic(means, seeds=5, noise=0.0)
    top = {row["role"]: row["strategy"] for row in ranks(game) if row["rank"] == 1}
    assert all(s != "s0" for s in top.values())


def test_a_weakly_dominated_strategy_never_ranks_first():
    means = np.zeros((2, 2, 2))
    means[0, 1, 1] = 0.5  # R0's s1 equals s0 except against s1, where it is better
    top = [row for row in ranks(synthetic(means, 3, 0.0)) if row["rank"] == 1]
    assert top[0]["role"] == "R0" and top[0]["strategy"] == "s1"


def test_intervals_shrink_with_seeds():
    means = np.random.default_rng(1).normal(size=(2, 3, 3))
    widths = []
    for seeds in (4, 16, 64):
        low, high = synthetic(means, seeds, noise=0.1, seed=seeds).interval()
        widths.append(float(np.mean(high - low)))
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] < widths[0] / 2.5  # about 1/sqrt(n)


def test_the_interval_covers_the_true_mean_at_its_level():
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 1.0, size=(2000, 10))
    low, high = t_interval(x)
    assert 0.93 < np.mean((low <= 1.0) & (1.0 <= high)) < 0.97


def test_equilibria_of_a_prisoners_dilemma_and_of_matching_pennies():
    pd = np.array([[[3, 0], [5, 1]], [[3, 5], [0, 1]]], float)  # C=0, D=1
    rows, _ = equilibria(synthetic(pd, 2, 0.0))
    assert [(r["kind"], r["R0"], r["R1"]) for r in rows] == [("pure", "s1", "s1")]
    pennies = np.array([[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]], float)
    rows, _ = equilibria(synthetic(pennies, 2, 0.0))
    assert [(r["kind"], r["R0"], r["R1"]) for r in rows] == [
        ("mixed", "s0 0.50, s1 0.50", "s0 0.50, s1 0.50")]
    assert rows[0]["R0.payoff"] == pytest.approx(0.0)


def test_three_roles_get_their_pure_equilibria():
    means = np.zeros((3, 2, 2, 2))
    for r in range(3):  # strategy 1 strictly dominant for everyone
        np.moveaxis(means[r], r, 0)[1] += 1.0
    game = synthetic(means, 2, 0.0)
    assert pure_equilibria(game) == [(1, 1, 1)]
    rows, note = equilibria(game)
    assert "pure equilibria only" in note and len(rows) == 1


# -- real tournaments -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tariff_war(tmp_path_factory) -> Path:
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=3)
    out = run_tournament(t, tmp_path_factory.mktemp("t") / "tw", workers=0)
    write_results(out)
    return out


def test_payoffs_are_the_games_score_against_doing_nothing(tariff_war):
    """One profile and seed, recomputed with the engine: the role's mean score minus its mean
    score in the same seed with the role doing nothing (a human player making no move)."""
    game = load_game(tariff_war)
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=3)
    sc = load_scenario(TARIFF_WAR, overrides={
        "countries.US.strategy": {"name": "responsive"},
        "countries.CN.strategy": {"name": "escalate_then_negotiate"}})
    seed = t.seed_of(1)
    played = TradeModel(scenario=sc, rng=seed).run()
    nothing = TradeModel(scenario=load_scenario(TARIFF_WAR), rng=seed, players=("US",)).run()
    us = played.world.countries.index("US")
    expected = (played.recorder.metric("country", "score")[:, us].mean()
                - nothing.recorder.metric("country", "score")[:, us].mean())
    profile = list(itertools.product(SMALL, repeat=2)).index(
        ("responsive", "escalate_then_negotiate"))
    assert game.payoff[0, profile, 1] == pytest.approx(expected, abs=1e-12)
    assert expected < 0  # answering an opening costs the US here
    quiet = list(itertools.product(SMALL, repeat=2)).index(("scripted", "scripted"))
    assert np.all(game.payoff[:, quiet] == 0.0)  # nobody moves: exactly the reference


def test_the_tables_are_written(tariff_war):
    payoffs = pacsv.read_csv(tariff_war / "payoffs.csv")
    assert payoffs.num_rows == 9 and payoffs.column_names[:3] == ["US", "CN", "US.payoff"]
    assert pq.read_table(tariff_war / "payoffs.parquet").equals(
        pq.read_table(tariff_war / "payoffs.parquet"))
    ranks_ = pacsv.read_csv(tariff_war / "ranks.csv").to_pylist()
    assert {r["role"] for r in ranks_} == {"US", "CN"} and all(
        r["rank_low"] <= r["rank"] <= r["rank_high"] or r["rank_low"] <= r["rank_high"]
        for r in ranks_)
    html = (tariff_war / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "Equilibria" in html
    runs = pq.read_table(tariff_war / "runs.parquet").to_pylist()
    assert len({r["seed"] for r in runs}) == 3  # the same seeds in every point


def test_intervals_shrink_with_seeds_in_a_real_tournament(tmp_path, tariff_war):
    few = load_game(tariff_war)
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=12)
    many = load_game(run_tournament(t, tmp_path / "many", workers=0))
    assert np.allclose(many.payoff[:, :, :3], few.payoff)  # seeds are shared, not reshuffled

    def width(g: Game) -> float:
        low, high = g.interval()
        w = (high - low)[np.isfinite(high - low) & ((high - low) > 0)]
        return float(w.mean())

    assert width(many) < width(few)


def test_a_tournament_resumes_after_damage_and_gives_the_same_tables(tmp_path, tariff_war):
    out = tmp_path / "copy"
    shutil.copytree(tariff_war, out)
    parts = sorted((out / "summary").iterdir())
    parts[0].write_bytes(b"not parquet")  # a damaged part file
    for p in parts[1:]:
        p.unlink()  # lost part files
    (out / "status.jsonl").write_text((tariff_war / "status.jsonl").read_text()[:-5])
    notes: list[str] = []
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=3)
    run_tournament(t, out, workers=0, notice=notes.append)
    assert notes  # the damage was found, and its chunks ran again
    np.testing.assert_array_equal(load_game(out).payoff, load_game(tariff_war).payoff)


def test_another_tournament_in_the_same_folder_is_refused(tariff_war):
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL[:2], seeds=3)
    with pytest.raises(TournamentError, match="another tournament"):
        run_tournament(t, tariff_war, workers=0)


@pytest.mark.parametrize("args, words", [
    (["--roles", "USA,CN"], "--roles: unknown role 'USA'; did you mean 'US'?"),
    (["--roles", "US,CN", "--strategies", "grim"],
     "--strategies: unknown strategy 'grim'; did you mean 'grim_trigger'?"),
    (["--roles", "US,CN", "--strategies", "passive"], "a firm's strategy"),
    (["--roles", "US,US"], "named twice"),
    (["--roles", "US", "--seeds", "0"], "--seeds must be at least 1"),
])
def test_bad_roles_and_strategies_are_refused(tmp_path, capsys, args, words):
    code = main(["tournament", str(TARIFF_WAR), *args, "--out", str(tmp_path / "x"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_the_command_runs_a_tournament(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["tournament", str(TARIFF_WAR), "--roles", "US,CN", "--strategies",
                 "scripted,responsive", "--seeds", "2", "--workers", "0", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert f"wrote {out / 'report.html'}" in printed.out and "runs failed" not in printed.err
    assert pacsv.read_csv(out / "payoffs.csv").num_rows == 4
    assert "runs failed" not in (out / "report.html").read_text()


def test_failed_runs_are_said_on_stderr_and_in_the_report(tmp_path, capsys, monkeypatch):
    from sim.sweep import worker

    real = worker.run_one

    def flaky(chunk, overrides, seed):
        if overrides.get("countries.US.strategy") == {"name": "responsive"}:
            raise RuntimeError("broken on purpose")
        return real(chunk, overrides, seed)

    monkeypatch.setattr(worker, "run_one", flaky)
    out = tmp_path / "f"
    code = main(["tournament", str(TARIFF_WAR), "--roles", "US,CN", "--strategies",
                 "scripted,responsive", "--seeds", "1", "--workers", "0", "-q", "--out",
                 str(out)])
    said = ("2 of 6 runs failed (their payoffs are missing); the first: RuntimeError: broken "
            "on purpose")
    assert code == 0 and f"chokepoint tournament: {said}" in capsys.readouterr().err
    assert said in (out / "report.html").read_text()
    game = load_game(out)
    assert np.isnan(game.payoff[:, 2:]).all() and np.isfinite(game.payoff[:, :2]).all()
    # no equilibrium is claimed on missing payoffs
    assert equilibria(game) == ([], "not computed: 2 of the game's 4 profiles have no payoff "
                                    "(all their runs failed)")
    assert pure_equilibria(game) == []
    assert pacsv.read_csv(out / "equilibria.csv").num_rows == 0


def test_local_processes_survive_a_killed_worker(tmp_path, monkeypatch, tariff_war):
    from sim.sweep.worker import KILL_ENV

    monkeypatch.setenv(KILL_ENV, f"7:{tmp_path / 'killed'}")
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=3)
    out = run_tournament(t, tmp_path / "p", workers=2, chunk=2)
    assert (tmp_path / "killed").exists()  # a worker died at run 7; its chunk ran again
    np.testing.assert_array_equal(load_game(out).payoff, load_game(tariff_war).payoff)


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_payoffs(tmp_path, tariff_war):
    pytest.importorskip("distributed")
    t = make_tournament(TARIFF_WAR, ["US", "CN"], SMALL, seeds=3)
    out = run_tournament(t, tmp_path / "d", workers=2, dask="local")
    np.testing.assert_array_equal(load_game(out).payoff, load_game(tariff_war).payoff)


# -- a country whose name holds a dot: paths quote it (docs/scenarios.md, "Paths") ------------
MAGNETS = Path(__file__).parent / "data" / "fictional_magnets.yaml"


@pytest.fixture(scope="module")
def lucia(tmp_path_factory) -> Path:
    """tests/data/fictional_magnets.yaml with its country Calder renamed "St. Lucia"."""
    path = tmp_path_factory.mktemp("lucia") / "lucia.yaml"
    path.write_text(re.sub(r"\bCalder\b", "St. Lucia", MAGNETS.read_text()))
    return path


def test_a_country_whose_name_holds_a_dot_plays_a_tournament(tmp_path, lucia):
    games = []
    for file, role in ((MAGNETS, "Calder"), (lucia, "St. Lucia")):
        t = make_tournament(file, ["Ostmark", role], SMALL[:2], seeds=2)
        games.append(load_game(run_tournament(t, tmp_path / role, workers=0)))
    assert np.isfinite(games[1].payoff).all()  # no run failed
    np.testing.assert_array_equal(games[1].payoff, games[0].payoff)  # the name is only a name


def test_a_sweep_varies_a_name_holding_a_dot_in_quotes_and_says_so_without(tmp_path, capsys,
                                                                          lucia):
    unquoted = ["sweep", str(lucia), "--vary", "countries.St. Lucia.strategy.delay=1,3",
                "--workers", "0", "-q", "--out", str(tmp_path / "bad")]
    assert main(unquoted) == 2 and not (tmp_path / "bad").exists()
    assert ("--vary countries.St. Lucia.strategy.delay: no such path in the scenario, nor a "
            "named parameter (unknown key 'St': a key holding a dot is written in double "
            'quotes: countries."St. Lucia".strategy.delay)') in capsys.readouterr().err
    quoted = unquoted[:3] + ['countries."St. Lucia".strategy.delay=1,3'] + unquoted[4:-1]
    assert main([*quoted, str(tmp_path / "ok")]) == 0
    runs = pq.read_table(tmp_path / "ok" / "runs.parquet").to_pylist()
    assert [r['countries."St. Lucia".strategy.delay'] for r in runs] == [1, 3]
    summary = pq.read_table(tmp_path / "ok" / "summary").to_pylist()
    assert [r["status"] for r in summary] == ["ok", "ok"]


@pytest.mark.parametrize("keys, path", [
    (["countries", "St. Lucia", "strategy"], 'countries."St. Lucia".strategy'),
    (["countries", 'the "Isles"', "strategy"], 'countries."the ""Isles""".strategy'),
    (["events", "listing", "at"], "events.listing.at"),
])
def test_a_path_quotes_exactly_the_keys_that_need_it(keys, path):
    from sim.scenario.overrides import join_path, split_path

    assert join_path(*keys) == path and split_path(path) == keys


@pytest.mark.parametrize("path", ['countries."St. Lucia.strategy', 'countries.St"x".strategy',
                                  'countries."St. Lucia"x.strategy'])
def test_a_stray_quote_in_a_path_is_refused(path):
    from sim.scenario.overrides import split_path

    with pytest.raises(ValueError, match="a quote not closed, or not around a whole key"):
        split_path(path)
