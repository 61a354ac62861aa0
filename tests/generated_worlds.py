"""Valid worlds of every shape the scenario format allows, drawn at random.

:func:`world_document` writes a scenario document from a :class:`Draw` (a source of integers,
reals, flags and choices): 1–6 regions, 1–4 countries, day, week or month steps, one or two
products, one to three components (critical or not) with one to three suppliers each, one to
four firms sharing components, emerging suppliers (``ramp``), a second tier (suppliers buying
consumables and tools from other suppliers), components short or ample at step 0 and cheap
sources oversubscribed (each supplier's capacity is a drawn multiple of its share of the
demand for its component). Demand noise is 0 and there is no policy, so the world's run is
deterministic and should stay where it starts.

Two sources of draws: :class:`RandomDraw` (a numpy generator, for ``benchmarks/worlds.py``'s
campaigns) and :func:`worlds` (a hypothesis strategy, which shrinks a failing world).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

HORIZON = {"day": 120, "week": 52, "month": 24}  # steps per run: a year or a third of one


class Draw(Protocol):
    """Where a generated world's choices come from."""

    def integer(self, lo: int, hi: int) -> int: ...  # inclusive
    def real(self, lo: float, hi: float) -> float: ...
    def flag(self, p: float) -> bool: ...


def pick[T](d: Draw, items: Sequence[T]) -> T:
    return items[d.integer(0, len(items) - 1)]


class RandomDraw:
    """Draws from a seeded numpy generator."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def integer(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def real(self, lo: float, hi: float) -> float:
        return round(float(self.rng.uniform(lo, hi)), 3)

    def flag(self, p: float) -> bool:
        return bool(self.rng.random() < p)


class HypothesisDraw:
    """Draws from hypothesis's ``data`` (so a failing world shrinks)."""

    def __init__(self, draw: Any):
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def real(self, lo: float, hi: float) -> float:
        return round(float(self.draw(st.floats(lo, hi))), 3)

    def flag(self, p: float) -> bool:
        return bool(self.draw(st.floats(0, 1)) < p)


def world_document(d: Draw) -> dict[str, Any]:
    """A valid scenario document drawn from ``d`` (no policy, no noise)."""
    regions = [f"R{i}" for i in range(d.integer(1, 6))]
    countries = [f"C{i}" for i in range(d.integer(1, 4))]
    step = pick(d, ["week", "month", "day"])
    products = {}
    for p in range(d.integer(1, 2)):
        demand = {r: (d.real(1, 60) if i == 0 or d.flag(0.7) else 0.0)
                  for i, r in enumerate(regions)}
        products[f"p{p}"] = {"price": d.real(20, 200), "elasticity": d.real(0.3, 2.0),
                             "margin": d.real(0.05, 0.3), "noise": 0.0, "demand": demand}
    # components cost at most 9 × 7% of the cheapest product's price: every firm earns its
    # margin in the steady state (a firm that loses money drifts toward exit by design)
    cheapest = min(p["price"] for p in products.values())
    components = {f"c{k}": {"critical": k == 0 or d.flag(0.7)}
                  for k in range(d.integer(1, 3))}
    firms = {}
    for f in range(d.integer(1, 4)):
        product = pick(d, list(products))
        total = sum(products[product]["demand"].values())
        bom = {c: d.real(0.5, 3.0) for k, c in enumerate(components) if k == 0 or d.flag(0.5)}
        firms[f"F{f}"] = {
            "country": pick(d, countries), "product": product,
            "capacity": round(total * d.real(0.2, 1.2), 3), "bom": bom,
            "cover": d.real(0.0, 8.0), "sources": {},
            "appeal": ({r: d.real(0.2, 2.0) for r in regions} if d.flag(0.3)
                       else d.real(0.5, 2.0))}
    # what firms would use of each component at full demand, shared among its suppliers
    need = {c: sum(f["bom"].get(c, 0.0) * f["capacity"] for f in firms.values())
            for c in components}
    suppliers: dict[str, dict[str, Any]] = {}
    for c in components:
        n = d.integer(1, 3)
        for j in range(n):
            capacity = round(need[c] / n * d.real(0.2, 2.0), 3)
            s: dict[str, Any] = {"country": pick(d, countries), "component": c,
                                 "capacity": capacity,
                                 "price": round(cheapest * d.real(0.01, 0.07), 3)}
            if d.flag(0.3):
                s["ramp"] = {"capacity": round(capacity * d.real(1.5, 5.0) + 1, 3),
                             "steps": d.integer(4, 60)}
            if d.flag(0.4):
                s["lead_time"] = d.integer(1, 8)
            suppliers[f"{c}_s{j}"] = s
    for firm in firms.values():
        for c in firm["bom"]:
            names = [s for s, v in suppliers.items() if v["component"] == c]
            chosen = [s for s in names if d.flag(0.7)] or [pick(d, names)]
            firm["sources"][c] = chosen
    if d.flag(0.4):
        _second_tier(d, components, suppliers, countries)
    return {
        "schema": "chokepoint/1", "name": "generated",
        "calendar": {"start": dt.date(2020, 1, 6), "step": step}, "steps": HORIZON[step],
        "seed": 1, "regions": regions,
        "countries": {g: {"region": pick(d, regions)} for g in countries},
        "products": products, "components": components, "suppliers": suppliers,
        "firms": firms, "events": [],
    }


def _second_tier(d: Draw, components: dict, suppliers: dict, countries: list[str]) -> None:
    """Some suppliers buy a consumable (and emerging ones a tool) from raw-material makers,
    whose capacity covers what those suppliers would use at full capacity (a valid world)."""
    buyers = [s for s in suppliers if d.flag(0.6)] or [next(iter(suppliers))]
    components["raw"] = {"critical": True}
    components["tool"] = {"critical": True}
    use = {s: d.real(0.1, 2.0) for s in buyers}
    raw_need = sum(use[s] * suppliers[s]["capacity"] for s in buyers)
    raws = [f"raw_s{j}" for j in range(d.integer(1, 2))]
    for name in raws:
        suppliers[name] = {"country": pick(d, countries), "component": "raw",
                           "capacity": round(raw_need * d.real(1.1, 3.0) + 1, 3),
                           "price": d.real(1, 10)}
    suppliers["tool_s0"] = {"country": pick(d, countries), "component": "tool",
                            "capacity": d.real(1, 20), "price": d.real(50, 200)}
    for s in buyers:
        inputs: dict[str, Any] = {"consumables": {"raw": use[s]},
                                  "sources": {"raw": [r for r in raws if d.flag(0.7)]
                                              or [raws[0]]},
                                  "cover": d.real(0.0, 6.0)}
        if "ramp" in suppliers[s] and d.flag(0.5):
            inputs["tools"] = {"tool": d.real(0.01, 0.5)}
            inputs["sources"]["tool"] = ["tool_s0"]
        suppliers[s]["inputs"] = inputs


@st.composite
def worlds(draw: Any) -> dict[str, Any]:
    """A hypothesis strategy of generated scenario documents."""
    return world_document(HypothesisDraw(draw))
