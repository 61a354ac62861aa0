"""Restrictions as the law has them: what a listing or an export control covers, and licences.

A listing or an export control covers goods *subject to* the lister's rules: made in its
territory, or made abroad with its content above its de minimis; the FDPR adds foreign direct
products of its technology. General licences can be renewed. Written on the tiny world of
tests/worlds.py (links, in order: apple–s_us, apple–s_tw, apple–k_cn, huawei–s_us,
huawei–s_cn, huawei–s_tw, huawei–k_cn), with suppliers moved abroad or given content.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sim.engine.market import split_under_caps
from sim.engine.model import TradeModel
from sim.errors import MoveError, ScenarioError
from sim.scenario import load_scenario, validate_document
from tests.worlds import (
    A_TW,
    A_US,
    ALL_OPEN,
    H_CN,
    H_TW,
    H_US,
    HUAWEI,
    US,
    allowed,
    move,
    open_except,
    tiny_document,
)


def world(suppliers: dict[str, dict[str, Any]] | None = None,
          countries: dict[str, dict[str, Any]] | None = None) -> TradeModel:
    """The tiny world with suppliers' and countries' keys changed."""
    doc = tiny_document()
    for name, keys in (suppliers or {}).items():
        doc["suppliers"][name].update(keys)
    for name, keys in (countries or {}).items():
        doc["countries"][name].update(keys)
    return TradeModel(scenario=validate_document(doc, {}, "<tiny>"))



# -- de minimis ----------------------------------------------------------------------------
@pytest.mark.parametrize("us_content, covered", [(0.0, False), (0.2, False), (0.25, False),
                                                 (0.26, True), (0.9, True)])
def test_a_listing_covers_foreign_made_goods_only_above_the_de_minimis(us_content, covered):
    model = world({"s_tw": {"content": {"TW": 1 - us_content, "US": us_content}}})
    move(model, "US", "entity_list", "huawei")
    expected = {H_US: 0.0, H_TW: 0.0} if covered else {H_US: 0.0}
    assert_allclose(allowed(model), open_except(expected))


def test_the_de_minimis_is_the_listers_own():
    content = {"s_tw": {"content": {"TW": 0.8, "US": 0.2}}}
    strict = world(content, {"US": {"de_minimis": 0.1}})
    move(strict, "US", "entity_list", "huawei")
    assert_allclose(allowed(strict), open_except({H_US: 0.0, H_TW: 0.0}))
    lax = world(content, {"CN": {"de_minimis": 0.1}})  # another country's rule changes nothing
    move(lax, "US", "entity_list", "huawei")
    assert_allclose(allowed(lax), open_except({H_US: 0.0}))


# -- where goods are made ------------------------------------------------------------------
def test_goods_a_us_supplier_makes_abroad_escape_a_us_listing():
    model = world({"s_us": {"made_in": "TW", "content": {"TW": 0.9, "US": 0.1}}})
    move(model, "US", "entity_list", "huawei")
    assert_allclose(allowed(model), ALL_OPEN)


def test_goods_made_abroad_with_us_content_above_de_minimis_stay_covered():
    model = world({"s_us": {"made_in": "TW", "content": {"TW": 0.6, "US": 0.4}}})
    move(model, "US", "entity_list", "huawei", license_rate=0.3)
    assert_allclose(allowed(model), open_except({H_US: 0.3}))


def test_goods_made_in_the_listers_territory_are_covered_whoever_owns_the_maker():
    model = world({"s_cn": {"made_in": "US"}})  # a Chinese firm's plant in the US
    move(model, "US", "entity_list", "huawei")
    assert_allclose(allowed(model), open_except({H_US: 0.0, H_CN: 0.0}))


def test_the_country_where_goods_are_made_lists_by_its_own_territory():
    model = world({"s_us": {"made_in": "TW", "content": {"TW": 0.9, "US": 0.1}}})
    move(model, "TW", "entity_list", "huawei")
    assert_allclose(allowed(model), open_except({H_US: 0.0, H_TW: 0.0}))


# -- the foreign direct product rule ---------------------------------------------------------
def test_fdpr_reaches_foreign_direct_products_below_the_de_minimis():
    # s_us makes in TW with 10% US content (not subject) but US technology (default tech: all
    # its own country's): a direct product of US technology
    model = world({"s_us": {"made_in": "TW", "content": {"TW": 0.9, "US": 0.1}}})
    move(model, "US", "entity_list", "huawei", fdpr=True, threshold=0.5)
    assert_allclose(allowed(model), open_except({H_US: 0.0}))  # s_tw (30% US tech) spared
    move(model, "US", "entity_list", "huawei", fdpr=True, threshold=0.3)
    assert_allclose(allowed(model), open_except({H_US: 0.0, H_TW: 0.0}))


# -- export controls -----------------------------------------------------------------------
def test_an_export_control_covers_foreign_made_goods_subject_to_the_controller():
    model = world({"s_tw": {"content": {"TW": 0.5, "US": 0.5}}})
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.2)
    assert_allclose(allowed(model), open_except({H_US: 0.2, H_TW: 0.2}))
    # to every foreign country: the TW-made goods going to the US firm are not exports of US
    # goods to a foreign country; those to the CN firm are
    move(model, "US", "export_control", "soc", license_rate=0.2)
    assert_allclose(allowed(model), open_except({H_US: 0.2, H_TW: 0.2}))


def test_an_export_control_spares_a_us_suppliers_goods_made_abroad_under_de_minimis():
    model = world({"s_us": {"made_in": "TW", "content": {"TW": 0.8, "US": 0.2}}})
    with pytest.raises(MoveError, match="subject to US's export rules"):
        move(model, "US", "export_control", "soc", license_rate=0.0)
    move(model, "TW", "export_control", "soc", to=["CN"], license_rate=0.5)
    assert_allclose(allowed(model), open_except({H_US: 0.5, H_TW: 0.5}))


def test_controls_of_two_countries_on_the_same_goods_multiply():
    model = world({"s_tw": {"content": {"TW": 0.5, "US": 0.5}}})
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.5)
    move(model, "TW", "export_control", "soc", to=["CN"], license_rate=0.4)
    assert_allclose(allowed(model), open_except({H_US: 0.5, H_TW: 0.5 * 0.4}))


def test_an_export_control_with_a_min_rating_spares_goods_rated_below_it():
    model = world({"s_us": {"rating": 400.0}})  # designed under the rule's threshold
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.0, min_rating=600)
    assert_allclose(allowed(model), ALL_OPEN)
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.0, min_rating=400)
    assert_allclose(allowed(model), open_except({H_US: 0.0}))
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.0)  # the update
    assert_allclose(allowed(model), open_except({H_US: 0.0}))


def test_unrated_goods_are_covered_by_any_min_rating():
    model = world()
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.0, min_rating=600)
    assert_allclose(allowed(model), open_except({H_US: 0.0}))


# -- general licences: renewal and lapse -----------------------------------------------------
def test_a_renewal_extends_the_licence_from_its_end():
    model = world()
    move(model, "US", "entity_list", "huawei")
    model.step_index = 2
    move(model, "US", "general_license", "huawei", share=0.3, steps=4)  # steps 2–5
    model.step_index = 4
    news = move(model, "US", "general_license", "huawei", steps=3)  # renewed early: to 9
    assert "renews" in news
    assert model.policy.general_license_until[US, HUAWEI] == 9
    for step in (4, 8):
        assert_allclose(allowed(model, step), open_except({H_US: 0.3}))  # the smaller share
    assert_allclose(allowed(model, 9), open_except({H_US: 0.0}))


def test_a_renewal_in_the_step_the_licence_ends_continues_it():
    model = world()
    move(model, "US", "entity_list", "huawei")
    move(model, "US", "general_license", "huawei", share=0.3, steps=4)  # steps 0–3
    model.step_index = 4
    assert "renews" in move(model, "US", "general_license", "huawei", steps=4)
    assert model.policy.general_license_until[US, HUAWEI] == 8
    assert_allclose(allowed(model, 4), open_except({H_US: 0.3}))


def test_a_renewal_keeps_the_smaller_share_unless_it_loosens():
    model = world()
    move(model, "US", "entity_list", "huawei")
    move(model, "US", "general_license", "huawei", share=0.3, steps=4)
    move(model, "US", "general_license", "huawei", share=0.6, steps=4)
    assert model.policy.general_license_share[US, HUAWEI] == 0.3
    move(model, "US", "general_license", "huawei", share=0.2, steps=4)
    assert model.policy.general_license_share[US, HUAWEI] == 0.2
    move(model, "US", "general_license", "huawei", share=0.6, steps=4, loosen=True)
    assert model.policy.general_license_share[US, HUAWEI] == 0.6
    assert model.policy.general_license_until[US, HUAWEI] == 16


def test_an_expired_licence_lapses_and_a_later_grant_starts_afresh():
    model = world()
    move(model, "US", "entity_list", "huawei", license_rate=0.1)
    move(model, "US", "general_license", "huawei", share=0.3, steps=4)  # steps 0–3
    assert_allclose(allowed(model, 3), open_except({H_US: 0.3}))
    assert_allclose(allowed(model, 4), open_except({H_US: 0.1}))  # lapsed: the listing bites
    model.step_index = 6
    news = move(model, "US", "general_license", "huawei", share=0.5, steps=2)
    assert "grants" in news
    assert model.policy.general_license_until[US, HUAWEI] == 8
    assert_allclose(allowed(model, 6), open_except({H_US: 0.5}))


def test_renewals_on_the_timeline_keep_the_listed_firm_supplied():
    """A licence renewed by a later event keeps the licensed quantity flowing; left to lapse,
    the listing cuts the link to nothing."""
    events = [{"at": 2, "by": "US", "move": "entity_list", "target": "huawei"},
              {"at": 2, "by": "US", "move": "general_license", "target": "huawei",
               "share": 0.5, "steps": 4}]
    renewed = events + [{"at": 6, "by": "US", "move": "general_license", "target": "huawei",
                         "steps": 8}]
    runs = {}
    for name, timeline in (("lapsed", events), ("renewed", renewed)):
        doc = tiny_document(events=timeline, steps=16)
        runs[name] = TradeModel(scenario=validate_document(doc, {}, "<tiny>")).run()
    h_us = {k: m.recorder.series("supplier", "shipments", "s_us") for k, m in runs.items()}
    assert_allclose(h_us["lapsed"][:6], h_us["renewed"][:6])
    assert (h_us["renewed"][6:14] > h_us["lapsed"][6:14] + 1e-9).all()


# -- validation ----------------------------------------------------------------------------
def test_unknown_made_in_and_content_countries_are_located():
    doc = tiny_document()
    doc["suppliers"]["s_us"].update({"made_in": "MY", "content": {"XX": 0.1}})
    with pytest.raises(ScenarioError) as err:
        validate_document(doc, {}, "<tiny>")
    text = str(err.value)
    assert "suppliers.s_us.made_in" in text and "'MY'" in text
    assert "suppliers.s_us.content.XX" in text


def test_content_adding_up_to_more_than_one_is_refused():
    doc = tiny_document()
    doc["suppliers"]["s_tw"]["content"] = {"TW": 0.8, "US": 0.4}
    with pytest.raises(ScenarioError, match="add up to 1.2"):
        validate_document(doc, {}, "<tiny>")


def test_apple_keeps_its_links_when_huawei_is_listed():
    model = world({"s_tw": {"content": {"TW": 0.5, "US": 0.5}}})
    move(model, "US", "entity_list", "huawei")
    a = allowed(model)
    assert a[A_US] == 1.0 and a[A_TW] == 1.0 and model.policy.listed[US, HUAWEI]


# -- monotone: a bigger licensed share never hurts the listed firm or its suppliers ----------
SCENARIOS = Path(__file__).parents[1] / "scenarios"
GRID = (0.0, 0.1, 0.3, 0.5, 0.8, 1.0)


def listed_firm_flows(scenario, firm: str, until: int | None = None
                      ) -> tuple[float, dict[str, float]]:
    """The listed firm's output, and what each of its suppliers earned from it, over the steps
    before ``until`` (default: the whole run)."""
    model = TradeModel(scenario=scenario, rng=scenario.seed)
    w = model.world
    f, earned = w.firms.index(firm), np.zeros(len(w.suppliers))
    until = scenario.steps if until is None else until
    while model.running and model.step_index < until:
        model.step()
        links = model.links
        ship = model.state.pipeline.shipped[: len(links.firm)]
        mine = links.firm == f
        earned += np.bincount(links.supplier[mine], ship[mine] * w.supplier_price[
            links.supplier[mine]], len(w.suppliers))
    output = float(model.recorder.series("firm", "output", firm)[:until].sum())
    return output, dict(zip(w.suppliers, earned, strict=True))


def assert_monotone(runs: list[tuple[float, dict[str, float]]], licensed: list[str]) -> None:
    """Output and the licensed suppliers' sales to the listed firm never fall as the licence
    grows (its substitutes' sales may: they are what a smaller licence sends it to)."""
    outputs = [out for out, _ in runs]
    assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(outputs)), outputs
    assert outputs[-1] > outputs[0]  # the licence matters at all
    assert licensed
    for supplier in licensed:
        earned = [e[supplier] for _, e in runs]
        assert all(b >= a * (1 - 1e-9) - 1e-9 for a, b in itertools.pairwise(earned)), (
            supplier, earned)


# Each licence over the steps it governs: the listing's rate until the May 2020 FDPR listing
# replaces it with its stricter terms (rate 0), the general licence's share until it lapses on
# 2020-08-13. Over the whole run a bigger early licence can cost Huawei output later: fewer of
# its orders spill to Chinese suppliers, which then ramp later, when the FDPR cuts everything.
@pytest.mark.parametrize("key, until", [("events.listing.license_rate", "fdpr_may"),
                                        ("events.general_license.share", "2020-08-13")])
def test_a_bigger_licence_never_costs_huawei_output_nor_its_suppliers_revenue(key, until):
    runs = []
    for rate in GRID:
        sc = load_scenario(SCENARIOS / "huawei_2019.yaml", {key: rate})
        at = next((e.at for e in sc.events if e.id == until), None)
        end = sc.step_of(at if at is not None else dt.date.fromisoformat(until))
        runs.append(listed_firm_flows(sc, "Huawei", end))
    us_made = ["Intel", "Xilinx", "Qorvo", "Lumentum"]  # subject to the listing until the FDPR
    assert_monotone(runs, us_made)


@pytest.mark.parametrize("fdpr", [False, True])
def test_a_bigger_licence_never_costs_the_tiny_worlds_listed_firm(fdpr):
    runs = []
    for rate in GRID:
        events = [{"at": 3, "by": "US", "move": "entity_list", "target": "huawei",
                   "license_rate": rate, "fdpr": fdpr, "threshold": 0.3}]
        doc = tiny_document(noise=0.03, events=events, steps=40)
        # the other sources too small to replace the US supply, and little stock to bridge
        doc["suppliers"]["s_cn"]["capacity"] = 4
        doc["suppliers"]["s_tw"]["capacity"] = 6
        doc["firms"]["huawei"]["cover"] = 2
        runs.append(listed_firm_flows(validate_document(doc, {}, "<tiny>"), "huawei"))
    assert_monotone(runs, ["s_us", "s_tw"] if fdpr else ["s_us"])


# -- the capped split of an order (sim.engine.market.split_under_caps) ----------------------
def test_the_split_without_caps_is_the_preference_split():
    asked = split_under_caps(np.array([12.0]), np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]),
                             np.full(3, np.inf))
    assert_allclose(asked, [2.0, 4.0, 6.0])


def test_what_a_capped_link_cannot_take_goes_to_the_others_by_preference():
    asked = split_under_caps(np.array([12.0, 5.0]), np.array([0, 0, 0, 1]),
                             np.array([1.0, 2.0, 3.0, 1.0]), np.array([np.inf, 1.0, 5.0, 9.0]))
    # link 1 takes its cap 1, link 2 its cap 5; link 0 the remaining 6; group 1 untouched
    assert_allclose(asked, [6.0, 1.0, 5.0, 5.0])


def test_the_split_never_exceeds_caps_and_places_what_they_allow():
    rng = np.random.default_rng(3)
    for _ in range(200):
        groups = rng.integers(0, 3, 7)
        order, pref = rng.uniform(0, 20, 3), rng.uniform(0, 1, 7) * (rng.random(7) > 0.2)
        cap = np.where(rng.random(7) < 0.3, np.inf, rng.uniform(0, 8, 7))
        asked = split_under_caps(order, groups, pref, cap)
        assert (asked <= cap + 1e-9).all() and (asked >= 0).all()
        room = np.bincount(groups, np.where(pref > 0, cap, 0.0), 3)
        assert_allclose(np.bincount(groups, asked, 3), np.minimum(order, room), atol=1e-9)
