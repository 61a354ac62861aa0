"""The registry of built-in outcomes (docs/sweeps.md, "Outcomes"): each an expression of the
outcome language (:mod:`sim.sweep.outcomes`) over one entity, with the direction that is
better, its unit and what it measures. ``output_lost_share(Hikvision)`` in an expression is
replaced by the built-in's expression for that firm; a test keeps docs/sweeps.md listing every
one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    """A built-in outcome: an expression template over one entity of ``group``."""

    group: str
    expr: str
    direction: str
    unit: str
    doc: str


BUILTINS: dict[str, Builtin] = {
    "output_lost_share": Builtin(
        "firm", 'sum(series("{0}", "shortfall")) / sum(series("{0}", "output") + '
                'series("{0}", "shortfall"))', "min", "share of potential output",
        "output lost for lack of components as a share of the output the firm planned"),
    "output_vs_baseline": Builtin(
        "firm", 'sum(series("{0}", "output")) / sum(baseline_series("{0}", "output")) - 1',
        "max", "fraction", "output over the window against the no-policy world's, − 1"),
    "steps_short": Builtin(
        "firm", 'count(series("{0}", "shortfall") > 0)', "min", "steps",
        "steps in which the firm lost output for lack of components"),
    "first_short_step": Builtin(
        "firm", 'first_step(series("{0}", "shortfall") > 0)', "max", "step",
        "steps from the window's start to the first shortfall (NaN if none): later is better"),
    "share_price_low": Builtin(
        "firm", 'min(series("{0}", "share_price")) / 100 - 1', "max", "fraction",
        "the share price's lowest point against its start"),
    "revenue_lost": Builtin(
        "firm", 'sum(baseline_series("{0}", "revenue") - series("{0}", "revenue"))', "min",
        "money", "revenue lost against the no-policy world"),
    "supplier_revenue_lost": Builtin(
        "supplier", 'sum(baseline_series("{0}", "revenue") - series("{0}", "revenue"))', "min",
        "money", "a supplier's revenue lost against the no-policy world"),
    "consumer_surplus_lost": Builtin(
        "market", 'sum(baseline_series("{0}", "consumer_surplus") - '
                  'series("{0}", "consumer_surplus"))', "min", "money",
        "a market's (product/region) consumer surplus lost against the no-policy world"),
    "mean_score": Builtin(
        "country", 'mean(series("{0}", "score"))', "max", "index",
        "a government's mean score over the window"),
}
