"""Stylized facts the historical scenarios must reproduce (docs/model.md, with their sources).

Each test runs a shipped scenario (once per module) and checks one fact of the 2018–2020
episodes: stockpiles build on rumours, output falls only when cover runs out, the sender's
suppliers lose orders partly offset by rivals, domestic substitutes grow, rivals gain share,
the share price moves more on the first credible report than on the listing, and retaliation is
lagged and targeted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim import TradeModel, load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"
HIK = SCENARIOS / "hikvision_2019.yaml"


def run(path: Path, **overrides) -> TradeModel:
    """Run a scenario to the end, recording each link's shipments and allowed share per step."""
    model = TradeModel(scenario=load_scenario(path, overrides or None))
    model.link_shipments, model.link_allowed = [], []
    while model.running:
        model.step()
        model.link_shipments.append(model.state.pipeline.shipped.copy())
        model.link_allowed.append(model.state.pipeline.allowed.copy())
    return model


def step_of(model: TradeModel, event_id: str) -> int:
    event = next(e for e in model.spec.events if e.id == event_id)
    return model.spec.step_of(event.at)


@pytest.fixture(scope="module")
def hik() -> TradeModel:
    return run(HIK, **{"countries.CN.strategy.probability": 1.0})


@pytest.fixture(scope="module")
def hik_no_stockpile() -> TradeModel:
    # the stockpiling strategy's cover equal to the normal cover: no stockpile
    return run(HIK, **{"firms.Hikvision.strategy.cover": 8,
                       "countries.CN.strategy.probability": 1.0})


def firm(model: TradeModel, metric: str, name: str = "Hikvision") -> np.ndarray:
    return model.recorder.series("firm", metric, name)


def first_drop(output: np.ndarray, start: int, level: float) -> int:
    """First step from ``start`` where output falls below ``level``."""
    return start + int(np.argmax(output[start:] < level))


def test_inventory_builds_between_announcement_and_listing(hik, hik_no_stockpile):
    rumour, listing = step_of(hik, "rumour"), step_of(hik, "listing")
    stock = hik.recorder.series("stock", "stock", "Hikvision/soc")
    flat = hik_no_stockpile.recorder.series("stock", "stock", "Hikvision/soc")
    assert stock[listing - 1] > 1.5 * stock[rumour - 1]
    assert flat[listing - 1] < 1.15 * flat[rumour - 1]
    assert firm(hik, "inventory_cover")[listing - 1] > 12


def test_output_falls_only_once_cover_runs_out_and_stockpiling_delays_it(hik, hik_no_stockpile):
    listing = step_of(hik, "listing")
    before = firm(hik, "output")[listing - 8: listing].mean()
    out, cover = firm(hik, "output"), firm(hik, "inventory_cover")
    drop = first_drop(out, listing, 0.9 * before)
    assert drop > listing + 4, "output fell while stock still covered production"
    # the firm rations its stock over the outage it expects (docs/model.md, section 4): output
    # falls once the stock no longer bridges that outage, not before
    outage = hik.spec.steps_of_days(hik.spec.model.expected_outage_days)
    assert cover[drop - 1] < outage, "output fell while the stock still bridged the outage"
    drop_flat = first_drop(firm(hik_no_stockpile, "output"), listing, 0.9 * before)
    assert drop > drop_flat + 3


def test_senders_suppliers_lose_orders_partly_offset_by_rivals(hik):
    listing = step_of(hik, "listing")
    w, links = hik.world, hik.links
    ship = np.array([s[: len(links.firm)] for s in hik.link_shipments])
    us = w.supplier_country[links.supplier] == w.countries.index("US")
    target = links.firm == w.firms.index("Hikvision")
    rivals = np.isin(links.firm, [w.firms.index("Axis"), w.firms.index("Hanwha")])
    pre, post = slice(listing - 13, listing - 1), slice(listing + 26, listing + 52)
    lost = ship[pre][:, us & target].sum(1).mean() - ship[post][:, us & target].sum(1).mean()
    gained = ship[post][:, us & rivals].sum(1).mean() - ship[pre][:, us & rivals].sum(1).mean()
    assert lost > 0 and gained > 0
    assert gained < lost, "rivals' extra orders more than replace the target's"


def test_domestic_substitutes_share_rises_over_months(hik):
    listing = step_of(hik, "listing")
    share = hik.recorder.series("supplier", "share", "HiSilicon")
    # a jump when the listing shifts orders to it (at its old capacity), then growth on demand
    assert share[listing + 26] > share[listing - 1] + 0.1
    assert share[listing + 52] > share[listing + 26] + 0.1


def test_rivals_gain_share(hik):
    listing = step_of(hik, "listing")
    rivals = firm(hik, "market_share", "Axis") + firm(hik, "market_share", "Hanwha")
    assert rivals[listing + 20: listing + 40].mean() > rivals[listing - 10: listing].mean() + 0.03


def test_share_price_moves_more_on_the_first_report_than_on_the_listing(hik):
    price = firm(hik, "share_price")
    rumour, listing = step_of(hik, "rumour"), step_of(hik, "listing")
    on_report = price[rumour] / price[rumour - 1] - 1
    on_listing = price[listing] / price[listing - 1] - 1
    assert on_report < -0.02
    assert abs(on_report) > abs(on_listing)


def test_share_price_reaction_to_the_report_is_calibrated(hik):
    # Hikvision closed 5.5% lower on 22 May 2019 (Bloomberg)
    price = firm(hik, "share_price")
    rumour = step_of(hik, "rumour")
    assert price[rumour] / price[rumour - 1] - 1 == pytest.approx(-0.055, abs=0.025)


def test_retaliation_is_lagged_and_targeted(hik):
    listing = step_of(hik, "listing")
    delay = hik.spec.countries["CN"].strategy.values["delay"]
    answers = [e for e in hik.log if e.call.actor == "CN" and e.call.source == "strategy"]
    assert answers, "China never retaliated"
    first = answers[0]
    assert first.step == listing + delay
    # targeted: the answer that costs the US side most per unit of cost to China's own
    # (sim/rules/strategies.py). Once Hikvision and Dahua are both listed no Chinese firm buys
    # from a US supplier, and no US firm sells cameras: banning Intel, as the old answer did,
    # would cost the US nothing, so China answers with a tariff on US goods
    assert (first.call.move, first.call.target) == ("tariff", "US")
    w, links = hik.world, hik.links
    ship = hik.link_shipments[first.step - 1][: len(links.firm)]
    us_to_cn = ((w.supplier_country[links.supplier] == w.countries.index("US"))
                & (w.firm_country[links.firm] == w.countries.index("CN")))
    assert ship[us_to_cn].sum() == 0.0


def test_zte_without_a_stockpile_stops_within_weeks_and_recovers_after_the_lift():
    zte = run(SCENARIOS / "zte_2018.yaml")
    denial, lifted = step_of(zte, "denial"), step_of(zte, "lifted")
    out = firm(zte, "output", "ZTE")
    before = out[denial - 4: denial].mean()
    assert first_drop(out, denial, 0.2 * before) <= denial + 8  # stock + goods in transit
    assert out[lifted + 20:].mean() > 0.6 * before


def test_huawei_fdpr_cuts_foreign_made_chips_by_their_us_content():
    """The FDPR puts foreign direct products of US technology under the listing's terms: from
    its date the link carries what Huawei's US-made supply may (the renewed general licence,
    then nothing once it lapses on 2020-08-13); goods made abroad under the de minimis (Intel's
    and Qualcomm's, WSJ 2019-06-25) ship freely until the August rule reaches them."""
    # the US rules alone: China's answers (procurement bans on US suppliers) also lower
    # allowed shares, and are tested in tests/test_retaliation.py
    hua = run(SCENARIOS / "huawei_2019.yaml", **{"countries.CN.strategy.probability": 0.0})
    assert not [e for e in hua.log if e.call.actor == "CN"]
    w, links = hua.world, hua.links
    ship = np.array([s[: len(links.firm)] for s in hua.link_shipments])
    allowed = np.array([a[: len(links.firm)] for a in hua.link_allowed])
    huawei = links.firm == w.firms.index("Huawei")
    us_made = huawei & (links.supplier == w.suppliers.index("Intel"))
    lapse = int(hua.policy.general_license_until[w.countries.index("US"),
                                                 w.firms.index("Huawei")])
    assert lapse == hua.spec.step_of(dt.date(2020, 8, 13))
    for event, supplier in (("fdpr_may", "TSMC"), ("fdpr_august", "Maxscend"),
                            ("fdpr_august", "Qualcomm"), ("fdpr_august", "IntelAbroad")):
        at = step_of(hua, event)
        link = huawei & (links.supplier == w.suppliers.index(supplier))
        assert (allowed[at - 4: at, link] == 1).all(), supplier  # not subject to US rules yet
        np.testing.assert_array_equal(allowed[at:, link], allowed[at:, us_made], supplier)
        assert (allowed[max(at, lapse):, link] == 0).all(), supplier
        assert ship[: at, link].sum() > 0, supplier
        assert ship[max(at, lapse):, link].sum() == 0, supplier
    listing = step_of(hua, "listing")
    abroad = huawei & np.isin(links.supplier, [w.suppliers.index("Qualcomm"),
                                               w.suppliers.index("IntelAbroad")])
    assert (allowed[listing: step_of(hua, "fdpr_august"), abroad] == 1).all()
    smic = huawei & (links.supplier == w.suppliers.index("SMIC"))  # 8% US content: spared
    assert ship[step_of(hua, "fdpr_august"):, smic].sum() > 0


def test_huawei_is_the_share_of_qorvo_and_lumentum_their_10ks_report():
    """Qorvo 15% and Lumentum 18% of revenue from Huawei (FY2019 10-Ks), before any policy."""
    base = TradeModel(scenario=load_scenario(SCENARIOS / "huawei_2019.yaml").without_policy(),
                      rng=1)
    for _ in range(13):
        base.step()
    w, links = base.world, base.links
    ship = base.state.pipeline.shipped
    huawei = links.firm == w.firms.index("Huawei")
    for supplier, share in (("Qorvo", 0.15), ("Lumentum", 0.18)):
        mine = links.supplier == w.suppliers.index(supplier)
        got = ship[mine & huawei].sum() / ship[mine].sum()
        assert abs(got - share) < 0.03, (supplier, got)
