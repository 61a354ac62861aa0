"""The firm–supplier link table: who may order what from whom.

Links are stored as parallel arrays (one entry per qualified firm–supplier pair), so ordering
and rationing are ``np.bincount`` over links: cost grows with the number of links, not with
firms × suppliers.
"""

from __future__ import annotations

import numpy as np

from sim.engine.world import World


class Links:
    """Qualified firm–supplier pairs and their static ordering preference."""

    def __init__(self, world: World, pairs: list[tuple[int, int]], sensitivity: float):
        self.world = world
        self.sensitivity = sensitivity
        self._set(np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int))

    def _set(self, firm: np.ndarray, supplier: np.ndarray) -> None:
        w = self.world
        C = len(w.components)
        self.firm, self.supplier = firm, supplier
        self.component = w.supplier_component[supplier]
        self.fc = firm * C + self.component  # flat (firm, component) index
        # Preference: a logit on price relative to the component's mean price (Sterman-style
        # purchasing is price-insensitive in the short run; firms keep a dominant source).
        mean = np.bincount(w.supplier_component, w.supplier_price, C) / np.maximum(
            np.bincount(w.supplier_component, minlength=C), 1)
        rel = w.supplier_price[supplier] / mean[self.component]
        self.preference = np.exp(-self.sensitivity * (rel - 1.0))
        self.lead = w.lead_time[supplier]
        self.shipments = np.zeros(len(firm))
        self._pairs = set(zip(firm.tolist(), supplier.tolist(), strict=True))

    def __len__(self) -> int:
        return len(self.firm)

    def has(self, firm: int, supplier: int) -> bool:
        """Whether ``supplier`` is a qualified source of ``firm``."""
        return (firm, supplier) in self._pairs

    def add(self, firm: int, supplier: int) -> None:
        """Qualify a new source (keeps the last shipments of existing links)."""
        if self.has(firm, supplier):
            return
        shipments = self.shipments
        self._set(np.append(self.firm, firm), np.append(self.supplier, supplier))
        self.shipments[:-1] = shipments

    def top_supplier(self, country: int, firms: np.ndarray) -> int | None:
        """The supplier of ``country`` that shipped most to the ``firms`` mask last step."""
        w = self.world
        mask = firms[self.firm] & (w.supplier_country[self.supplier] == country)
        if not mask.any():
            return None
        totals = np.bincount(self.supplier[mask], self.shipments[mask], len(w.suppliers))
        candidates = np.unique(self.supplier[mask])
        return int(candidates[np.argmax(totals[candidates])])
