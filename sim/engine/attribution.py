"""Which moves touched an entity: the causes a news item about it may name.

A move touches a firm when it names the firm, restricts one of the firm's links (a listing of
the firm; a procurement ban by the firm's country on one of its suppliers; an export control of a
component it uses, covering its country, on goods subject to the controlling country's rules;
a tariff its country puts on components it buys) or its market (a procurement ban on it, a tariff
on its country's goods of its product). A move touches a supplier when it names the supplier or
restricts one of its links (a listing of a firm it sells to whose goods from it are subject to
the lister's rules or, with the FDPR, are its direct products; a procurement ban on it; an export
control of its component subject to the controller's rules; a tariff on components from its
country). Moves that reach an entity only through a market (a rival's listing that shifts
buyers) are not its causes: a news item names what hit the entity itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.engine.model import LoggedMove, TradeModel


def touches(model: TradeModel, entry: LoggedMove, entity: str) -> bool:
    """Whether the logged move restricts ``entity``'s links or market, or names it."""
    call, w = entry.call, model.world
    if call.target == entity or call.actor == entity:
        return True
    kind, i = w.index.get(entity, ("", -1))
    if kind == "firm":
        return _touches_firm(model, entry, i)
    if kind == "supplier":
        return _touches_supplier(model, entry, i)
    return False


def _touches_firm(model: TradeModel, entry: LoggedMove, f: int) -> bool:
    w, links, call = model.world, model.links, entry.call
    g = entry.actor_country
    mine = links.firm == f
    suppliers = set(links.supplier[mine].tolist())
    target_kind, t = w.index.get(call.target or "", ("", -1))
    if call.move == "procurement_ban" and target_kind == "supplier":
        return g == w.firm_country[f] and t in suppliers
    if call.move == "export_control" and target_kind == "component":
        to = entry.params.get("to")
        covered = to is None or w.countries[w.firm_country[f]] in to
        subject = any(model.policy.subject[g, s] for s in suppliers
                      if w.supplier_component[s] == t) if g is not None else False
        return bool(w.bom[f, t] > 0 and covered and subject and g != w.firm_country[f])
    if call.move == "tariff" and target_kind == "country":
        component = entry.params.get("component")
        if component is not None:
            c = w.components.index(component)
            return g == w.firm_country[f] and any(
                w.supplier_country[s] == t and w.supplier_component[s] == c for s in suppliers)
        product = entry.params.get("product")
        return bool(t == w.firm_country[f]
                    and (product is None or w.products.index(product) == w.firm_product[f]))
    return False


def _touches_supplier(model: TradeModel, entry: LoggedMove, s: int) -> bool:
    w, links, call = model.world, model.links, entry.call
    g = entry.actor_country
    target_kind, t = w.index.get(call.target or "", ("", -1))
    if g is None:
        return False
    if call.move == "entity_list" and target_kind == "firm":
        sells = bool(((links.firm == t) & (links.supplier == s)).any())
        fdpr = entry.params.get("fdpr") and w.tech[s, g] >= entry.params.get("threshold", 1.0)
        return sells and bool(model.policy.subject[g, s] or fdpr)
    if call.move == "export_control" and target_kind == "component":
        return bool(w.supplier_component[s] == t and model.policy.subject[g, s])
    if call.move == "tariff" and target_kind == "country":
        component = entry.params.get("component")
        return (component is not None and t == w.supplier_country[s]
                and w.components.index(component) == w.supplier_component[s])
    return False


def causes(model: TradeModel, entity: str, start: int = 0,
           end: int | None = None) -> list[LoggedMove]:
    """The moves logged in steps ``start`` to ``end`` (exclusive; default: all) that touched
    ``entity`` (:func:`touches`), those naming it first, each group in the order made."""
    end = model.step_index + 1 if end is None else end
    hit = [e for e in model.log if start <= e.step < end and touches(model, e, entity)]
    return sorted(hit, key=lambda e: e.call.target != entity)
