"""Firms' moves: stockpiling, qualifying a new supplier, redesigning a component out.

Registered by :mod:`sim.rules.moves`; :func:`finish_redesigns` ships the redesigns that are
due (the model calls it at the start of a step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.errors import MoveError
from sim.rules.move_base import Move, pct
from sim.rules.params import Param

if TYPE_CHECKING:
    from sim.engine.model import TradeModel


class Stockpile(Move):
    """Stockpile a component (or all of them).

    Sets your target stock to `cover` steps of expected use until you make another
    `stockpile` move. On one component it sets that component's target; without a component
    it sets a target for all of them, and where a component has its own target the deeper of
    the two stands (a 78-week stock of one chip survives a 14-week stockpile of everything).
    Stock costs money to hold and slowly becomes obsolete.
    """

    name = "stockpile"
    actor = "firm"
    targets = ("component",)
    target_optional = True
    params = (Param("cover", "float", 26.0, "target stock, in steps of use", 0.0, 520.0),)

    @classmethod
    def feasible(cls, model, actor, target, params):
        w = model.world
        if target is not None and w.bom[actor, target[1]] <= 0:
            raise MoveError(f"{w.firms[actor]} does not use {w.components[target[1]]}")

    @classmethod
    def apply(cls, model, actor, target, params):
        w = model.world
        if target is None:  # a target under all components; their own targets combine
            model.policy.stockpile_floor[actor] = params["cover"]
        else:  # feasible() has checked that the firm uses it
            model.policy.stockpile_cover[actor, target[1]] = params["cover"]
        what = "components" if target is None else w.components[target[1]]
        return f"{w.firms[actor]} sets its {what} stock target to {params['cover']:g} steps of use."


class Qualify(Move):
    """Start qualifying a new supplier.

    After `lag` steps (testing and redesign take months) the supplier becomes one of your
    sources for its component, and orders can go to it.
    """

    name = "qualify"
    actor = "firm"
    targets = ("supplier",)
    params = (Param("lag", "int", 13, "steps until the supplier is qualified", 0, 10_000),)

    @classmethod
    def feasible(cls, model, actor, target, params):
        s, w = target[1], model.world
        c = w.supplier_component[s]
        if w.bom[actor, c] <= 0:
            raise MoveError(f"{w.firms[actor]} does not use {w.components[c]}")
        if model.links.has(actor, s) or model.policy.qualifying(actor, s):
            raise MoveError(f"{w.suppliers[s]} is already a source of {w.firms[actor]} "
                            "or being qualified")

    @classmethod
    def apply(cls, model, actor, target, params):
        s, w = target[1], model.world
        c = w.supplier_component[s]
        model.policy.pending_sources.append((model.step_index + params["lag"], actor, s))
        return (f"{w.firms[actor]} starts qualifying {w.suppliers[s]} for "
                f"{w.components[c]} ({params['lag']} steps).")


# -- redesign (docs/model.md, "Game rules"): a firm's third move, designing a component out -
class Redesign(Move):
    """Redesign your product to use less of a component.

    After `lag` steps (engineering, testing and certification take months) each unit of your
    product needs `cut` less of the component: less to buy, less stock to hold, less exposed
    to a ban on it. The cost: while the redesign runs, `effort` of your output capacity is
    lost (engineers and lines are diverted), and the capacity comes back when it ships. One
    redesign per component at a time.
    """

    name = "redesign"
    actor = "firm"
    targets = ("component",)
    params = (
        Param("cut", "float", 0.5, "share of the component's use per unit designed out",
              0.05, 0.9),
        Param("lag", "int", 26, "steps until the redesigned product ships", 1, 10_000),
        Param("effort", "float", 0.1, "share of output capacity lost while redesigning",
              0.0, 0.9),
    )

    @classmethod
    def feasible(cls, model, actor, target, params):
        w, c = model.world, target[1]
        if w.bom[actor, c] <= 0:
            raise MoveError(f"{w.firms[actor]} does not use {w.components[c]}")
        if any(f == actor and k == c for _, f, k, _, _ in model.policy.redesigns):
            raise MoveError(f"{w.firms[actor]} is already redesigning {w.components[c]} out")

    @classmethod
    def apply(cls, model, actor, target, params):
        w, c = model.world, target[1]
        capacity = model.state.ref.capacity
        lost = float(capacity[actor]) * params["effort"]
        capacity[actor] -= lost
        model.policy.redesigns.append((model.step_index + params["lag"], actor, c,
                                       params["cut"], lost))
        return (f"{w.firms[actor]} starts redesigning its product to use {pct(params['cut'])} "
                f"less {w.components[c]} ({params['lag']} steps; {pct(params['effort'])} of "
                "its capacity diverted meanwhile).")


def finish_redesigns(model: TradeModel) -> list[str]:
    """Ship the redesigns due by this step: the firm's use of the component per unit falls by
    the cut, its diverted capacity comes back. Returns a news line per redesign."""
    t, p, w = model.step_index, model.policy, model.world
    due = [r for r in p.redesigns if r[0] <= t]
    if not due:
        return []
    p.redesigns = [r for r in p.redesigns if r[0] > t]
    news = []
    for _, f, c, cut, lost in due:
        w.bom[f, c] *= 1.0 - cut
        model.state.ref.capacity[f] += lost
        news.append(f"{w.firms[f]}'s redesigned product ships: it uses {pct(cut)} less "
                    f"{w.components[c]} per unit.")
    return news
