"""The firm–supplier link table: who may order what from whom.

Links are stored as parallel arrays (one entry per qualified firm–supplier pair), so ordering
and rationing are ``np.bincount`` over links: cost grows with the number of links, not with
firms × suppliers.
"""

from __future__ import annotations

import numpy as np

from sim.engine import market
from sim.engine.world import World


class Links:
    """Qualified firm–supplier pairs, their ordering weights and their steady-state flows.

    ``weight`` = price preference × ``fill``: at step 0 each link's fill is calibrated to what
    its supplier can deliver in the steady state (:meth:`calibrate`), so firms order where
    capacity is and the no-policy world does not drift; a source qualified later starts at
    fill 1. ``base_flow`` is each link's steady-state flow, the quantity licences are a share
    of (0 for links qualified later).
    """

    def __init__(self, world: World, pairs: list[tuple[int, int]], sensitivity: float):
        self.world = world
        self.sensitivity = sensitivity
        n = len(pairs)
        self.inputs = InputLinks(world, world.input_sources, sensitivity)
        self._set(np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int),
                  np.ones(n), np.zeros(n))

    def calibrate(self, fill: np.ndarray, base_flow: np.ndarray) -> None:
        """Set each link's fill factor (in [0, 1]) and steady-state flow."""
        self.fill, self.base_flow = fill, base_flow
        self.weight = self.preference * fill

    def _set(self, firm: np.ndarray, supplier: np.ndarray, fill: np.ndarray,
             base_flow: np.ndarray) -> None:
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
        self.calibrate(fill, base_flow)
        self._pairs = set(zip(firm.tolist(), supplier.tolist(), strict=True))

    def __len__(self) -> int:
        return len(self.firm)

    def has(self, firm: int, supplier: int) -> bool:
        """Whether ``supplier`` is a qualified source of ``firm``."""
        return (firm, supplier) in self._pairs

    def add(self, firm: int, supplier: int) -> bool:
        """Qualify a new source, appended as the last link; False if it already is one."""
        if self.has(firm, supplier):
            return False
        self._set(np.append(self.firm, firm), np.append(self.supplier, supplier),
                  np.append(self.fill, 1.0), np.append(self.base_flow, 0.0))
        return True

    def exposure(self, order: np.ndarray) -> np.ndarray:
        """Share of each firm's intended purchases, by value, from each country's suppliers.

        ``order`` [F, C] is split over each (firm, component)'s sources by preference; [F, G].
        """
        w = self.world
        F, G = len(w.firms), len(w.countries)
        split = market.group_shares(self.weight, self.fc, order.size)
        value = order.ravel()[self.fc] * split * w.supplier_price[self.supplier]
        by = np.bincount(self.firm * G + w.supplier_country[self.supplier], value,
                         F * G).reshape(F, G)
        total = by.sum(axis=1, keepdims=True)
        return np.divide(by, total, out=np.zeros_like(by), where=total > 0)


# -- tier 2: suppliers' own inputs -------------------------------------------------------
class InputLinks:
    """Qualified supplier–supplier pairs: who a supplier buys its own inputs from.

    Parallel arrays like :class:`Links`, with a buying supplier in place of a firm: ``sc`` is
    the flat (buyer, component) index, ``preference`` the same price logit as firms', and
    ``weight``/``base_flow`` are calibrated to the steady state (:func:`sim.engine.inputs.
    initial_inputs`). Fixed for a run (suppliers do not qualify new sources).
    """

    def __init__(self, world: World, pairs: list[tuple[int, int]], sensitivity: float):
        w = self.world = world
        C = len(w.components)
        self.buyer = np.array([p[0] for p in pairs], int)
        self.supplier = np.array([p[1] for p in pairs], int)
        self.component = w.supplier_component[self.supplier]
        self.sc = self.buyer * C + self.component
        mean = np.bincount(w.supplier_component, w.supplier_price, C) / np.maximum(
            np.bincount(w.supplier_component, minlength=C), 1)
        rel = w.supplier_price[self.supplier] / mean[self.component]
        self.preference = np.exp(-sensitivity * (rel - 1.0))
        self.lead = w.lead_time[self.supplier]
        self.calibrate(np.ones(len(pairs)), np.zeros(len(pairs)))

    def calibrate(self, fill: np.ndarray, base_flow: np.ndarray) -> None:
        """Set each link's fill factor (in [0, 1]) and steady-state flow."""
        self.fill, self.base_flow = fill, base_flow
        self.weight = self.preference * fill

    def __len__(self) -> int:
        return len(self.buyer)
