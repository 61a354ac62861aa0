"""A goal in plain words for every role (sim/rules/goals.py): generated from the objectives and
the scenario, checked on every role of every shipped scenario and fictional world."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.exploits import WORLDS
from sim import TradeModel
from sim.engine.relations import rivals
from sim.rules.goals import goal, government_goal, history_score
from sim.scenario import load_scenario

HIKVISION = WORLDS[0].parent / "hikvision_2019.yaml"
ROLES = [(path, role) for path in WORLDS for role in load_scenario(path).roles]


@pytest.mark.parametrize(("path", "role"), ROLES, ids=lambda v: getattr(v, "stem", v))
def test_every_role_has_a_goal_in_words_and_the_scores_parts(path, role):
    spec = load_scenario(path)
    g = goal(spec, role)
    assert g.text[0].isupper() and g.text.endswith(".") and "{" not in g.text
    assert sum(w for _, w, _ in g.parts) == pytest.approx(1.0)
    assert all(meaning and "{" not in meaning for _, _, meaning in g.parts)
    if role in spec.firms:
        assert role in g.text and spec.firms[role].product in g.text
        return
    keys = {k for k, _, _ in g.parts}
    assert "escalation" in keys  # never free
    if dict((k, w) for k, w, _ in g.parts).get("security", 0) > 0:
        rivals_firms = [f for f, x in spec.firms.items() if x.country in rivals(spec)[role]]
        if rivals_firms:
            assert all(f in g.text for f in rivals_firms[:2])
        else:  # the design brief's example: the rival has no firms to deny anything to
            assert not g.text.startswith("Deny")
    assert g.target is None or np.isfinite(g.target)
    assert (g.target is None) == (not any(e.by == role for e in spec.events))


def test_hikvision_us_goal_reads_like_the_case():
    spec = load_scenario(HIKVISION)
    text, parts = government_goal(spec, "US")
    assert text.startswith("Deny CN's firms (Hikvision and Dahua) the components they need to "
                           "make cameras, without costing your producers (Intel, AMD and Xilinx)")
    assert "raising prices for buyers in US" in text and "allies" in text
    assert [k for k, _, _ in parts] == ["security", "industry", "consumers", "treasury",
                                        "escalation"]


def test_the_target_is_historys_score_against_doing_nothing():
    spec = load_scenario(HIKVISION)
    played = TradeModel(scenario=spec).run()
    idle = TradeModel(scenario=spec, players=("US",)).run()
    want = (played.recorder.series("country", "score", "US").mean()
            - idle.recorder.series("country", "score", "US").mean())
    assert history_score(spec, "US") == pytest.approx(want)
    assert want > 0.0  # listing the rivals' firms pays the US
    assert history_score(spec, "CN") is None  # China has no scripted move
