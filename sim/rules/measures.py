"""What a hostile move does to its victim, whether it is still in force, and how to scale an
answer to it: the arithmetic the answering strategies (:mod:`sim.rules.responsive`,
:mod:`sim.rules.negotiation`) share.

* :func:`harm` — the revenue a move puts at stake, as a share of the victim's industry
  revenue, judged from last period's flows when the move is first seen (before the flows
  react), in [0, 1];
* :func:`in_force` — how much of a move is still in force now, in [0, 1]: 0 once it is lifted
  (a delisting, a lifted tariff or ban, a control licensed in full), less than 1 while a
  licence or a lower rate softens it;
* :func:`scaled` — the same move at a fraction of its strength; at 0 the move that lifts it.

docs/scenarios.md ("Strategies") describes the strategies that use them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from sim.rules.moves import MoveCall

if TYPE_CHECKING:
    from sim.engine.model import LoggedMove, TradeModel

LIFTS = {"entity_list": "delist"}
"""Moves whose lifting is another move; the others are lifted by themselves at strength 0."""


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0


def harm(model: TradeModel, victim: int, entry: LoggedMove) -> float:
    """The harm ``entry`` (a hostile move against ``victim``) does to ``victim``'s economy:
    the revenue it puts at stake, as a share of the revenue of ``victim``'s firms and
    suppliers in the steady state (what its ``industry`` objective measures), in [0, 1].
    Judged from last period's flows, when the move is first seen:

    * a listing of its firm: the firm's revenue times its purchases (by value) from the
      lister's country, times the share not licensed;
    * a procurement ban on its firm: its sales in the banning country's region, times the
      share banned; on its supplier: its shipments to the banning country's firms, times the
      share banned;
    * a tariff on its goods: its firms' sales in the taxing country's region, times the share
      of buyers the tariff turns away at reference prices, ``1 − exp(−λ·rate)`` (the buyers'
      logit of phase 5, λ = ``choice_sensitivity``); on a component: its suppliers' shipments
      of it to the taxing country's firms, times ``min(1, rate)``;
    * an export control covering it: the revenue of its firms that use the component, times
      the share of their purchases of it that came from the controlling country's suppliers,
      times the share not licensed.
    """
    w, st, sender = model.world, model.state, entry.actor_country
    if sender is None or entry.call.target is None:
        return 0.0
    side = (st.ref.revenue[w.firm_country == victim].sum()
            + st.ref.supplier_revenue[w.supplier_country == victim].sum())
    return _share(_at_stake(model, victim, sender, entry), side)


def _at_stake(model: TradeModel, victim: int, sender: int, entry: LoggedMove) -> float:
    """The revenue per step of ``victim``'s side that ``entry`` touches (see :func:`harm`)."""
    w, st, links = model.world, model.state, model.links
    p, move = entry.params, entry.call.move
    kind, t = w.index[str(entry.call.target)]
    value = st.pipeline.shipped[:len(links)] * w.supplier_price[links.supplier]
    revenue, region = st.markets.revenue, w.country_region[sender]
    if move == "entity_list":
        return float(revenue[t] * st.firms.exposure[t, sender]) * (1.0 - p["license_rate"])
    if move == "procurement_ban" and kind == "firm":
        sales = st.markets.sales_by_region[t]
        return float(revenue[t]) * _share(sales[region], sales.sum()) * p["share"]
    to_them = w.firm_country[links.firm] == sender
    if move == "procurement_ban":
        return float(value[(links.supplier == t) & to_them].sum()) * p["share"]
    if move == "tariff" and p.get("component") is not None:
        c = w.components.index(p["component"])
        mine = (w.supplier_country[links.supplier] == victim) & (links.component == c)
        return float(value[mine & to_them].sum()) * min(1.0, p["rate"])
    if move == "tariff":
        hit = w.firm_country == victim
        if p.get("product") is not None:
            hit &= w.firm_product == w.products.index(p["product"])
        turned = 1.0 - np.exp(-model.spec.model.choice_sensitivity * p["rate"])
        sales = st.markets.sales_by_region[hit]
        return float((revenue[hit] * np.divide(sales[:, region], sales.sum(axis=1),
                                               out=np.zeros(len(sales)),
                                               where=sales.sum(axis=1) > 0)).sum()) * turned
    if move == "export_control":
        mine = (w.firm_country[links.firm] == victim) & (links.component == t)
        from_them = np.bincount(links.firm[mine & (w.supplier_country[links.supplier]
                                                   == sender)],
                                value[mine & (w.supplier_country[links.supplier] == sender)],
                                len(w.firms))
        bought = np.bincount(links.firm[mine], value[mine], len(w.firms))
        share = np.divide(from_them, bought, out=np.zeros(len(w.firms)), where=bought > 0)
        return float((revenue * share).sum()) * (1.0 - p["license_rate"])
    return 0.0


def in_force(model: TradeModel, entry: LoggedMove, victim: int) -> float:
    """How much of ``entry`` (a hostile move against ``victim``) is in force now, in [0, 1]:
    its current strength over its strength when made (a general licence in force counts as
    licensed flows; a lapsed one no longer)."""
    w, pol, t_now = model.world, model.policy, model.step_index
    sender, p = entry.actor_country, entry.params
    if sender is None or entry.call.target is None:
        return 0.0
    t = w.index[entry.call.target][1]
    move = entry.call.move
    if move == "entity_list":
        if not pol.listed[sender, t]:
            return 0.0
        licence = (pol.general_license_share[sender, t]
                   if t_now < pol.general_license_until[sender, t] else 0.0)
        rate = max(float(pol.license_rate[sender, t]), float(licence))
        return _ratio(1.0 - rate, 1.0 - p["license_rate"])
    if move == "procurement_ban":
        kind = w.index[entry.call.target][0]
        now = pol.firm_ban[sender, t] if kind == "firm" else pol.supplier_ban[sender, t]
        return _ratio(float(now), p["share"])
    if move == "tariff":
        if p.get("component") is not None:
            now = pol.component_tariff[sender, victim, w.components.index(p["component"])]
        elif p.get("product") is not None:
            now = pol.tariff[sender, victim, w.products.index(p["product"])]
        else:
            now = pol.tariff[sender, victim].max()
        return _ratio(float(now), p["rate"])
    if move == "export_control":
        if not pol.export_to[sender, t, victim]:
            return 0.0
        return _ratio(1.0 - float(pol.export_rate[sender, t]), 1.0 - p["license_rate"])
    return 0.0


def _ratio(now: float, then: float) -> float:
    return float(np.clip(now / then, 0.0, 1.0)) if then > 0 else 0.0


def scaled(call: MoveCall, factor: float) -> MoveCall:
    """``call`` (an answer: a listing, ban, tariff or export control) at ``factor`` of its
    strength; at 0 the move that lifts it (a delisting, a 0% tariff, a 0% ban, a control
    licensing everything)."""
    p = dict(call.params)
    if factor <= 0 and call.move in LIFTS:
        return replace(call, move=LIFTS[call.move], params={})
    if call.move == "entity_list":
        p.update(license_rate=1.0 - (1.0 - p.get("license_rate", 0.0)) * factor, loosen=True)
    elif call.move == "export_control":
        p["license_rate"] = 1.0 - (1.0 - p.get("license_rate", 0.0)) * factor
    elif call.move == "procurement_ban":
        p["share"] = p.get("share", 1.0) * factor
    elif call.move == "tariff":
        p["rate"] = p.get("rate", 0.25) * factor
    return replace(call, params=p)
