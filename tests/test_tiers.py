"""Tier 2 (suppliers' own inputs) and learning-curve ramps (docs/model.md, section 3).

The tiny world of tests/worlds.py with a second tier: s_cn is an emerging Chinese soc maker
(capacity 2, ramp to 12 over 10 steps) that installs 2 lithography tools per unit of capacity
it adds, bought from the US toolmaker t_us, and uses 0.5 units of gallium per soc, bought from
ga_tw in Taiwan. Listing huawei in the US sends huawei's soc orders to s_cn, which then grows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.engine import market
from sim.engine.model import TradeModel
from sim.engine.objectives import hostile_measures
from sim.errors import ScenarioError
from sim.scenario import load_scenario, validate_document
from tests.worlds import HUAWEI, S_CN, tiny_document

LITHO, GALLIUM = 2, 3  # component indices after soc, case
T_US, GA_TW = 4, 5  # supplier indices after s_us, s_cn, s_tw, k_cn


def tier_document(events: list[dict[str, Any]] | None = None, steps: int = 60,
                  noise: float = 0.0, **model: Any) -> dict[str, Any]:
    doc = tiny_document(noise, events, steps, obsolescence_per_year=0.0, **model)
    doc["components"].update(litho={"critical": True}, gallium={"critical": True})
    doc["suppliers"]["s_cn"].update(
        capacity=2, ramp={"capacity": 12, "steps": 10},
        inputs={"consumables": {"gallium": 0.5}, "tools": {"litho": 2},
                "sources": {"gallium": ["ga_tw"], "litho": ["t_us"]}, "cover": 4})
    doc["suppliers"]["t_us"] = {"country": "US", "component": "litho", "capacity": 50,
                                "price": 100, "lead_time": 2}
    doc["suppliers"]["ga_tw"] = {"country": "TW", "component": "gallium", "capacity": 20,
                                 "price": 1, "lead_time": 2}
    return doc


def tier_model(events: list[dict[str, Any]] | None = None, **kw: Any) -> TradeModel:
    return TradeModel(scenario=validate_document(tier_document(events, **kw), {}, "<tiers>"))


# the FDPR covers s_tw (30% US technology): huawei's socs can only come from s_cn
LISTING = {"at": 1, "by": "US", "move": "entity_list", "target": "huawei", "fdpr": True}
TOOL_CONTROL = {"at": 1, "by": "US", "move": "export_control", "target": "litho",
                "to": ["CN"]}


def capacity_path(m: TradeModel) -> np.ndarray:
    out = []
    while m.running:
        m.step()
        out.append(m.state.suppliers.capacity[S_CN])
    return np.array(out)


def test_steady_state_with_inputs_is_exactly_flat():
    m = tier_model()
    s = m.state
    start = {"stock": s.inputs.stock.copy(), "line": s.inputs.supply_line.copy(),
             "shipments": s.suppliers.shipments.copy(), "output": s.firms.output.copy()}
    assert start["stock"][S_CN, GALLIUM] == pytest.approx(4 * 0.5 * 2)  # cover × use
    for _ in range(40):
        m.step()
        assert np.array_equal(s.suppliers.capacity, m.world.supplier_capacity)
        np.testing.assert_allclose(s.inputs.stock, start["stock"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.inputs.supply_line, start["line"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.suppliers.shipments, start["shipments"], rtol=1e-12)
        np.testing.assert_allclose(s.firms.output, start["output"], rtol=1e-12)
    assert s.suppliers.shipments[T_US] == 0.0  # nothing grows, so no tools are bought
    assert s.suppliers.shipments[GA_TW] == pytest.approx(1.0)  # s_cn's 2 socs × 0.5


def test_a_supplier_without_tools_cannot_grow_and_export_controls_on_tools_stop_them():
    free = capacity_path(tier_model([LISTING]))
    controlled = capacity_path(tier_model([LISTING, TOOL_CONTROL]))
    assert free[-1] > 8.0  # grown most of the way to 12 on huawei's diverted orders
    assert controlled.max() == 2.0  # no tools reach it: it never grows
    m = tier_model([LISTING, TOOL_CONTROL])
    m.run()
    assert m.state.inputs.held_back[S_CN] > 0  # it wanted to grow


def test_a_tool_control_during_the_ramp_stops_it_where_the_tools_in_hand_leave_it():
    # licences are quantities of the steady flow, and tools have none (nothing grows in the
    # steady state): a control of tools stops them whatever its licence rate
    late = dict(TOOL_CONTROL, at=25)
    free = capacity_path(tier_model([LISTING]))
    slowed = capacity_path(tier_model([LISTING, late]))
    assert slowed[20] == free[20]
    assert 2.0 < slowed[-1] < free[-1]


def test_tools_arrive_after_their_lead_time_so_growth_waits_for_them():
    bare = tier_document([LISTING])
    del bare["suppliers"]["s_cn"]["inputs"]["tools"]
    del bare["suppliers"]["s_cn"]["inputs"]["sources"]["litho"]
    no_tools = capacity_path(TradeModel(scenario=validate_document(bare, {}, "<x>")))
    with_tools = capacity_path(tier_model([LISTING]))
    first = int(np.argmax(no_tools > 2.0))
    # tools are ordered the step after the ramp first wants them, and t_us ships in 2 steps
    assert no_tools[first] > 2.0 and with_tools[first + 2] == 2.0
    assert with_tools[first + 3] > 2.0
    assert with_tools[-1] == pytest.approx(12.0, abs=0.01)  # then it catches up


def test_a_consumable_cut_off_stops_the_suppliers_output_once_its_stock_runs_out():
    cut = {"at": 2, "by": "TW", "move": "export_control", "target": "gallium", "to": ["CN"]}
    m = tier_model([cut], steps=20)
    shipped = []
    while m.running:
        m.step()
        shipped.append(m.state.suppliers.shipments[S_CN])
    assert shipped[3] == pytest.approx(2.0)  # stock (4 steps) and pipeline still feed it
    assert shipped[-1] == pytest.approx(0.0, abs=1e-9)
    assert m.state.firms.shortfall[HUAWEI] >= 0.0


def test_learning_curve_is_slow_then_fast_then_saturating_and_a_subsidy_shortens_it():
    def path(subsidy: float, steps: int = 60) -> np.ndarray:
        cap, signal = np.array([0.0]), np.array([1.0])
        out = []
        for _ in range(steps):
            cap, signal, _ = market.grow_capacity(
                cap, signal, np.array([1e9]), np.array([0.0]), np.array([100.0]),
                np.array([20]), 13.0, np.array([subsidy]))
            out.append(cap[0])
        return np.array(out)

    base = path(1.0)
    gain = np.diff(np.concatenate([[0.0], base]))
    peak = int(np.argmax(gain))
    assert 2 < peak < 15  # the fastest growth comes after a slow start
    assert gain[0] < gain[peak] / 3  # slow at first
    assert gain[-1] < gain[peak] / 20  # saturating
    assert base[-1] <= 100.0
    t90 = int(np.argmax(base >= 90.0)) + 1
    assert t90 in (20, 21)  # ramp.steps is the time to 90% at full signal
    t90_subsidised = int(np.argmax(path(2.0) >= 90.0)) + 1
    assert t90_subsidised in (10, 11)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["suppliers"]["s_cn"]["inputs"]["consumables"].update(sand=1),
     "unknown component 'sand'"),
    (lambda d: d["suppliers"]["s_cn"]["inputs"]["sources"].update(gallium=["t_us"]),
     "'t_us' supplies 'litho', not 'gallium'"),
    (lambda d: d["suppliers"]["s_cn"]["inputs"]["sources"].update(gallium=["s_cn"]),
     "a supplier cannot be its own source"),
    (lambda d: d["suppliers"]["s_cn"]["inputs"]["sources"].pop("litho"),
     "input 'litho' has no source"),
    (lambda d: d["suppliers"]["s_cn"]["inputs"]["tools"].update(gallium=1),
     "'gallium' is both a consumable and a tool"),
])
def test_bad_inputs_are_refused_with_their_location(edit, message):
    doc = tier_document()
    edit(doc)
    with pytest.raises(ScenarioError) as exc:
        validate_document(doc, {}, "<tiers>")
    assert message in str(exc.value)
    assert "suppliers.s_cn.inputs" in str(exc.value)


def test_inputs_the_sources_cannot_spare_are_refused_at_the_start():
    doc = tier_document()
    doc["suppliers"]["ga_tw"]["capacity"] = 0.5
    with pytest.raises(ScenarioError, match="suppliers.s_cn.inputs: its sources can spare"):
        TradeModel(scenario=validate_document(doc, {}, "<tiers>"))


def test_a_third_tier_is_refused():
    doc = tier_document()
    doc["suppliers"]["ga_tw"]["inputs"] = {"consumables": {"case": 1},
                                           "sources": {"case": ["k_cn"]}}
    with pytest.raises(ScenarioError, match="'ga_tw' has inputs of its own"):
        validate_document(doc, {}, "<tiers>")


# -- the chip controls scenario: equipment controls and China's gallium licensing ----------
CHIPS = Path(__file__).parents[1] / "scenarios" / "chip_controls_2022.yaml"


def chips(drop: tuple[str, ...] = ()) -> TradeModel:
    sc = load_scenario(CHIPS)
    events = [e for e in sc.events if e.id not in drop]
    return TradeModel(scenario=sc.model_copy(update={"events": events})).run()


@pytest.fixture(scope="module")
def chip_run() -> tuple[TradeModel, np.ndarray]:
    """The shipped scenario, and ChinaGa's shipments to firms outside China per step."""
    m = TradeModel(scenario=load_scenario(CHIPS))
    w, links = m.world, m.links
    exports = []
    while m.running:
        m.step()
        # links grow when a source is qualified during the run (Inspur's A800 line)
        abroad = ((links.supplier == w.suppliers.index("ChinaGa"))
                  & (w.firm_country[links.firm] != w.countries.index("CN")))
        exports.append(m.state.pipeline.shipped[abroad].sum())
    return m, np.array(exports)


def test_the_october_2022_tool_rule_slows_the_emerging_chinese_fab(chip_run):
    m, _ = chip_run
    free = chips(drop=("tool_rule",))
    with_rule = m.recorder.series("supplier", "capacity", "Ascend")
    without = free.recorder.series("supplier", "capacity", "Ascend")
    assert with_rule[-1] < 0.85 * without[-1]  # US process tools cut, Naura's few remain
    assert with_rule[-1] > with_rule[0]  # slowed, not stopped
    naura = m.recorder.series("supplier", "capacity", "Naura")
    # the domestic toolmaker grows more on the orders the rule sends it
    assert naura[-1] > free.recorder.series("supplier", "capacity", "Naura")[-1]


def test_gallium_buyers_front_run_the_licensing_and_flows_recover_in_2024(chip_run):
    m, exports = chip_run
    sc = m.spec
    notice, effective = sc.step_of(dt.date(2023, 7, 3)), sc.step_of(dt.date(2023, 8, 1))
    recovery = sc.step_of(next(e.at for e in sc.events if e.id == "gallium_recovery"))
    stock = m.recorder.series("stock", "stock", "Qorvo/gallium")
    before = exports[notice - 4:notice].mean()
    # buyers front-run the effective date: exports jump in July, and the stock of the buyer
    # rises (what ships in July lands in its first weeks: gallium's lead time is 4 weeks)
    assert exports[notice:effective].mean() > 1.5 * before
    assert stock[effective + 3] > 1.5 * stock[notice - 1]
    assert exports[effective:effective + 8].max() == 0.0  # no licences in August-September
    # by the recovery Qorvo's stock was spent; licences return and flows recover
    assert stock[recovery - 1] < 1.0
    assert exports[recovery:].mean() > before
    assert stock[-1] > stock[notice - 1]
    qorvo = m.recorder.series("firm", "output", "Qorvo")
    assert qorvo[-1] > 0.9 * qorvo[0]


def test_a_control_of_tools_hits_the_country_whose_supplier_uses_them():
    m = tier_model([TOOL_CONTROL], steps=3)
    m.run()
    measures = hostile_measures(m.policy, m.world, m.state.governments.fined)
    us, cn = m.world.countries.index("US"), m.world.countries.index("CN")
    assert measures[us].sum() == 1 and measures[us, cn] == 1  # no firm uses litho; s_cn does
    assert m.log[0].victims == (cn,)
