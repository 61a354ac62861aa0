"""Experiment designs: which parameter values each design point takes.

A :class:`Factor` is one varied parameter: a dotted path into the scenario (or the name of one
of its ``parameters:``) with either a list of values or a range ``lo:hi``. A design turns the
factors into points (``{path: value}``):

* ``grid``: every combination; a range contributes ``samples`` evenly spaced levels.
* ``lhs``: ``samples`` points of a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`).
* ``sobol``: Saltelli's scheme for Sobol' indices, as :func:`scipy.stats.sobol_indices` expects
  it: ``samples`` rows of A, then of B, then of each AB_i (A with column i taken from B), so
  ``samples × (d + 2)`` points; the report computes first-order and total indices from them.

Samplers are scipy's; values are scaled to the factors' ranges (rounded for integer factors)
or, for a list, pick the list item whose equal-width bin the uniform draw falls in.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DESIGNS = ("grid", "lhs", "sobol")


@dataclass(frozen=True)
class Factor:
    """One varied parameter.

    Attributes:
        name: the column name in results (a scenario parameter's name, or the path).
        path: dotted key into the scenario document (events by id).
        values: the list of values, or ``None`` for a range.
        lo, hi: the range (``None`` for a list).
        integer: whether range values are rounded to integers (e.g. a step number).
    """

    name: str
    path: str
    values: tuple[Any, ...] | None = None
    lo: float | None = None
    hi: float | None = None
    integer: bool = False

    def scale(self, u: np.ndarray) -> list[Any]:
        """Map uniform draws in [0, 1) to this factor's values."""
        if self.values is not None:
            k = len(self.values)
            return [self.values[min(int(x * k), k - 1)] for x in u]
        assert self.lo is not None and self.hi is not None  # a range when there is no list
        x = self.lo + u * (self.hi - self.lo)
        if self.integer:
            return [int(v) for v in np.rint(x)]
        return [float(v) for v in x]

    def levels(self, n: int) -> list[Any]:
        """The values a grid uses: the list, or ``n`` evenly spaced levels of the range."""
        if self.values is not None:
            return list(self.values)
        assert self.lo is not None and self.hi is not None  # a range when there is no list
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
        factors: the varied parameters (at least one).
        design: ``grid``, ``lhs`` or ``sobol``.
        samples: levels per range (grid), points (lhs) or base samples (sobol; a power of 2
            keeps the Sobol' sequence balanced).
        seed: seeds the sampler's scrambling, so a design is reproducible.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r} (choose from {', '.join(DESIGNS)})")
    d = len(factors)
    if design == "grid":
        columns = [f.levels(samples) for f in factors]
        return [{f.path: v for f, v in zip(factors, combo, strict=True)}
                for combo in itertools.product(*columns)]
    from scipy.stats import qmc  # 0.3 s to import: only when a sampler is needed

    if design == "lhs":
        u = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(samples)
        return _points(factors, u)
    # Saltelli 2010, as in scipy.stats._sensitivity_analysis.sample_A_B / sample_AB
    ab = qmc.Sobol(d=2 * d, rng=np.random.default_rng(seed), bits=64).random(samples)
    a, b = ab[:, :d], ab[:, d:]
    blocks = [a, b]
    for i in range(d):
        abi = a.copy()
        abi[:, i] = b[:, i]
        blocks.append(abi)
    return _points(factors, np.vstack(blocks))


def _points(factors: list[Factor], u: np.ndarray) -> list[dict[str, Any]]:
    columns = [f.scale(u[:, i]) for i, f in enumerate(factors)]
    return [{f.path: col[j] for f, col in zip(factors, columns, strict=True)}
            for j in range(u.shape[0])]
