"""The registry of policy moves.

Every move a player, a strategy or a timeline event makes is a :class:`MoveCall` applied by
:func:`apply_move` — one code path whoever makes it. Each move is a small class with its name,
who may make it, what it targets, its typed parameters and a paragraph for players (the class
docstring); ``apply`` changes the model's restriction state (:mod:`sim.engine.policy`) and
returns one sentence of news. Moves never touch flows directly: the phases of the step read
the restriction state.

Moves are idempotent where that makes sense (listing a listed firm updates its terms); a move
that cannot take effect in the current state (delisting a firm that is not listed) raises
:class:`~sim.errors.MoveError` with the reason, and the state is left unchanged.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.errors import MoveError
from sim.rules.params import Names, Param, Registry, check_params

if TYPE_CHECKING:
    from sim.engine.model import TradeModel
    from sim.engine.world import World

ACTOR_KINDS = ("government", "firm")
TARGET_KINDS = ("firm", "supplier", "country", "component")


@dataclass(frozen=True)
class MoveCall:
    """A request to make a move: who, which move, on what, with which parameters."""

    actor: str
    move: str
    target: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "player"  # "event", "player" or "strategy"


class Move:
    """Base class of moves; subclasses set the class attributes and ``apply``."""

    name: ClassVar[str]
    actor: ClassVar[str]
    targets: ClassVar[tuple[str, ...]]
    target_optional: ClassVar[bool] = False
    params: ClassVar[tuple[Param, ...]] = ()
    hostile: ClassVar[bool] = False  # restricts another country's trade (escalation, retaliation)

    @classmethod
    def doc(cls) -> str:
        """The paragraph players read."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def apply(cls, model: TradeModel, actor: int, target: tuple[str, int] | None,
              params: dict[str, Any]) -> str:
        """Change the restriction state; return one sentence of news."""
        raise NotImplementedError

    @classmethod
    def feasible(cls, model: TradeModel, actor: int, target: tuple[str, int] | None,
                 params: dict[str, Any]) -> None:
        """Raise MoveError with the reason when the move cannot take effect in the current
        state (checked without changing it). :func:`apply_move` calls it before ``apply``, so
        ``apply`` may assume it passed."""


def _check_declaration(cls: type[Move]) -> str | None:
    if cls.actor not in ACTOR_KINDS:
        return f"actor {cls.actor!r} is not one of {', '.join(ACTOR_KINDS)}"
    if not cls.targets or not set(cls.targets) <= set(TARGET_KINDS):
        return f"targets {cls.targets!r} are not among {', '.join(TARGET_KINDS)}"
    return None


MOVES: Registry[type[Move]] = Registry("move", _check_declaration)


def check_call(move: str, actor_kind: str, target_kind: str | None, params: dict[str, Any],
               names: Names | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check a move call against the registry, independent of the model's state.

    Args:
        move: the move's name.
        actor_kind: "government" or "firm".
        target_kind: the kind of the named target, or None when no target is given.
        params: the parameters given.
        names: known names by kind, for parameters that reference countries or products.

    Returns:
        (parameters with defaults filled in, [(key, problem), ...]) where key is "move",
        "by", "target" or a parameter name.
    """
    spec = MOVES.get(move)
    if spec is None:
        close = difflib.get_close_matches(move, list(MOVES), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(MOVES))}"
        return {}, [("move", f"unknown move {move!r}; {hint}")]
    problems: list[tuple[str, str]] = []
    if actor_kind != spec.actor:
        problems.append(("by", f"{move!r} is made by a {spec.actor}, not a {actor_kind}"))
    if target_kind is None:
        if not spec.target_optional:
            problems.append(("target", f"{move!r} needs a target ({' or '.join(spec.targets)})"))
    elif target_kind not in spec.targets:
        problems.append(("target", f"{move!r} targets a {' or '.join(spec.targets)}, "
                                   f"not a {target_kind}"))
    values, bad = check_params(spec.params, params, names)
    problems.extend(bad.items())
    return values, problems


@dataclass(frozen=True)
class CheckedMove:
    """A move call checked against the registry and the world: who, on what, with what."""

    actor_kind: str                   # "country" or "firm" (the world's kinds)
    actor: int                        # index of the actor among its kind
    target: tuple[str, int] | None    # (kind, index) of the target, if any
    params: dict[str, Any]            # the parameters with defaults filled in


def check_move(world: World, call: MoveCall) -> CheckedMove:
    """Check ``call`` against the registry and the world's names (not its current state).

    Raises:
        MoveError: unknown actor, target or move, a move this actor cannot make, a target of
            the wrong kind, or a bad parameter; all problems in one message.
    """
    actor = world.index.get(call.actor)
    if actor is None or actor[0] not in ("country", "firm"):
        raise MoveError(f"unknown actor {call.actor!r}")
    target = world.index.get(call.target) if call.target is not None else None
    if call.target is not None and target is None:
        raise MoveError(f"unknown target {call.target!r}")
    values, problems = check_call(call.move, "government" if actor[0] == "country" else "firm",
                                  target[0] if target else None, dict(call.params), world.names)
    if problems:
        raise MoveError("; ".join(f"{k}: {msg}" for k, msg in problems))
    return CheckedMove(actor[0], actor[1], target, values)


def feasibility(model: TradeModel, call: MoveCall) -> str | None:
    """Why ``call`` cannot take effect now against the model's current state (its target or
    parameters wrong, or the state refusing it: delisting a firm that is not listed), or None
    when it can. Changes nothing, so forms can offer only feasible targets."""
    try:
        checked = check_move(model.world, call)
        MOVES[call.move].feasible(model, checked.actor, checked.target, checked.params)
    except MoveError as exc:
        return str(exc)
    return None


def apply_move(model: TradeModel, call: MoveCall, checked: CheckedMove | None = None) -> str:
    """Validate ``call`` against the registry and the model's state, then apply it.

    Args:
        model: the model to change.
        call: the move.
        checked: ``check_move(model.world, call)`` if the caller has it already.

    Returns:
        The news sentence.

    Raises:
        MoveError: the move is unknown, not allowed, badly targeted or has a bad parameter, or
            cannot take effect now; nothing has changed.
    """
    checked = checked or check_move(model.world, call)
    spec = MOVES[call.move]
    spec.feasible(model, checked.actor, checked.target, checked.params)
    return spec.apply(model, checked.actor, checked.target, checked.params)


def _require_listed(model: TradeModel, actor: int, firm: int) -> None:
    """Raise MoveError unless ``actor`` lists ``firm`` (delisting and licences need it)."""
    if not model.policy.listed[actor, firm]:
        w = model.world
        raise MoveError(f"{w.firms[firm]} is not on {w.countries[actor]}'s entity list")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@MOVES.register
class Announce(Move):
    """Announce that a firm may be blacklisted.

    Raises the target's perceived risk of being listed (a probability, 0–1). Nothing stops
    shipping, but the firm may stockpile and its share price falls with the risk it now carries.
    The risk decays slowly if nothing follows.
    """

    name = "announce"
    actor = "government"
    targets = ("firm",)
    params = (Param("risk", "float", 0.5, "perceived probability of a listing", 0.0, 1.0),)

    @classmethod
    def apply(cls, model, actor, target, params):
        f = target[1]
        model.policy.risk[f] = max(model.policy.risk[f], params["risk"])
        model.policy.risk_source[f] = actor
        model.policy.threaten(f, model.step_index)
        w = model.world
        return (f"{w.countries[actor]} signals it may blacklist {w.firms[f]} "
                f"(perceived risk {_pct(model.policy.risk[f])}).")


@MOVES.register
class EntityList(Move):
    """Put a firm on your entity list (an export blacklist).

    Goods subject to your export rules may no longer be shipped to it, except the licensed
    share of what each supplier shipped it before (a quantity). Subject to your rules are goods
    made in your territory and goods made abroad whose content of your origin is above your de
    minimis (the scenario's `de_minimis`, 25% by default, as in US law): a supplier from your
    country making abroad with little of your content may go on shipping. With `fdpr` (the
    foreign direct product rule) the ban also covers foreign-made goods that are direct
    products of your technology: a technology content from your country of at least
    `threshold`. Listing a listed firm again combines the terms and the stricter stand (the
    lower licence rate; the FDPR if either has it, with the lower threshold), unless the new
    listing says `loosen`: then its terms replace the old ones.
    """

    name = "entity_list"
    actor = "government"
    targets = ("firm",)
    hostile = True
    params = (
        Param("license_rate", "float", 0.0, "share of the firm's orders still licensed", 0.0, 1.0),
        Param("fdpr", "bool", False, "extend the ban to foreign direct products of your "
                                     "technology"),
        Param("threshold", "float", 0.25, "technology content that brings a foreign supplier "
                                           "under the FDPR", 0.0, 1.0),
        Param("loosen", "bool", False, "on a listed firm: replace its terms even where they "
                                       "are looser (otherwise the stricter terms stand)"),
    )

    @classmethod
    def apply(cls, model, actor, target, params):
        f, p = target[1], model.policy
        again = bool(p.listed[actor, f])
        rate, fdpr, threshold = params["license_rate"], params["fdpr"], params["threshold"]
        if again and not params["loosen"]:  # the stricter terms stand
            rate = min(rate, float(p.license_rate[actor, f]))
            if p.fdpr[actor, f]:
                old = float(p.fdpr_threshold[actor, f])
                threshold = min(threshold, old) if fdpr else old
                fdpr = True
        p.listed[actor, f] = True
        p.license_rate[actor, f] = rate
        p.fdpr[actor, f] = fdpr
        p.fdpr_threshold[actor, f] = threshold
        p.risk[f] = 1.0
        p.risk_source[f] = actor
        w = model.world
        if not again:
            what = f"adds {w.firms[f]} to its entity list"
        elif params["loosen"]:
            what = f"loosens the terms for {w.firms[f]} on its entity list"
        else:
            what = f"tightens the terms for {w.firms[f]} on its entity list"
        extra = f", licensing {_pct(rate)}" if rate else ""
        rule = (f" under the foreign direct product rule (from {_pct(threshold)} "
                f"{w.countries[actor]} content)") if fdpr else ""
        return f"{w.countries[actor]} {what}{rule}{extra}."


@MOVES.register
class Delist(Move):
    """Take a firm off your entity list. Shipments may resume; its perceived risk decays."""

    name = "delist"
    actor = "government"
    targets = ("firm",)

    @classmethod
    def feasible(cls, model, actor, target, params):
        _require_listed(model, actor, target[1])

    @classmethod
    def apply(cls, model, actor, target, params):
        f, p, w = target[1], model.policy, model.world
        p.listed[actor, f] = False
        p.general_license_until[actor, f] = 0
        return f"{w.countries[actor]} takes {w.firms[f]} off its entity list."


@MOVES.register
class GeneralLicense(Move):
    """Grant a temporary general licence to a listed firm, or renew the one it has.

    Allows `share` of the listed flows (of what each supplier shipped before the listing) for
    `steps` steps (Huawei got 90 days in May 2019), after which the listing bites again. Granted
    again while a licence is in force (or in the step it ends), it renews it: the licence runs
    `steps` more steps from its current end, as the US renewed Huawei's five times in 2019–20,
    and the stricter share stands unless `loosen` says the renewal widens it. A licence that
    has lapsed is gone; granting one again starts a new licence with the terms given.
    """

    name = "general_license"
    actor = "government"
    targets = ("firm",)
    params = (
        Param("share", "float", 1.0, "share of listed flows allowed", 0.0, 1.0),
        Param("steps", "int", 13, "how many steps the licence lasts, or a renewal adds", 1,
              10_000),
        Param("loosen", "bool", False, "on a renewal: take this share even where it is "
                                       "larger (otherwise the smaller share stands)"),
    )

    @classmethod
    def feasible(cls, model, actor, target, params):
        _require_listed(model, actor, target[1])

    @classmethod
    def apply(cls, model, actor, target, params):
        f, p, w, t = target[1], model.policy, model.world, model.step_index
        until = int(p.general_license_until[actor, f])
        share = params["share"]
        if 0 < until and t <= until:  # in force, or ending this step: a renewal
            if not params["loosen"]:
                share = min(share, float(p.general_license_share[actor, f]))
            p.general_license_share[actor, f] = share
            p.general_license_until[actor, f] = until + params["steps"]
            return (f"{w.countries[actor]} renews {w.firms[f]}'s general licence for "
                    f"{_pct(share)} of listed supplies by {params['steps']} steps "
                    f"(to step {until + params['steps']}).")
        p.general_license_share[actor, f] = share
        p.general_license_until[actor, f] = t + params["steps"]
        return (f"{w.countries[actor]} grants {w.firms[f]} a general licence for "
                f"{_pct(share)} of listed supplies, {params['steps']} steps.")


@MOVES.register
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
            return (f"{w.countries[actor]} sets a {_pct(params['rate'])} tariff on "
                    f"{params['component']} from {w.countries[g]}'s suppliers.")
        prods = slice(None) if params["product"] is None else w.products.index(params["product"])
        model.policy.tariff[actor, g, prods] = params["rate"]
        what = params["product"] or "all goods"
        return (f"{w.countries[actor]} sets a {_pct(params['rate'])} tariff on {what} "
                f"made by {w.countries[g]}'s firms.")


@MOVES.register
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
            return (f"{w.countries[actor]} closes {_pct(params['share'])} of its market "
                    f"to {name}.")
        p.supplier_ban[actor, i] = params["share"]
        return (f"{w.countries[actor]} tells its firms to cut {_pct(params['share'])} of "
                f"their orders to {w.suppliers[i]}.")


@MOVES.register
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
                f"{dest}, licensing {_pct(params['license_rate'])}.")


@MOVES.register
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
    def apply(cls, model, actor, target, params):
        s, w = target[1], model.world
        if w.supplier_country[s] != actor:
            raise MoveError(f"{w.suppliers[s]} is not one of {w.countries[actor]}'s suppliers")
        model.policy.subsidy[s] = params["factor"]
        return (f"{w.countries[actor]} subsidises {w.suppliers[s]} "
                f"(builds {params['factor']:g}× faster).")


@MOVES.register
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


@MOVES.register
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


# -- fines (docs/model.md, "6. Finance") ---------------------------------------------------
@MOVES.register
class Fine(Move):
    """Fine a firm an amount of money, paid out of its cash.

    The firm pays `amount` (in the scenario's currency) to your treasury as soon as its cash
    covers it: this step if it can, otherwise once its profit has rebuilt enough cash; until
    then the fine stays due, and you cannot fine the firm again. With `delist`, paying the
    fine also takes the firm off your entity list (a settlement: pay, and the ban is lifted, as
    the US lifted ZTE's denial order in 2018 once the fine was paid); while it is unpaid the
    listing stays. A fine lowers the firm's cash only, not its profit or the prices it charges,
    but a firm whose cash runs out exits.
    """

    name = "fine"
    actor = "government"
    targets = ("firm",)
    params = (
        Param("amount", "float", 0.0, "the fine, in the scenario's currency", 0.0, 1e12),
        Param("delist", "bool", False, "take the firm off your entity list once it has paid "
                                       "(it must be on it)"),
    )

    @classmethod
    def feasible(cls, model, actor, target, params):
        f, p, w = target[1], model.policy, model.world
        if model.state.finance.out[f]:
            raise MoveError(f"{w.firms[f]} has exited: its cash ran out")
        if p.fine_due[actor, f] > 0 or p.fine_delist[actor, f]:
            raise MoveError(f"{w.firms[f]} has not yet paid {w.countries[actor]}'s fine of "
                            f"{p.fine_due[actor, f]:,.0f}")
        if params["delist"]:
            _require_listed(model, actor, f)

    @classmethod
    def apply(cls, model, actor, target, params):
        f, p, w = target[1], model.policy, model.world
        p.fine_due[actor, f] = params["amount"]
        p.fine_delist[actor, f] = params["delist"]
        lift = ", and will lift its listing once it is paid" if params["delist"] else ""
        return (f"{w.countries[actor]} fines {w.firms[f]} {params['amount']:,.0f}{lift}.")


# -- redesign (issue 11): a firm's third move, designing (most of) a component out ----------
@MOVES.register
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
        return (f"{w.firms[actor]} starts redesigning its product to use {_pct(params['cut'])} "
                f"less {w.components[c]} ({params['lag']} steps; {_pct(params['effort'])} of "
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
        news.append(f"{w.firms[f]}'s redesigned product ships: it uses {_pct(cut)} less "
                    f"{w.components[c]} per unit.")
    return news
