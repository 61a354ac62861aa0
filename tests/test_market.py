"""Property tests of the pure market functions (sim/market.py).

Invariants: no negative flows, conservation of units (nobody gets more than asked, nobody gives
more than it has), monotone responses, and share prices that price risk in once.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from sim.engine import market, valuation

TOL = 1e-9
SETTINGS = settings(max_examples=60, deadline=None)

qty = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
pos = st.floats(0.01, 1e3, allow_nan=False, allow_infinity=False)
share = st.floats(0.0, 1.0, allow_nan=False)


def arr(xs) -> np.ndarray:
    return np.asarray(xs, dtype=float)


@st.composite
def rationing(draw):
    """Links with owners and owners' capacities."""
    n_owners = draw(st.integers(1, 5))
    n_links = draw(st.integers(0, 12))
    owner = np.array(draw(st.lists(st.integers(0, n_owners - 1), min_size=n_links,
                                   max_size=n_links)), dtype=int)
    requests = arr(draw(st.lists(qty, min_size=n_links, max_size=n_links)))
    capacity = arr(draw(st.lists(qty, min_size=n_owners, max_size=n_owners)))
    return requests, owner, capacity


@st.composite
def sourcing(draw):
    """A random (firm, component) × supplier link table for place_orders."""
    n_groups = draw(st.integers(1, 4))
    n_sup = draw(st.integers(1, 4))
    n_links = draw(st.integers(1, 10))
    group = np.array(draw(st.lists(st.integers(0, n_groups - 1), min_size=n_links,
                                   max_size=n_links)), dtype=int)
    supplier = np.array(draw(st.lists(st.integers(0, n_sup - 1), min_size=n_links,
                                      max_size=n_links)), dtype=int)
    pref = arr(draw(st.lists(pos, min_size=n_links, max_size=n_links)))
    # a licensed quantity per link, or no limit
    limit = arr(draw(st.lists(st.one_of(qty, st.just(np.inf)), min_size=n_links,
                              max_size=n_links)))
    order = arr(draw(st.lists(qty, min_size=n_groups, max_size=n_groups)))
    capacity = arr(draw(st.lists(qty, min_size=n_sup, max_size=n_sup)))
    return order, group, pref, limit, supplier, capacity


@st.composite
def markets(draw):
    """Firms selling one product each in every region."""
    n_firms = draw(st.integers(1, 4))
    n_regions = draw(st.integers(1, 3))
    n_products = draw(st.integers(1, 2))
    product = np.array(draw(st.lists(st.integers(0, n_products - 1), min_size=n_firms,
                                     max_size=n_firms)), dtype=int)
    shape = (n_firms, n_regions)
    size = n_firms * n_regions
    n_m = n_products * n_regions
    weight = arr(draw(st.lists(st.floats(0.0, 10.0), min_size=size, max_size=size)))
    price = arr(draw(st.lists(pos, min_size=size, max_size=size)))
    market_ = product[:, None] * n_regions + np.arange(n_regions)[None, :]
    base = arr(draw(st.lists(qty, min_size=n_m, max_size=n_m)))
    ref = arr(draw(st.lists(pos, min_size=n_m, max_size=n_m)))
    elast = arr(draw(st.lists(st.floats(0.0, 3.0), min_size=n_m, max_size=n_m)))
    shock = arr(draw(st.lists(st.floats(0.5, 2.0), min_size=n_m, max_size=n_m)))
    available = arr(draw(st.lists(qty, min_size=n_firms, max_size=n_firms)))
    return (weight.reshape(shape), price.reshape(shape), market_, base, ref, elast, shock,
            available)


# -- rationing -------------------------------------------------------------------------------

@SETTINGS
@given(rationing())
def test_ration_gives_no_more_than_asked_nor_than_capacity(case):
    requests, owner, capacity = case
    given_ = market.ration(requests, owner, capacity)
    assert given_.shape == requests.shape
    assert np.all(given_ >= 0)
    assert np.all(given_ <= requests + TOL)
    per_owner = np.bincount(owner, given_, len(capacity))
    assert np.all(per_owner <= capacity * (1 + TOL) + TOL)
    # an owner with enough capacity fills every request in full
    asked = np.bincount(owner, requests, len(capacity))
    full = (capacity >= asked)[owner]
    np.testing.assert_allclose(given_[full], requests[full])
    # an owner short of capacity gives all it has
    short = asked > capacity
    np.testing.assert_allclose(per_owner[short], capacity[short], rtol=1e-9, atol=1e-9)


@SETTINGS
@given(rationing(), st.integers(0, 4), qty)
def test_ration_more_capacity_never_gives_less(case, which, extra):
    requests, owner, capacity = case
    assume(which < len(capacity))
    more = capacity.copy()
    more[which] += extra
    before = market.ration(requests, owner, capacity)
    after = market.ration(requests, owner, more)
    assert np.all(after >= before - TOL)


# -- ordering --------------------------------------------------------------------------------

@SETTINGS
@given(sourcing())
def test_place_orders_respects_orders_capacity_and_licences(case):
    order, group, pref, limit, supplier, capacity = case
    shipped, requested = market.place_orders(order, group, pref, limit, supplier, capacity)
    assert np.all(shipped >= 0) and np.all(requested >= 0)
    per_group = np.bincount(group, shipped, len(order))
    assert np.all(per_group <= order * (1 + TOL) + TOL)
    per_supplier = np.bincount(supplier, shipped, len(capacity))
    assert np.all(per_supplier <= capacity * (1 + TOL) + TOL)
    assert np.all(shipped <= limit * (1 + TOL) + TOL)
    # a supplier never ships more than was requested of it
    assert np.all(per_supplier <= requested * (1 + TOL) + TOL)
    # a link that is not allowed at all carries nothing
    assert np.all(shipped[limit == 0] == 0)


@SETTINGS
@given(sourcing())
def test_place_orders_fills_everything_when_unconstrained(case):
    order, group, pref, _, supplier, _ = case
    limit = np.full_like(pref, np.inf)
    capacity = np.full(supplier.max() + 1, order.sum() + 1.0)
    shipped, _ = market.place_orders(order, group, pref, limit, supplier, capacity)
    has_link = np.bincount(group, minlength=len(order)) > 0
    np.testing.assert_allclose(np.bincount(group, shipped, len(order))[has_link],
                               order[has_link], rtol=1e-9, atol=1e-9)


REROUTE = ((arr([1.0]), np.array([0, 0, 0]), arr([1.5, 1, 1]),
            arr([0.5, np.inf, np.inf]),
            np.array([0, 1, 2]), arr([0.0, 1.0, 0.0])), 0, 1.0)


@SETTINGS
@example(*REROUTE)
@given(sourcing(), st.integers(0, 3), qty)
def test_place_orders_more_capacity_ships_no_less(case, which, extra):
    order, group, pref, limit, supplier, capacity = case
    assume(which < len(capacity))
    more = capacity.copy()
    more[which] += extra
    before, _ = market.place_orders(order, group, pref, limit, supplier, capacity)
    after, _ = market.place_orders(order, group, pref, limit, supplier, more)
    assert after.sum() >= before.sum() - 1e-7 * max(1.0, before.sum())


def test_place_orders_reroutes_unfilled_to_spare_sources():
    # one firm, two sources with equal preference; the first can ship only 1 of its 5
    shipped, requested = market.place_orders(
        order=arr([10]), link_group=np.array([0, 0]), preference=arr([1, 1]),
        limit=arr([np.inf, np.inf]), supplier=np.array([0, 1]), capacity=arr([1, 100]))
    np.testing.assert_allclose(shipped, [1, 9])
    np.testing.assert_allclose(requested, [5, 9])


def test_place_orders_reroutes_past_a_capped_link():
    """One order of 1 from three sources: A (licensed for half the order, preferred), B, C (no
    capacity). B alone could fill it all; giving A capacity must not make the firm get less."""
    (order, group, pref, limit, supplier, capacity), _, _ = REROUTE
    without_a, _ = market.place_orders(order, group, pref, limit, supplier, capacity)
    np.testing.assert_allclose(without_a.sum(), 1.0)
    with_a, _ = market.place_orders(order, group, pref, limit, supplier, arr([1.0, 1.0, 0.0]))
    # actual: [0.5, 0.4, 0.0] — 0.1 unfilled although B has 0.6 spare and room for it
    np.testing.assert_allclose(with_a.sum(), 1.0)


def test_place_orders_licence_caps_a_quantity_whatever_the_order():
    for order in (10, 40):  # a stock gap that quadruples the order does not raise the cap
        shipped, _ = market.place_orders(
            order=arr([order]), link_group=np.array([0, 0]), preference=arr([1, 1]),
            limit=arr([2, np.inf]), supplier=np.array([0, 1]), capacity=arr([100, 100]))
        np.testing.assert_allclose(shipped[0], 2)
        np.testing.assert_allclose(shipped.sum(), order)


@SETTINGS
@given(st.lists(st.tuples(qty, qty, qty, qty, qty), min_size=1, max_size=6),
       share, share, st.floats(0.0, 1e3))
def test_order_quantity_monotone_and_non_negative(rows, alpha, beta, bump):
    use, target, stock, line, desired = (arr(c) for c in zip(*rows, strict=True))
    base = market.order_quantity(use, target, stock, line, desired, alpha, beta)
    assert np.all(base >= 0)
    higher_target = market.order_quantity(use, target + bump, stock, line, desired, alpha, beta)
    more_stock = market.order_quantity(use, target, stock + bump, line, desired, alpha, beta)
    assert np.all(higher_target >= base - 1e-9)
    assert np.all(more_stock <= base + 1e-9)
    # strictly, where the order is positive and adjustment is on
    if alpha > 0.01 and bump > 1:
        inner = base > 0
        assert np.all(higher_target[inner] > base[inner])
        assert np.all(more_stock[inner] < base[inner])


def test_order_quantity_formula():
    q = market.order_quantity(arr([10]), arr([40]), arr([20]), arr([5]), arr([15]), 0.5, 0.5)
    # 10 + 0.5·(40 − 20 + 0.5·(15 − 5)) = 22.5
    np.testing.assert_allclose(q, [22.5])


# -- markets ---------------------------------------------------------------------------------

@SETTINGS
@given(markets())
def test_clear_markets_conserves_units(case):
    weight, price, mk, base, ref, elast, shock, available = case
    out = market.clear_markets(weight, price, mk, base, ref, elast, shock, available)
    sales, spill, wanted, demand = out["sales"], out["spill"], out["wanted"], out["demand"]
    for name in ("sales", "spill", "wanted", "demand", "price_index"):
        assert np.all(out[name] >= 0), name
    # no firm sells more than it has
    assert np.all(sales.sum(axis=1) <= available * (1 + 1e-9) + 1e-9)
    # no market buys more than it demands
    per_market = np.bincount(mk.ravel(), sales.ravel(), len(base))
    assert np.all(per_market <= demand * (1 + 1e-9) + 1e-9)
    # spill goes only to firms that had goods left after serving their own buyers
    first = sales - spill
    left = available - first.sum(axis=1)
    got_spill = spill.sum(axis=1) > 0
    assert np.all(left[got_spill] > 1e-12)
    assert np.all(spill.sum(axis=1) <= np.maximum(left, 0) * (1 + 1e-9) + 1e-9)
    # first-round sales never exceed what buyers wanted of the firm
    assert np.all(first <= wanted * (1 + 1e-9) + 1e-9)


@SETTINGS
@given(markets(), st.floats(1.05, 3.0))
def test_higher_price_index_lowers_demand(case, factor):
    weight, price, mk, base, ref, elast, shock, available = case
    elast = np.maximum(elast, 0.1)
    low = market.clear_markets(weight, price, mk, base, ref, elast, shock, available)
    high = market.clear_markets(weight, price * factor, mk, base, ref, elast, shock, available)
    assert np.all(high["price_index"] >= low["price_index"])
    served = (low["demand"] > 1e-6)
    assert np.all(high["demand"][served] < low["demand"][served])
    assert np.all(high["demand"] <= low["demand"] + 1e-12)


def test_unmet_demand_spills_to_rival():
    # two firms, one market, equal weights; firm 0 has nothing to sell
    out = market.clear_markets(
        weight=arr([[1.0], [1.0]]), price=arr([[100.0], [100.0]]), market=np.array([[0], [0]]),
        base_demand=arr([10.0]), reference=arr([100.0]), elasticity=arr([1.0]),
        shock=arr([1.0]), available=arr([0.0, 100.0]))
    np.testing.assert_allclose(out["sales"].ravel(), [0.0, 10.0])
    np.testing.assert_allclose(out["spill"].ravel(), [0.0, 5.0])


@SETTINGS
@given(st.lists(pos, min_size=2, max_size=5), st.floats(0.1, 10.0), st.floats(1.01, 3.0),
       st.integers(0, 4))
def test_higher_own_price_lowers_logit_share(prices, sensitivity, factor, who):
    assume(who < len(prices))
    price = arr(prices)[:, None]
    ref, access = arr([[50.0]]), np.ones_like(price)
    group = np.zeros(len(prices), dtype=int)
    w = market.logit_weights(price, ref, access, sensitivity).ravel()
    assume(np.all(w > 1e-300) and np.all(np.isfinite(w)))
    dearer = price.copy()
    dearer[who] *= factor
    w2 = market.logit_weights(dearer, ref, access, sensitivity).ravel()
    before = market.group_shares(w, group, 1)[who]
    assume(1e-6 < before < 1 - 1e-6)  # away from floating-point saturation
    after = market.group_shares(w2, group, 1)[who]
    assert after < before
    # and every rival's share rises
    others = np.arange(len(prices)) != who
    assert np.all(market.group_shares(w2, group, 1)[others] >= market.group_shares(
        w, group, 1)[others])


def test_logit_access_scales_weight():
    w = market.logit_weights(arr([[100.0]]), arr([[100.0]]), arr([[0.5]]), 4.0)
    np.testing.assert_allclose(w, [[0.5]])


# -- valuation -------------------------------------------------------------------------------

def test_share_value_is_100_at_base():
    v = valuation.share_value(arr([5.0, 1.0]), arr([5.0, 1.0]), arr([0.0, 0.0]), arr([0.0, 0.0]))
    np.testing.assert_allclose(v, [100.0, 100.0])


@SETTINGS
@given(pos, pos, share, share, share)
def test_share_value_falls_with_hazard(profit, base, h1, h2, realised):
    lo, hi = sorted((h1, h2))
    v_lo = valuation.share_value(arr([profit]), arr([base]), arr([lo]), arr([realised]))
    v_hi = valuation.share_value(arr([profit]), arr([base]), arr([hi]), arr([realised]))
    assert v_hi[0] <= v_lo[0] + 1e-9
    assert v_hi[0] >= 0
    if hi > realised + 1e-6 and hi - max(lo, realised) > 1e-6:
        assert v_hi[0] < v_lo[0]


@SETTINGS
@given(pos, pos, share, share)
def test_share_value_prices_risk_once(profit, base, hazard, extra):
    """Once the realised loss reaches the hazard, the hazard no longer discounts the value."""
    realised = min(1.0, hazard + extra)
    v = valuation.share_value(arr([profit]), arr([base]), arr([hazard]), arr([realised]))
    np.testing.assert_allclose(v, [100.0 * profit / base], rtol=1e-12)
    # partly realised: only the rest is discounted
    half = hazard / 2
    v_half = valuation.share_value(arr([profit]), arr([base]), arr([hazard]), arr([half]))
    np.testing.assert_allclose(v_half, [100.0 * profit / base * (1 - (hazard - half))],
                               rtol=1e-12)


def test_share_value_floored_at_zero():
    v = valuation.share_value(arr([-3.0]), arr([1.0]), arr([0.5]), arr([0.0]))
    assert v[0] == 0.0


@SETTINGS
@given(st.lists(st.tuples(st.floats(0, 1e3, allow_subnormal=False),
                          st.sampled_from([0.0, 0.5, 1.0, 2.5])), min_size=1, max_size=5))
def test_producible_is_leontief(rows):
    stock = arr([[r[0], r[0] * 2] for r in rows])
    bom = arr([[r[1], 1.0] for r in rows])
    critical = np.array([True, True])
    out = market.producible(stock, bom, critical)
    assert np.all(out >= 0)
    expect = np.minimum(np.where(bom[:, 0] > 0, stock[:, 0] / np.where(bom[:, 0] > 0,
                                                                        bom[:, 0], 1), np.inf),
                        stock[:, 1])
    np.testing.assert_allclose(out, expect)
    # non-critical components do not limit output
    assert np.all(np.isinf(market.producible(stock, bom, np.array([False, False]))))
