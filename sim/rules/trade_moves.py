"""Governments' moves on trade: tariffs, procurement bans, export controls, subsidies.

Registered by :mod:`sim.rules.moves`; the entity list's moves are in
:mod:`~sim.rules.listing_moves`.
"""

from __future__ import annotations

import numpy as np

from sim.errors import MoveError
from sim.rules.move_base import Move, pct
from sim.rules.params import Param


class Tariff(Move):
    """Put an ad valorem tariff on goods made by another country's firms, or on the
    components its suppliers sell to your firms.

    On final goods: buyers in your region pay `rate` more for them, so they buy less of them
    and more from others; the taxed firms absorb part of it and their rivals raise their
    prices. With a `component`: your firms pay `rate` more for that component from the
    country's suppliers, which raises their costs and moves their orders to other sources.
    Your treasury collects the tariff. A rate of 0 removes the tariff.
    """

    name = "tariff"
    actor = "government"
    targets = ("country",)
    hostile = True
    params = (
        Param("rate", "float", 0.25, "ad valorem rate", 0.0, 10.0),
        Param("product", "product", None, "product it applies to (all when omitted)"),
        Param("component", "component", None,
              "component it applies to instead of final goods (none: final goods)"),
    )

    @classmethod
    def feasible(cls, model, actor, target, params):
        w = model.world
        if target[1] == actor:
            raise MoveError("a country cannot put a tariff on its own firms")
        if params.get("component") is not None:
            if params.get("product") is not None:
                raise MoveError("a tariff applies to a product or to a component, not both")
            c = w.components.index(params["component"])
            if not np.any((w.supplier_country == target[1]) & (w.supplier_component == c)):
                raise MoveError(f"{w.countries[target[1]]} has no supplier of "
                                f"{params['component']}")

    @classmethod
    def apply(cls, model, actor, target, params):
        g, w = target[1], model.world
        if params.get("component") is not None:
            c = w.components.index(params["component"])
            model.policy.component_tariff[actor, g, c] = params["rate"]
            return (f"{w.countries[actor]} sets a {pct(params['rate'])} tariff on "
                    f"{params['component']} from {w.countries[g]}'s suppliers.")
        prods = slice(None) if params["product"] is None else w.products.index(params["product"])
        model.policy.tariff[actor, g, prods] = params["rate"]
        what = params["product"] or "all goods"
        return (f"{w.countries[actor]} sets a {pct(params['rate'])} tariff on {what} "
                f"made by {w.countries[g]}'s firms.")


class ProcurementBan(Move):
    """Ban a foreign firm or supplier from your market.

    On a firm: `share` of your region's buyers may no longer buy its product. On a supplier:
    your country's firms cut `share` of their orders to it and re-source where they can.
    """

    name = "procurement_ban"
    actor = "government"
    targets = ("firm", "supplier")
    hostile = True
    params = (Param("share", "float", 1.0, "share of the market or of orders closed", 0.0, 1.0),)

    @classmethod
    def apply(cls, model, actor, target, params):
        kind, i = target
        w, p = model.world, model.policy
        owner = w.firm_country[i] if kind == "firm" else w.supplier_country[i]
        if owner == actor:
            raise MoveError("a country cannot ban its own firms or suppliers")
        if kind == "firm":
            p.firm_ban[actor, i] = params["share"]
            name = w.firms[i]
            return (f"{w.countries[actor]} closes {pct(params['share'])} of its market "
                    f"to {name}.")
        p.supplier_ban[actor, i] = params["share"]
        return (f"{w.countries[actor]} tells its firms to cut {pct(params['share'])} of "
                f"their orders to {w.suppliers[i]}.")


class ExportControl(Move):
    """Control exports of a component.

    Goods of that component subject to your export rules (made in your territory, or made
    abroad with your content above your de minimis, as for a listing) may go abroad (or only
    to the countries in `to`) just the licensed share of what each supplier shipped there
    before, from `delay` steps on (licensing takes time to start). With `min_rating`, only goods
    rated at or above it are controlled (the October 2022 US rule on AI chips covered those
    above its thresholds; Nvidia's A800 and H800 were designed below them). A `license_rate` of
    1 lifts the control. Issued again, the new terms replace the old (a rule update); with a
    `delay` while a control is in force, the old terms stay until the new ones start.
    """

    name = "export_control"
    actor = "government"
    targets = ("component",)
    hostile = True
    params = (
        Param("to", "countries", None, "countries it applies to (all foreign when omitted)"),
        Param("license_rate", "float", 0.0, "share of requested shipments licensed", 0.0, 1.0),
        Param("delay", "int", 0, "steps before the control takes effect", 0, 10_000),
        Param("min_rating", "float", 0.0, "lowest rating of the goods it covers (suppliers' "
                                          "`rating`; 0: all)", 0.0, 1e9),
    )

    @classmethod
    def feasible(cls, model, actor, target, params):
        c, w, p = target[1], model.world, model.policy
        if not np.any(p.subject[actor] & (w.supplier_component == c)):
            raise MoveError(f"no supplier's {w.components[c]} is subject to "
                            f"{w.countries[actor]}'s export rules")

    @classmethod
    def apply(cls, model, actor, target, params):
        c, w, p = target[1], model.world, model.policy
        mask = np.ones(len(w.countries), bool)
        if params["to"] is not None:
            mask[:] = False
            mask[[w.countries.index(x) for x in params["to"]]] = True
        mask[actor] = False
        start = model.step_index + params["delay"]
        p.pending_controls = [e for e in p.pending_controls if e[1:3] != (actor, c)]
        in_force = p.export_rate[actor, c] < 1 and p.export_from[actor, c] <= model.step_index
        rating = params["min_rating"]
        if in_force and params["delay"] > 0:  # the control in force stays until then
            p.pending_controls.append((start, actor, c, params["license_rate"], mask, rating))
        else:
            p.export_rate[actor, c] = params["license_rate"]
            p.export_from[actor, c] = start
            p.export_to[actor, c] = mask
            p.export_min_rating[actor, c] = rating
        dest = "all foreign buyers" if params["to"] is None else ", ".join(params["to"])
        rated = f" rated {rating:g} or more" if rating > 0 else ""
        return (f"{w.countries[actor]} controls exports of {w.components[c]}{rated} to "
                f"{dest}, licensing {pct(params['license_rate'])}.")


class Subsidize(Move):
    """Subsidise one of your emerging suppliers.

    Divides its build lag and the time its learning curve takes to reach 90% of its ceiling by
    `factor`, so it decides to build sooner and grows faster once orders exceed its capacity
    (as far as the tools it can get allow, if it needs any).
    """

    name = "subsidize"
    actor = "government"
    targets = ("supplier",)
    params = (Param("factor", "float", 2.0, "speed-up of building and ramping", 1.0, 10.0),)

    @classmethod
    def feasible(cls, model, actor, target, params):
        s, w = target[1], model.world
        if w.supplier_country[s] != actor:
            raise MoveError(f"{w.suppliers[s]} is not one of {w.countries[actor]}'s suppliers")

    @classmethod
    def apply(cls, model, actor, target, params):
        s, w = target[1], model.world  # feasible() has checked that it is the actor's own
        model.policy.subsidy[s] = params["factor"]
        return (f"{w.countries[actor]} subsidises {w.suppliers[s]} "
                f"(builds {params['factor']:g}× faster).")
