"""What is recorded each step, declared as data, and the per-run summary.

Metrics are grouped by entity kind; each is a name and a reader of the model's arrays. The
:class:`Recorder` copies every metric of every entity into preallocated arrays (one row per
step), which :mod:`sim.engine.output` turns into the long, tidy table (step, date, entity, metric,
value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.objectives import OBJECTIVES

if TYPE_CHECKING:
    from sim.engine.model import TradeModel

Reader = Callable[["TradeModel"], np.ndarray]



def _objective(i: int) -> Reader:
    return lambda m: m.state.governments.objectives[i]


FIRM: dict[str, Reader] = {
    "output": lambda m: m.state.firms.output,
    "sales": lambda m: m.state.markets.sales,
    "revenue": lambda m: m.state.markets.revenue,
    "price": lambda m: m.state.markets.price,
    "share_price": lambda m: m.state.finance.share_price,
    "inventory_cover": lambda m: m.state.firms.inventory_cover,
    "shortfall": lambda m: m.state.firms.shortfall,
    "risk": lambda m: m.policy.risk,
    "market_share": lambda m: m.state.markets.market_share,
    "profit": lambda m: m.state.finance.profit,
    # -- cash and exit (docs/model.md, "6. Finance") --
    "cash": lambda m: m.state.finance.cash,
    "out": lambda m: m.state.finance.out.astype(float),
}
STOCK: dict[str, Reader] = {  # per (firm, component) in the firm's bill of materials
    "cover": lambda m: m.state.firms.cover[m.world.bom > 0],
    "stock": lambda m: m.state.firms.stock[m.world.bom > 0],
}
SUPPLIER: dict[str, Reader] = {
    "shipments": lambda m: m.state.suppliers.shipments,
    "revenue": lambda m: m.state.suppliers.revenue,
    "capacity": lambda m: m.state.suppliers.capacity,
    "utilization": lambda m: m.state.suppliers.utilization,
    "share": lambda m: m.state.suppliers.share,
    "price": lambda m: m.state.suppliers.price,
    # -- suppliers' profit and value (docs/model.md, "6. Finance") --
    "profit": lambda m: m.state.suppliers.profit,
    "share_price": lambda m: m.state.suppliers.share_price,
}
COUNTRY: dict[str, Reader] = {
    "score": lambda m: m.state.governments.score,
    **{k: _objective(i) for i, k in enumerate(OBJECTIVES)},
    "tariff_revenue": lambda m: m.state.governments.tariff_revenue,
    "fines": lambda m: m.state.governments.fines,
}
MARKET: dict[str, Reader] = {  # per (product, region)
    "price": lambda m: m.state.markets.price_index,
    "demand": lambda m: m.state.markets.demand,
    "consumer_surplus": lambda m: m.state.markets.consumer_surplus,
}


def entity_names(model: TradeModel) -> dict[str, list[str]]:
    """Entity names of each metric group, in recording order."""
    w = model.world
    f, c = np.nonzero(w.bom > 0)
    return {
        "firm": list(w.firms),
        "stock": [f"{w.firms[i]}/{w.components[j]}" for i, j in zip(f, c, strict=True)],
        "supplier": list(w.suppliers),
        "country": list(w.countries),
        "market": [f"{p}/{r}" for p in w.products for r in w.regions],
    }


GROUPS: dict[str, dict[str, Reader]] = {"firm": FIRM, "stock": STOCK, "supplier": SUPPLIER,
                                        "country": COUNTRY, "market": MARKET}


class Recorder:
    """Every metric of every entity for every step, in arrays [steps, metrics, entities]."""

    def __init__(self, model: TradeModel):
        self.model = model
        self.entities = entity_names(model)
        self.data = {g: np.full((model.horizon, len(GROUPS[g]), len(self.entities[g])), np.nan)
                     for g in GROUPS}
        self.steps = 0

    def record(self, step: int) -> None:
        for group, readers in GROUPS.items():
            row = self.data[group][step]
            for i, read in enumerate(readers.values()):
                row[i] = read(self.model)
        self.steps = step + 1

    def metric(self, group: str, metric: str) -> np.ndarray:
        """One metric of every entity of a group, steps so far: a view [steps, entities]."""
        return self.data[group][: self.steps, list(GROUPS[group]).index(metric)]

    def series(self, group: str, metric: str, entity: str) -> np.ndarray:
        """One metric of one entity, steps so far: a view [steps]."""
        return self.metric(group, metric)[:, self.entities[group].index(entity)]


def summary(model: TradeModel) -> dict[str, float]:
    """One row of headline figures for a finished run (see docs/model.md, "Outputs").

    Per firm: output lost (sum of shortfall), revenue change (mean of the last turn over the
    mean of the first turn, − 1), lowest stock cover, share-price change (last over 100, − 1).
    Per supplier: revenue change. Per country: mean score over the run. Costs (docs/model.md,
    "6. Finance"): per firm, whether it has exited by the end (1 or 0); per supplier, its
    share-price change; per country, the fines it collected.
    """
    rec, n = model.recorder, model.recorder.steps
    turn = max(1, min(model.spec.turn_steps, n // 2 or 1))
    out: dict[str, float] = {}

    def change(x: np.ndarray) -> np.ndarray:
        first, last = x[:turn].mean(axis=0), x[n - turn: n].mean(axis=0)
        return np.divide(last - first, first, out=np.zeros_like(first), where=first != 0)

    shortfall, revenue = rec.metric("firm", "shortfall"), rec.metric("firm", "revenue")
    cover, price = rec.metric("firm", "inventory_cover"), rec.metric("firm", "share_price")
    for j, name in enumerate(rec.entities["firm"]):
        out[f"{name}.output_lost"] = float(shortfall[:, j].sum())
        out[f"{name}.revenue_change"] = float(change(revenue[:, j]))
        out[f"{name}.min_cover"] = float(cover[:, j].min())
        out[f"{name}.share_price_change"] = float(price[-1, j] / 100 - 1)
    sup = rec.metric("supplier", "revenue")
    for j, name in enumerate(rec.entities["supplier"]):
        out[f"{name}.revenue_change"] = float(change(sup[:, j]))
    score = rec.metric("country", "score")
    for j, name in enumerate(rec.entities["country"]):
        out[f"{name}.score"] = float(score[:, j].mean())
    # -- costs: exit, suppliers' value, fines --
    exited = rec.metric("firm", "out")
    for j, name in enumerate(rec.entities["firm"]):
        out[f"{name}.exited"] = float(exited[-1, j])
    sup_price = rec.metric("supplier", "share_price")
    for j, name in enumerate(rec.entities["supplier"]):
        out[f"{name}.share_price_change"] = float(sup_price[-1, j] / 100 - 1)
    fines = rec.metric("country", "fines")
    for j, name in enumerate(rec.entities["country"]):
        out[f"{name}.fines"] = float(fines[:, j].sum())
    return out
