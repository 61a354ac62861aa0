"""The empirical game of a tournament: payoffs with intervals, best responses, equilibria,
ranks.

A role's **payoff** in a run is its score (the mean over the run of its government's weighted
score, :func:`sim.engine.metrics.summary`) minus its score in the same seed's reference run,
where it does nothing: the definition the game scores a player by. Payoffs are averaged over
seeds, with Student-t 95% intervals. Strategies are **ranked** per role by their mean payoff
against the field (every combination of the other roles' strategies, equally weighted, as
Axelrod ranked his tournaments): a strategy dominated by another (no better against any
opponent, worse against one) has a lower mean, so it never ranks above the one dominating it.
Rank intervals come from a bootstrap over seeds. **Equilibria** of the mean-payoff game: with
two roles, the equilibria nashpy finds (support enumeration up to :data:`SUPPORTS` strategies,
Lemke–Howson above), each checked, and every pure one; with more, the pure equilibria only
(profiles no role gains from leaving alone), found by checking every unilateral deviation.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import stdtrit

TIE = 1e-9  # payoffs closer than this are equal
BOOTSTRAP = 400  # resamples of the seeds for rank intervals
MAX_EQUILIBRIA = 20


def nanmean(x: np.ndarray, axis: Any) -> np.ndarray:
    """``np.nanmean``, NaN (without a warning) where every value failed: a profile whose runs
    all failed has no payoff, and the tables say so."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def nanmax(x: np.ndarray) -> float:
    """``np.nanmax``, NaN (without a warning) when every value is NaN."""
    return float(np.nanmax(x)) if np.isfinite(x).any() else float("nan")


@dataclass
class Game:
    """Payoffs of a tournament: ``payoff[role, profile, seed]`` (profiles in
    ``itertools.product(strategies, repeat=len(roles))`` order; NaN for a failed run)."""

    roles: tuple[str, ...]
    strategies: tuple[str, ...]
    payoff: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.strategies),) * len(self.roles)

    def profiles(self) -> list[tuple[int, ...]]:
        return list(itertools.product(range(len(self.strategies)), repeat=len(self.roles)))

    def mean(self) -> np.ndarray:
        """Mean payoff per role over seeds, as a tensor: ``[role, s_1, ..., s_R]``."""
        return nanmean(self.payoff, axis=2).reshape((len(self.roles), *self.shape))

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Student-t interval of each mean, [role, profile] each (NaN below two seeds)."""
        return t_interval(self.payoff, level)


def t_interval(x: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Student-t interval of the mean over the last axis of ``x`` (NaNs dropped)."""
    n = np.sum(~np.isnan(x), axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=-1)
        sd = np.nanstd(x, axis=-1, ddof=1)
        half = stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def field_scores(payoff: np.ndarray, roles: int, strategies: int) -> np.ndarray:
    """Mean payoff of each role's strategies against the field, per seed:
    ``[role, strategy, seed]``."""
    seeds = payoff.shape[-1]
    out = np.empty((roles, strategies, seeds))
    for r in range(roles):
        t = payoff[r].reshape((strategies,) * roles + (seeds,))
        others = tuple(a for a in range(roles) if a != r)
        out[r] = nanmean(np.moveaxis(t, r, 0), axis=tuple(a if a > r else a + 1
                                                          for a in others))
    return out


def ranks(game: Game, seed: int = 0) -> list[dict[str, object]]:
    """Per role, its strategies from best to worst by mean payoff against the field, with the
    score's 95% interval and the rank's (2.5–97.5% of a bootstrap over seeds); strategies
    whose scores tie share a rank."""
    R, S = len(game.roles), len(game.strategies)
    per_seed = field_scores(game.payoff, R, S)
    score = nanmean(per_seed, axis=2)
    low, high = t_interval(per_seed)
    rng = np.random.default_rng(seed)
    seeds = per_seed.shape[2]
    draws = np.empty((BOOTSTRAP, R, S))
    for b in range(BOOTSTRAP):
        pick = rng.integers(0, seeds, seeds)
        draws[b] = _rank(nanmean(per_seed[:, :, pick], axis=2))
    rows = []
    place = _rank(score)
    for r, role in enumerate(game.roles):
        for s in _order(score[r]):
            rows.append({"role": role, "rank": int(place[r, s]), "strategy": game.strategies[s],
                         "score": float(score[r, s]), "low": float(low[r, s]),
                         "high": float(high[r, s]),
                         "rank_low": int(np.floor(np.percentile(draws[:, r, s], 2.5))),
                         "rank_high": int(np.ceil(np.percentile(draws[:, r, s], 97.5)))})
    return rows


def _order(score: np.ndarray) -> list[int]:
    """Strategies from best to worst (ties: registry order)."""
    return sorted(range(len(score)), key=lambda s: (-np.round(score[s] / TIE) * TIE
                                                    if np.isfinite(score[s]) else np.inf, s))


def _rank(score: np.ndarray) -> np.ndarray:
    """Competition ranks of each row's strategies (1 + how many score better; ties share a
    rank): [role, strategy]."""
    filled = np.where(np.isfinite(score), score, -np.inf)
    return 1 + (filled[:, None, :] > filled[:, :, None] + TIE).sum(axis=2)


def best_responses(game: Game) -> list[dict[str, object]]:
    """For each role and each combination of the others' strategies, its best strategies
    (all those within :data:`TIE` of the best mean payoff)."""
    m, rows = game.mean(), []
    S = len(game.strategies)
    for r, role in enumerate(game.roles):
        others = [x for x in range(len(game.roles)) if x != r]
        for combo in itertools.product(range(S), repeat=len(others)):
            idx: list[Any] = [slice(None)] * len(game.roles)
            for o, s in zip(others, combo, strict=True):
                idx[o] = s
            column = m[tuple([r, *idx])]
            best = nanmax(column)
            rows.append({"role": role,
                         "against": ", ".join(f"{game.roles[o]}={game.strategies[s]}"
                                              for o, s in zip(others, combo, strict=True)),
                         "best": " | ".join(game.strategies[s] for s in range(S)
                                            if column[s] >= best - TIE),
                         "payoff": float(best)})
    return rows


def pure_equilibria(game: Game) -> list[tuple[int, ...]]:
    """Profiles from which no role gains by changing its own strategy alone (judged only
    where the profile's and every deviation's payoffs are known: none of their runs failed)."""
    m, out = game.mean(), []
    for p in game.profiles():
        stable = True
        for r in range(len(game.roles)):
            idx: list[Any] = list(p)
            idx[r] = slice(None)
            column = m[tuple([r, *idx])]
            if not np.isfinite(column).all() or column.max() > m[tuple([r, *p])] + TIE:
                stable = False
                break
        if stable:
            out.append(p)
    return out


def equilibria(game: Game) -> tuple[list[dict[str, object]], str]:
    """The equilibria of the mean-payoff game, and a note on how they were found (none, and
    why, when some profile has no payoff because all its runs failed)."""
    m = game.mean()
    rows: list[dict[str, object]] = []
    missing = int(np.any(~np.isfinite(m), axis=0).sum())
    if missing:
        return rows, (f"not computed: {missing} of the game's {m[0].size} profiles "
                      f"{'has' if missing == 1 else 'have'} no payoff (all their runs failed)")
    if len(game.roles) == 2:
        strategies, note = _two_roles(m)
        for p in pure_equilibria(game):
            onehot = tuple(np.eye(len(game.strategies))[s] for s in p)
            if not any(all(np.allclose(a, b) for a, b in zip(onehot, e, strict=True))
                       for e in strategies):
                strategies.append(onehot)
    else:
        note = (f"pure equilibria only, by checking every unilateral deviation ({len(game.roles)}"
                f" roles; mixed equilibria of games with more than two roles are not computed)")
        strategies = [tuple(np.eye(len(game.strategies))[s] for s in p)
                      for p in pure_equilibria(game)]
    if len(strategies) > MAX_EQUILIBRIA:
        note += f"; {len(strategies)} found, the first {MAX_EQUILIBRIA} listed"
    for mix in strategies[:MAX_EQUILIBRIA]:
        row: dict[str, object] = {"kind": "pure" if all(np.isclose(x.max(), 1) for x in mix)
                                  else "mixed"}
        for role, x in zip(game.roles, mix, strict=True):
            row[role] = ", ".join(f"{game.strategies[s]} {x[s]:.2f}" if x[s] < 1 - 1e-9
                                  else game.strategies[s]
                                  for s in np.flatnonzero(x > 1e-9))
        for r, role in enumerate(game.roles):
            row[f"{role}.payoff"] = float(_expected(m[r], mix))
        rows.append(row)
    return rows, note


SUPPORTS = 5
"""Up to this many strategies, every support is enumerated (C(2S, S) pairs: 252 at 5); above,
Lemke–Howson from each starting label (2S paths) finds a sample of equilibria quickly."""


def _two_roles(m: np.ndarray) -> tuple[list[tuple[np.ndarray, ...]], str]:
    """Equilibria of the bimatrix game ``m[0]``, ``m[1]`` found by nashpy, each checked (no
    pure strategy gains over the mix by more than :data:`TIE`), and how."""
    import nashpy

    game = nashpy.Game(m[0], m[1])
    exhaustive = m.shape[1] <= SUPPORTS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = (game.support_enumeration() if exhaustive else game.lemke_howson_enumeration())
        mixes: list[tuple[np.ndarray, ...]] = []
        for eq in itertools.islice(found, 4 * MAX_EQUILIBRIA):
            x, y = (np.asarray(v, float) for v in eq)
            if (x.shape == (m.shape[1],) and np.all(np.isfinite(x)) and np.all(np.isfinite(y))
                    and np.isclose(x.sum(), 1) and np.isclose(y.sum(), 1)
                    and (m[0] @ y).max() <= x @ m[0] @ y + TIE
                    and (x @ m[1]).max() <= x @ m[1] @ y + TIE
                    and not any(np.allclose(x, a) and np.allclose(y, b) for a, b in mixes)):
                mixes.append((x, y))
    how = ("support enumeration (nashpy): every equilibrium of a non-degenerate game"
           if exhaustive else "Lemke–Howson from every starting label (nashpy): some "
           "equilibria, not necessarily all")
    if caught:
        how += "; the game is degenerate (ties), so some equilibria may be missing"
    return mixes, how + "; pure equilibria are checked exhaustively and listed too"


def _expected(tensor: np.ndarray, mix: tuple[np.ndarray, ...]) -> float:
    """Expected value of ``tensor`` [s_1, ..., s_R] under independent mixes."""
    out = tensor
    for x in reversed(mix):
        out = out @ x
    return float(out)
