"""The restriction state that moves change and the phases read.

Moves write here (:mod:`sim.rules.moves`); the supply and market phases read it through
:meth:`PolicyState.allowed`, :meth:`PolicyState.tariff_on`,
:meth:`PolicyState.component_tariff_on` and ``access``. Every array is
indexed like :class:`sim.engine.world.World`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.engine.links import InputLinks, Links
from sim.engine.world import World


def happened(log: Sequence[Any], move: str, by: str | None = None,
             target: str | None = None) -> bool:
    """Whether a ``move`` (made by ``by``, on ``target``; None: anyone, anything) is among the
    moves that took effect (``log``: :class:`~sim.engine.model.LoggedMove`, whoever made them:
    the timeline, a strategy or a player). An event's ``when:`` asks this before it is made
    (docs/scenarios.md, "Event")."""
    return any(e.call.move == move and by in (None, e.call.actor)
               and target in (None, e.call.target) for e in log)


class PolicyState:
    """Listings, licences, tariffs, bans, export controls, subsidies, stockpiles and risk."""

    def __init__(self, world: World):
        sh = world.shape
        G, R, P, C, S, F = sh["G"], sh["R"], sh["P"], sh["C"], sh["S"], sh["F"]
        self.world = world
        self._in_region = (world.country_region[None, :] == np.arange(R)[:, None]).astype(float)
        self.listed = np.zeros((G, F), bool)
        self.license_rate = np.zeros((G, F))
        self.fdpr = np.zeros((G, F), bool)
        self.fdpr_threshold = np.full((G, F), 0.25)
        self.general_license_share = np.zeros((G, F))
        self.general_license_until = np.zeros((G, F), int)  # exclusive step
        self.tariff = np.zeros((G, G, P))  # setting country, origin country, product
        # setting country (its firms pay), supplier's country, component
        self.component_tariff = np.zeros((G, G, C))
        self.firm_ban = np.zeros((G, F))  # share of country G's region closed to a firm
        self.supplier_ban = np.zeros((G, S))  # share of orders country G's firms cut
        self.export_rate = np.ones((G, C))  # licensed share of controlled exports
        self.export_from = np.zeros((G, C), int)
        self.export_to = np.zeros((G, C, G), bool)
        self.export_min_rating = np.zeros((G, C))  # goods rated below it are not controlled
        self.subsidy = np.ones(S)
        self.stockpile_cover = np.full((F, C), np.nan)  # nan: the firm's normal cover
        self.stockpile_floor = np.full(F, np.nan)  # a target under every component; nan: none
        self.threatened_at = np.full(F, -(10**9))  # last step a threat was made or in force
        self.risk: np.ndarray = np.zeros(F)  # perceived probability of a listing
        self.risk_source: np.ndarray = np.full(F, -1)  # who announced or listed it last
        self.pending_sources: list[tuple[int, int, int]] = []  # (due step, firm, supplier)
        # export controls re-issued with a delay while one is in force: (start, g, c, rate,
        # countries covered, min rating); the control in force stays until the new one starts
        self.pending_controls: list[tuple[int, int, int, float, np.ndarray, float]] = []
        # [G, S]: whose export rules each supplier's goods are subject to (static)
        self.subject = self.subject_to(np.arange(S))
        # -- fines (docs/model.md, "6. Finance") --
        self.fine_due = np.zeros((G, F))  # fines a government has imposed, not yet paid
        self.fine_delist = np.zeros((G, F), bool)  # paying lifts that government's listing
        # -- redesigns (docs/model.md, "Game rules"): (due step, firm, component, cut, diverted)
        self.redesigns: list[tuple[int, int, int, float, float]] = []

    def decay_risk(self, kept: float, step: int = 0, threat_steps: int = 0) -> None:
        """Perceived risk decays by ``kept`` per step, but only once no threat is in force.

        A listed firm's risk is 1. A threat is in force while the firm is listed and for
        ``threat_steps`` after the last announcement against it or the end of its listing
        (a lifted listing can be re-imposed): while it is, the risk is held, so a firm does not
        destock while a listing is still credible.
        """
        listed = self.listed.any(axis=0)
        self.threatened_at[listed] = step
        in_force = listed | (step < self.threatened_at + threat_steps)
        self.risk[:] = np.where(listed, 1.0, np.where(in_force, self.risk, self.risk * kept))

    def threaten(self, firm: int, step: int) -> None:
        """Record an announcement against ``firm`` at ``step`` (its threat is in force)."""
        self.threatened_at[firm] = max(int(self.threatened_at[firm]), step)

    def qualifying(self, firm: int, supplier: int) -> bool:
        """Whether ``firm`` is already qualifying ``supplier``."""
        return any(f == firm and s == supplier for _, f, s in self.pending_sources)

    def due_sources(self, step: int) -> list[tuple[int, int]]:
        """Remove and return the (firm, supplier) qualifications that complete by ``step``."""
        due = [(f, s) for t, f, s in self.pending_sources if t <= step]
        self.pending_sources = [e for e in self.pending_sources if e[0] > step]
        return due

    def start_due_controls(self, step: int) -> None:
        """Put in force the re-issued export controls whose start has come."""
        for start, g, c, rate, to, rating in [e for e in self.pending_controls
                                              if e[0] <= step]:
            self.export_rate[g, c], self.export_from[g, c] = rate, start
            self.export_to[g, c], self.export_min_rating[g, c] = to, rating
        self.pending_controls = [e for e in self.pending_controls if e[0] > step]

    def subject_to(self, s: np.ndarray) -> np.ndarray:
        """Whether the goods of suppliers ``s`` are subject to each country's export rules,
        [G, len(s)]: made in its territory, or made abroad with its content above its de
        minimis (the EAR's rule, 15 CFR 734.3–734.4). Where a supplier is headquartered does
        not matter: a US firm's goods made abroad with little US content are not subject to
        US rules (Micron, Intel and Qualcomm shipping Huawei in June 2019)."""
        w = self.world
        made = w.supplier_made_in[s][None, :] == np.arange(len(w.countries))[:, None]
        return made | (w.content[s].T > w.de_minimis[:, None])

    def allowed(self, links: Links, step: int) -> np.ndarray:
        """Share of a firm's orders each link may carry this step, in [0, 1].

        The product of three restrictions (each 1 when absent):
        * listings: goods subject to a lister's rules (:meth:`subject_to`) and, under the
          FDPR, foreign direct products of its technology (technology content from the lister
          at or above the threshold) may carry only the licensed share — the larger of the
          listing's licence rate and any general licence in force;
        * export controls: goods of that component subject to the controlling country's rules
          (and rated at or above the control's minimum rating) may carry only the licensed
          share to the named countries, from the control's start;
        * procurement bans on suppliers: firms of the banning country cut that share.
        Cost is G × links: linear in the number of links.
        """
        w = self.world
        f, s, c = links.firm, links.supplier, links.component
        out = np.ones(len(f))
        subject = self.subject[:, s]  # [G, L]
        if self.listed.any():
            listed = self.listed[:, f]  # [G, L]
            fdpr = self.fdpr[:, f] & (w.tech[s].T >= self.fdpr_threshold[:, f])
            gl = np.where(step < self.general_license_until[:, f],
                          self.general_license_share[:, f], 0.0)
            rate = np.maximum(self.license_rate[:, f], gl)
            out *= np.where(listed & (subject | fdpr), rate, 1.0).prod(axis=0)
        if (self.export_rate < 1).any():
            active = step >= self.export_from[:, c]  # [G, L]
            covered = self.export_to[:, c, w.firm_country[f]]
            rated = w.supplier_rating[s][None, :] >= self.export_min_rating[:, c]
            hit = subject & active & covered & rated
            out *= np.where(hit, self.export_rate[:, c], 1.0).prod(axis=0)
        if self.supplier_ban.any():
            out *= 1.0 - self.supplier_ban[w.firm_country[f], s]
        return out

    # -- tier 2: suppliers' own inputs ------------------------------------------------------
    def allowed_inputs(self, inputs: InputLinks, step: int) -> np.ndarray:
        """Share each supplier–supplier input link may carry this step, in [0, 1].

        The restrictions of :meth:`allowed` that name a buyer's country apply to a supplier
        buying its inputs as to a firm: export controls on the component by every country
        whose rules the seller's goods are subject to (:meth:`subject_to`; made there, or
        content above its de minimis), rated at or above the control's minimum, from their
        start, covering the buyer's country; procurement bans of the buyer's country on the
        seller. (Listings name firms, so they do not reach suppliers' purchases.)
        Cost: countries × input links.
        """
        w = self.world
        s, c = inputs.supplier, inputs.component
        buyer_country = w.supplier_country[inputs.buyer]
        out = np.ones(len(s))
        if (self.export_rate < 1).any():
            active = step >= self.export_from[:, c]  # [G, M]
            covered = self.export_to[:, c, buyer_country]
            rated = w.supplier_rating[s][None, :] >= self.export_min_rating[:, c]
            hit = self.subject[:, s] & active & covered & rated
            out *= np.where(hit, self.export_rate[:, c], 1.0).prod(axis=0)
        if self.supplier_ban.any():
            out *= 1.0 - self.supplier_ban[buyer_country, s]
        return out

    def tariff_on(self) -> np.ndarray:
        """Tariff each firm's buyers pay in each region, [F, R] (summed over the region's
        governments)."""
        w = self.world
        return (self._in_region @ self.tariff[:, w.firm_country, w.firm_product]).T

    # -- tariffs: what each link and each sale pays, and who collects it --------------------
    def component_tariff_on(self, links: Links) -> np.ndarray:
        """Tariff the buying firm's government levies on each link's shipments, [L]."""
        w = self.world
        return self.component_tariff[w.firm_country[links.firm],
                                     w.supplier_country[links.supplier], links.component]

    def goods_duty(self, sales_by_region: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Tariffs each government collects on final goods sold in its region, [G]:
        ``Σ sales × price × rate`` (``sales_by_region`` [F, R], ``price`` [F] pre-tariff)."""
        w = self.world
        rate = self.tariff[:, w.firm_country, w.firm_product]  # [G, F]
        sold = sales_by_region[:, w.country_region].T  # [G, F]: sold in each setter's region
        return (rate * sold * price[None, :]).sum(axis=1)

    def component_duty(self, links: Links, value: np.ndarray) -> np.ndarray:
        """Tariffs each government collects on the components its firms import, [G]:
        ``Σ value × rate`` (``value`` [L]: each link's shipments at the supplier's price)."""
        w = self.world
        return np.bincount(w.firm_country[links.firm], value * self.component_tariff_on(links),
                           len(w.countries))

    def access(self) -> np.ndarray:
        """Share of each region's buyers each firm may sell to, [F, R]."""
        closed = self._in_region[:, :, None] * self.firm_ban[None, :, :]  # [R, G, F]
        return 1.0 - closed.max(axis=1).T

    def effective_cover(self) -> np.ndarray:
        """Target cover per firm and component, in steps of use, [F, C].

        Targets combine, per component, the deeper of two: the firm's target for that component
        (a ``stockpile`` of one component) and its target for all of them (a ``stockpile``
        without a component: the ``stockpile_on_risk`` strategy's). Where only one is set it
        holds (either may be below the normal cover); where neither is, the normal cover.
        """
        own, floor = self.stockpile_cover, self.stockpile_floor[:, None]
        base = np.where(np.isnan(floor), self.world.cover[:, None], floor)
        return np.where(np.isnan(own), base, np.where(np.isnan(floor), own,
                                                       np.maximum(own, floor)))
