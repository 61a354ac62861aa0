"""Market and supply-chain math: pure numpy functions on arrays.

No state, no randomness, no Python loops over firms or links: every function is a handful of
vectorised operations, so a step costs in proportion to the number of firms and links.
Quantities are units per step, prices currency per unit. Formulas and sources are in
docs/model.md.
"""

from __future__ import annotations

import numpy as np

REPLACE_ROUNDS = 4  # re-placement rounds per step; each is a few vectorised operations


def smooth(previous: np.ndarray, observed: np.ndarray,
           weight: float | np.ndarray) -> np.ndarray:
    """Exponential smoothing (adaptive expectations): ``prev + weight·(obs − prev)``."""
    return previous + weight * (observed - previous)


def order_quantity(use: np.ndarray, target_stock: np.ndarray, stock: np.ndarray,
                   supply_line: np.ndarray, desired_supply_line: np.ndarray,
                   alpha: float, beta: float) -> np.ndarray:
    """Orders by anchoring and adjustment (Sterman 1989, "Modeling managerial behavior").

    ``order = max(0, use + α·(S* − S + β·(SL* − SL)))``: replace expected use, close a fraction α
    of the stock gap per step, and count β of the supply-line gap (β < 1 is the usual
    under-weighting of orders in transit). Units per step.
    """
    gap = target_stock - stock + beta * (desired_supply_line - supply_line)
    return np.maximum(0.0, use + alpha * gap)


def group_shares(weight: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Each item's share of its group's total weight (0 where the group's total is 0)."""
    total = np.bincount(group, weight, n_groups)[group]
    return np.divide(weight, total, out=np.zeros(weight.shape), where=total > 0)


def ration(requests: np.ndarray, owner: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Proportional rationing: each owner fills its requests by ``min(1, capacity / asked)``.

    Args:
        requests: quantity asked on each link, ≥ 0.
        owner: index of the owner (supplier or firm) of each link.
        capacity: what each owner can give, ≥ 0.

    Returns:
        quantity given on each link: never more than asked, and per owner never more than its
        capacity.
    """
    asked = np.bincount(owner, requests, len(capacity))
    # only owners asked for more than they have ration (no overflow on tiny requests)
    fill = np.divide(capacity, asked, out=np.ones(capacity.shape),
                     where=(asked > capacity) & (asked > 0))
    return requests * fill[owner]


def place_orders(order: np.ndarray, link_group: np.ndarray, preference: np.ndarray,
                 limit: np.ndarray, supplier: np.ndarray, capacity: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Split each firm's order for a component across its sources, then re-place the unfilled.

    Round 1: each (firm, component) order is split across its links by preference, among the
    links whose limit is above zero; a link carries at most its ``limit`` (a licence caps a
    quantity, never a share of an order that a stock gap inflates). Suppliers ration
    proportionally. Then, up to ``REPLACE_ROUNDS`` times, what was not filled is re-placed
    with the firm's sources that still have both room under their limit and spare capacity,
    which ration their spare capacity again.

    Args:
        order: wanted quantity per (firm, component) group, [groups].
        link_group: group of each link, [L].
        preference: ordering weight of each link, ≥ 0, [L].
        limit: most each link may carry this step, ≥ 0 (``inf`` when unrestricted), [L].
        supplier: supplier of each link, [L].
        capacity: each supplier's capacity this step, [S].

    Returns:
        (shipments per link, quantity requested per supplier — the demand it saw), both ≥ 0.
    """
    n = len(order)
    wanted = order[link_group]
    cap = np.minimum(limit, wanted)
    asked = split_under_caps(order, link_group, preference, cap)
    shipped = ration(asked, supplier, capacity)
    for _ in range(REPLACE_ROUNDS):
        unfilled = np.maximum(0.0, order - np.bincount(link_group, shipped, n))
        spare = np.maximum(0.0, capacity - np.bincount(supplier, shipped, len(capacity)))
        room = np.maximum(0.0, cap - shipped) * (spare[supplier] > 1e-12)
        more = np.minimum(unfilled[link_group] * group_shares(preference * (room > 1e-12),
                                                              link_group, n), room)
        if more.sum() <= 1e-12 * max(1.0, order.sum()):
            break
        asked = asked + more
        shipped = shipped + ration(more, supplier, spare)
    return shipped, np.bincount(supplier, asked, len(capacity))


def split_under_caps(order: np.ndarray, link_group: np.ndarray, preference: np.ndarray,
                     cap: np.ndarray) -> np.ndarray:
    """Split each group's order across its links by preference, no link above its cap.

    What a capped link cannot take goes, in the same split, to the group's other links by
    preference (water-filling), so a firm licensed a sliver of one source asks its other
    sources for the rest at once, as it would if that source were closed: a bigger licence
    never leaves it asking less of the others than a smaller one and losing its place in their
    rationing. Without caps it is the plain preference split. Each pass fills at least one link
    to its cap or places everything, so it ends within the group's number of links.

    Args:
        order: wanted quantity per group, [groups].
        link_group: group of each link, [L].
        preference: ordering weight of each link, ≥ 0, [L].
        cap: most each link may be asked for, ≥ 0, [L].

    Returns:
        Quantity asked of each link, [L]: at most its cap, summing to the group's order where
        the caps allow.
    """
    n = len(order)
    asked = np.zeros(len(link_group))
    open_ = (preference > 0) & (cap > 0)
    for _ in range(len(link_group) + 1):
        left = np.maximum(0.0, order - np.bincount(link_group, asked, n))
        want = left[link_group] * group_shares(preference * open_, link_group, n)
        take = np.minimum(want, cap - asked)
        asked = asked + take
        full = open_ & (asked >= cap * (1 - 1e-12))
        if not (full & (take < want)).any():
            break
        open_ &= ~full
    return asked


def producible(stock: np.ndarray, bom: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """Output the stock of critical components allows: ``min_c stock[f,c] / bom[f,c]``.

    Leontief (fixed proportions) in the short run: components are complements. Firms without
    critical components are not limited (``inf``). [F, C] → [F].
    """
    need = bom * critical[None, :]
    ratio = np.divide(stock, need, out=np.full_like(stock, np.inf, dtype=float), where=need > 0)
    return ratio.min(axis=1)


def logit_weights(price: np.ndarray, reference: np.ndarray, access: np.ndarray,
                  sensitivity: float) -> np.ndarray:
    """Buyers' attraction to each seller: ``access · exp(−λ·(p / p_ref − 1))``, [F, R].

    A multinomial logit on the tariff-inclusive price relative to the product's reference price
    (Anderson, de Palma & Thisse 1992); ``access`` scales a seller's reachable buyers.
    """
    return access * np.exp(-sensitivity * (price / reference - 1.0))


def clear_markets(weight: np.ndarray, price: np.ndarray, market: np.ndarray,
                  base_demand: np.ndarray, reference: np.ndarray, elasticity: np.ndarray,
                  shock: np.ndarray, available: np.ndarray) -> dict[str, np.ndarray]:
    """Clear every (product, region) market at once.

    Total demand in market m falls with its price index: ``D_m = D0_m·shock_m·(PI_m/p_m)^−ε``,
    where ``PI_m`` is the share-weighted tariff-inclusive price. Buyers split between sellers by
    ``weight``; each firm's sales are capped by what it has (``available``, split across its
    regions in proportion to demand); demand a firm cannot serve spills to rivals with goods
    left, once, in proportion to their weights; the rest is lost.

    Args:
        weight: logit weight of each firm in each region, [F, R].
        price: tariff-inclusive price, [F, R].
        market: flat market index of each (firm, region), [F, R].
        base_demand, reference, elasticity, shock: per market, [M].
        available: units each firm can sell, [F].

    Returns:
        ``price_index`` and ``demand`` per market [M]; ``wanted`` (demand for each firm before
        capacity limits), ``sales`` per [F, R]; ``spill`` received per [F, R]; ``seen`` per
        [F, R]: ``wanted`` plus a share (by weight) of all unmet demand, goods left or not.
    """
    M = len(base_demand)
    flat_w, flat_m = weight.ravel(), market.ravel()
    share = group_shares(flat_w, flat_m, M).reshape(weight.shape)
    has = np.bincount(flat_m, flat_w, M) > 0
    index = np.where(has, np.bincount(flat_m, (share * price).ravel(), M), reference)
    demand = base_demand * shock * (index / reference) ** (-elasticity) * has
    wanted = share * demand[market]
    sales = _cap_rows(wanted, available)
    unmet = np.bincount(flat_m, (wanted - sales).ravel(), M)
    left = available - sales.sum(axis=1)
    weight2 = weight * (left > 1e-12)[:, None]
    offered = group_shares(weight2.ravel(), flat_m, M).reshape(weight.shape) * unmet[market]
    spill = _cap_rows(offered, left)
    # the demand each firm saw: its buyers and, by weight, those turned away by rivals, whether
    # or not it had goods left for them (the signal a firm at capacity expands on)
    seen = wanted + group_shares(flat_w, flat_m, M).reshape(weight.shape) * unmet[market]
    return {"price_index": index, "demand": demand, "wanted": wanted, "seen": seen,
            "sales": sales + spill, "spill": spill}


def _cap_rows(amount: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Scale each row down so that it sums to at most ``limit`` (proportional rationing)."""
    total = amount.sum(axis=1)
    # divide only rows over their limit (no overflow on tiny totals); a limit a rounding error
    # below zero with nothing asked leaves the row alone
    over = (total > limit) & (total > 0)
    fill = np.divide(limit, total, out=np.ones(limit.shape), where=over)
    return amount * fill[:, None]


def adjust_price(price: np.ndarray, reference: np.ndarray, unit_cost: np.ndarray | float,
                 base_unit_cost: np.ndarray | float, scarcity: np.ndarray, speed: float,
                 markup: float, margin: np.ndarray | float = 0.0,
                 margin_ratio: np.ndarray | float = 1.0) -> np.ndarray:
    """Partial adjustment toward a cost-plus-scarcity target.

    ``target = p_ref·(1 + μ·scarcity) + (c − c0) + M0·(r − 1)``: component cost changes pass
    through one for one; the steady-state margin over marginal cost ``M0`` is scaled by
    ``r`` (:func:`margin_ratio`: the Bertrand–logit markup moves with the firm's demand
    elasticity); and a seller that cannot serve a share ``scarcity`` of what is asked of it
    raises its price by up to μ of its reference price. The scarcity premium follows the
    seller's own scarcity only: it does not scale with its inputs' cost, so a firm that sells
    out does not gain margin when its inputs get dearer. The price moves a fraction ``speed``
    of the way each step (partial adjustment). With ``c = c0``, ``r = 1`` and no scarcity the
    target is the reference price exactly, so the steady state stays put.
    """
    target = (reference * (1.0 + markup * scarcity) + unit_cost - base_unit_cost
              + margin * (margin_ratio - 1.0))
    return np.maximum(1e-9, price + speed * (target - price))


# -- prices and welfare (Bertrand–logit markups, component scarcity, consumer surplus) -----
def demand_elasticity(share: np.ndarray, paid: np.ndarray, reference: np.ndarray,
                      index: np.ndarray, elasticity: np.ndarray, base_demand: np.ndarray,
                      market: np.ndarray, sensitivity: float) -> np.ndarray:
    """Each firm's own-price elasticity of demand in each of its markets, [F, R].

    In market m the firm's demand is ``s·D_m(PI)`` with a logit share on ``q / p_ref``
    (q the tariff-inclusive price): ``η = λ·(q / p_ref)·(1 − s) + ε_m·s·q / PI_m``, the logit
    term (Anderson, de Palma & Thisse 1992) plus the firm's part in the market's own
    elasticity. A tariff is ad valorem, so the elasticity with respect to the firm's own
    price equals the one with respect to q. A market where the firm has no steady demand
    (``s·D0_m = 0``; steady demand, not the noisy one) gets 0.

    Args:
        share: logit share [F, R]; paid: tariff-inclusive price [F, R];
        reference, index, elasticity, base_demand: per market [M]; market: [F, R] index.
    """
    ref, pi = reference[market], index[market]
    q = paid / ref
    eta = sensitivity * q * (1.0 - share) + elasticity[market] * share * np.divide(
        paid, pi, out=np.ones_like(paid), where=pi > 0)
    return np.where(share * base_demand[market] > 0, eta, 0.0)


def margin_ratio(elasticity: np.ndarray, base_elasticity: np.ndarray) -> np.ndarray:
    """How a Bertrand–logit firm scales its margin: ``η0 / η`` (Lerner: margin ∝ 1/η), per
    market [F, R] (or per firm).

    A rival gaining share when its competitor is taxed faces less elastic demand and raises
    its margin; the taxed firm faces more elastic demand and absorbs part of the tariff. A
    firm without demand, or whose elasticity is 0 now or at step 0, keeps its margin (1).
    """
    ok = (elasticity > 1e-12) & (base_elasticity > 1e-12)
    return np.divide(base_elasticity, elasticity, out=np.ones_like(elasticity), where=ok)


def unfilled_share(requested: np.ndarray, shipped: np.ndarray) -> np.ndarray:
    """Share of what was asked of each seller that it could not fill, in [0, 1]."""
    return np.clip(np.divide(requested - shipped, requested, out=np.zeros_like(requested),
                             where=requested > 1e-12), 0.0, 1.0)


def consumer_surplus(weight_sum: np.ndarray, base_weight_sum: np.ndarray,
                     sensitivity: float, elasticity: np.ndarray) -> np.ndarray:
    """Change in consumer surplus per market against the steady state, as a share of the
    steady-state spending ``D0·p_ref``, [M].

    The logit log-sum (Small & Rosen 1981; Train 2009, §3.5) gives the inclusive price
    ``P = p_ref·(1 − ln(Σw / Σw0) / λ)``: buyers' expected best utility in money, with ``w``
    the logit weights buyers face (tariffs, prices, access) and ``w0`` those of the steady
    state. The surplus change is the area under the market's demand curve
    ``D0·(x / p_ref)^(−ε)`` between the two inclusive prices:
    ``ΔCS / (D0·p_ref) = (1 − x^(1−ε)) / (1 − ε)`` with ``x = P / p_ref`` (``−ln x`` when
    ε = 1). It falls whenever any weight falls, so a higher tariff (or a lost seller) never
    raises it. A market with no sellers at the start counts 0; one whose sellers are all
    closed counts the largest loss the formula allows (x capped at 10⁶).
    """
    ratio = np.divide(weight_sum, base_weight_sum, out=np.ones_like(weight_sum),
                      where=base_weight_sum > 0)
    with np.errstate(divide="ignore"):
        x = 1.0 - np.log(np.maximum(ratio, 0.0)) / sensitivity
    x = np.clip(x, 1e-6, 1e6)
    one = np.abs(elasticity - 1.0) < 1e-9
    e = np.where(one, 0.5, elasticity)  # placeholder where ε = 1, replaced below
    return np.where(one, -np.log(x), (1.0 - x ** (1.0 - e)) / (1.0 - e))


def unplaced(order: np.ndarray, link_group: np.ndarray, preference: np.ndarray,
             limit: np.ndarray, shipped: np.ndarray, n_suppliers: int,
             supplier: np.ndarray) -> np.ndarray:
    """Orders no source could fill, attributed to the sources that may still carry more, [S].

    :func:`place_orders` re-places unfilled orders only with sources that have spare
    capacity, so a supplier at capacity is never asked for them; yet they are demand it could
    serve if it grew. Each group's unfilled order is spread over its links with room under
    their limit, by preference (an emerging supplier's growth signal, :func:`grow_capacity`).
    """
    unfilled = np.maximum(0.0, order - np.bincount(link_group, shipped, len(order)))
    room = (limit - shipped > 1e-12) & (preference > 0)
    share = group_shares(preference * room, link_group, len(order))
    return np.bincount(supplier, unfilled[link_group] * share, n_suppliers)


RAMP_TO = 0.9  # ``ramp.steps`` is the time to this share of the way to the ceiling
DECISION = 0.5  # perceived excess demand at which an emerging supplier starts to build


def learning_rate(ramp_steps: np.ndarray,
                  learning: float) -> tuple[np.ndarray, np.ndarray]:
    """Bass coefficients ``(p, q)`` per step that reach ``RAMP_TO`` in ``ramp_steps``, [S].

    Under full, sustained demand progress follows the Bass curve
    ``x(t) = (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})``, which reaches ``RAMP_TO`` = 0.9 at
    ``(p + q)·t = ln((1 + 0.9·q/p) / 0.1)``; ``learning`` is ``q/p``. Suppliers without a ramp
    get 0.
    """
    scale = np.log((1.0 + RAMP_TO * learning) / (1.0 - RAMP_TO))
    total = np.where(ramp_steps > 0, scale / np.maximum(ramp_steps, 1), 0.0)
    return total / (1.0 + learning), total * learning / (1.0 + learning)


def grow_capacity(capacity: np.ndarray, signal: np.ndarray, requested: np.ndarray,
                  start: np.ndarray, ceiling: np.ndarray, ramp_steps: np.ndarray,
                  build_lag: float, subsidy: np.ndarray, trigger: float = 0.0,
                  learning: float = 12.7, room: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Emerging suppliers grow on demand along a learning curve, [S] → (capacity, signal,
    wanted growth).

    ``signal`` is the supplier's perceived excess demand, in [0, 1]: a first-order smoothing
    (Sterman 2000, ch. 11) of "orders above capacity by more than ``trigger``" (a share of
    capacity: a supplier at capacity sees demand noise, not unmet demand) with the build lag as
    its time constant (divided by the subsidy factor). From ``DECISION`` on, and in a step where
    orders still exceed capacity, progress ``x = (capacity − start) / (ceiling − start)`` grows
    by ``signal · subsidy · (p + q·x)(1 − x)`` (Bass 1969: slow at first, faster as the
    supplier learns, saturating at the ceiling; :func:`learning_rate`), so a subsidy divides the
    time to 90% by its factor. ``room`` caps the growth (the capacity the tools in hand can add;
    default: none); ``wanted`` is the growth before that cap. Suppliers without a ramp
    (``ramp_steps == 0``) never grow.
    """
    over = requested > capacity * (1 + trigger + 1e-9)
    signal = smooth(signal, over.astype(float), np.minimum(1.0, subsidy / max(build_lag, 1.0)))
    span = ceiling - start
    x = np.clip(np.divide(capacity - start, span, out=np.ones_like(span), where=span > 0), 0, 1)
    p, q = learning_rate(ramp_steps, learning)
    step = span * signal * subsidy * (p + q * x) * (1.0 - x)
    go = (ramp_steps > 0) & over & (signal >= DECISION)
    wanted = np.where(go, np.clip(np.minimum(step, ceiling - capacity), 0.0, None), 0.0)
    grown = wanted if room is None else np.minimum(wanted, room)
    return capacity + grown, signal, wanted


def cover_of(stock: np.ndarray, expected_use: np.ndarray, bom: np.ndarray,
             critical: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Stock in steps of expected use, [F, C], and its lowest value over critical inputs, [F].

    A component with stock but no expected use counts as ``cap`` steps; a firm without
    critical components has cover 0.
    """
    cover = np.divide(stock, expected_use, out=np.where(stock > 0, cap, 0.0),
                      where=expected_use > 1e-12).clip(0, cap)
    crit = np.where((bom > 0) & critical[None, :], cover, np.inf)
    lowest = crit.min(axis=1)
    return cover, np.where(np.isfinite(lowest), lowest, 0.0)
