"""A scenario compiled to index maps and arrays (the static part of a model).

Names become integer indices; per-entity numbers become arrays the market functions work on:
firms × components (bills of materials), suppliers, firm–supplier links. Nothing here changes
while a model runs, except the link table, which grows when a firm qualifies a supplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario


@dataclass(frozen=True)
class World:
    """Indices and static arrays of a scenario.

    Shapes: G countries, R regions, P products, C components, S suppliers, F firms.
    """

    regions: list[str]
    countries: list[str]
    products: list[str]
    components: list[str]
    suppliers: list[str]
    firms: list[str]
    index: dict[str, tuple[str, int]]  # name -> (kind, index); kinds: country, supplier, ...
    names: dict[str, frozenset[str]]  # for move parameters: countries, products
    country_region: np.ndarray  # [G] int
    critical: np.ndarray  # [C] bool
    product_price: np.ndarray  # [P] reference price
    product_elasticity: np.ndarray  # [P]
    product_margin: np.ndarray  # [P]
    product_noise: np.ndarray  # [P]
    base_demand: np.ndarray  # [P, R] units per step at the reference price
    supplier_country: np.ndarray  # [S] int
    supplier_component: np.ndarray  # [S] int
    supplier_price: np.ndarray  # [S]
    supplier_capacity: np.ndarray  # [S] starting capacity
    ramp_capacity: np.ndarray  # [S] ceiling (= capacity when no ramp)
    ramp_steps: np.ndarray  # [S] steps growth takes (0 when no ramp)
    lead_time: np.ndarray  # [S] steps
    tech: np.ndarray  # [S, G] technology content by country
    firm_country: np.ndarray  # [F] int
    firm_product: np.ndarray  # [F] int
    firm_capacity: np.ndarray  # [F]
    bom: np.ndarray  # [F, C] units per unit of output
    cover: np.ndarray  # [F] normal target cover, steps
    appeal: np.ndarray  # [F, R] logit weight at equal prices
    sources: list[tuple[int, int]]  # (firm, supplier) qualified at the start
    # -- tier 2: suppliers' own inputs (sim/engine/inputs.py) --
    supplier_use: np.ndarray  # [S, C] consumables per unit shipped
    supplier_tools: np.ndarray  # [S, C] tools per unit of capacity added
    supplier_cover: np.ndarray  # [S] target cover of consumables, steps
    input_sources: list[tuple[int, int]]  # (buying supplier, selling supplier)
    # whose export rules a supplier's goods are subject to (PolicyState.subject)
    supplier_made_in: np.ndarray  # [S] int, country where its goods are made
    content: np.ndarray  # [S, G] origin of its goods' controlled content by value
    de_minimis: np.ndarray  # [G] content share above which a country's rules reach
    supplier_rating: np.ndarray  # [S] value on an export control's criterion (inf: unrated)

    @property
    def shape(self) -> dict[str, int]:
        return {"G": len(self.countries), "R": len(self.regions), "P": len(self.products),
                "C": len(self.components), "S": len(self.suppliers), "F": len(self.firms)}


def compile_world(sc: Scenario) -> World:
    """Compile a validated scenario into a :class:`World`."""
    regions, countries = list(sc.regions), list(sc.countries)
    products, components = list(sc.products), list(sc.components)
    suppliers, firms = list(sc.suppliers), list(sc.firms)
    gi = {n: i for i, n in enumerate(countries)}
    ci = {n: i for i, n in enumerate(components)}
    si = {n: i for i, n in enumerate(suppliers)}
    index: dict[str, tuple[str, int]] = {}
    for kind, names in (("component", components), ("country", countries),
                        ("supplier", suppliers), ("firm", firms)):
        index.update({n: (kind, i) for i, n in enumerate(names)})

    prods = list(sc.products.values())
    sups = list(sc.suppliers.values())
    fs = list(sc.firms.values())
    tech = np.zeros((len(sups), len(countries)))
    for s, sup in enumerate(sups):
        for country, share in (sup.tech or {sup.country: 1.0}).items():
            tech[s, gi[country]] = share
    bom = np.zeros((len(fs), len(components)))
    for f, firm in enumerate(fs):
        for comp, qty in firm.bom.items():
            bom[f, ci[comp]] = qty
    default_lead = sc.steps_of_days(sc.model.lead_time_days)
    made_in = [s.made_in or s.country for s in sups]
    content = np.zeros((len(sups), len(countries)))
    for s, sup in enumerate(sups):
        for country, share in (sup.content or {made_in[s]: 1.0}).items():
            content[s, gi[country]] = share
    return World(
        regions=regions, countries=countries, products=products, components=components,
        suppliers=suppliers, firms=firms, index=index,
        names={"countries": frozenset(countries), "products": frozenset(products),
               "components": frozenset(components)},
        country_region=np.array([regions.index(c.region) for c in sc.countries.values()], int),
        critical=np.array([c.critical for c in sc.components.values()], bool),
        product_price=np.array([p.price for p in prods], float),
        product_elasticity=np.array([p.elasticity for p in prods], float),
        product_margin=np.array([p.margin for p in prods], float),
        product_noise=np.array([p.noise for p in prods], float),
        base_demand=np.array([[p.demand.get(r, 0.0) for r in regions] for p in prods],
                             float).reshape(len(prods), len(regions)),
        supplier_country=np.array([gi[s.country] for s in sups], int),
        supplier_component=np.array([ci[s.component] for s in sups], int),
        supplier_price=np.array([s.price for s in sups], float),
        supplier_capacity=np.array([s.capacity for s in sups], float),
        ramp_capacity=np.array([s.ramp.capacity if s.ramp else s.capacity for s in sups], float),
        ramp_steps=np.array([s.ramp.steps if s.ramp else 0 for s in sups], int),
        lead_time=np.array([s.lead_time or default_lead for s in sups], int),
        tech=tech,
        firm_country=np.array([gi[f.country] for f in fs], int),
        firm_product=np.array([products.index(f.product) for f in fs], int),
        firm_capacity=np.array([f.capacity for f in fs], float),
        bom=bom,
        cover=np.array([f.cover for f in fs], float),
        appeal=np.array([[f.appeal.get(r, 1.0) if isinstance(f.appeal, dict) else f.appeal
                          for r in regions] for f in fs], float).reshape(len(fs), len(regions)),
        sources=[(f, si[s]) for f, firm in enumerate(fs)
                 for names_ in firm.sources.values() for s in names_],
        **_supplier_inputs(sups, ci, si),
        supplier_made_in=np.array([gi[c] for c in made_in], int),
        content=content,
        de_minimis=np.array([c.de_minimis for c in sc.countries.values()], float),
        supplier_rating=np.array([np.inf if s.rating is None else s.rating for s in sups],
                                 float),
    )


def _supplier_inputs(sups: list, ci: dict[str, int], si: dict[str, int]) -> dict:
    """Tier 2: each supplier's consumables and tools per unit, cover and input sources."""
    use, tools = np.zeros((len(sups), len(ci))), np.zeros((len(sups), len(ci)))
    cover = np.zeros(len(sups))
    pairs: list[tuple[int, int]] = []
    for s, sup in enumerate(sups):
        if sup.inputs is None:
            continue
        for comp, qty in sup.inputs.consumables.items():
            use[s, ci[comp]] = qty
        for comp, qty in sup.inputs.tools.items():
            tools[s, ci[comp]] = qty
        cover[s] = sup.inputs.cover
        pairs += [(s, si[x]) for names_ in sup.inputs.sources.values() for x in names_]
    return {"supplier_use": use, "supplier_tools": tools, "supplier_cover": cover,
            "input_sources": pairs}
