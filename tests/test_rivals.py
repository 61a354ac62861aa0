"""Rivals that can take the market (docs/model.md, section 2): a firm at its capacity grows it
on sustained demand beyond the steady state's, with a build lag, as far as its suppliers can
feed it."""

from __future__ import annotations

import numpy as np

from sim import TradeModel
from sim.scenario import validate_document
from tests.worlds import tiny_document


def rivals(events: list | None = None, steps: int = 80, **apple) -> TradeModel:
    doc = tiny_document(events=events, steps=steps)
    doc["firms"]["apple"].update(capacity=10, **apple)  # at capacity on its own demand
    doc["firms"]["huawei"]["sources"]["soc"] = ["s_us"]  # a US listing stops it
    # huawei is played by someone who does nothing: it qualifies no new source on its own
    return TradeModel(scenario=validate_document(doc, {}, "<rivals>"), players=("huawei",))


LISTING = [{"at": 4, "by": "US", "move": "entity_list", "target": "huawei"}]


def test_without_policy_a_firm_at_capacity_does_not_grow():
    m = rivals().run()
    assert np.all(m.recorder.series("firm", "output", "apple") == 10.0)
    assert m.state.ref.capacity[0] == 10.0


def test_a_rival_at_capacity_grows_to_take_the_listed_firms_buyers():
    m = rivals(LISTING).run()
    out = m.recorder.series("firm", "output", "apple")
    lag = m.state.ref.build_lag
    assert out[: 4 + lag // 2].max() <= 10.0 + 1e-9, "it waited for the demand to last"
    assert out[-1] > 14.0, "it took a good part of the listed firm's buyers"
    assert m.state.ref.capacity[0] > 14.0


def test_a_rival_its_suppliers_cannot_feed_qualifies_a_new_source_and_then_grows():
    doc_supply = {"sources": {"soc": ["s_us"], "case": ["k_cn"]}}
    m = rivals(LISTING, steps=120, **doc_supply)
    m.state.suppliers.capacity[0] = 10.0  # s_us can make only apple's 10 a step
    m.run()
    qualified = [e for e in m.log if e.call.actor == "apple" and e.call.move == "qualify"]
    assert qualified, "apple never looked for another soc maker"
    assert qualified[0].call.target in ("s_cn", "s_tw")
    out = m.recorder.series("firm", "output", "apple")
    assert out[qualified[0].step + 13:].max() > 12.0, "it grew once the new source came"
