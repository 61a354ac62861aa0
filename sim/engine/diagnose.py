"""What a valid scenario's step-0 state says about it: errors the run would raise, and warnings.

``chokepoint validate`` runs every check ``run`` runs (docs/model.md, "Steady state"): the
scenario is compiled and its steady state built (:func:`sim.engine.state.initial_state`), so a
world the model refuses (a supplier whose inputs' sources cannot feed its steady shipments) is
refused by ``validate`` too, located in the file. A world that is valid but starts short, or
with a firm that loses money in its steady state, gets warnings (docs/model.md, "steady state"):

* a component whose firms want more a step than their qualified suppliers can make (its
  demand and its qualified capacity), and each firm its suppliers cannot feed (what it makes
  of what it could sell);
* a firm whose steady-state profit is negative: its cash runs out and it exits (section 6).
"""

from __future__ import annotations

import numpy as np

from sim.engine.links import Links
from sim.engine.state import State, initial_state
from sim.engine.world import World, compile_world
from sim.errors import ScenarioError
from sim.scenario.calendar import STEP_DAYS
from sim.scenario.models import Scenario
from sim.scenario.overrides import split_path

Loc = tuple[str, ...]


def world_problems(spec: Scenario) -> tuple[list[tuple[Loc, str]], list[tuple[Loc, str]]]:
    """(errors, warnings) of a valid scenario's step-0 state, each with its key path."""
    w = compile_world(spec)
    links = Links(w, w.sources, spec.model.sourcing_sensitivity)
    try:
        state = initial_state(spec, w, links)
    except ScenarioError as exc:
        return [(tuple(split_path(p.path)), p.message) for p in exc.problems], []
    return [], short_warnings(w, links, state) + loss_warnings(spec, w, state)


def short_warnings(w: World, links: Links, s: State) -> list[tuple[Loc, str]]:
    """A component its firms want more of than their qualified suppliers can make, and each
    firm that starts making less than it could sell for want of components."""
    out: list[tuple[Loc, str]] = []
    F, C = w.bom.shape
    ref, f = s.ref, s.firms
    could = np.minimum(w.firm_capacity, np.maximum(f.forecast, ref.output))
    demand = (could[:, None] * w.bom).sum(axis=0)
    qualified = np.zeros(C)
    sources = np.unique(links.supplier)
    np.add.at(qualified, w.supplier_component[sources], w.supplier_capacity[sources])
    for c in np.nonzero(demand > qualified * (1 + 1e-9))[0]:
        out.append((("components", w.components[c]),
                    f"the world starts short of {w.components[c]}: its firms want "
                    f"{demand[c]:,.4g} a step and their qualified suppliers can make "
                    f"{qualified[c]:,.4g}"))
    fed = ref.output < could * (1 - 1e-6)
    for i in np.nonzero(fed & (ref.capacity < w.firm_capacity * (1 - 1e-9)))[0]:
        out.append((("firms", w.firms[i], "capacity"),
                    f"starts short: its suppliers can feed {ref.output[i]:,.4g} a step of the "
                    f"{could[i]:,.4g} it could sell (its capacity is {ref.output[i]:,.4g} "
                    "until it qualifies more)"))
    return out


def loss_warnings(spec: Scenario, w: World, s: State) -> list[tuple[Loc, str]]:
    """A firm that loses money in its steady state, and when its cash runs out."""
    out: list[tuple[Loc, str]] = []
    unit = spec.calendar.step
    for i in np.nonzero(s.ref.profit < 0)[0]:
        loss, cash = -float(s.ref.profit[i]), float(s.ref.cash[i])
        steps = int(cash // loss)
        out.append((("firms", w.firms[i]),
                    f"loses {loss:,.4g} a step at its steady output (revenue "
                    f"{s.ref.revenue[i]:,.4g}, costs {s.ref.revenue[i] + loss:,.4g}): its cash "
                    f"of {cash:,.4g} runs out in step {steps} (about "
                    f"{steps * STEP_DAYS[unit] / 365.25:.1f} years), and it exits"))
    return out
