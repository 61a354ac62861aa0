"""Where each behavioural constant of `model:` comes from, and which a sweep should vary.

Every key of :class:`~sim.scenario.models.ModelOptions` has one :class:`Provenance`: its basis
(``source``: taken or calibrated from a cited study or figure; ``judgement``: our choice, with
the reason), the citation or reason, and whether an analyst should treat it as *uncertain* in a
sweep, with a plausible range that includes the default. A test keeps this table complete: a
new `model:` key without a provenance fails it. The table is published in docs/calibration.md
(``python -m sim.calibration``), with a pasteable ``--vary`` for each uncertain constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Basis = Literal["source", "judgement"]


@dataclass(frozen=True)
class Provenance:
    basis: Basis
    why: str  # the citation (basis "source") or the reason for the choice ("judgement")
    uncertain: bool  # should a sweep vary it?
    low: float  # plausible range, containing the default
    high: float


MODEL_CONSTANTS: dict[str, Provenance] = {
    "lead_time_days": Provenance(
        "judgement", "a month from order to receipt through distributors; quoted chip lead "
        "times ran 10–26 weeks in the 2021 shortage, so scenarios set `lead_time` per supplier "
        "where they know it", True, 14.0, 112.0),
    "build_lag_days": Provenance(
        "judgement", "about a quarter of sustained unmet orders before an emerging supplier "
        "commits to expand (one planning cycle)", True, 30.0, 365.0),
    "fixed_cost_share": Provenance(
        "judgement", "the fixed share of operating costs differs widely between assemblers "
        "(low) and fabs (high)", True, 0.1, 0.6),
    "ramp_trigger": Provenance(
        "judgement", "above the ±3% demand noise at a supplier running at capacity, so noise "
        "is not read as unmet demand", False, 0.02, 0.15),
    "forecast_smoothing": Provenance(
        "source", "adaptive expectations; Sterman (1989) fitted this rule to beer-game "
        "players, whose estimates spread widely", True, 0.1, 0.5),
    "stock_adjustment": Provenance(
        "source", "α of the anchoring-and-adjustment ordering rule, Sterman (1989); fitted "
        "values vary between players", True, 0.1, 0.5),
    "supply_line_weight": Provenance(
        "source", "β < 1, the under-weighting of the supply line Sterman (1989) measured in "
        "the beer game", True, 0.2, 1.0),
    "sourcing_sensitivity": Provenance(
        "judgement", "firms keep a dominant, cheapest source and a second source (dual "
        "sourcing); not estimated", True, 3.0, 30.0),
    "choice_sensitivity": Provenance(
        "judgement", "logit price sensitivity (Anderson, de Palma & Thisse 1992 give the form, "
        "not the value); 4 gives an own-price elasticity of a few for a firm with a modest "
        "share, in the range of differentiated electronics", True, 2.0, 8.0),
    "price_adjustment": Provenance(
        "judgement", "prices close a fifth of the gap to target per step: sticky prices "
        "adjusting over a quarter", True, 0.05, 0.5),
    "scarcity_markup": Provenance(
        "judgement", "how far prices rise when demand goes unserved; not estimated", True,
        0.1, 1.5),
    "holding_cost_per_year": Provenance(
        "source", "inventory carrying cost of 20–25% of value a year (capital, storage, "
        "insurance): Silver, Pyke & Peterson, Inventory Management (1998)", False, 0.1, 0.35),
    "obsolescence_per_year": Provenance(
        "judgement", "electronic components age out over years, faster for fast-moving parts",
        True, 0.02, 0.3),
    "risk_half_life_days": Provenance(
        "judgement", "a threat not acted on fades over about a year", True, 90.0, 730.0),
    "risk_shield_days": Provenance(
        "judgement", "half a year of stock halves the priced-in hazard: Huawei's 1.5–2 years "
        "of parts were reported as its shield (Nikkei, 2020)", True, 60.0, 365.0),
    "loss_given_listing": Provenance(
        "source", "calibrated: a 60% rumour takes Hikvision's share price down about 5.5%, its "
        "close on 22 May 2019 (Bloomberg)", True, 0.1, 0.4),
    "ramp_learning": Provenance(
        "source", "q/p of the Bass diffusion curve from the mean estimates of Sultan, Farley & "
        "Lehmann (1990); how a new fab learns is uncertain (Irwin & Klenow 1994 on "
        "semiconductor learning)", True, 2.0, 30.0),
    "threat_days": Provenance(
        "judgement", "an announcement not acted on stays credible for about a year (the ZTE "
        "order of April 2018 still drove Huawei's and Hikvision's stockpiling in 2019)", True,
        90.0, 730.0),
    "expected_outage_days": Provenance(
        "judgement", "a firm cut off expects a quarter: ZTE's denial was lifted after 88 days "
        "and Huawei's general licences ran 90 days at a time; scenarios set the term a "
        "measure states (ZTE's seven-year order)", True, 30.0, 730.0),
    "cash_days": Provenance(
        "judgement", "a quarter of steady-state costs held as cash: US firms held about 23% "
        "of assets as cash in 2006 (Bates, Kahl & Stulz 2009), and scenarios set `cash` from "
        "filings where they know it", True, 30.0, 365.0),
    "discount_per_year": Provenance(
        "source", "the cost of equity: a risk-free rate of about 3% plus an equity risk premium "
        "of about 5% (Damodaran's implied premium for the S&P 500, 2010s)", True, 0.05, 0.12),
    "lift_expected_days": Provenance(
        "judgement", "investors expect a restriction to be lifted or licensed within a quarter "
        "from any step: ZTE's denial was lifted after 88 days and Huawei's temporary general "
        "licences were renewed 90 days at a time", True, 30.0, 730.0),
    "profit_persistence_per_year": Provenance(
        "source", "the persistence of abnormal earnings in the residual-income model, 0.62 a "
        "year (Dechow, Hutton & Sloan 1999, pooled US firms 1950-95): profit above normal "
        "is competed away", True, 0.4, 0.85),
    "capital_years": Provenance(
        "source", "net property, plant and equipment over revenue in 2019: Intel 0.77 "
        "($55.4bn on $72.0bn), TSMC 1.26 (NT$1,352bn on NT$1,070bn); assemblers hold less",
        True, 0.3, 2.0),
    "profit_smoothing": Provenance(
        "judgement", "investors weigh the latest period's profit a tenth: earnings news "
        "reaches prices over about a quarter of weekly steps", True, 0.05, 0.3),
}


def vary_flag(name: str, p: Provenance) -> str:
    """The `chokepoint sweep` option that varies constant `name` over its plausible range."""
    return f"--vary model.{name}={p.low:g}:{p.high:g}"


def uncertain_constants() -> dict[str, Provenance]:
    """The constants a sweep should treat as uncertain."""
    return {k: p for k, p in MODEL_CONSTANTS.items() if p.uncertain}
