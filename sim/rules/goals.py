"""A role's goal in plain words, generated from its objectives and the scenario.

For a government: what it is trying to do, from its objective weights (heaviest first), its
rivals (:mod:`sim.engine.relations`) and the firms, suppliers, products and markets of the
scenario; the score's parts with their weights and meaning (docs/model.md, "7. Scores"); and a
target to beat where the role has a history: the score of the scripted run (its own
historical moves made) against doing nothing, computed as the game scores a player (mean score
over the run, minus the same with the role making no move, same seed). For a firm: its profit.
Nothing here is written per scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.model import TradeModel
from sim.engine.objectives import MEASURE_COST, RECEIVED_COST, weights_of
from sim.engine.relations import rivals
from sim.scenario.models import Scenario

MEANING = {
    "security": "the share of your rivals' output ({rivals}) their firms cannot make for lack "
                "of components, or have lost by exiting (sales lost to a tariff or a ban do "
                "not count)",
    "industry": "the change in your firms' and suppliers' profit (after any fines they pay), as "
                "a share of your stake: what your buyers spend plus what your producers sell",
    "consumers": "the change in your buyers' surplus (their choice of sellers and the prices "
                 "they pay), as a share of your stake",
    "treasury": "the tariffs and fines you collect, as a share of your stake (a tariff your "
                "buyers pay comes out of their surplus)",
    "escalation": "the hostile measures you have in force: {rival:g} each against a rival, "
                  "{neutral:g} a neutral, {ally:g} an ally, {own:g} your own firms, and "
                  "{received:g} for each against you",
}


@dataclass(frozen=True)
class Goal:
    """What a role is trying to do: ``text``, the score's ``parts`` (objective, weight,
    meaning) and the ``target`` to beat (history's score; None without a history)."""

    role: str
    text: str
    parts: tuple[tuple[str, float, str], ...]
    target: float | None


def _names(items: list[str], most: int = 3) -> str:
    shown = items[:most] + (["others"] if len(items) > most else [])
    return ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def _phrases(spec: Scenario, role: str) -> dict[str, str]:
    """What each objective asks of the government, in words."""
    country = spec.countries[role]
    riv = rivals(spec)[role]
    targets = [f for f, x in spec.firms.items() if x.country in riv]
    products = sorted({spec.firms[f].product for f in targets})
    own = ([f for f, x in spec.firms.items() if x.country == role]
           + [s for s, x in spec.suppliers.items() if x.country == role])
    bought = [p for p, x in spec.products.items() if x.demand.get(country.region, 0) > 0]
    out = {"escalation": ("hurting allies, neutrals or your own firms costs you more than "
                          "hurting rivals") if riv else
           "every hostile measure you make or suffer costs you, most against your own firms"}
    if targets:
        out["security"] = (f"deny {_names(list(riv))}'s firms ({_names(targets)}) the "
                           f"components they need to make {_names(list(map(_plural, products)))}")
    if own:
        out["industry"] = f"keep your producers ({_names(own)}) profitable"
    if bought:
        out["consumers"] = (f"keep {_names(list(map(_plural, bought)))} cheap and plentiful "
                            f"for buyers in {country.region}")
    out["treasury"] = "collect tariffs and fines"
    return out


def government_goal(spec: Scenario, role: str) -> tuple[str, tuple[tuple[str, float, str],
                                                                    ...]]:
    """The goal's sentence and the score's parts of a government role."""
    weights = weights_of(spec, role)
    phrases = _phrases(spec, role)
    ranked = [k for k in sorted(weights, key=lambda k: -weights[k])
              if weights[k] > 0 and k in phrases and k != "escalation"]
    # a tariff's revenue is a transfer from buyers: the treasury leads only when it is all
    ranked = [k for k in ranked if k != "treasury"] or ranked
    if ranked:
        head, rest = ranked[0], ranked[1:]
        text = phrases[head][0].upper() + phrases[head][1:]
        if rest:
            text += ", without " + " or ".join(_without(k, phrases) for k in rest)
    else:
        text = "Keep out of trouble"
    if weights["escalation"] > 0:
        text += "; " + phrases["escalation"]
    riv = rivals(spec)[role]
    cost = dict(zip(("own", "ally", "neutral", "rival"), MEASURE_COST.tolist(), strict=True))
    parts = tuple((k, weights[k], MEANING[k].format(rivals=_names(list(riv)) if riv else "none",
                                                     received=RECEIVED_COST, **cost))
                  for k in weights if weights[k] > 0)
    return text + ".", parts


def _without(key: str, phrases: dict[str, str]) -> str:
    """'keep your producers profitable' -> 'costing your producers (…) much profit'."""
    return {"security": "letting your rivals' firms get what they need",
            "industry": phrases["industry"].replace("keep ", "costing ", 1)
            .replace(" profitable", " much profit"),
            "consumers": "raising prices for " + phrases["consumers"].split("for ", 1)[-1]
                         + " much",
            "treasury": "giving up tariff revenue"}[key]


def firm_goal(spec: Scenario, role: str) -> tuple[str, tuple[tuple[str, float, str], ...]]:
    """The goal's sentence and the score's part of a firm role."""
    firm = spec.firms[role]
    threats = sorted({e.by for e in spec.events if e.target == role and e.by != role})
    text = f"Keep {role} making and selling {_plural(firm.product)} at a profit"
    if threats:
        text += f" through what {_names(threats)} may do to it"
    meaning = ("your profit over the run against the same run with you making no move, as a "
               "share of that run's profit")
    return text + ".", (("profit", 1.0, meaning),)


def history_score(spec: Scenario, role: str, seed: int | None = None) -> float | None:
    """The score of the role's scripted history against doing nothing (the game's scoring),
    or None when the timeline has no move of the role."""
    if not any(e.by == role for e in spec.events):
        return None
    rng = spec.seed if seed is None else seed
    played = TradeModel(scenario=spec, rng=rng).run()
    idle = TradeModel(scenario=spec, rng=rng, players=(role,)).run()
    if role in spec.countries:
        series = [m.recorder.series("country", "score", role) for m in (played, idle)]
        return float(np.mean(series[0]) - np.mean(series[1]))
    profit = [float(np.mean(m.recorder.series("firm", "profit", role))) for m in (played, idle)]
    return (profit[0] - profit[1]) / max(abs(profit[1]), 1e-9)


def words(spec: Scenario, role: str) -> tuple[str, tuple[tuple[str, float, str], ...]]:
    """The goal's sentence and the score's parts of ``role``, a government or a firm."""
    return government_goal(spec, role) if role in spec.countries else firm_goal(spec, role)


def goal(spec: Scenario, role: str, seed: int | None = None) -> Goal:
    """The goal of ``role`` (a government or a firm of the scenario) in plain words."""
    text, parts = words(spec, role)
    return Goal(role, text, parts, history_score(spec, role, seed))
