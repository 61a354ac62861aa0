"""Cross-reference checks of a scenario document.

Run on the parsed document (not the validated objects) so that they report alongside structural
errors, all at once; every check tolerates wrong types, which the structural validation reports.
Each problem is ``(key path, message)``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, TypeGuard

from sim.rules.moves import MOVES, check_call
from sim.rules.params import check_params
from sim.rules.strategies import STRATEGIES
from sim.scenario.calendar import STEP_DAYS, step_of
from sim.scenario.overrides import resolve_path

Loc = tuple[Any, ...]


def _dict(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _list(x: Any) -> list:
    return x if isinstance(x, list) else []


def _str(x: Any) -> str | None:
    """``x`` if it is a name (a string); other types are reported by the structural check."""
    return x if isinstance(x, str) else None


def _number(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _unknown(kind: str, name: Any, known: Any) -> str:
    msg = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return msg + (f"; did you mean {close[0]!r}?" if close else
                  f" (declared: {', '.join(map(str, known)) or 'none'})")


def _step_of(doc: dict, at: Any) -> int | None:
    cal = _dict(doc.get("calendar"))
    start, unit = cal.get("start"), cal.get("step", "week")
    if isinstance(at, bool | dt.datetime):
        return None
    if isinstance(at, int):
        return at
    if isinstance(at, dt.date) and isinstance(start, dt.date) and _str(unit) in STEP_DAYS:
        return step_of(start, unit, at)
    return None


def check_references(doc: dict) -> list[tuple[Loc, str]]:
    """Every dangling or inconsistent reference in a scenario document."""
    out: list[tuple[Loc, str]] = []
    regions = [r for r in _list(doc.get("regions")) if isinstance(r, str)]
    countries, products = _dict(doc.get("countries")), _dict(doc.get("products"))
    components, suppliers = _dict(doc.get("components")), _dict(doc.get("suppliers"))
    firms = _dict(doc.get("firms"))
    names = {"countries": frozenset(countries), "products": frozenset(products),
             "regions": frozenset(regions), "components": frozenset(components)}

    if len(set(regions)) != len(regions):
        out.append((("regions",), "regions must be unique"))
    kinds: dict[str, str] = {}
    for kind, table in (("country", countries), ("supplier", suppliers), ("firm", firms),
                        ("component", components)):
        for name in table:
            if name in kinds:
                out.append(((f"{kind}s" if kind != "country" else "countries", name),
                            f"name {name!r} is already used by a {kinds[name]}"))
            kinds.setdefault(name, kind)

    for name, c in countries.items():
        c = _dict(c)
        if _str(c.get("region")) is not None and c["region"] not in regions:
            out.append((("countries", name, "region"), _unknown("region", c["region"], regions)))
        out += _strategy(("countries", name, "strategy"), c.get("strategy"), "government", names)
        for i, rival in enumerate(_list(c.get("rivals"))):
            if _str(rival) is None:
                continue
            if rival == name:
                out.append((("countries", name, "rivals", i), "a country cannot be its own "
                                                              "rival"))
            elif rival not in countries:
                out.append((("countries", name, "rivals", i),
                            _unknown("country", rival, countries)))
    for name, p in products.items():
        for region in _dict(_dict(p).get("demand")):
            if region not in regions:
                out.append((("products", name, "demand", region), _unknown("region", region,
                                                                           regions)))
    for name, s in suppliers.items():
        s = _dict(s)
        if _str(s.get("country")) is not None and s["country"] not in countries:
            out.append((("suppliers", name, "country"), _unknown("country", s["country"],
                                                                 countries)))
        if _str(s.get("component")) is not None and s["component"] not in components:
            out.append((("suppliers", name, "component"),
                        _unknown("component", s["component"], components)))
        for c in _dict(s.get("tech")):
            if c not in countries:
                out.append((("suppliers", name, "tech", c), _unknown("country", c, countries)))
        if _str(s.get("made_in")) is not None and s["made_in"] not in countries:
            out.append((("suppliers", name, "made_in"), _unknown("country", s["made_in"],
                                                                 countries)))
        for c in _dict(s.get("content")):
            if c not in countries:
                out.append((("suppliers", name, "content", c),
                            _unknown("country", c, countries)))
        ramp = _dict(s.get("ramp"))
        cap, ceiling = s.get("capacity"), ramp.get("capacity")
        if _number(cap) and _number(ceiling) and ceiling < cap:
            out.append((("suppliers", name, "ramp", "capacity"),
                        f"ramp ceiling {ceiling:g} is below the starting capacity {cap:g}"))
        out += _supplier_inputs(name, s, components, suppliers)
    for name, f in firms.items():
        out += _firm(name, _dict(f), countries, products, components, suppliers, names)
    out += _events(doc, kinds, names)
    out += _roles(doc, kinds)
    for name, p in _dict(doc.get("parameters")).items():
        p = _dict(p)
        if isinstance(p.get("path"), str) and not resolve_path(doc, p["path"]):
            out.append((("parameters", name, "path"),
                        f"path {p['path']!r} names no key of this scenario"))
        lo, hi = p.get("min"), p.get("max")
        if _number(lo) and _number(hi) and lo > hi:
            out.append((("parameters", name, "min"), f"min {lo:g} is above max {hi:g}"))
    return out


def _strategy(loc: Loc, spec: Any, actor: str, names: dict) -> list[tuple[Loc, str]]:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return []
    cls = STRATEGIES.get(spec["name"])
    if cls is None:
        return [(loc + ("name",), _unknown("strategy", spec["name"], sorted(STRATEGIES)))]
    if actor not in cls.actors:
        return [(loc + ("name",), f"strategy {spec['name']!r} is for a "
                                  f"{' or '.join(cls.actors)}, not a {actor}")]
    given = {k: v for k, v in spec.items() if k != "name"}
    _, bad = check_params(cls.params, given, names)
    return [(loc + (k,), msg) for k, msg in bad.items()]


def _firm(name: str, f: dict, countries: dict, products: dict, components: dict,
          suppliers: dict, names: dict) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    loc = ("firms", name)
    if _str(f.get("country")) is not None and f["country"] not in countries:
        out.append((loc + ("country",), _unknown("country", f["country"], countries)))
    if _str(f.get("product")) is not None and f["product"] not in products:
        out.append((loc + ("product",), _unknown("product", f["product"], products)))
    bom, sources = _dict(f.get("bom")), _dict(f.get("sources"))
    for c in bom:
        if c not in components:
            out.append((loc + ("bom", c), _unknown("component", c, components)))
        elif "sources" in f and not _list(sources.get(c)):
            out.append((loc + ("sources",), f"component {c!r} of the bill of materials "
                                            "has no source"))
    for c, names_ in sources.items():
        if c not in bom:
            out.append((loc + ("sources", c), f"{c!r} is not in the firm's bill of materials"))
            continue
        seen: set[str] = set()
        for i, s in enumerate(_list(names_)):
            if _str(s) is None:
                continue
            if s in seen:
                out.append((loc + ("sources", c, i), f"supplier {s!r} is listed twice"))
            seen.add(s)
            if s not in suppliers:
                out.append((loc + ("sources", c, i), _unknown("supplier", s, suppliers)))
            elif _dict(suppliers[s]).get("component") != c:
                out.append((loc + ("sources", c, i),
                            f"{s!r} supplies {_dict(suppliers[s]).get('component')!r}, not {c!r}"))
    out += _strategy(loc + ("strategy",), f.get("strategy"), "firm", names)
    for region in _dict(f.get("appeal")):
        if region not in names["regions"]:
            out.append((loc + ("appeal", region), _unknown("region", region, names["regions"])))
    return out


# -- tier 2: a supplier's own inputs -------------------------------------------------------
def _supplier_inputs(name: str, s: dict, components: dict,
                     suppliers: dict) -> list[tuple[Loc, str]]:
    """A supplier's inputs name components with sources that make them, never itself."""
    out: list[tuple[Loc, str]] = []
    if not isinstance(s.get("inputs"), dict):
        return out
    inputs = s["inputs"]
    loc: Loc = ("suppliers", name, "inputs")
    consumables, tools = _dict(inputs.get("consumables")), _dict(inputs.get("tools"))
    sources = _dict(inputs.get("sources"))
    for kind, table in (("consumables", consumables), ("tools", tools)):
        for c in table:
            if c not in components:
                out.append((loc + (kind, c), _unknown("component", c, components)))
            elif kind == "tools" and c in consumables:
                out.append((loc + (kind, c), f"{c!r} is both a consumable and a tool"))
            elif not _list(sources.get(c)):
                out.append((loc + ("sources",), f"input {c!r} has no source"))
    for c, names_ in sources.items():
        if c not in consumables and c not in tools:
            out.append((loc + ("sources", c), f"{c!r} is not one of the supplier's inputs"))
            continue
        seen: set[str] = set()
        for i, src in enumerate(_list(names_)):
            if _str(src) is None:
                continue
            if src in seen:
                out.append((loc + ("sources", c, i), f"supplier {src!r} is listed twice"))
            seen.add(src)
            if src == name:
                out.append((loc + ("sources", c, i), "a supplier cannot be its own source"))
            elif src not in suppliers:
                out.append((loc + ("sources", c, i), _unknown("supplier", src, suppliers)))
            elif _dict(suppliers[src]).get("component") != c:
                out.append((loc + ("sources", c, i),
                            f"{src!r} supplies {_dict(suppliers[src]).get('component')!r}, "
                            f"not {c!r}"))
            elif _dict(suppliers[src]).get("inputs") is not None:
                out.append((loc + ("sources", c, i),
                            f"{src!r} has inputs of its own: the model has two tiers, so a "
                            "supplier's sources may not have inputs"))
    return out


def _events(doc: dict, kinds: dict[str, str], names: dict) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    steps = doc.get("steps")
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1 else None
    seen: set[str] = set()
    for i, e in enumerate(_list(doc.get("events"))):
        if not isinstance(e, dict):
            continue
        loc: Loc = ("events", i)
        if isinstance(e.get("id"), str):
            if e["id"] in seen:
                out.append((loc + ("id",), f"duplicate event id {e['id']!r}"))
            seen.add(e["id"])
        step = _step_of(doc, e.get("at"))
        if step is not None and steps is not None and not 0 <= step < steps:
            out.append((loc + ("at",), f"falls in step {step}, outside the horizon "
                                       f"(steps 0–{steps - 1})"))
        by, target, move = _str(e.get("by")), _str(e.get("target")), e.get("move")
        actor_kind = {"country": "government", "firm": "firm"}.get(kinds.get(by or "", ""))
        if isinstance(by, str) and actor_kind is None:
            out.append((loc + ("by",), f"{by!r} is not a country or a firm"))
        if target is not None and target not in kinds:  # not a string: a structural error
            out.append((loc + ("target",), _unknown("target", target, kinds)))
            target = None
        if not isinstance(move, str) or actor_kind is None:
            continue
        params = {k: v for k, v in e.items()
                  if k not in ("id", "at", "by", "move", "target", "chance", "when")}
        _, problems = check_call(move, actor_kind, kinds.get(target) if target else None,
                                 params, names)
        if target is None and e.get("target") is not None:
            problems = [p for p in problems if p[0] != "target"]
        out += [(loc + (key,), msg) for key, msg in problems]
        out += _condition(loc + ("when",), e.get("when"), kinds)
    return out


def _condition(loc: Loc, when: Any, kinds: dict[str, str]) -> list[tuple[Loc, str]]:
    """An event's ``when:``: a known move, and ``by``/``target`` names of this scenario."""
    when = _dict(when)
    out: list[tuple[Loc, str]] = []
    move = _str(when.get("move"))
    if move is not None and move not in MOVES:
        out.append((loc + ("move",), _unknown("move", move, list(MOVES))))
    by = _str(when.get("by"))
    if by is not None and kinds.get(by) not in ("country", "firm"):
        out.append((loc + ("by",), _unknown("country or firm", by,
                                            [k for k, v in kinds.items()
                                             if v in ("country", "firm")])))
    target = _str(when.get("target"))
    if target is not None and target not in kinds:
        out.append((loc + ("target",), _unknown("target", target, kinds)))
    return out


def _roles(doc: dict, kinds: dict[str, str]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for name, role in _dict(doc.get("roles")).items():
        kind = {"country": "government", "firm": "firm"}.get(kinds.get(name, ""))
        if kind is None:
            out.append((("roles", name), f"{name!r} is not a country or a firm"))
            continue
        for i, move in enumerate(_list(_dict(role).get("moves"))):
            if _str(move) is None:
                continue
            spec = MOVES.get(move)
            if spec is None:
                out.append((("roles", name, "moves", i), _unknown("move", move, sorted(MOVES))))
            elif spec.actor != kind:
                out.append((("roles", name, "moves", i),
                            f"{move!r} is made by a {spec.actor}, and {name!r} is a {kind}"))
    return out
