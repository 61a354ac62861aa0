"""The step-0 plans and flows: the fixed point of the rules the dynamics use.

A world may start short: its suppliers cannot feed every firm's plan, or a firm cannot serve
all its demand. Its step-0 state must still be a fixed point of the step's rules, or the
no-policy run drifts and every comparison with it measures the drift (docs/model.md, "steady
state"). Two loops, each a few vectorised operations per round:

* **feeding** (phase 3's rules): the orders firms would place for their plans are rationed by
  suppliers' capacity and re-placed (:func:`sim.engine.market.place_orders`); a firm that is
  not fed produces what its critical components allow, which frees components for others;
* **markets** (phase 5's rules): demand a firm cannot serve spills to rivals with goods left,
  so a short firm's rivals face its spilled demand; their plans include it.

The plans are the fixed point of both: each firm plans ``min(nameplate, demand)`` where its
demand includes the spill of its rivals at their feasible output, and is then cut to what its
suppliers can feed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import market
from sim.engine.links import Links
from sim.engine.world import World

Array = np.ndarray
MARKET_ROUNDS = 30  # rounds of the market loop (spill ↔ feasible output)
FEED_ROUNDS = 60  # rounds of the feeding loop (plans ↔ rationed orders)
TOL = 1e-10


@dataclass(frozen=True)
class Plans:
    """The step-0 fixed point."""

    planned: Array  # [F] output per step
    capacity: Array  # [F] what the firm plans against: its fed output if short, else nameplate
    short: Array  # [F] bool: sells all it makes (holds no finished goods)
    forecast: Array  # [F] demand it faces, spill from short rivals included
    seen: Array  # [F] demand buyers brought to it, turned-away ones included (phase 5)
    wanted: Array  # [F] its own logit demand, before spill
    by_region: Array  # [F, R] demand by region, spill included
    price_index: Array  # [P·R]
    expected_use: Array  # [F, C]
    stock: Array  # [F, C] at target cover
    need: Array  # [F, C] what must arrive each step (use and obsolescence)
    flow: Array  # [L] each link's steady shipments
    use_share: Array  # [F, C] share of the bill of materials used: 1 but for a non-critical
    # component the firm's suppliers cannot feed in full (it makes the rest without it)


def steady_plans(w: World, links: Links, mkt: Array, ref_price: Array,
                 obsolescence: float) -> Plans:
    """The fixed point of feeding and market clearing at reference prices."""
    F, C = w.bom.shape
    R = len(w.regions)
    M = len(w.products) * R
    paid = np.repeat(ref_price[:, None], R, axis=1)
    critical = (w.bom > 0) & w.critical[None, :]
    nameplate = w.firm_capacity.astype(float)
    # a firm that can serve its demand holds a step of output beside what it makes, so its
    # goods never limit its sales (it faces all the demand spilled to it); a short firm sells
    # what it makes, and takes spilled demand only up to that
    big = 2.0 * nameplate + w.base_demand.sum()
    short = np.zeros(F, bool)
    planned = np.minimum(nameplate, big)
    for _ in range(MARKET_ROUNDS):
        cleared = market.clear_markets(w.appeal, paid, mkt, w.base_demand.ravel(),
                                       np.repeat(w.product_price, R),
                                       np.repeat(w.product_elasticity, R), np.ones(M),
                                       np.where(short, planned, big))
        by_region = cleared["wanted"] + cleared["spill"]
        forecast = by_region.sum(axis=1)
        # a short firm's demand is capped by what it has: it keeps planning what it made
        upper = np.minimum(nameplate, np.where(short, np.maximum(forecast, planned), forecast))
        new, need, flow, use_share = _feed(w, links, upper, critical, obsolescence)
        # a firm that makes (almost) nothing is not a market participant with output
        new = np.where(new < 1e-9 * np.maximum(nameplate, 1.0), 0.0, new)
        now_short = (forecast > new * (1 + 1e-9)) | (short & (forecast >= new * (1 - 1e-9)))
        done = (now_short == short).all() and np.allclose(new, planned, rtol=TOL, atol=TOL)
        planned, short = new, now_short
        if done:
            break
    capacity = np.where(short & (planned < nameplate * (1 - 1e-9)), planned, nameplate)
    expected_use = planned[:, None] * w.bom * use_share
    return Plans(planned=planned, capacity=capacity, short=short, forecast=forecast,
                 seen=cleared["seen"].sum(axis=1),
                 wanted=cleared["wanted"].sum(axis=1), by_region=by_region,
                 price_index=cleared["price_index"], expected_use=expected_use,
                 stock=w.cover[:, None] * expected_use, need=need, flow=flow,
                 use_share=use_share)


def _feed(w: World, links: Links, upper: Array, critical: Array,
          obsolescence: float) -> tuple[Array, Array, Array, Array]:
    """Plans cut to what suppliers can feed: (plans, need per step, flow per link, share of
    the bill of materials used).

    The first round places the orders for the plans (firms asking for everything they want,
    rationed proportionally and re-placed: phase 3's rule); each firm not fed is cut to the
    output its scarcest critical component allows, and its use of a non-critical component
    to what it got. Later rounds split the smaller orders as the last round's flows went (the
    calibration firms order by, :meth:`Links.calibrate`), so a cut never lets one firm's
    orders crowd out another's that were filled; it stops once every firm is fed.
    """
    F, C = w.bom.shape
    planned = upper.copy()
    use_share = np.ones((F, C))
    weight = links.preference
    for _ in range(FEED_ROUNDS):
        use = planned[:, None] * w.bom * use_share
        # what must arrive each step to keep stock at target: use, plus what obsolescence
        # writes off (stock S after the write-off needs S·o/(1 − o) more before it)
        need = use + w.cover[:, None] * use * obsolescence / (1.0 - obsolescence)
        flow, _ = market.place_orders(need.ravel(), links.fc, weight,
                                      np.full(len(links), np.inf), links.supplier,
                                      w.supplier_capacity)
        got = np.bincount(links.fc, flow, F * C).reshape(F, C)
        fill = np.minimum(1.0, np.divide(got, need, out=np.ones_like(need),
                                         where=need > 1e-12))
        if (fill >= 1.0 - 1e-12).all():
            break
        planned = planned * np.where(critical, fill, 1.0).min(axis=1)
        use_share = np.where(critical, 1.0, use_share * fill)
        asked = need.ravel()[links.fc] * market.group_shares(weight, links.fc, F * C)
        weight = weight * np.divide(flow, asked, out=np.zeros(len(links)), where=asked > 0)
    return planned, need, flow, use_share
