"""Which moves touched an entity (sim/engine/attribution.py): the causes a news item may name.
The case that prompted it: playing the US in hikvision_2019, the player lists Hanwha and bans
Sony from US procurement; the news said Hanwha lost its sales "since US procurement ban Sony"."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import TradeModel
from sim.engine.attribution import causes
from sim.rules.moves import MoveCall
from sim.scenario import load_scenario

HIK = Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml"


def played(moves: dict[int, list[MoveCall]], steps: int = 30) -> TradeModel:
    m = TradeModel(scenario=load_scenario(HIK), players=("US",), steps=steps)
    while m.running:
        for call in moves.get(m.step_index, []):
            m.submit(call)
        m.step()
    return m


def named(entries) -> list[tuple[str, str | None]]:
    return [(e.call.move, e.call.target) for e in entries]


@pytest.fixture(scope="module")
def hanwha_case() -> TradeModel:
    return played({5: [MoveCall("US", "entity_list", "Hanwha")],
                   6: [MoveCall("US", "procurement_ban", "Sony")],
                   8: [MoveCall("US", "tariff", "CN", {"rate": 0.25})]})


def test_hanwhas_loss_is_the_listing_of_hanwha_not_the_ban_on_sony(hanwha_case):
    assert named(causes(hanwha_case, "Hanwha")) == [("entity_list", "Hanwha")]


def test_a_listing_touches_the_listers_suppliers_of_the_firm(hanwha_case):
    # Hanwha buys socs from Intel and FPGAs from Xilinx (US): its listing cuts them
    assert named(causes(hanwha_case, "Intel")) == [("entity_list", "Hanwha")]
    assert named(causes(hanwha_case, "Xilinx")) == [("entity_list", "Hanwha")]
    # Sony is Japanese: the US listing does not reach it, the US ban names it
    assert named(causes(hanwha_case, "Sony")) == [("procurement_ban", "Sony")]


def test_a_tariff_touches_the_taxed_countrys_firms_and_no_one_else(hanwha_case):
    assert named(causes(hanwha_case, "Hikvision")) == [("tariff", "CN")]
    assert named(causes(hanwha_case, "Dahua")) == [("tariff", "CN")]
    assert named(causes(hanwha_case, "Axis")) == []


def test_causes_are_limited_to_the_steps_asked_and_an_export_control_reaches_users():
    quiet = load_scenario(HIK, overrides={"countries.CN.strategy": {"name": "scripted"}})
    m = TradeModel(scenario=quiet, players=("US",), steps=12)
    m.events[3].append(MoveCall("US", "export_control", "fpga", {"to": ["CN"]}, source="event"))
    m.events[9].append(MoveCall("US", "entity_list", "Axis", source="event"))
    m.run()
    assert named(causes(m, "Hikvision")) == [("export_control", "fpga")]
    assert named(causes(m, "Axis")) == [("entity_list", "Axis")]  # the control names CN only
    assert named(causes(m, "Xilinx")) == [("export_control", "fpga"), ("entity_list", "Axis")]
    assert named(causes(m, "Xilinx", start=5)) == [("entity_list", "Axis")]
    assert named(causes(m, "Xilinx", end=5)) == [("export_control", "fpga")]
