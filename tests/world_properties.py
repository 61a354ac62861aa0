"""Properties every valid world must keep, checked on a run step by step.

:func:`check_world` runs a scenario document without policy and noise and reports its largest
drift from step 0 (no series may move more than :data:`DRIFT` after step 0) and every broken
invariant: units conserved (what suppliers ship is what reaches firms after the lead time;
stock changes by arrivals, use and write-off; finished goods by output and sales; no supplier
ships above its capacity), money conserved (buyers pay sellers' revenue plus duties; suppliers'
revenue is what firms and suppliers paid them; cash moves by profit), and no NaN, no negative
quantity, cash or price. :func:`check_licence` checks a monotone response: a bigger licence
never costs the listed firm output for lack of components (its output as a whole may move
either way a little, through its price and its rivals: docs/model.md, "Monotone licences";
:func:`licence_pair` gives both). Used by ``tests/test_generated_worlds.py`` and
``benchmarks/worlds.py``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim import TradeModel
from sim.engine.metrics import GROUPS
from sim.scenario import validate_document

DRIFT = 0.01  # the largest move of any series after step 0, relative
EPS = 1e-6
# metrics whose natural scale is 1 (shares, probabilities, objectives) or that are 0 without
# policy: their drift is measured in absolute terms
ABSOLUTE = {("firm", "risk"), ("firm", "out"), ("firm", "market_share"),
            ("supplier", "share"), ("supplier", "utilization"),
            ("market", "consumer_surplus")} | {("country", m) for m in GROUPS["country"]}
SIGNED = {("firm", "profit"), ("supplier", "profit"), ("market", "consumer_surplus")} | {
    ("country", m) for m in GROUPS["country"]}


@dataclass
class Findings:
    """What one world's run showed."""

    drift: float = 0.0  # largest relative move after step 0
    worst: str = ""  # the series that moved most
    violations: list[str] = field(default_factory=list)


def model_of(doc: dict[str, Any]) -> TradeModel:
    return TradeModel(scenario=validate_document(doc, {}, "<generated>"), rng=1)


def check_world(doc: dict[str, Any]) -> Findings:
    """Run ``doc`` step by step; its drift and every invariant it breaks."""
    model = model_of(doc)
    found = Findings()
    ledger = _Ledger(model)
    while model.running:
        before = _snapshot(model)
        model.step()
        found.violations += [f"step {model.step_index - 1}: {v}"
                             for v in _invariants(model, before, ledger)]
    found.drift, found.worst = drift(model)
    return found


def drift(model: TradeModel) -> tuple[float, str]:
    """Largest move of any recorded series after step 0, and which."""
    rec, worst, name = model.recorder, 0.0, ""
    for group, metrics in GROUPS.items():
        for metric in metrics:
            x = rec.metric(group, metric)
            if not x.size:
                continue
            x0 = x[0]
            if (group, metric) in ABSOLUTE:
                floor = np.ones_like(x0)
            elif metric == "shortfall":
                floor = np.maximum(rec.metric("firm", "output")[0], 1.0)
            elif metric == "profit":
                revenue = rec.metric(group, "revenue")[0]
                floor = np.maximum(np.abs(x0), 0.1 * np.maximum(
                    revenue, 0.01 * revenue.max(initial=0.0)))
            else:  # a series that starts at 0 is measured against its peers' scale
                floor = np.maximum(np.abs(x0), 0.01 * np.abs(x0).max(initial=0.0))
            rel = np.abs(x - x0) / np.maximum(floor, 1e-9)
            i = np.unravel_index(int(np.argmax(rel)), rel.shape)
            if rel[i] > worst:
                worst = float(rel[i])
                name = f"{group} {rec.entities[group][i[1]]} {metric} at step {i[0]}: " \
                       f"{x0[i[1]]:.4g} -> {x[i]:.4g}"
    return worst, name


class _Ledger:
    """Component units shipped and due, per step and (firm, component), kept outside the
    model so that arrivals can be checked against what was shipped."""

    def __init__(self, model: TradeModel):
        p = model.state.pipeline
        self.due: dict[int, np.ndarray] = {k: p.arrivals[k].copy()
                                           for k in range(len(p.arrivals))}

    def expect(self, t: int) -> np.ndarray:
        return self.due.pop(t, 0.0)

    def add(self, model: TradeModel, t: int) -> None:
        links, p = model.links, model.state.pipeline
        n = p.arrivals.shape[1]
        for lead in np.unique(links.lead):
            on = links.lead == lead
            due = self.due.setdefault(t + int(lead), np.zeros(n))
            due += np.bincount(links.fc[on], p.shipped[: len(links)][on], n)


def _snapshot(model: TradeModel) -> dict[str, np.ndarray]:
    s = model.state
    return {"stock": s.firms.stock.copy(), "finished": s.firms.finished.copy(),
            "cash": s.finance.cash.copy(), "sup_price": s.suppliers.price.copy(),
            "supply_line": s.pipeline.supply_line.copy(), "out": s.finance.out.copy()}


def _invariants(model: TradeModel, before: dict[str, np.ndarray],
                ledger: _Ledger) -> list[str]:
    s, w, links, t = model.state, model.world, model.links, model.step_index - 1
    f, p, sup, m, fin = s.firms, s.pipeline, s.suppliers, s.markets, s.finance
    out: list[str] = []
    row = [model.recorder.data[g][t] for g in GROUPS]
    if not all(np.isfinite(r).all() for r in row):
        out.append("a recorded value is not finite")
    for group, metrics in GROUPS.items():
        for i, metric in enumerate(metrics):
            if (group, metric) in SIGNED:
                continue
            low = model.recorder.data[group][t, i].min(initial=0.0)
            if low < -EPS:
                out.append(f"{group} {metric} negative ({low:.3g})")
    # units: arrivals are what was shipped a lead time ago (a firm that exits writes its
    # stock and pipeline off, docs/model.md section 6: its rows are not checked from then on)
    on = ~(fin.out | before["out"])
    cols = np.repeat(on, w.bom.shape[1])
    expected = ledger.expect(t)
    if not np.allclose(p.received.ravel()[cols], np.broadcast_to(expected, cols.shape)[cols],
                       rtol=1e-9, atol=1e-7):
        out.append("arrivals differ from what was shipped")
    ledger.add(model, t)
    flow_in = np.bincount(links.fc, p.shipped[: len(links)], f.stock.size).reshape(f.stock.shape)
    if not np.allclose(p.supply_line[on], (before["supply_line"] - p.received + flow_in)[on],
                       rtol=1e-9, atol=1e-7):
        out.append("supply line is not shipped minus received")
    kept = 1.0 - s.ref.obsolescence
    used = (before["stock"] + p.received - f.stock / kept)[on]
    need = (f.output[:, None] * w.bom)[on]
    crit = ((w.bom > 0) & w.critical[None, :])[on]
    if (used < -1e-7).any() or (used > need + 1e-6 * (1 + need)).any():
        out.append("components used are not output times the bill of materials")
    if not np.allclose(used[crit], need[crit], rtol=1e-7, atol=1e-7):
        out.append("critical components used differ from output times the bill")
    fin_goods = before["finished"] + f.output - m.sales
    if not np.allclose(np.maximum(fin_goods, 0)[on], f.finished[on], rtol=1e-9, atol=1e-7):
        out.append("finished goods are not output minus sales")
    if (sup.shipments > sup.capacity * (1 + 1e-9) + 1e-9).any():
        out.append("a supplier shipped above its capacity")
    # money
    if not np.isclose(m.paid.sum(), m.revenue.sum() + m.duty.sum(), rtol=1e-9, atol=1e-6):
        out.append("buyers' payments differ from sellers' revenue plus duties")
    S = len(w.suppliers)
    paid = np.bincount(links.supplier, p.shipped[: len(links)] * before["sup_price"][
        links.supplier], S)
    il = links.inputs
    if len(il):
        paid += np.bincount(il.supplier, s.inputs.shipped * before["sup_price"][il.supplier], S)
    if not np.allclose(paid, sup.revenue, rtol=1e-9, atol=1e-6):
        out.append("suppliers' revenue differs from what they were paid")
    if (fin.cash > before["cash"] + np.maximum(fin.profit, 0) + 1e-6 * (1 + before["cash"])).any():
        out.append("cash rose by more than profit")
    return out


@dataclass
class LicencePair:
    """The first firm listed at mid-run with a smaller and a bigger licence: its output and its
    output lost for lack of components over the rest of the run, with each."""

    firm: str
    rates: tuple[float, float]
    output: tuple[float, float]
    shortfall: tuple[float, float]

    def output_falls(self) -> bool:
        """Whether the bigger licence leaves the firm less output."""
        small, big = self.output
        return big < small * (1 - 1e-6) - 1e-6


def licence_pair(doc: dict[str, Any], rates: tuple[float, float] = (0.2, 0.6)
                 ) -> LicencePair:
    """List the first firm by its first source's country at mid-run with two licence rates."""
    firm, spec = next(iter(doc["firms"].items()))
    source = next(iter(spec["sources"].values()))[0]
    lister = doc["suppliers"][source]["country"]
    at = doc["steps"] // 3
    output, short = [], []
    for rate in rates:
        d = copy.deepcopy(doc)
        d["events"] = [{"at": at, "by": lister, "move": "entity_list", "target": firm,
                        "license_rate": rate}]
        model = model_of(d).run()
        output.append(model.recorder.series("firm", "output", firm)[at:].sum())
        short.append(model.recorder.series("firm", "shortfall", firm)[at:].sum())
    return LicencePair(firm, rates, (output[0], output[1]), (short[0], short[1]))


def check_licence(doc: dict[str, Any], rates: tuple[float, float] = (0.2, 0.6)
                  ) -> str | None:
    """A reason if the bigger licence leaves the listed firm more output lost for lack of
    components over the rest of the run than the smaller one."""
    pair = licence_pair(doc, rates)
    small, big = pair.shortfall
    if big > small * (1 + 1e-6) + 1e-6:
        return (f"licence {rates[1]} leaves {pair.firm} {big:.4g} units short of components, "
                f"licence {rates[0]} {small:.4g}")
    return None
