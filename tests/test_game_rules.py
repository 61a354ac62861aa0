"""Rules that make a game's decisions real (docs/model.md, "Game rules"): chance events, a limit
on moves per turn, and the firms' redesign move."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import MOVES, MoveCall, MoveError, ScenarioError, TradeModel, load_scenario
from sim.engine.output import csv_bytes
from sim.rules.moves import feasibility

ROOT = Path(__file__).resolve().parents[1]
HIK = ROOT / "scenarios" / "hikvision_2019.yaml"
TEXT = HIK.read_text()


def with_chance(chance: float) -> str:
    """hikvision_2019 with the US listing of Hikvision happening with ``chance``."""
    assert "{id: listing, " in TEXT
    return TEXT.replace("{id: listing, ", f"{{id: listing, chance: {chance}, ")


def listed(model: TradeModel) -> bool:
    return any(e.call.move == "entity_list" and e.call.target == "Hikvision"
               and e.call.actor == "US" for e in model.log)


def run(text: str, seed: int, players=()) -> TradeModel:
    model = TradeModel(scenario=load_scenario("x.yaml", text=text), rng=seed, players=players)
    return model.run()


def test_chance_event_happens_by_the_seed_reproducibly():
    outcomes = {seed: listed(run(with_chance(0.5), seed)) for seed in range(12)}
    assert set(outcomes.values()) == {True, False}  # both happen over a dozen seeds
    for seed in (0, 1, 2):  # the same seed, the same outcome and the same CSV
        a, b = run(with_chance(0.5), seed), run(with_chance(0.5), seed)
        assert listed(a) == outcomes[seed] and csv_bytes(a) == csv_bytes(b)
    missed = next(s for s, hit in outcomes.items() if not hit)
    model = run(with_chance(0.5), missed)
    assert any("did not happen (it had a 50% chance)" in text for _, text in model.news)


def test_chance_one_and_zero_and_no_change_to_the_demand_stream():
    always, plain = run(with_chance(1.0), 4), run(TEXT, 4)
    assert csv_bytes(always) == csv_bytes(plain)
    never = run(with_chance(0.0), 4)
    assert not listed(never)
    # a chance draw has its own generator: the demand shocks stay those of the plain run
    a = TradeModel(scenario=load_scenario("x.yaml", text=with_chance(0.0)), rng=4)
    b = TradeModel(scenario=load_scenario("x.yaml", text=TEXT), rng=4)
    assert np.array_equal(a._demand_shock(), b._demand_shock())


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "'often'"])
def test_chance_outside_0_1_is_refused_with_its_place(bad):
    with pytest.raises(ScenarioError) as err:
        load_scenario("x.yaml", text=with_chance(bad))
    assert "chance" in str(err.value)


def limited(n: int) -> str:
    line = "  US: {moves: [announce, entity_list, delist, general_license, tariff, " \
           "procurement_ban]}"
    assert line in TEXT
    return TEXT.replace(line, line[:-1] + f", moves_per_turn: {n}}}")


def test_moves_per_turn_limit_refuses_the_extra_move_with_the_reason():
    sc = load_scenario("x.yaml", text=limited(1))
    model = TradeModel(scenario=sc, rng=1, players=("US",))
    model.submit(MoveCall("US", "announce", "Hikvision"))
    with pytest.raises(MoveError, match="at most 1 move per turn"):
        model.submit(MoveCall("US", "tariff", "CN"))
    model.step()  # the announcement took effect this turn: still one made
    with pytest.raises(MoveError, match="has made or queued 1 this turn"):
        model.submit(MoveCall("US", "tariff", "CN"))
    while model.step_index < sc.turn_steps:
        model.step()
    model.submit(MoveCall("US", "tariff", "CN"))  # a new turn, a new move


def test_moves_per_turn_must_be_positive():
    with pytest.raises(ScenarioError, match="moves_per_turn"):
        load_scenario("x.yaml", text=limited(0))


def test_redesign_cuts_use_after_the_lag_and_costs_capacity_meanwhile():
    sc = load_scenario(HIK)
    model = TradeModel(scenario=sc, rng=1, players=("Hikvision",))
    f, c = model.world.firms.index("Hikvision"), model.world.components.index("soc")
    bom, cap = model.world.bom[f, c], model.state.ref.capacity[f]
    model.submit(MoveCall("Hikvision", "redesign", "soc", {"cut": 0.5, "lag": 4,
                                                           "effort": 0.2}))
    model.step()
    assert model.state.ref.capacity[f] == pytest.approx(0.8 * cap)
    assert model.world.bom[f, c] == bom
    with pytest.raises(MoveError, match="already redesigning"):
        model.submit(MoveCall("Hikvision", "redesign", "soc"))
    for _ in range(4):
        model.step()
    assert model.world.bom[f, c] == pytest.approx(0.5 * bom)
    assert model.state.ref.capacity[f] == pytest.approx(cap)
    assert any("redesigned product ships" in t for _, t in model.news)
    model.run()  # and the run goes on to the end with the new bill of materials
    assert model.recorder.steps == sc.steps


def test_every_shipped_firm_role_has_at_least_two_feasible_moves():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = load_scenario(path)
        for role, spec in sc.roles.items():
            if role not in sc.firms:
                continue
            model = TradeModel(scenario=sc, players=(role,))
            w = model.world
            feasible = set()
            for move in spec.moves:
                kinds = {"firm": w.firms, "supplier": w.suppliers, "country": w.countries,
                         "component": w.components}
                targets = [n for k in MOVES[move].targets for n in kinds[k]]
                if MOVES[move].target_optional:
                    targets.append(None)
                if any(feasibility(model, MoveCall(role, move, t)) is None for t in targets):
                    feasible.add(move)
            assert len(feasible) >= 2, (path.name, role, feasible)


def test_subsidize_offers_and_accepts_only_the_governments_own_suppliers():
    """The "own supplier" rule is a feasibility check: the move form never offers a supplier
    the move would then refuse, and a submitted foreign target is refused at once."""
    from dashboards.forms import target_choices
    from sim.play.session import Game

    game = Game(load_scenario(HIK), "CN", seed=1)
    sc = game.scenario
    assert target_choices(game, "subsidize") == [s for s in game.model.world.suppliers
                                                 if sc.suppliers[s].country == "CN"]
    assert "not one of CN's suppliers" in feasibility(game.model,
                                                      MoveCall("CN", "subsidize", "Intel"))
    with pytest.raises(MoveError, match="not one of"):
        game.submit("subsidize", "Intel", {})
    assert game.model.pending == []
