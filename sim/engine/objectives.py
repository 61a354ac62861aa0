"""Governments' objectives: four pure functions of the step's outcomes, and their weights.

Each objective is a relative change against the no-policy steady state, 0 at the start and
clipped to [−1, 1] by :func:`score` so that one runaway ratio (a supplier growing twentyfold
from nothing) cannot swamp a weighted score. The scenario's ``objectives:`` weights
(docs/model.md, "7. Scores") are normalised to sum to 1; a government that gives none weighs
all four equally.
"""

from __future__ import annotations

from typing import get_args

import numpy as np

from sim.scenario.models import Objective, Scenario

OBJECTIVES: tuple[str, ...] = get_args(Objective)  # the scenario format's keys, in score order


def security(targeted: np.ndarray, output: np.ndarray, ref_output: np.ndarray) -> np.ndarray:
    """Capability denied to the firms each government targets: ``(Y0 − Y) / Y0`` over them.

    Args:
        targeted: [G, F] firms each government has listed or threatened.
        output, ref_output: [F] output now and in the steady state.
    """
    ref = targeted @ ref_output
    return np.divide(ref - targeted @ output, ref, out=np.zeros(len(ref)), where=ref > 0)


def industry(own_firms: np.ndarray, own_suppliers: np.ndarray, revenue: np.ndarray,
             ref_revenue: np.ndarray, supplier_revenue: np.ndarray,
             ref_supplier_revenue: np.ndarray,
             tariff_revenue: np.ndarray | None = None) -> np.ndarray:
    """Relative change in the income a government's economy earns from the industry: its own
    firms' and suppliers' revenue, plus the tariffs its treasury collects, [G].

    Tariff revenue is national income that a tariff transfers from foreign sellers and home
    buyers to the treasury; it is counted here, once, and not in ``consumers`` (which measures
    buyers' surplus alone, so that it stays monotone in a tariff). The steady state collects
    no tariffs.

    Args:
        own_firms: [G, F] and own_suppliers: [G, S] membership masks.
        tariff_revenue: [G] tariffs collected this step (none when omitted).
    """
    ref = own_firms @ ref_revenue + own_suppliers @ ref_supplier_revenue
    now = own_firms @ revenue + own_suppliers @ supplier_revenue
    if tariff_revenue is not None:
        now = now + tariff_revenue
    return np.divide(now - ref, ref, out=np.zeros(len(ref)), where=ref > 0)


def consumers(surplus: np.ndarray, ref_price: np.ndarray, base_demand: np.ndarray,
              country_region: np.ndarray) -> np.ndarray:
    """Buyers' consumer surplus in each government's region against the steady state, as a
    share of the region's steady-state spending: ``Σ_p ΔCS_p·p0·D0 / Σ_p p0·D0``, [G].

    ``ΔCS`` per market is the logit log-sum's (Small & Rosen 1981;
    :func:`sim.engine.market.consumer_surplus`): positive when buyers are better off, negative
    when prices they face rise or sellers they would choose are closed to them — the sign of
    every objective (higher is better for the government).

    Args:
        surplus: [P, R] change in consumer surplus per market, share of its steady spending;
        ref_price: [P]; base_demand: [P, R]; country_region: [G] region of each government.
    """
    spend = ref_price[:, None] * base_demand
    ref = spend.sum(axis=0)
    by_region = np.divide((surplus * spend).sum(axis=0), ref, out=np.zeros(len(ref)),
                          where=ref > 0)
    return by_region[country_region]


def escalation(made: np.ndarray, received: np.ndarray, per_measure: float = 0.1) -> np.ndarray:
    """Cost of a trade conflict: ``−min(1, per_measure · (measures made + received))``, [G]."""
    return -np.minimum(1.0, per_measure * (made + received))


def score(objectives: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip each objective [K, G] to [−1, 1] and weigh them: (clipped, score [G])."""
    clipped = np.clip(objectives, -1.0, 1.0)
    return clipped, (weights * clipped).sum(axis=0)


def objective_weights(spec: Scenario, countries: list[str]) -> np.ndarray:
    """Objective weights per government, [K, G], normalised to sum 1 (equal when none given)."""
    out = np.full((len(OBJECTIVES), len(countries)), 1.0 / len(OBJECTIVES))
    for g, name in enumerate(countries):
        given = spec.countries[name].objectives
        total = sum(given.values())
        if total > 0:
            out[:, g] = [given.get(k, 0.0) / total for k in OBJECTIVES]  # type: ignore[call-overload]
    return out
