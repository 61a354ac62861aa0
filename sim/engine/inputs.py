"""Tier 2: suppliers' own inputs (a bill of materials over other suppliers' components).

A supplier may buy **consumables** (units per unit it ships: gallium in a chip), which bound its
output, and **tools** (units installed per unit of capacity added: lithography tools in a fab),
which bound its capacity growth. It orders them like a firm orders components (Sterman's
anchoring and adjustment, :func:`sim.engine.market.order_quantity`), from qualified sources
(:class:`sim.engine.links.InputLinks`) restricted by the same moves
(:meth:`sim.engine.policy.PolicyState.allowed_inputs`), and its orders compete with firms' for
the selling suppliers' capacity in one rationing (:func:`place_orders`). Everything here is a
handful of vectorised operations over suppliers and input links; a world without inputs has
empty input links and none of this changes its flows. Formulas: docs/model.md, section 3.

Shapes: S suppliers, C components, M supplier–supplier input links, H pipeline slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import market
from sim.engine.links import InputLinks, Links
from sim.engine.world import World
from sim.errors import Problem, ScenarioError
from sim.scenario.models import ModelOptions

Array = np.ndarray


@dataclass
class Inputs:
    """What suppliers hold, order and have in transit of their own inputs."""

    stock: Array  # [S, C] consumables and uninstalled tools in hand
    supply_line: Array  # [S, C] units ordered, not yet received
    arrivals: Array  # [H, S·C] units due in each slot (a ring buffer over steps)
    use: Array  # [S, C] expected use of consumables per step (smoothed)
    order: Array  # [S, C] orders placed this step
    allowed: Array  # [M] share each input link may carry this step (from the policy)
    shipped: Array  # [M] units shipped on each input link this step
    wanted: Array  # [S] capacity growth the ramp wanted this step (tools are ordered for it)
    held_back: Array  # [S] growth wanted this step that the tools in hand did not allow


def initial_inputs(w: World, il: InputLinks, shipments: Array, H: int) -> Inputs:
    """The steady state of suppliers' inputs: consumables' stock at target cover, pipelines
    full, flows what the sources can spare after the firms' steady flows (no tools: nothing
    grows in the steady state).

    Raises:
        ScenarioError: a supplier's sources cannot spare what its steady shipments consume
            (the world would drift from step 0).
    """
    S, C = w.supplier_use.shape
    use = shipments[:, None] * w.supplier_use
    flow = np.zeros(len(il))
    if len(il):
        spare = np.maximum(0.0, w.supplier_capacity - shipments)
        flow, _ = market.place_orders(use.ravel(), il.sc, il.preference,
                                      np.full(len(il), np.inf), il.supplier, spare)
        got = np.bincount(il.sc, flow, S * C).reshape(S, C)
        short = (use > 1e-12) & (got < use * (1 - 1e-9))
        if short.any():
            s, c = (int(i[0]) for i in np.nonzero(short))
            raise ScenarioError([Problem(0, 0, f"suppliers.{w.suppliers[s]}.inputs",
                                         f"its sources can spare {got[s, c]:g} of "
                                         f"{w.components[c]} a step, and its steady "
                                         f"shipments use {use[s, c]:g}")])
        wanted = use.ravel()[il.sc] * market.group_shares(il.preference, il.sc, S * C)
        il.calibrate(np.divide(flow, wanted, out=np.ones(len(il)), where=wanted > 0), flow)
    arrivals = np.zeros((H, S * C))
    for k in range(H - 1):  # shipped before step 0, due at steps 0..lead-1
        due = il.lead > k
        arrivals[k] = np.bincount(il.sc[due], flow[due], S * C)
    return Inputs(stock=w.supplier_cover[:, None] * use,
                  supply_line=arrivals.sum(axis=0).reshape(S, C), arrivals=arrivals,
                  use=use, order=use.copy(), allowed=np.ones(len(il)), shipped=flow.copy(),
                  wanted=np.zeros(S), held_back=np.zeros(S))


def order_inputs(inp: Inputs, w: World, il: InputLinks, shipments: Array, allowed: Array,
                 o: ModelOptions) -> None:
    """Suppliers order consumables for their expected use (last shipments, smoothed) and a
    target cover, and tools for the growth their ramp wants, by anchoring and adjustment."""
    inp.allowed = allowed
    if not len(il):
        return
    S, C = w.supplier_use.shape
    inp.use = market.smooth(inp.use, shipments[:, None] * w.supplier_use, o.forecast_smoothing)
    need = inp.use + inp.wanted[:, None] * w.supplier_tools
    target = w.supplier_cover[:, None] * inp.use  # tools are installed, not held
    weight = il.weight * (allowed > 0)
    total = np.bincount(il.sc, weight, S * C)
    lead = np.divide(np.bincount(il.sc, weight * il.lead, S * C), total,
                     out=np.zeros(S * C), where=total > 0).reshape(S, C)
    inp.order = market.order_quantity(need, target, inp.stock, inp.supply_line, need * lead,
                                      o.stock_adjustment, o.supply_line_weight)


def receive(inp: Inputs, slot: int) -> None:
    """What is due in this slot arrives."""
    arrived = inp.arrivals[slot].reshape(inp.stock.shape)
    inp.stock += arrived
    inp.supply_line -= arrived
    inp.arrivals[slot] = 0.0


def available(inp: Inputs, w: World, capacity: Array) -> Array:
    """What each supplier can ship this step: its capacity, or less if its consumables in hand
    cannot make that much (Leontief, like a firm's output), [S]."""
    return np.minimum(capacity, market.producible(inp.stock, w.supplier_use,
                                                  np.ones(w.supplier_use.shape[1], bool)))


def place_orders(order: Array, links: Links, limit: Array, inp: Inputs, il: InputLinks,
                 capacity: Array, weight: Array | None = None
                 ) -> tuple[Array, Array, Array, Array]:
    """Firms' and suppliers' orders rationed together by the selling suppliers' capacity.

    Returns (shipped per firm link [L], shipped per input link [M], requested per supplier
    [S], demand each supplier saw [S]: what it was asked plus the orders no source could fill
    that it may carry, :func:`sim.engine.market.unplaced`). ``weight`` is the firms' links'
    ordering weights this step (default ``links.weight``; a component tariff tilts them). A
    restricted input link carries
    at most its licensed share of its steady-state flow, as a firm's link does. Without input
    links the shipments are exactly :func:`sim.engine.market.place_orders` on the firms' links.
    """
    S = len(capacity)
    firm_weight = links.weight if weight is None else weight
    if not len(il):
        shipped, requested = market.place_orders(order, links.fc, firm_weight, limit,
                                                 links.supplier, capacity)
        seen = requested + market.unplaced(order, links.fc, firm_weight, limit, shipped, S,
                                           links.supplier)
        return shipped, np.zeros(0), requested, seen
    n, L = order.size, len(links)
    in_limit = np.where(inp.allowed >= 1.0, np.inf, inp.allowed * il.base_flow)
    orders = np.concatenate([order, inp.order.ravel()])
    group = np.concatenate([links.fc, n + il.sc])
    weights = np.concatenate([firm_weight, il.weight * (inp.allowed > 0)])
    limits = np.concatenate([limit, in_limit])
    supplier = np.concatenate([links.supplier, il.supplier])
    shipped, requested = market.place_orders(orders, group, weights, limits, supplier, capacity)
    seen = requested + market.unplaced(orders, group, weights, limits, shipped, S, supplier)
    return shipped[:L], shipped[L:], requested, seen


def ship(inp: Inputs, w: World, il: InputLinks, shipped: Array, shipments: Array,
         t: int) -> None:
    """Suppliers use their consumables for what they shipped; inputs shipped to them go into
    their pipeline, due after the selling supplier's lead time."""
    inp.stock = np.maximum(0.0, inp.stock - shipments[:, None] * w.supplier_use)
    inp.shipped = shipped
    if not len(il):
        return
    H = len(inp.arrivals)
    size = inp.stock.size
    flat = ((t + il.lead) % H) * size + il.sc
    inp.arrivals += np.bincount(flat, shipped, inp.arrivals.size).reshape(inp.arrivals.shape)
    inp.supply_line += np.bincount(il.sc, shipped, size).reshape(inp.stock.shape)


def tool_room(inp: Inputs, w: World) -> Array:
    """The capacity each supplier's tools in hand can add, [S] (``inf`` without tools)."""
    return market.producible(inp.stock, w.supplier_tools, np.ones(w.supplier_tools.shape[1],
                                                                  bool))


def install(inp: Inputs, w: World, grown: Array, wanted: Array) -> None:
    """Tools for the capacity added are installed (leave the stock)."""
    inp.stock = np.maximum(0.0, inp.stock - grown[:, None] * w.supplier_tools)
    inp.wanted, inp.held_back = wanted, wanted - grown
