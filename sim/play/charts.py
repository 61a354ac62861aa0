"""The chart registry: every chart of a game as a spec (a key, a title, a y label and the
series it shows), and the one palette (docs/extending.md, "Add a chart").

The play page draws these as ECharts options (:mod:`dashboards.echarts`), print PNGs with
matplotlib (:mod:`sim.play.png`); the classroom's pages and its debrief export draw the same
registry (:mod:`sim.classroom.export`). Nothing here draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.metrics import GROUPS
from sim.engine.model import TradeModel
from sim.engine.objectives import OBJECTIVES
from sim.play.session import Game, domestic_substitutes

# Okabe–Ito, safe under the common colour-vision deficiencies (yellow last: low contrast)
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000",
          "#F0E442"]


@dataclass(frozen=True)
class Series:
    """One line: a recorded metric of one entity."""

    label: str
    group: str
    metric: str
    entity: str


@dataclass(frozen=True)
class ChartSpec:
    """A chart: a key (element id), a title, a y label and the series it shows."""

    key: str
    title: str
    ylabel: str
    series: Callable[[Game], list[Series]]


def _all(group: str, metric: str, label: Callable[[str], str] = str):
    def series(game: Game) -> list[Series]:
        return [Series(label(e), group, metric, e)
                for e in game.model.recorder.entities[group]]
    return series


def _domestic(game: Game) -> list[Series]:
    suppliers, _ = domestic_substitutes(game)
    return [Series(s, "supplier", "share", s) for s in suppliers]


def _objectives(game: Game) -> list[Series]:
    country = objectives_country(game)
    return [Series(o, "country", o, country) for o in OBJECTIVES] if country else []


def objectives_country(game: Game) -> str | None:
    """The government whose objectives the page charts: the role's, else the first with any."""
    countries = game.scenario.countries
    if game.role in countries:
        return game.role
    return next((c for c, spec in countries.items() if spec.objectives), None)


TABS: dict[str, list[ChartSpec]] = {
    "Markets": [
        ChartSpec("market-price", "Market price per region", "price index",
                  _all("market", "price")),
        ChartSpec("firm-sales", "Sales per firm", "units per step", _all("firm", "sales")),
        ChartSpec("market-share", "Market share per firm", "share of sales",
                  _all("firm", "market_share")),
    ],
    "Supply": [
        ChartSpec("stock-cover", "Stock cover per firm and component", "steps of use",
                  _all("stock", "cover")),
        ChartSpec("shortfall", "Shortfall (output lost for lack of parts)", "units per step",
                  _all("firm", "shortfall")),
        ChartSpec("domestic-share", "Domestic substitutes' share of their component",
                  "share of shipments", _domestic),
    ],
    "Suppliers": [
        ChartSpec("supplier-shipments", "Supplier shipments", "units per step",
                  _all("supplier", "shipments")),
        ChartSpec("supplier-revenue", "Supplier revenue", "per step",
                  _all("supplier", "revenue")),
        ChartSpec("supplier-utilization", "Supplier utilization", "share of capacity",
                  _all("supplier", "utilization")),
    ],
    "Finance": [
        ChartSpec("share-price", "Share prices", "index (start = 100)",
                  _all("firm", "share_price")),
        ChartSpec("profit", "Profit per firm (a firm's score)", "per step",
                  _all("firm", "profit")),
        ChartSpec("risk", "Perceived risk of listing", "probability", _all("firm", "risk")),
    ],
    "Governments": [
        ChartSpec("score", "Governments' scores", "score", _all("country", "score")),
        ChartSpec("objectives", "Objectives", "objective", _objectives),
    ],
}
CHARTS: dict[str, ChartSpec] = {c.key: c for specs in TABS.values() for c in specs}


def values(model: TradeModel, series: list[Series], n: int) -> np.ndarray:
    """The first ``n`` steps of each series of ``model`` ([series, step])."""
    rec = model.recorder
    out = np.empty((len(series), n))
    for k, s in enumerate(series):
        i = list(GROUPS[s.group]).index(s.metric)
        out[k] = rec.data[s.group][:n, i, rec.entities[s.group].index(s.entity)]
    return out


