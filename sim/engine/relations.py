"""Who each government regards as a rival, an ally or a neutral (docs/model.md, "7. Scores").

A government's `security` counts the capability of its **rivals'** firms, and its `escalation`
cost of a hostile measure grows the closer the country it hits: its own firms, an ally's, a
neutral's, a rival's. Rivals are the scenario's `countries.X.rivals`; by default, the countries
its hostile scripted events target and those whose hostile scripted events target it (a
listing is the start of a rivalry on both sides). Allies are the countries that share a rival
with it (a coalition); every other country is neutral. Pure functions of the scenario.
"""

from __future__ import annotations

import numpy as np

from sim.rules.moves import MOVES
from sim.scenario.models import Scenario

OWN, ALLY, NEUTRAL, RIVAL = range(4)
CLOSENESS: tuple[str, ...] = ("own", "ally", "neutral", "rival")  # by code


def _hostile(move: str) -> bool:
    return move in MOVES and MOVES[move].hostile


def target_countries(spec: Scenario, target: str | None, values: dict) -> set[str]:
    """The countries a hostile move on ``target`` hits: a firm's or a supplier's country, a
    taxed country, or the countries an export control names (none when it names none)."""
    if target in spec.firms:
        return {spec.firms[target].country}
    if target in spec.suppliers:
        return {spec.suppliers[target].country}
    if target in spec.countries:
        return {target}
    return set(values.get("to") or ())


def rivals(spec: Scenario) -> dict[str, tuple[str, ...]]:
    """Each country's rivals, in the scenario's order of countries: its `rivals:` if given;
    otherwise the countries its hostile scripted events target and those whose hostile scripted
    events target it."""
    hits: dict[str, set[str]] = {c: set() for c in spec.countries}
    for e in spec.events:
        if e.by in spec.countries and _hostile(e.move):
            for h in target_countries(spec, e.target, e.values) - {e.by}:
                hits[e.by].add(h)
    out = {}
    for name, country in spec.countries.items():
        given = country.rivals
        found = set(given) if given is not None else (
            hits[name] | {g for g, hit in hits.items() if name in hit})
        out[name] = tuple(c for c in spec.countries if c in found and c != name)
    return out


def relations(spec: Scenario) -> np.ndarray:
    """[G, G] closeness of country h to country g (row g): OWN on the diagonal, RIVAL for
    g's rivals, ALLY for a country sharing a rival with g, NEUTRAL otherwise."""
    names = list(spec.countries)
    riv = rivals(spec)
    G = len(names)
    out = np.full((G, G), NEUTRAL, int)
    for g, a in enumerate(names):
        for h, b in enumerate(names):
            if g == h:
                out[g, h] = OWN
            elif b in riv[a]:
                out[g, h] = RIVAL
            elif set(riv[a]) & set(riv[b]) - {a, b}:
                out[g, h] = ALLY
    return out
