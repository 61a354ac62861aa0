"""The restriction state that moves change and the phases read.

Moves write here (:mod:`sim.rules.moves`); the supply and market phases read it through
:meth:`PolicyState.allowed`, :meth:`PolicyState.tariff_on` and ``access``. Every array is
indexed like :class:`sim.engine.world.World`.
"""

from __future__ import annotations

import numpy as np

from sim.engine.links import Links
from sim.engine.world import World


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
        self.firm_ban = np.zeros((G, F))  # share of country G's region closed to a firm
        self.supplier_ban = np.zeros((G, S))  # share of orders country G's firms cut
        self.export_rate = np.ones((G, C))  # licensed share of controlled exports
        self.export_from = np.zeros((G, C), int)
        self.export_to = np.zeros((G, C, G), bool)
        self.subsidy = np.ones(S)
        self.stockpile_cover = np.full((F, C), np.nan)  # nan: the firm's normal cover
        self.risk: np.ndarray = np.zeros(F)  # perceived probability of a listing
        self.risk_source: np.ndarray = np.full(F, -1)  # who announced or listed it last
        self.pending_sources: list[tuple[int, int, int]] = []  # (due step, firm, supplier)
        # export controls re-issued with a delay while one is in force: (start, g, c, rate,
        # countries covered); the control in force stays until the new one starts
        self.pending_controls: list[tuple[int, int, int, float, np.ndarray]] = []
        # -- redesigns (issue 11): (due step, firm, component, cut, capacity diverted) -------
        self.redesigns: list[tuple[int, int, int, float, float]] = []

    def decay_risk(self, kept: float) -> None:
        """Perceived risk decays by ``kept`` per step unless the firm is listed (risk 1)."""
        self.risk[:] = np.where(self.listed.any(axis=0), 1.0, self.risk * kept)

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
        for start, g, c, rate, to in [e for e in self.pending_controls if e[0] <= step]:
            self.export_rate[g, c], self.export_from[g, c] = rate, start
            self.export_to[g, c] = to
        self.pending_controls = [e for e in self.pending_controls if e[0] > step]

    def allowed(self, links: Links, step: int) -> np.ndarray:
        """Share of a firm's orders each link may carry this step, in [0, 1].

        The product of three restrictions (each 1 when absent):
        * listings: a lister's suppliers (and, under the FDPR, suppliers whose technology
          content from the lister reaches the threshold) may carry only the licensed share —
          the larger of the listing's licence rate and any general licence in force;
        * export controls: the controlling country's suppliers of that component may carry only
          the licensed share to the named countries, from the control's start;
        * procurement bans on suppliers: firms of the banning country cut that share.
        Cost is G × links: linear in the number of links.
        """
        w = self.world
        f, s, c = links.firm, links.supplier, links.component
        out = np.ones(len(f))
        if self.listed.any():
            listed = self.listed[:, f]  # [G, L]
            own = w.supplier_country[s][None, :] == np.arange(len(w.countries))[:, None]
            fdpr = self.fdpr[:, f] & (w.tech[s].T >= self.fdpr_threshold[:, f])
            gl = np.where(step < self.general_license_until[:, f],
                          self.general_license_share[:, f], 0.0)
            rate = np.maximum(self.license_rate[:, f], gl)
            out *= np.where(listed & (own | fdpr), rate, 1.0).prod(axis=0)
        if (self.export_rate < 1).any():
            g_s = w.supplier_country[s]
            active = step >= self.export_from[g_s, c]
            covered = self.export_to[g_s, c, w.firm_country[f]]
            out *= np.where(active & covered, self.export_rate[g_s, c], 1.0)
        if self.supplier_ban.any():
            out *= 1.0 - self.supplier_ban[w.firm_country[f], s]
        return out

    def tariff_on(self) -> np.ndarray:
        """Tariff each firm's buyers pay in each region, [F, R] (summed over the region's
        governments)."""
        w = self.world
        return (self._in_region @ self.tariff[:, w.firm_country, w.firm_product]).T

    def access(self) -> np.ndarray:
        """Share of each region's buyers each firm may sell to, [F, R]."""
        closed = self._in_region[:, :, None] * self.firm_ban[None, :, :]  # [R, G, F]
        return 1.0 - closed.max(axis=1).T

    def effective_cover(self) -> np.ndarray:
        """Target cover per firm and component, in steps of use, [F, C]."""
        return np.where(np.isnan(self.stockpile_cover), self.world.cover[:, None],
                        self.stockpile_cover)

    def active_measures(self) -> tuple[np.ndarray, np.ndarray]:
        """Hostile measures in force, counted per country: (made by it, aimed at it), [G] each.

        A listing, a tariff on a country, a procurement ban on a firm or a supplier and an
        export control of a component each count once for the country that made it and once
        for each country it hits: the listed or banned entity's country, the taxed country, and
        every country covered by an export control whose firms use the component.
        """
        w = self.world
        G = len(w.countries)
        tariffs = (self.tariff > 0).any(axis=2)  # [setter, origin]
        controls = self.export_rate < 1  # [setter, component]
        uses = np.zeros((G, len(w.components)), bool)  # [country, component]
        np.logical_or.at(uses, w.firm_country, w.bom > 0)
        hit = controls[:, :, None] & self.export_to & uses.T[None, :, :]  # [setter, C, hit]
        made = (self.listed.sum(1) + tariffs.sum(1) + (self.firm_ban > 0).sum(1)
                + (self.supplier_ban > 0).sum(1) + controls.sum(1))
        received = (np.bincount(w.firm_country, self.listed.sum(0), G) + tariffs.sum(0)
                    + np.bincount(w.firm_country, (self.firm_ban > 0).sum(0), G)
                    + np.bincount(w.supplier_country, (self.supplier_ban > 0).sum(0), G)
                    + hit.sum(axis=(0, 1)))
        return made.astype(float), received.astype(float)
