"""Governments' moves on the entity list: threats, listings, delistings, licences, fines.

A listing bans shipments to a firm of the goods subject to the listing country's export rules
(:mod:`sim.engine.policy` holds its terms); a general licence lets part of them through for a
while; a fine may settle a listing. Registered by :mod:`sim.rules.moves`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.errors import MoveError
from sim.rules.move_base import Move, pct
from sim.rules.params import Param

if TYPE_CHECKING:
    from sim.engine.model import TradeModel


def _require_listed(model: TradeModel, actor: int, firm: int) -> None:
    """Raise MoveError unless ``actor`` lists ``firm`` (delisting and licences need it)."""
    if not model.policy.listed[actor, firm]:
        w = model.world
        raise MoveError(f"{w.firms[firm]} is not on {w.countries[actor]}'s entity list")


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
                f"(perceived risk {pct(model.policy.risk[f])}).")


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
        extra = f", licensing {pct(rate)}" if rate else ""
        rule = (f" under the foreign direct product rule (from {pct(threshold)} "
                f"{w.countries[actor]} content)") if fdpr else ""
        return f"{w.countries[actor]} {what}{rule}{extra}."


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
                    f"{pct(share)} of listed supplies by {params['steps']} steps "
                    f"(to step {until + params['steps']}).")
        p.general_license_share[actor, f] = share
        p.general_license_until[actor, f] = t + params["steps"]
        return (f"{w.countries[actor]} grants {w.firms[f]} a general licence for "
                f"{pct(share)} of listed supplies, {params['steps']} steps.")


# -- fines (docs/model.md, "6. Finance") ---------------------------------------------------
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
