"""Costs that bite (docs/model.md, "6. Finance"): fixed costs and cash as scenario keys, the
`fine` move and the lift it can buy, exit when cash runs out, suppliers' profit and value."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sim.engine import phases
from sim.engine.model import TradeModel
from sim.errors import MoveError
from sim.rules.moves import MoveCall, apply_move
from sim.scenario import validate_document
from tests.worlds import APPLE, HUAWEI, S_CN, tiny_document

S_US = 0  # s_us, the US soc maker
US, CN, TW = 0, 1, 2


def tiny(events: list[dict[str, Any]] | None = None, steps: int = 20,
         **huawei: Any) -> TradeModel:
    """The tiny world without holding cost or obsolescence: each firm earns 200 a step on
    revenue 1,000; ``huawei`` sets keys of that firm."""
    doc = tiny_document(events=events, steps=steps, obsolescence_per_year=0.0,
                        holding_cost_per_year=0.0)
    doc["firms"]["huawei"].update(huawei)
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"))


def arrays(m: TradeModel) -> dict[str, np.ndarray]:
    """Every changing array of the state, by ``part.field``."""
    s = m.state
    return {f"{name}.{f.name}": copy.deepcopy(getattr(part, f.name))
            for name in ("firms", "pipeline", "suppliers", "markets", "finance", "governments")
            for part in [getattr(s, name)] for f in dataclasses.fields(part)}


def fine(m: TradeModel, amount: float, delist: bool = False, by: str = "US") -> str:
    return apply_move(m, MoveCall(by, "fine", "huawei", {"amount": amount, "delist": delist}))


# -- fixed cost and cash -----------------------------------------------------------------------
def test_default_cash_is_a_quarter_of_steady_costs_and_stays_put():
    m = tiny()
    # costs 1,000 − 200 a step, for 91 days (13 weekly steps)
    assert_allclose(m.state.ref.cash, [800 * 13, 800 * 13])
    m.run()
    assert_allclose(m.recorder.metric("firm", "cash"), 10_400.0)
    assert not m.recorder.metric("firm", "out").any()


def test_a_firms_own_fixed_cost_and_cash_replace_the_defaults():
    m = tiny(fixed_cost=300.0, cash=5_000.0)
    ref = m.state.ref
    # non-component cost 65 a unit × 10 units: 300 of it fixed, 35 a unit variable
    assert_allclose(ref.fixed_cost, [195.0, 300.0])
    assert_allclose(ref.other_cost, [45.5, 35.0])
    assert_allclose(ref.profit, [200.0, 200.0])
    assert_allclose(ref.cash[HUAWEI], 5_000.0)
    m.run()
    assert_allclose(m.recorder.series("firm", "profit", "huawei"), 200.0)
    assert_allclose(m.recorder.series("firm", "share_price", "huawei"), 100.0)


# -- fines ----------------------------------------------------------------------------------
def test_a_fine_lowers_cash_by_the_amount_and_changes_nothing_else():
    m = tiny()
    fine(m, 1_234.0)
    before = arrays(m)
    phases.collect_fines(m)
    after = arrays(m)
    assert after.pop("finance.cash")[HUAWEI] == pytest.approx(10_400.0 - 1_234.0)
    assert_allclose(after.pop("governments.fines"), [1_234.0, 0.0, 0.0])
    assert_allclose(after.pop("governments.fines_by"), [[0.0, 1_234.0], [0, 0], [0, 0]])
    for key in ("finance.cash", "governments.fines", "governments.fines_by"):
        before.pop(key)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)
    assert m.policy.fine_due.sum() == 0.0
    assert any("pays US its fine" in n for _, n in m.news)


def test_a_fine_is_not_booked_as_operating_profit_and_cash_rebuilds_from_profit():
    m = tiny()
    m.events[2].append(MoveCall("US", "fine", "huawei", {"amount": 500.0}, source="event"))
    m.run()
    cash = m.recorder.series("firm", "cash", "huawei")
    assert_allclose(cash[:2], 10_400.0)
    assert_allclose(cash[2:5], [10_100.0, 10_300.0, 10_400.0])  # 200 of profit a step back
    assert_allclose(m.recorder.series("firm", "profit", "huawei"), 200.0)
    # the fine leaves operating profit alone, but is paid out of cash, which the value counts
    # once (docs/model.md, section 6): the price falls by the cash missing and recovers with it
    price = m.recorder.series("firm", "share_price", "huawei")
    value = m.state.ref.value[HUAWEI]
    assert_allclose(price[2:4], 100.0 * (value - np.array([300.0, 100.0])) / value)
    assert_allclose(np.delete(price, [2, 3]), 100.0)
    assert_allclose(m.recorder.series("firm", "output", "huawei"), 10.0)


def test_fines_conserve_money():
    """Every unit of money a fined firm pays is received by a fining government."""
    m = tiny(events=[{"at": 1, "by": "US", "move": "fine", "target": "huawei", "amount": 700},
                     {"at": 3, "by": "TW", "move": "fine", "target": "huawei", "amount": 300},
                     {"at": 3, "by": "CN", "move": "fine", "target": "huawei", "amount": 40}])
    m.run()
    rec = m.recorder
    received = rec.metric("country", "fines")
    assert_allclose(received.sum(axis=0), [700.0, 40.0, 300.0])
    cash, profit = rec.series("firm", "cash", "huawei"), rec.series("firm", "profit", "huawei")
    paid = received.sum(axis=1)
    previous = np.concatenate([[m.state.ref.cash[HUAWEI]], cash[:-1]])
    # what is not paid out above the cash the firm keeps is profit less fines
    assert_allclose(cash, np.minimum(m.state.ref.cash[HUAWEI], previous + profit - paid))
    assert_allclose(rec.series("firm", "cash", "apple"), m.state.ref.cash[APPLE])


def test_a_conditional_lift_happens_only_once_the_fine_is_paid():
    m = tiny(steps=40)
    apply_move(m, MoveCall("US", "entity_list", "huawei"))
    fine(m, 11_000.0, delist=True)  # more than its 10,400 of cash: it must save first
    with pytest.raises(MoveError, match="not yet paid"):
        fine(m, 10.0)
    paid_at = None
    while m.running:
        step = m.step_index
        m.step()
        paid = [t for t, n in m.news if "pays US its fine" in n]
        if paid:
            paid_at = paid[0]
            break
        assert m.policy.listed[US, HUAWEI], f"lifted at step {step} before the fine was paid"
        assert m.policy.fine_due[US, HUAWEI] == 11_000.0
    assert paid_at is not None and paid_at > 0, "the fine was never paid"
    assert not m.policy.listed[US, HUAWEI]
    lift = [e for e in m.log if e.call.move == "delist"]
    assert [e.step for e in lift] == [paid_at] and lift[0].call.source == "event"
    assert m.recorder.series("country", "fines", "US")[paid_at] == 11_000.0


def test_a_conditional_fine_needs_a_listing():
    with pytest.raises(MoveError, match="not on"):
        fine(tiny(), 10.0, delist=True)


# -- exit ------------------------------------------------------------------------------------
def cut_off(m: TradeModel) -> None:
    """US and TW list huawei and s_cn cannot ship: huawei stops once its socs run out, while
    apple keeps its sources."""
    apply_move(m, MoveCall("US", "entity_list", "huawei"))
    apply_move(m, MoveCall("TW", "entity_list", "huawei"))
    m.state.suppliers.capacity[S_CN] = 0.0


def test_a_firm_whose_cash_runs_out_exits_and_sells_nothing():
    m = tiny(cash=300.0, steps=30)
    cut_off(m)
    m.run()
    rec = m.recorder
    out = rec.series("firm", "out", "huawei").astype(bool)
    cash = rec.series("firm", "cash", "huawei")
    assert out.any(), "huawei never ran out of cash"
    first = int(np.argmax(out))
    assert out[first:].all()  # exit is for good
    # its cash ran out in that step's profit: it exits with none (limited liability: what it
    # owed beyond its cash is its creditors' loss), never with negative cash
    assert cash[first] == 0.0 <= cash[:first].min()
    assert cash[first - 1] + rec.series("firm", "profit", "huawei")[first] < 0
    # cash is settled after production and sales (phase 6): the firm exits at the end of the
    # step its cash runs out, and makes and sells nothing from the next
    assert rec.series("firm", "output", "huawei")[first + 1:].max() == 0.0
    assert rec.series("firm", "sales", "huawei")[first + 1:].max() == 0.0
    assert rec.series("firm", "share_price", "huawei")[first:].max() == 0.0
    assert m.state.firms.order[HUAWEI].max() == 0.0
    assert m.state.pipeline.supply_line[HUAWEI].max() == 0.0
    assert not rec.series("firm", "out", "apple").any()
    # buyers no longer choose it: its market goes to apple, whose price (the one buyers paid
    # this step, set at the end of the last) is the market's
    apple = rec.series("firm", "sales", "apple")
    assert apple[first + 5:].min() > 10.0
    index = rec.metric("market", "price")[-1]
    assert_allclose(index, rec.series("firm", "price", "apple")[-2])
    with pytest.raises(MoveError, match="exited"):
        fine(m, 10.0)


def test_a_firm_with_cash_to_spare_survives_the_same_stop():
    m = tiny(steps=30)
    cut_off(m)
    m.run()
    assert not m.recorder.series("firm", "out", "huawei").any()
    assert m.recorder.series("firm", "cash", "huawei")[-1] < 10_400.0


# -- suppliers' profit and value ---------------------------------------------------------------
def test_suppliers_profit_and_share_price_are_flat_without_policy():
    m = tiny()
    ref = m.state.ref
    # margin 20% of steady revenue: s_us ships 5 + 10/3 socs at 10
    assert ref.supplier_profit[S_US] == pytest.approx(0.2 * 10 * (5 + 10 / 3))
    m.run()
    assert_allclose(m.recorder.metric("supplier", "profit"),
                    np.broadcast_to(ref.supplier_profit, (m.horizon, len(m.world.suppliers))))
    assert_allclose(m.recorder.metric("supplier", "share_price"), 100.0)


def test_a_suppliers_profit_and_share_price_fall_when_a_customer_is_listed():
    m = tiny(events=[{"at": 2, "by": "US", "move": "entity_list", "target": "huawei"}])
    m.run()
    profit = m.recorder.series("supplier", "profit", "s_us")
    price = m.recorder.series("supplier", "share_price", "s_us")
    assert_allclose(price[:2], 100.0)
    assert profit[2:].max() < m.state.ref.supplier_profit[S_US]
    # forward-looking (docs/model.md, section 6): it falls on the news of the listing, before
    # the lost orders show in its profit, and keeps falling as the loss lasts
    assert price[2] < 95.0 and price[2:].max() < 95.0
    assert price[-1] < 0.7 * price[2]
