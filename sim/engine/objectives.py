"""Governments' objectives: a government's welfare from the industry, as pure functions.

National welfare in the trade-policy literature is consumer surplus plus producer surplus plus
government revenue (Grossman & Helpman 1994; Amiti, Redding & Weinstein 2019 measure the 2018
tariffs' incidence on the same three). Each government's `industry` (its producers' profit),
`consumers` (its buyers' surplus) and `treasury` (tariffs and fines it collects) are those three
terms, each the change per step against the no-policy steady state, in one unit: a share of the
government's **stake** in the industry, ``B_g`` = what its region's buyers spend plus what its
firms and suppliers sell, in the steady state. So with equal weights on the three, the score
moves with national welfare. Two objectives are not money: `security`, the share of its
rivals' capability denied (:mod:`sim.engine.relations`), and `escalation`, a diplomatic cost of
the hostile measures in force that grows the closer the country they hit. Every objective is
0 in the steady state; the ratios are bounded to (−1, 1) by :func:`score`. Formulas, units
and sources: docs/model.md, "7. Scores".

A score is read against the do-nothing reference (the same scenario and seed with the role
making no move): that difference is the leave-one-out effect of the role's own moves, so a
coalition member is credited with what its own listing adds to the others', not the whole fall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import numpy as np

from sim.engine.relations import RIVAL
from sim.scenario.models import Objective, Scenario

if TYPE_CHECKING:
    from sim.engine.policy import PolicyState
    from sim.engine.state import State
    from sim.engine.world import World

OBJECTIVES: tuple[str, ...] = get_args(Objective)  # the scenario format's keys, in score order
MEASURE_COST = np.array([1.0, 0.5, 0.25, 0.1])
"""Escalation per hostile measure in force, by the closeness of the country it hits (own,
ally, neutral, rival: :data:`sim.engine.relations.CLOSENESS`). A judgement: a rival's firm costs
what every measure cost before closeness counted (0.1), a neutral's two and a half times that,
an ally's five times, one's own ten."""
RECEIVED_COST = 0.1
"""Escalation per hostile measure in force that hits the government (being in a conflict)."""
TARIFF_STEP = 1.0
"""A tariff counts one measure per started 100% of its rate (a 1000% tariff is ten measures,
a 25% one is one): a prohibitive tariff is an embargo and worse, a judgement."""
ESCALATION_DEFAULT = 0.1
"""Default weight of `escalation`, as a share of the sum of the weights a scenario gives."""


def stake(w: World, ref_revenue: np.ndarray, ref_supplier_revenue: np.ndarray) -> np.ndarray:
    """Each government's stake in the industry, the unit of its money objectives, [G]:
    its region's steady-state spending ``Σ_p p0·D0`` plus its firms' and suppliers'
    steady-state revenue (currency per step)."""
    G = len(w.countries)
    spend = (w.product_price[:, None] * w.base_demand).sum(axis=0)[w.country_region]
    return (spend + np.bincount(w.firm_country, ref_revenue, G)
            + np.bincount(w.supplier_country, ref_supplier_revenue, G))


def _share(x: np.ndarray, base: np.ndarray) -> np.ndarray:
    return np.divide(x, base, out=np.zeros(len(base)), where=base > 0)


def security(rival_firms: np.ndarray, output: np.ndarray, shortfall: np.ndarray,
             out: np.ndarray, ref_output: np.ndarray) -> np.ndarray:
    """Share of its rivals' capability denied, [G]: ``Σ_rivals d_f / Σ_rivals Y0_f``.

    A rival firm's denied capability ``d_f`` is the fall of its output below the steady state
    that its lack of components explains, ``min(Y0 − Y, shortfall)`` (the shortfall is the
    plan lost for lack of components, run out or rationed: phase 4), and all of ``Y0`` once
    it has exited. Sales it loses to a tariff or a ban are not capability (its plan falls,
    not its means), and a rival that gains demand when another firm is hit gains no credit.

    Args:
        rival_firms: [G, F] firms of each government's rivals.
        output, shortfall, ref_output: [F]; out: [F] bool, exited.
    """
    denied = np.clip(np.minimum(ref_output - output, shortfall), 0.0, ref_output)
    denied = np.where(out, ref_output, denied)
    return np.divide(rival_firms @ denied, rival_firms @ ref_output,
                     out=np.zeros(len(rival_firms)), where=rival_firms @ ref_output > 0)


def industry(own_firms: np.ndarray, own_suppliers: np.ndarray, profit: np.ndarray,
             ref_profit: np.ndarray, supplier_profit: np.ndarray,
             ref_supplier_profit: np.ndarray, fines_paid: np.ndarray,
             base: np.ndarray) -> np.ndarray:
    """Producer surplus: the change in its firms' and suppliers' profit, less the fines its
    firms paid, as a share of its stake, [G].

    Args:
        own_firms: [G, F] and own_suppliers: [G, S] membership masks.
        fines_paid: [G] fines its firms paid this step (to any government).
    """
    change = (own_firms @ (profit - ref_profit) + own_suppliers @ (supplier_profit
                                                                    - ref_supplier_profit))
    return _share(change - fines_paid, base)


def treasury(tariff_revenue: np.ndarray, fines: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Government revenue: tariffs and fines collected this step, share of its stake, [G]
    (the steady state collects none)."""
    return _share(tariff_revenue + fines, base)


def consumers(surplus: np.ndarray, ref_price: np.ndarray, base_demand: np.ndarray,
              country_region: np.ndarray, base: np.ndarray,
              spilled_tariff: np.ndarray | None = None) -> np.ndarray:
    """Consumer surplus of its region's buyers against the steady state, share of its stake:
    ``(Σ_p ΔCS_p·p0·D0 − T_spill) / B_g``, [G].

    ``ΔCS`` per market is the logit log-sum's (Small & Rosen 1981;
    :func:`sim.engine.market.consumer_surplus`), a share of the market's steady spending:
    negative when the prices buyers face rise or sellers they would choose are closed to them.
    The log-sum measures choice: it charges buyers a tariff on what they choose to buy, not on
    what they buy because their choice had no goods left (phase 5's spill-over), so
    ``T_spill``, the tariff the region's buyers paid on those, is charged to them here: a
    tariff's revenue is then a transfer from buyers, never a gain from nothing.

    Args:
        surplus: [P, R]; ref_price: [P]; base_demand: [P, R]; country_region: [G];
        spilled_tariff: [R] tariff paid on spilled sales in each region (none when omitted).
    """
    money = (surplus * ref_price[:, None] * base_demand).sum(axis=0)
    if spilled_tariff is not None:
        money = money - spilled_tariff
    return _share(money[country_region], base)


def spilled_tariff(spill: np.ndarray, revenue: np.ndarray, sales: np.ndarray,
                   rate: np.ndarray) -> np.ndarray:
    """Tariff each region's buyers paid on spilled sales, [R]: ``Σ_f spill·p·τ``, at the price
    the firm sold at (``revenue / sales``). Args: spill, rate: [F, R]; revenue, sales: [F]."""
    price = np.divide(revenue, sales, out=np.zeros(len(sales)), where=sales > 0)
    return (spill * price[:, None] * rate).sum(axis=0)


def hostile_measures(policy: PolicyState, w: World, fined: np.ndarray) -> np.ndarray:
    """Hostile measures in force, [G, G]: how many each government (row) has in force
    against each country (column).

    A listing or a procurement ban counts against the listed or banned entity's country, a
    fine (once paid, remembered) against the fined firm's, a tariff against the taxed country
    (one per started 100% of its highest rate, :data:`TARIFF_STEP`), an export control
    against every country it covers whose firms (or suppliers, as an input) use the component.
    """
    G = len(w.countries)
    of_firm = (w.firm_country[:, None] == np.arange(G)).astype(float)  # [F, G]
    of_supplier = (w.supplier_country[:, None] == np.arange(G)).astype(float)  # [S, G]
    out = (policy.listed.astype(float) + (policy.firm_ban > 0) + fined) @ of_firm
    out += (policy.supplier_ban > 0).astype(float) @ of_supplier
    rate = np.maximum(policy.tariff.max(axis=2, initial=0.0),
                      policy.component_tariff.max(axis=2, initial=0.0))
    out += np.ceil(rate / TARIFF_STEP - 1e-9).clip(0.0)
    controls = policy.export_rate < 1  # [setter, component]
    if controls.any():
        # the countries whose firms (or suppliers, as an input) use each component
        uses = (of_firm.T @ (w.bom > 0) + of_supplier.T @ ((w.supplier_use + w.supplier_tools)
                                                           > 0)) > 0  # [G, C]
        out += (controls[:, :, None] & policy.export_to & uses.T[None]).sum(axis=1)
    return out


def escalation(measures: np.ndarray, relation: np.ndarray) -> np.ndarray:
    """Diplomatic cost of a trade conflict, [G]: ``−(Σ_h n_gh·c(g, h) + 0.1·received)``
    with ``n_gh`` the measures g has in force against h, ``c`` :data:`MEASURE_COST` by h's
    closeness to g, and ``received`` the measures others have in force against g."""
    made = (measures * MEASURE_COST[relation]).sum(axis=1)
    received = measures.sum(axis=0) - np.diag(measures)
    return -(made + RECEIVED_COST * received)


def score(objectives: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bound each ratio objective [K, G] to (−1, 1) by ``tanh`` and weigh them all:
    (bounded, score [G]).

    ``tanh`` is the identity to within 1% up to 0.17 and strictly increasing: one runaway
    ratio cannot swamp a score, and a move that makes an objective worse always costs
    something. `escalation` is a count of measures, not a ratio: it is not bounded, so each
    further hostile measure costs its full amount however many are in force (bounded, a
    government with many in force found a 500% tariff nearly free)."""
    bounded = np.tanh(objectives)
    k = OBJECTIVES.index("escalation")
    bounded[k] = objectives[k]
    return bounded, (weights * bounded).sum(axis=0)


def weights_of(spec: Scenario, country: str) -> dict[str, float]:
    """A government's objective weights, normalised to sum 1: the scenario's, with
    `treasury` at the weight of `consumers` and `escalation` at :data:`ESCALATION_DEFAULT` of
    the others' sum where the scenario gives none; equal weights when it gives none at all."""
    given = dict(spec.countries[country].objectives)
    if not any(given.values()):
        return {k: 1.0 / len(OBJECTIVES) for k in OBJECTIVES}
    given.setdefault("treasury", given.get("consumers", 0.0))
    given.setdefault("escalation", ESCALATION_DEFAULT * sum(given.values()))
    total = sum(given.values())
    return {k: given.get(k, 0.0) / total for k in OBJECTIVES}  # type: ignore[call-overload]


def objective_weights(spec: Scenario, countries: list[str]) -> np.ndarray:
    """Objective weights per government, [K, G] (:func:`weights_of`), each column summing 1."""
    return np.array([[weights_of(spec, c)[k] for c in countries] for k in OBJECTIVES])


def evaluate(s: State, w: World, policy: PolicyState) -> None:
    """The scoring phase: each government's tariff revenue, objectives and weighted score."""
    G, ref, gov = len(w.countries), s.ref, s.governments
    govs = np.arange(G)[:, None]
    gov.tariff_revenue = s.pipeline.duty + s.markets.duty
    gov.fined |= gov.fines_by > 0
    fines_paid = np.bincount(w.firm_country, gov.fines_by.sum(axis=0), G)
    base = ref.stake
    raw = np.vstack([
        security(ref.relation[:, w.firm_country] == RIVAL, s.firms.output, s.firms.shortfall,
                 s.finance.out, ref.output),
        industry(w.firm_country[None, :] == govs, w.supplier_country[None, :] == govs,
                 s.finance.profit, ref.profit, s.suppliers.profit, ref.supplier_profit,
                 fines_paid, base),
        consumers(s.markets.consumer_surplus.reshape(w.base_demand.shape), w.product_price,
                  w.base_demand, w.country_region, base,
                  spilled_tariff(s.markets.spill, s.markets.revenue, s.markets.sales,
                                 policy.tariff_on())),
        treasury(gov.tariff_revenue, gov.fines, base),
        escalation(hostile_measures(policy, w, gov.fined), ref.relation),
    ])
    gov.objectives, gov.score = score(raw, ref.weights)
