"""Experiment designs: which parameter values each design point takes.

A :class:`Factor` is one varied parameter: a dotted path into the scenario (or the name of one
of its ``parameters:``) with either a list of values or a range ``lo:hi``. A design turns the
factors into points (``{path: value}``):

* ``grid``: every combination; a range contributes ``samples`` evenly spaced levels.
* ``lhs``: ``samples`` points of a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`).
* ``sobol``: Saltelli's scheme for Sobol' indices (SALib's ``sobol.sample``, no second-order
  terms): ``samples × (d + 2)`` points, ``samples`` a power of two; the report computes
  first-order and total indices with bootstrap intervals (SALib's ``sobol.analyze``).
* ``morris``: ``samples`` Morris trajectories on 4 levels, ``samples × (d + 1)`` points
  (elementary effects, for screening many factors).
* ``fast``: extended FAST, ``samples`` (over 64) points per factor, ``samples × d`` points.
* with no factor at all, one point: the scenario as written (Monte Carlo over replicates).

The LHS sampler is scipy's, the others SALib's, all on the unit cube; values are scaled to the
factors' ranges or, for a list, pick the list item whose equal-width bin the draw falls in. An
integer range ``lo:hi`` is cut into ``hi − lo + 1`` equal bins, one per integer, so its end
values are drawn as often as the others.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DESIGNS = ("grid", "lhs", "sobol", "morris", "fast")
MORRIS_LEVELS = 4
FAST_M = 4  # FAST interference factor: samples must exceed 4 M²


@dataclass(frozen=True)
class Factor:
    """One varied parameter.

    Attributes:
        name: the column name in results (a scenario parameter's name, or the path).
        path: dotted key into the scenario document (events by id).
        values: the list of values, or ``None`` for a range.
        lo, hi: the range (``None`` for a list).
        integer: whether range values are rounded to integers (e.g. a step number).
        distribution, mode, sd: how a range is drawn (a scenario parameter's
            ``distribution``): uniform, triangular around ``mode`` or a normal of ``sd``
            truncated to the range.
    """

    name: str
    path: str
    values: tuple[Any, ...] | None = None
    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    distribution: str = "uniform"
    mode: float | None = None
    sd: float | None = None

    def scale(self, u: np.ndarray) -> list[Any]:
        """Map uniform draws in [0, 1) to this factor's values."""
        if self.values is not None:
            k = len(self.values)
            return [self.values[min(int(x * k), k - 1)] for x in u]
        assert self.lo is not None and self.hi is not None  # a range
        u = self._shape(np.asarray(u, float))
        if self.integer:  # one equal bin per integer: the ends as likely as the rest
            k = int(self.hi) - int(self.lo) + 1
            return [int(self.lo) + min(int(x * k), k - 1) for x in u]
        x = self.lo + u * (self.hi - self.lo)
        return [float(v) for v in x]

    def _shape(self, u: np.ndarray) -> np.ndarray:
        """Uniform draws in [0, 1) through the distribution's inverse CDF, back on [0, 1]."""
        if self.distribution == "uniform" or self.hi == self.lo:
            return u
        from scipy import stats  # only sampled sweeps with a shaped parameter need it

        assert self.lo is not None and self.hi is not None
        width = self.hi - self.lo
        if self.distribution == "triangular":
            mode = (self.lo + self.hi) / 2 if self.mode is None else self.mode
            return np.asarray(stats.triang.ppf(u, (mode - self.lo) / width))
        sd = (width / 6 if self.sd is None else self.sd) / width
        mean = 0.5 if self.mode is None else (self.mode - self.lo) / width
        a, b = (0 - mean) / sd, (1 - mean) / sd
        return np.clip(np.asarray(stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd)), 0, 1)

    def levels(self, n: int) -> list[Any]:
        """The values a grid uses: the list, or ``n`` evenly spaced levels of the range."""
        if self.values is not None:
            return list(self.values)
        assert self.lo is not None and self.hi is not None  # a range
        x = np.linspace(self.lo, self.hi, max(n, 1) if self.lo != self.hi else 1)
        if self.integer:
            return list(dict.fromkeys(int(v) for v in np.rint(x)))
        return [float(v) for v in x]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["values"] = list(self.values) if self.values is not None else None
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Factor:
        values = data.get("values")
        return cls(**{**data, "values": tuple(values) if values is not None else None})


def make_design(factors: list[Factor], design: str, samples: int,
                seed: int) -> list[dict[str, Any]]:
    """The design points, in design order: a list of ``{path: value}``.

    Args:
        factors: the varied parameters (none: one point, the scenario as written).
        design: one of :data:`DESIGNS`.
        samples: levels per range (grid), points (lhs), base samples (sobol, a power of two),
            trajectories (morris) or points per factor (fast, over 64).
        seed: seeds the sampler, so a design is reproducible.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r} (choose from {', '.join(DESIGNS)})")
    if not factors:
        return [{}]
    if design == "grid":
        columns = [f.levels(samples) for f in factors]
        return [{f.path: v for f, v in zip(factors, combo, strict=True)}
                for combo in itertools.product(*columns)]
    return _points(factors, unit_sample(len(factors), design, samples, seed))


LEVER_LEVELS = 5  # levels of a lever given as a range, when crossed with other factors


def make_crossed(levers: list[Factor], others: list[Factor], design: str, samples: int,
                 seed: int) -> list[dict[str, Any]]:
    """Every lever setting (a grid: each list, or a range's :data:`LEVER_LEVELS` levels) with
    every point of the other factors' design, lever-major: point ``k × n + j`` is setting
    ``k`` in scenario ``j``."""
    settings = make_design(levers, "grid", LEVER_LEVELS, seed)
    scenarios = make_design(others, design, samples, seed)
    return [{**s, **u} for s in settings for u in scenarios]


def unit_sample(d: int, design: str, samples: int, seed: int) -> np.ndarray:
    """A sampled design on the unit cube ``[0, 1)^d`` (rows in design order); the report
    regenerates it for Morris, whose analysis needs the inputs."""
    if design == "lhs":
        from scipy.stats import qmc  # 0.3 s to import: only when a sampler is needed

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(samples)
    problem = salib_problem(d)
    if design == "sobol":
        from SALib.sample import sobol

        u = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    elif design == "morris":
        from SALib.sample import morris

        u = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import fast_sampler

        u = fast_sampler.sample(problem, samples, M=FAST_M, seed=seed)
    return np.clip(u, 0.0, np.nextafter(1.0, 0.0))  # Morris and FAST reach 1.0 itself


def salib_problem(d: int) -> dict[str, Any]:
    """SALib's problem on the unit cube (factors are scaled to their values afterwards)."""
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def check_design(design: str, samples: int, d: int) -> str | None:
    """Why a design cannot be run, or None (checked before any run)."""
    if d == 0 and design != "grid":
        return f"--design {design} needs at least one --vary (with none: the default grid)"
    if design == "sobol" and samples & (samples - 1):
        below = 1 << (samples.bit_length() - 1)
        return (f"--design sobol --samples {samples}: Saltelli's scheme needs a power of two "
                f"(try {below} or {below * 2})")
    if design == "fast" and samples <= 4 * FAST_M ** 2:
        return f"--design fast --samples {samples}: FAST needs more than {4 * FAST_M ** 2}"
    if design == "morris" and samples < 2:
        return "--design morris --samples: at least 2 trajectories"
    return None


def _points(factors: list[Factor], u: np.ndarray) -> list[dict[str, Any]]:
    columns = [f.scale(u[:, i]) for i, f in enumerate(factors)]
    return [{f.path: col[j] for f, col in zip(factors, columns, strict=True)}
            for j in range(u.shape[0])]
