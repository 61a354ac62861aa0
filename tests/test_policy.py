"""Direct tests of the restriction rules (sim/engine/policy.py), written through the moves.

Every test runs on the tiny world of tests/worlds.py, where each expected share can be worked
out by hand: links are, in order, apple–s_us, apple–s_tw, apple–k_cn, huawei–s_us,
huawei–s_cn, huawei–s_tw, huawei–k_cn; s_tw carries 30% US technology.
"""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from sim.engine.model import TradeModel
from tests.worlds import (
    ALL_OPEN,
    APPLE,
    CN,
    H_TW,
    H_US,
    HUAWEI,
    K_CN,
    S_CN,
    SOC,
    US,
    allowed,
    move,
    open_except,
    tiny_world,
)


@pytest.fixture
def model() -> TradeModel:
    return TradeModel(scenario=tiny_world())



# -- listings ------------------------------------------------------------------------------
def test_no_restriction_leaves_every_link_open(model):
    assert_allclose(allowed(model), ALL_OPEN)


def test_listing_cuts_the_listers_own_suppliers_to_the_licence_rate(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2)
    # only huawei's link to the US supplier; s_tw (30% US content) is untouched without FDPR
    assert_allclose(allowed(model), open_except({H_US: 0.2}))


def test_fdpr_covers_a_foreign_supplier_at_the_threshold(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2, fdpr=True, threshold=0.3)
    assert_allclose(allowed(model), open_except({H_US: 0.2, H_TW: 0.2}))


def test_fdpr_spares_a_foreign_supplier_below_the_threshold(model):
    move(model, "US", "entity_list", "huawei", fdpr=True, threshold=0.31)
    assert_allclose(allowed(model), open_except({H_US: 0.0}))


def test_general_licence_lifts_the_share_until_its_end_step(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2, fdpr=True, threshold=0.3)
    model.step_index = 1
    move(model, "US", "general_license", "huawei", share=0.5, steps=3)  # steps 1, 2, 3
    assert model.policy.general_license_until[US, HUAWEI] == 4
    for step in (1, 3):
        assert_allclose(allowed(model, step), open_except({H_US: 0.5, H_TW: 0.5}))
    assert_allclose(allowed(model, 4), open_except({H_US: 0.2, H_TW: 0.2}))  # exclusive end


def test_general_licence_below_the_licence_rate_changes_nothing(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2)
    move(model, "US", "general_license", "huawei", share=0.1, steps=5)
    assert_allclose(allowed(model, 0), open_except({H_US: 0.2}))


def test_delisting_restores_every_link(model):
    move(model, "US", "entity_list", "huawei", fdpr=True)
    move(model, "US", "general_license", "huawei", share=0.5, steps=10)
    move(model, "US", "delist", "huawei")
    assert_allclose(allowed(model), ALL_OPEN)
    assert model.policy.general_license_until[US, HUAWEI] == 0


def test_relisting_keeps_the_stricter_terms(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2, fdpr=True, threshold=0.3)
    news = move(model, "US", "entity_list", "huawei", license_rate=0.5, fdpr=False)
    p = model.policy
    assert (p.license_rate[US, HUAWEI], p.fdpr[US, HUAWEI], p.fdpr_threshold[US, HUAWEI]) == (
        0.2, True, 0.3)
    assert "tightens" in news
    assert_allclose(allowed(model), open_except({H_US: 0.2, H_TW: 0.2}))


def test_relisting_with_a_higher_threshold_keeps_the_lower_one(model):
    move(model, "US", "entity_list", "huawei", fdpr=True, threshold=0.3)
    move(model, "US", "entity_list", "huawei", fdpr=True, threshold=0.5)
    assert model.policy.fdpr_threshold[US, HUAWEI] == 0.3
    assert_allclose(allowed(model), open_except({H_US: 0.0, H_TW: 0.0}))


def test_relisting_can_add_the_fdpr(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2)
    move(model, "US", "entity_list", "huawei", license_rate=0.4, fdpr=True, threshold=0.3)
    assert_allclose(allowed(model), open_except({H_US: 0.2, H_TW: 0.2}))


def test_loosen_replaces_the_terms(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.2, fdpr=True, threshold=0.3)
    news = move(model, "US", "entity_list", "huawei", license_rate=0.5, loosen=True)
    assert not model.policy.fdpr[US, HUAWEI]
    assert "loosens" in news
    assert_allclose(allowed(model), open_except({H_US: 0.5}))


# -- export controls -----------------------------------------------------------------------
def test_export_control_applies_from_its_start_to_covered_countries(model):
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.4, delay=2)
    assert model.policy.export_from[US, SOC] == 2
    assert_allclose(allowed(model, 1), ALL_OPEN)
    # only the US supplier's shipments to the CN firm; the TW supplier is not the controller's
    assert_allclose(allowed(model, 2), open_except({H_US: 0.4}))
    assert_allclose(allowed(model, 30), open_except({H_US: 0.4}))


def test_a_reissued_export_control_with_a_delay_replaces_the_old_one_when_it_starts(model):
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.4)
    model.step_index = 5
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.1, delay=3)
    assert_allclose(allowed(model, 6), open_except({H_US: 0.4}))
    model.policy.start_due_controls(7)
    assert_allclose(allowed(model, 7), open_except({H_US: 0.4}))
    model.policy.start_due_controls(8)
    assert_allclose(allowed(model, 8), open_except({H_US: 0.1}))


def test_export_control_spares_countries_it_does_not_name(model):
    move(model, "US", "export_control", "soc", to=["TW"], license_rate=0.0)
    assert_allclose(allowed(model), ALL_OPEN)


def test_export_control_to_all_never_covers_the_controller(model):
    move(model, "US", "export_control", "soc", license_rate=0.0)
    assert model.policy.export_to[US, SOC].tolist() == [False, True, True]
    assert_allclose(allowed(model), open_except({H_US: 0.0}))


def test_export_control_at_rate_one_lifts_it(model):
    move(model, "US", "export_control", "soc", license_rate=0.0)
    move(model, "US", "export_control", "soc", license_rate=1.0)
    assert_allclose(allowed(model), ALL_OPEN)


# -- procurement bans and combinations -------------------------------------------------------
def test_supplier_ban_cuts_the_banning_countrys_firms_only(model):
    move(model, "CN", "procurement_ban", "s_us", share=0.6)
    assert_allclose(allowed(model), open_except({H_US: 0.4}))


def test_restrictions_multiply(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.5)
    move(model, "US", "export_control", "soc", to=["CN"], license_rate=0.4)
    move(model, "CN", "procurement_ban", "s_us", share=0.5)
    assert_allclose(allowed(model), open_except({H_US: 0.5 * 0.4 * 0.5}))


def test_listings_by_two_countries_multiply(model):
    move(model, "US", "entity_list", "huawei", license_rate=0.5, fdpr=True, threshold=0.3)
    move(model, "TW", "entity_list", "huawei", license_rate=0.4)
    assert_allclose(allowed(model), open_except({H_US: 0.5, H_TW: 0.5 * 0.4}))


# -- tariffs, market access, cover ----------------------------------------------------------
def test_tariff_on_is_paid_only_in_the_setters_region(model):
    move(model, "US", "tariff", "CN", rate=0.25)
    assert_allclose(model.policy.tariff_on(), [[0.0, 0.0], [0.25, 0.0]])  # [firm, region]


def test_tariffs_of_one_regions_governments_add_up(model):
    move(model, "TW", "tariff", "US", rate=0.1)
    move(model, "CN", "tariff", "US", rate=0.15)
    assert_allclose(model.policy.tariff_on(), [[0.0, 0.25], [0.0, 0.0]])


def test_access_is_closed_by_the_largest_ban_in_a_region(model):
    move(model, "US", "procurement_ban", "huawei", share=0.6)
    move(model, "CN", "procurement_ban", "apple", share=0.3)
    move(model, "TW", "procurement_ban", "apple", share=0.5)
    assert model.policy.access().shape == (2, 2)
    assert_allclose(model.policy.access(), [[1.0, 0.5], [0.4, 1.0]])


def test_effective_cover_is_the_normal_cover_without_a_stockpile(model):
    assert_allclose(model.policy.effective_cover(), [[4.0, 4.0], [4.0, 4.0]])


def test_effective_cover_follows_a_stockpile(model):
    move(model, "apple", "stockpile", "soc", cover=26.0)
    move(model, "huawei", "stockpile", cover=10.0)  # all its components
    assert_allclose(model.policy.effective_cover(), [[26.0, 4.0], [10.0, 10.0]])


# -- risk and qualification ---------------------------------------------------------------
def test_decay_risk_keeps_listed_firms_at_one(model):
    move(model, "US", "announce", "apple", risk=0.5)
    move(model, "US", "entity_list", "huawei")
    model.policy.decay_risk(0.9)
    assert_allclose(model.policy.risk, [0.45, 1.0])
    model.policy.decay_risk(0.9)
    assert_allclose(model.policy.risk, [0.405, 1.0])


def test_announce_never_lowers_risk(model):
    move(model, "US", "announce", "apple", risk=0.5)
    move(model, "CN", "announce", "apple", risk=0.2)
    assert model.policy.risk[APPLE] == 0.5
    assert model.policy.risk_source[APPLE] == CN


def test_due_sources_returns_and_removes_what_is_due(model):
    model.step_index = 2
    move(model, "apple", "qualify", "s_cn", lag=3)  # due at step 5
    model.policy.pending_sources.append((9, HUAWEI, K_CN))
    assert model.policy.qualifying(APPLE, S_CN)
    assert model.policy.due_sources(4) == []
    assert model.policy.due_sources(5) == [(APPLE, S_CN)]
    assert not model.policy.qualifying(APPLE, S_CN)
    assert model.policy.pending_sources == [(9, HUAWEI, K_CN)]
