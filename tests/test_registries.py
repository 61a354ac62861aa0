"""Contract tests over the move and strategy registries (Gymnasium / Axelrod style).

Every registered move and strategy is documented, typed and applicable; moves applied twice
are handled; strategies are reproducible under a seed and survive pickling and copying. A move
goes through one code path whoever makes it (a player, a timeline event or a strategy).
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim.engine.model
import sim.rules.moves
from sim import MOVES, STRATEGIES, MoveCall, MoveError, TradeModel, load_scenario
from sim.rules.moves import ACTOR_KINDS, TARGET_KINDS, apply_move
from sim.rules.params import KINDS

SCENARIO = Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml"
SC = load_scenario(SCENARIO)

# One valid call per move in the Hikvision scenario, and the moves it needs first.
MOVE_CASES: dict[str, tuple[str, str | None, dict[str, Any], list[MoveCall]]] = {
    "announce": ("US", "Hikvision", {"risk": 0.7}, []),
    "entity_list": ("US", "Hikvision", {"license_rate": 0.1}, []),
    "delist": ("US", "Hikvision", {}, [MoveCall("US", "entity_list", "Hikvision")]),
    "general_license": ("US", "Hikvision", {"share": 0.5, "steps": 5},
                        [MoveCall("US", "entity_list", "Hikvision")]),
    "tariff": ("US", "CN", {"rate": 0.3}, []),
    "procurement_ban": ("CN", "Intel", {"share": 0.4}, []),
    "export_control": ("US", "soc", {"license_rate": 0.2, "to": ["CN"]}, []),
    "subsidize": ("CN", "HiSilicon", {"factor": 3.0}, []),
    "stockpile": ("Hikvision", "soc", {"cover": 20.0}, []),
    "qualify": ("Dahua", "AMD", {"lag": 5}, []),
    "fine": ("US", "Hikvision", {"amount": 500.0, "delist": True},
             [MoveCall("US", "entity_list", "Hikvision")]),
    "redesign": ("Hikvision", "soc", {"cut": 0.5, "lag": 5, "effort": 0.1}, []),
}
IDEMPOTENT = {"announce", "entity_list", "tariff", "procurement_ban", "export_control",
              "stockpile", "subsidize"}
# made again while in force, these extend what is in force: {move: the state key that grows}
RENEWING = {"general_license": "general_license_until"}
# a target of each kind, to try the kinds a move does not take
TARGET_OF_KIND = {"firm": "Hikvision", "supplier": "Intel", "country": "CN", "component": "soc"}


def fresh() -> TradeModel:
    return TradeModel(scenario=SC, rng=1)


def policy_state(model: TradeModel) -> dict[str, Any]:
    """A deep copy of everything moves may change."""
    return copy.deepcopy({k: v for k, v in vars(model.policy).items()
                          if k not in ("world", "_in_region")})


def same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        try:
            np.testing.assert_array_equal(a[k], b[k])  # NaN == NaN here
        except AssertionError:
            return False
    return True


def call_for(name: str) -> MoveCall:
    actor, target, params, _ = MOVE_CASES[name]
    return MoveCall(actor, name, target, params)


def prepared(name: str) -> TradeModel:
    model = fresh()
    for setup in MOVE_CASES[name][3]:
        apply_move(model, setup)
    return model


# -- documentation ---------------------------------------------------------------------------

def test_every_move_has_a_case():
    assert set(MOVE_CASES) == set(MOVES)


@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_is_documented(name):
    spec = MOVES[name]
    assert spec.name == name
    assert spec.actor in ACTOR_KINDS
    assert spec.targets and set(spec.targets) <= set(TARGET_KINDS)
    first = spec.doc().split("\n\n")[0].strip()
    assert len(first) > 20 and first.endswith("."), first
    check_params_documented(spec.params)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_is_documented(name):
    cls = STRATEGIES[name]
    assert cls.name == name
    assert cls.actors and set(cls.actors) <= set(ACTOR_KINDS)
    first = cls.doc().split("\n\n")[0].strip()
    assert len(first) > 20 and first.endswith("."), first
    check_params_documented(cls.params)


def check_params_documented(params) -> None:
    names = [p.name for p in params]
    assert len(names) == len(set(names))
    for p in params:
        assert p.doc.strip(), p.name
        assert p.kind in KINDS, p.name
        assert p.check(p.default) == (tuple(p.default) if isinstance(p.default, list)
                                      else p.default), p.name
        if p.min is not None and p.max is not None:
            assert p.min <= p.max, p.name
        assert p.name in p.describe()


# -- moves: apply, twice, refused -------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_changes_state_and_returns_news(name):
    model = prepared(name)
    before = policy_state(model)
    news = apply_move(model, call_for(name))
    assert isinstance(news, str) and news.endswith(".") and len(news) > 10
    assert not same_state(before, policy_state(model)), f"{name} changed nothing"


@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_applied_twice_is_handled(name):
    model = prepared(name)
    apply_move(model, call_for(name))
    once = policy_state(model)
    if name in IDEMPOTENT:
        news = apply_move(model, call_for(name))
        assert isinstance(news, str) and news
        assert same_state(once, policy_state(model)), f"{name} twice differs from once"
    elif name in RENEWING:  # a renewal: only the end moves on, by the move's steps
        key = RENEWING[name]
        news = apply_move(model, call_for(name))
        assert "renews" in news
        twice = policy_state(model)
        grown = twice[key] - once[key]
        assert grown.max() == MOVE_CASES[name][2]["steps"] and (grown > 0).sum() == 1
        assert same_state({k: v for k, v in once.items() if k != key},
                          {k: v for k, v in twice.items() if k != key})
    else:
        with pytest.raises(MoveError) as err:
            apply_move(model, call_for(name))
        assert str(err.value)
        assert same_state(once, policy_state(model)), f"refused {name} changed the state"


@pytest.mark.parametrize("call, reason", [
    (MoveCall("US", "delist", "Hikvision"), "not on"),
    (MoveCall("US", "general_license", "Hikvision"), "not on"),
    (MoveCall("Hikvision", "qualify", "Intel"), "already a source"),
    (MoveCall("US", "subsidize", "HiSilicon"), "not one of"),
    (MoveCall("CN", "procurement_ban", "Hikvision"), "own"),
    (MoveCall("CN", "tariff", "CN"), "own"),
    (MoveCall("CN", "export_control", "sensor"), "no supplier"),
    (MoveCall("Hikvision", "qualify", "Sony", {"lag": 1}), "already"),
    (MoveCall("US", "fine", "Hikvision", {"amount": 10.0, "delist": True}), "not on"),
])
def test_move_refused_by_state_leaves_state_unchanged(call, reason):
    model = fresh()
    before = policy_state(model)
    with pytest.raises(MoveError, match=reason):
        apply_move(model, call)
    assert same_state(before, policy_state(model))


@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_rejects_bad_targets_and_params(name):
    spec = MOVES[name]
    actor, target, params, _ = MOVE_CASES[name]
    model = prepared(name)
    before = policy_state(model)

    def refused(call: MoveCall, *words: str) -> None:
        with pytest.raises(MoveError) as err:
            apply_move(model, call)
        for word in words:
            assert word in str(err.value), (call, str(err.value))
        assert same_state(before, policy_state(model))

    refused(MoveCall(actor, name, "Nobody", params), "Nobody")
    refused(MoveCall("Nowhere", name, target, params), "Nowhere")
    for kind, other in TARGET_OF_KIND.items():
        if kind not in spec.targets:
            refused(MoveCall(actor, name, other, params), "target", kind)
    if not spec.target_optional:
        refused(MoveCall(actor, name, None, params), "target")
    wrong_actor = "Hikvision" if spec.actor == "government" else "US"
    refused(MoveCall(wrong_actor, name, target, params), "by")
    refused(MoveCall(actor, name, target, {**params, "bogus": 1}), "bogus", "unknown parameter")
    for p in spec.params:
        if p.max is not None:
            refused(MoveCall(actor, name, target, {**params, p.name: p.max + 1}), p.name)
        if p.min is not None:
            refused(MoveCall(actor, name, target, {**params, p.name: p.min - 1}), p.name)
        if p.kind in ("float", "int"):
            refused(MoveCall(actor, name, target, {**params, p.name: "lots"}), p.name)


def test_unknown_move_is_refused_with_suggestion():
    with pytest.raises(MoveError, match="did you mean 'entity_list'"):
        apply_move(fresh(), MoveCall("US", "entity_lst", "Hikvision"))


# -- strategies ------------------------------------------------------------------------------

def with_strategy(name: str) -> tuple[TradeModel, str]:
    """A model of the Hikvision case whose CN (government) or Hikvision (firm) uses ``name``."""
    cls = STRATEGIES[name]
    path = "countries.CN.strategy" if "government" in cls.actors else "firms.Hikvision.strategy"
    sc = load_scenario(SCENARIO, overrides={path: {"name": name}})
    actor = "CN" if "government" in cls.actors else "Hikvision"
    return TradeModel(scenario=sc, rng=7), actor


def actor_strategy(model: TradeModel, actor: str):
    agents = {a.name: a for a in model.governments + model.firms}
    return agents[actor].strategy


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_is_deterministic_under_a_seed(name):
    (a, actor), (b, _) = with_strategy(name), with_strategy(name)
    assert type(actor_strategy(a, actor)).name == name
    a.run()
    b.run()
    for group in a.recorder.data:
        np.testing.assert_array_equal(a.recorder.data[group], b.recorder.data[group])
    assert a.news == b.news


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_survives_pickle_and_deepcopy(name):
    model, actor = with_strategy(name)
    for _ in range(60):  # past the listing, so stateful strategies hold state
        model.step()
    strategy = actor_strategy(model, actor)
    for clone in (pickle.loads(pickle.dumps(strategy)), copy.deepcopy(strategy)):
        assert type(clone) is type(strategy)
        assert vars(clone) == vars(strategy)
        assert clone is not strategy


def test_cloned_strategy_decides_like_the_original():
    """A deep copy of a model mid-run continues exactly like the original."""
    model, _ = with_strategy("lagged")
    for _ in range(40):
        model.step()
    twin = copy.deepcopy(model)
    model.run()
    twin.run()
    for group in model.recorder.data:
        np.testing.assert_array_equal(model.recorder.data[group], twin.recorder.data[group])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_rejects_unknown_and_out_of_range_params(name):
    cls = STRATEGIES[name]
    with pytest.raises(ValueError, match="bogus"):
        cls(bogus=1)
    for p in cls.params:
        if p.max is not None:
            with pytest.raises(ValueError, match=p.name):
                cls(**{p.name: p.max + 1})
        if p.min is not None:
            with pytest.raises(ValueError, match=p.name):
                cls(**{p.name: p.min - 1})
        assert cls(**{p.name: p.default}).values[p.name] == p.default


def test_retaliation_strategy_answers_a_listing():
    """tit_for_tat answers the US listing of Hikvision in kind, after its delay."""
    sc = load_scenario(SCENARIO, overrides={"countries.CN.strategy":
                                            {"name": "tit_for_tat", "delay": 2,
                                             "deterrent": True}})
    model = TradeModel(scenario=sc, rng=3)
    model.run()
    listing = sc.step_of(next(e.at for e in sc.events if e.id == "listing"))
    answers = [e for e in model.log if e.call.source == "strategy" and e.call.actor == "CN"]
    assert answers, "no retaliation"
    assert answers[0].step == listing + 2
    assert answers[0].hostile


# -- one code path ---------------------------------------------------------------------------

def test_player_event_and_strategy_moves_share_one_code_path(monkeypatch):
    seen: list[MoveCall] = []
    real = sim.rules.moves.apply_move

    def spy(model, call, checked=None):
        seen.append(call)
        return real(model, call, checked)

    for module in (sim.rules.moves, sim.engine.model):
        if hasattr(module, "apply_move"):
            monkeypatch.setattr(module, "apply_move", spy)
    # Hikvision plays: the US timeline (events) and China's strategy still move
    model = TradeModel(scenario=SC, rng=1, players=("Hikvision",))
    model.submit(MoveCall("Hikvision", "stockpile", "soc", {"cover": 10}))
    model.run()
    sources = {c.source for c in seen}
    assert {"player", "event", "strategy"} <= sources, sources
    logged = [e.call for e in model.log]
    assert all(any(c is s for s in seen) for c in logged)


def test_player_move_and_event_have_the_same_effect():
    events = TradeModel(scenario=SC.without_policy(), rng=1)
    events.events[0].append(MoveCall("US", "entity_list", "Hikvision", {"license_rate": 0.3},
                                     source="event"))
    player = TradeModel(scenario=SC.without_policy(), rng=1, players=("US",))
    player.submit(MoveCall("US", "entity_list", "Hikvision", {"license_rate": 0.3}))
    events.step()
    player.step()
    assert same_state(policy_state(events), policy_state(player))
    assert [n for _, n in events.news] == [n for _, n in player.news]
    assert events.policy.listed.any()


def test_submit_checks_at_once():
    model = TradeModel(scenario=SC, rng=1, players=("US",))
    with pytest.raises(MoveError, match="not played"):
        model.submit(MoveCall("CN", "tariff", "US"))
    with pytest.raises(MoveError, match="may not make"):
        model.submit(MoveCall("US", "subsidize", "Intel"))
    with pytest.raises(MoveError, match="risk"):
        model.submit(MoveCall("US", "announce", "Hikvision", {"risk": 2}))
    assert model.pending == []
