"""Firms that manage scarce stock (docs/model.md, sections 1, 2 and 4): per-component stockpile
targets combine with the all-component one; perceived risk is held while a threat is in force;
a firm facing a cut-off rations its plan to what its stock and licensed inflow sustain over the
outage it expects; and a deeper stockpile never lowers output after a listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sim import TradeModel, load_scenario
from sim.engine import phases
from sim.rules.moves import MoveCall, apply_move
from sim.scenario import validate_document
from tests.worlds import APPLE, CASE, HUAWEI, S_US, SOC, tiny_document, tiny_world

ROOT = Path(__file__).parents[1] / "scenarios"


def move(m: TradeModel, actor: str, name: str, target: str | None = None, **params) -> None:
    apply_move(m, MoveCall(actor, name, target, params))


# -- targets combine -------------------------------------------------------------------------
def test_a_components_own_target_and_the_all_component_target_combine_deeper_wins():
    m = TradeModel(scenario=tiny_world())
    move(m, "huawei", "stockpile", "soc", cover=26.0)
    move(m, "huawei", "stockpile", cover=10.0)  # e.g. stockpile_on_risk: all components
    assert_allclose(m.policy.effective_cover()[HUAWEI], [26.0, 10.0])
    move(m, "huawei", "stockpile", cover=30.0)
    assert_allclose(m.policy.effective_cover()[HUAWEI], [30.0, 30.0])
    move(m, "huawei", "stockpile", cover=2.0)  # back below the normal cover: lean, but the
    assert_allclose(m.policy.effective_cover()[HUAWEI], [26.0, 2.0])  # soc target stands
    move(m, "huawei", "stockpile", "soc", cover=1.0)
    assert_allclose(m.policy.effective_cover()[HUAWEI], [2.0, 2.0])
    assert_allclose(m.policy.effective_cover()[APPLE], [4.0, 4.0])


def test_huaweis_deep_fpga_target_survives_its_risk_stockpile():
    m = TradeModel(scenario=load_scenario(ROOT / "huawei_2019.yaml"))
    listing = m.spec.step_of(next(e.at for e in m.spec.events if e.id == "listing"))
    for _ in range(listing):
        m.step()
    w = m.world
    cover = m.policy.effective_cover()[w.firms.index("Huawei")]
    # the timeline's deep per-component targets (FPGAs from October 2018, CPUs after Meng
    # Wanzhou's arrest) survive the all-component stockpile of 26 weeks that the strategy
    # sets on the indictment's risk; the other components take the 26
    assert cover[w.components.index("fpga")] == 78.0
    assert cover[w.components.index("cpu")] == 78.0
    assert cover[w.components.index("rf")] == 26.0
    assert m.spec.firms["Huawei"].strategy.values["cover"] == 26.0
    stock = m.recorder.series("stock", "cover", "Huawei/fpga")
    assert stock[listing - 1] > 40  # it is really built, not overwritten


# -- risk persists while the threat does ---------------------------------------------------
def test_huawei_keeps_its_stockpile_between_the_zte_signal_and_the_listing():
    m = TradeModel(scenario=load_scenario(ROOT / "huawei_2019.yaml")).run()
    at = {e.id: m.spec.step_of(e.at) for e in m.spec.events}
    risk = m.recorder.series("firm", "risk", "Huawei")
    assert (risk[at["zte_signal"]: at["indictment"]] == 0.4).all()
    assert (risk[at["listing"]:] == 1.0).all()
    # the strategy stockpiles once the risk passes its threshold (0.5: the indictment's 0.7,
    # not the ZTE signal's 0.4) and never destocks: the threat stays in force
    threshold = m.spec.firms["Huawei"].strategy.values["threshold"]
    assert 0.4 < threshold < 0.7
    moves = [e for e in m.log if e.call.actor == "Huawei" and e.call.source == "strategy"]
    assert len(moves) == 1 and moves[0].step == at["indictment"]


def test_a_threat_fades_once_its_window_has_passed():
    doc = tiny_document(events=[{"at": 0, "by": "US", "move": "announce", "target": "huawei",
                                 "risk": 0.5}], steps=12, threat_days=28, risk_half_life_days=7)
    m = TradeModel(scenario=validate_document(doc, {}, "<tiny>")).run()
    risk = m.recorder.series("firm", "risk", "huawei")
    assert_allclose(risk[:4], 0.5)  # steps 0-3: in force
    assert_allclose(risk[4:7], [0.25, 0.125, 0.0625])


# -- rationing -----------------------------------------------------------------------------
def short_world(events: list[dict[str, Any]], outage_days: float, steps: int = 40,
                **model: Any) -> TradeModel:
    """huawei listed by the US with s_cn and s_tw too small to replace s_us."""
    doc = tiny_document(events=events, steps=steps, expected_outage_days=outage_days, **model)
    doc["suppliers"]["s_cn"]["capacity"] = 3
    doc["suppliers"]["s_tw"]["capacity"] = 3
    doc["firms"]["huawei"]["sources"]["soc"] = ["s_us", "s_cn"]
    doc["countries"]["CN"]["strategy"] = {"name": "scripted"}  # rationing, not China's answer
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"))


LISTING = [{"at": 2, "by": "US", "move": "entity_list", "target": "huawei"}]


def test_a_cut_off_firm_plans_what_its_stock_and_licensed_inflow_sustain_over_the_outage():
    m = short_world(LISTING, outage_days=91)
    for _ in range(3):
        m.step()  # the listing is in force from step 2
    s, w, links = m.state, m.world, m.links
    outage = m.spec.steps_of_days(91)
    got = phases.sustainable_output(s, w, links, m.policy, m.step_index, outage)
    soc = HUAWEI * len(w.components) + SOC
    open_ = (links.fc == soc) & (s.pipeline.allowed >= 1)
    spare = s.suppliers.capacity - s.suppliers.shipments
    per_step = (s.pipeline.shipped[open_] + spare[links.supplier[open_]]).sum()
    hand = (s.firms.stock[HUAWEI, SOC] + s.pipeline.supply_line[HUAWEI, SOC]
            + per_step * outage) / (w.bom[HUAWEI, SOC] * outage)
    assert got[HUAWEI] == pytest.approx(hand)
    assert got[APPLE] == np.inf  # not cut off
    assert hand < s.ref.output[HUAWEI]  # it does ration


def test_a_licence_is_counted_whatever_the_firm_last_ordered():
    # a firm whose stock is above target orders nothing on its licensed link for a while; it
    # may still count on its licensed quantity (as far as the supplier can ship it), so a
    # bigger licence never leaves it rationing harder
    listing = [{"at": 2, "by": "US", "move": "entity_list", "target": "huawei",
                "license_rate": 0.5}]
    m = short_world(listing, outage_days=91)
    for _ in range(3):
        m.step()
    s, w, links = m.state, m.world, m.links
    outage = m.spec.steps_of_days(91)
    licensed = (links.firm == HUAWEI) & (s.pipeline.allowed > 0) & (s.pipeline.allowed < 1)
    assert licensed.any()
    before = phases.sustainable_output(s, w, links, m.policy, m.step_index, outage)[HUAWEI]
    s.pipeline.shipped[np.nonzero(licensed)[0]] = 0.0  # it ordered nothing there last step
    after = phases.sustainable_output(s, w, links, m.policy, m.step_index, outage)[HUAWEI]
    assert after == pytest.approx(before, rel=0.05)
    assert after < np.inf


def test_rationing_stretches_the_stock_instead_of_running_it_to_zero():
    rationed = short_world(LISTING, outage_days=91).run()
    flat_out = short_world(LISTING, outage_days=1).run()  # a one-step horizon: no rationing
    r = rationed.recorder.series("firm", "output", "huawei")
    f = flat_out.recorder.series("firm", "output", "huawei")
    floor = 3.0  # what s_cn alone feeds
    assert f[2:8].max() == pytest.approx(rationed.state.ref.output[HUAWEI])  # full plan ...
    assert f[8:20].min() <= floor + 1e-6  # ... until the stock is gone
    assert r[3] < 0.9 * rationed.state.ref.output[HUAWEI]  # cut at once
    assert r[2:20].min() > f[2:20].min() + 0.5  # never falls as far
    assert r[2:16].sum() == pytest.approx(f[2:16].sum(), rel=0.15)  # the same stock, spread


def test_a_general_licence_that_lapses_within_the_outage_is_a_cut_off_already():
    events = [{"at": 0, "by": "US", "move": "entity_list", "target": "huawei"},
              {"at": 0, "by": "US", "move": "general_license", "target": "huawei",
               "share": 1.0, "steps": 3}]
    m = short_world(events, outage_days=91)
    m.step()
    assert (m.state.pipeline.allowed >= 1).all()  # everything flows under the licence
    sup = m.state.suppliers
    sup.capacity[S_US] = sup.shipments[S_US]  # s_us has no room to ship extra meanwhile
    got = phases.sustainable_output(m.state, m.world, m.links, m.policy, 1, 13)
    assert got[HUAWEI] < m.state.ref.output[HUAWEI]  # but it lapses at step 3
    later = phases.sustainable_output(m.state, m.world, m.links, m.policy, 1, 2)
    assert later[HUAWEI] == np.inf  # a horizon that ends before it lapses: no cut-off


def test_a_qualification_under_way_shortens_the_outage_to_bridge():
    m = short_world(LISTING, outage_days=91)
    for _ in range(3):
        m.step()
    args = (m.state, m.world, m.links, m.policy, m.step_index, 13)
    long = phases.sustainable_output(*args)[HUAWEI]
    move(m, "huawei", "qualify", "s_tw", lag=4)
    short = phases.sustainable_output(*args)[HUAWEI]
    assert short > long


def test_a_non_critical_component_cut_off_rations_nothing():
    m = short_world([{"at": 0, "by": "CN", "move": "export_control", "target": "case",
                      "license_rate": 0.0}], outage_days=91)
    m.step()
    assert m.world.bom[APPLE, CASE] > 0 and not m.world.critical[CASE]
    got = phases.sustainable_output(m.state, m.world, m.links, m.policy, 1, 13)
    assert (got == np.inf).all()


# -- monotone: a deeper stockpile never lowers output after a listing -----------------------
def after_listing(path: Path, overrides: dict[str, Any], firm: str) -> tuple[float, float]:
    """Output and output lost for lack of components over the year after the listing."""
    sc = load_scenario(path)
    quiet = {f"products.{p}.noise": 0 for p in sc.products}
    m = TradeModel(scenario=load_scenario(path, {**quiet, **overrides})).run()
    t = m.spec.step_of(next(e.at for e in m.spec.events if e.id == "listing"))
    year = slice(t, t + 52)
    return (float(m.recorder.series("firm", "output", firm)[year].sum()),
            float(m.recorder.series("firm", "shortfall", firm)[year].sum()))


@pytest.mark.parametrize("scenario,firm", [("huawei_2019.yaml", "Huawei"),
                                           ("hikvision_2019.yaml", "Hikvision")])
def test_a_deeper_stockpile_never_lowers_output_after_the_listing(scenario, firm):
    """While stock still binds (the shallower stockpile ran short), a deeper one never lowers
    output; and it never raises the output lost for lack of components. Once a stockpile
    covers the whole year, a deeper one can lower output through demand alone: bought at
    prices its own orders drove up (component prices rise with unfilled orders), it raises the
    firm's unit cost and so its price (Huawei at 52 weeks sells 1% less than at 39, with no
    shortfall at either)."""
    depths = [8, 12, 16, 20, 26, 39, 52]
    runs = [after_listing(ROOT / scenario, {f"firms.{firm}.strategy.cover": d}, firm)
            for d in depths]
    for (out_a, short_a), (out_b, short_b) in zip(runs, runs[1:], strict=False):
        assert short_b <= short_a + 1e-6, runs
        if short_a > 0.01 * out_a:
            assert out_b >= out_a - 1e-6, runs
    assert runs[-1][0] > runs[0][0]
    assert runs[-1][1] < runs[0][1] or runs[0][1] == 0


def test_a_deeper_stockpile_never_lowers_output_in_a_fictional_world():
    outs = []
    for depth in [4, 6, 8, 12, 16, 24]:
        events = [{"at": 0, "by": "huawei", "move": "stockpile", "cover": depth},
                  {"id": "listing", "at": 20, "by": "US", "move": "entity_list",
                   "target": "huawei"}]
        m = short_world(events, outage_days=91, steps=60)
        m.run()
        outs.append(float(m.recorder.series("firm", "output", "huawei")[20:60].sum()))
    assert all(b >= a - 1e-6 for a, b in zip(outs, outs[1:], strict=False)), outs
    assert outs[-1] > outs[0]
