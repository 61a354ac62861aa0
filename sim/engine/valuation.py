"""Share prices (docs/model.md, "6. Finance"): what investors think firms and suppliers are
worth, given the perceived policy path.

Pure numpy functions on arrays, as in :mod:`sim.engine.market`: equity value as discounted
expected profit plus cash (a restriction's loss expected to be lifted or made up by growing
substitutes, deviations from the steady state fading unless learnt under a restriction,
growth paying for its capital), the hazard of a threatened listing priced once, and what a
supplier expects to gain from its customers' threatened listings.
"""

from __future__ import annotations

import numpy as np

from sim.engine.market import smooth


def share_value(expected_profit: np.ndarray, base_profit: np.ndarray, hazard: np.ndarray,
                realised_loss: np.ndarray) -> np.ndarray:
    """Share price index (100 at the start): risk is priced in once.

    ``value = 100 · (E[π] / π0) · (1 − max(0, h − realised))``, where the hazard ``h`` is the
    perceived listing probability times the firm's exposure, and ``realised`` is the loss
    already showing in expected profit (``1 − E[π]/π0``): once a listing's damage shows in
    profit it is no longer discounted a second time. Floored at 0.
    """
    net = np.clip(hazard - realised_loss, 0.0, 1.0)
    ratio = np.divide(expected_profit, base_profit, out=np.ones_like(expected_profit),
                      where=base_profit > 0)
    return np.maximum(0.0, 100.0 * ratio * (1.0 - net))


def steady_value(profit: np.ndarray, discount: float, cash: np.ndarray) -> np.ndarray:
    """The steady state's equity value: its profit for ever, discounted, plus cash."""
    return np.maximum(profit / (1.0 - discount), 0.0) + cash


def equity_value(normal_profit: np.ndarray, run_rate: np.ndarray, base_profit: np.ndarray,
                 lasting: np.ndarray, added_capital: np.ndarray,
                 persistence: np.ndarray | float, discount: float, fade: float,
                 cash: np.ndarray | float) -> np.ndarray:
    """What a firm is worth to its owners at step 0: expected discounted profit plus cash.

    Investors expect today's run rate ``R`` to return to the firm's normal profit ``E`` (its
    expected profit when no restriction holds it down) with persistence ``ρ`` per step
    (``ρ = 1 − 1/T`` for a restriction expected to last ``T`` more steps from any step: a
    constant chance of a lift), discounting by ``δ`` per step. ``E`` differs from the steady
    state's ``E0`` by a loss learnt under a restriction, ``L ≤ 0`` (``lasting``), which lasts,
    and the rest, which competition erodes with persistence ``ω`` a step (``fade``;
    residual-income persistence): a scarcity rent, a rival's lost customers, a good or bad
    spell. Capacity added since step 0 is paid for at cost ``ΔK`` and earns its cost of
    capital ``r ΔK`` (``r = 1/δ − 1``) for good, so growth is worth only what it earns beyond
    its cost. With ``g = E − E0 − L − r ΔK``:
    ``V = (E0 + L) / (1 − δ) + g / (1 − δω) + (R − E) / (1 − δρ) + cash``.
    Cash is counted once, so a loss or a fine paid out of cash lowers the value, and a firm
    whose starting profit is small is valued mostly at its cash. Owners may stop a business
    expected to lose money for good rather than run it (limited liability and the option to
    abandon): its operating value is never below 0, so the firm is worth at least its cash.
    """
    gain = normal_profit - base_profit - lasting - (1.0 / discount - 1.0) * added_capital
    operating = ((base_profit + lasting) / (1.0 - discount)
                 + gain / (1.0 - discount * fade)
                 + (run_rate - normal_profit) / (1.0 - discount * persistence))
    return np.maximum(operating, 0.0) + cash


def learn_lasting(lasting: np.ndarray, before: np.ndarray, normal_profit: np.ndarray,
                  base_profit: np.ndarray, disturbed: np.ndarray, lift_steps: float,
                  covered: np.ndarray | float = 0.0) -> np.ndarray:
    """The lasting part of normal profit's fall below the steady state's, ``L ≤ 0``, [F] or
    [S]. While a restriction disturbs the firm, what its normal profit loses this step
    (``E − E_before``: itself learnt only as the lift fails to come) is lasting, and the rest of
    its shortfall ``min(E − E0, 0)`` (a fall from before the restriction) comes to be seen as
    lasting as the lift fails to come, ``1/T`` a step; of either, only the share its growing
    substitutes will not make up (``1 − covered``, :func:`substitutes`). ``L`` never exceeds
    the shortfall that is left, so a recovery (a lift) takes it back first."""
    keep = 1.0 - np.asarray(covered)
    shortfall = np.minimum(normal_profit - base_profit, 0.0)
    fell = lasting + keep * np.minimum(normal_profit - before, 0.0)
    toward = smooth(lasting, keep * shortfall, 1.0 / max(lift_steps, 1.0))
    learnt = np.where(disturbed, np.minimum(fell, toward), lasting)
    return np.minimum(np.maximum(learnt, shortfall), 0.0)


def substitutes(firm: np.ndarray, supplier: np.ndarray, component: np.ndarray,
                base_flow: np.ndarray, allowed: np.ndarray, critical: np.ndarray,
                ramp_capacity: np.ndarray, ramp_steps: np.ndarray, shipments: np.ndarray,
                n_firms: int) -> tuple[np.ndarray, np.ndarray]:
    """What a restricted firm's own open sources can grow to make up, as investors foresee
    an emerging substitute's growth: the share of the cut they cover and the chance a step
    that they have, [F] each.

    Per (firm, critical component) the restriction cuts ``Σ base flow × (1 − allowed)`` a step
    on its links. A supplier that can still grow (a ramp's ceiling above what it ships) shares
    its room among the cuts of the firms with an open link to it, in proportion to their cuts,
    and grows over its ramp's ``steps``. The cover is ``min(1, room / cut)``, the chance a step
    ``cover / steps`` (room-weighted steps); a firm is held down by its least-covered cut
    component. Nothing is covered where nothing is cut or nothing can grow.
    """
    C = len(critical)
    fc = firm * C + component
    cut = np.bincount(fc, base_flow * (1.0 - allowed), n_firms * C)
    grows = (allowed >= 1.0) & (ramp_steps[supplier] > 0)
    claim = np.where(grows, cut[fc], 0.0)
    claims = np.bincount(supplier, claim, len(shipments))
    room = np.maximum(ramp_capacity - shipments, 0.0)
    share = np.divide(claim, claims[supplier], out=np.zeros(len(claim)),
                      where=claims[supplier] > 0)
    link_room = room[supplier] * share
    room_fc = np.bincount(fc, link_room, n_firms * C)
    steps = np.divide(np.bincount(fc, link_room * ramp_steps[supplier], n_firms * C), room_fc,
                      out=np.ones(n_firms * C), where=room_fc > 0)
    cover = np.minimum(np.divide(room_fc, cut, out=np.zeros(n_firms * C), where=cut > 0), 1.0)
    held_by = (cut > 0).reshape(n_firms, C) & critical[None, :]
    cover = np.where(held_by, cover.reshape(n_firms, C), np.inf)
    rows, worst = np.arange(n_firms), cover.argmin(axis=1)
    least, time = cover[rows, worst], steps.reshape(n_firms, C)[rows, worst]
    held = np.isfinite(least)
    least = np.where(held, least, 0.0)
    return least, np.where(held, least / time, 0.0)


def learn_normal(normal: np.ndarray, profit: np.ndarray, run_rate: np.ndarray,
                 disturbed: np.ndarray, smoothing: float, lift_steps: float) -> np.ndarray:
    """Investors' normal profit: smoothed profit while the firm is undisturbed; while a
    restriction (or a customer's threat) disturbs it, the run rate becomes the norm only as the
    lift fails to come, ``1/T`` a step (``T`` the expected time to a lift), [F] or [S]."""
    return np.where(disturbed, smooth(normal, run_rate, 1.0 / max(lift_steps, 1.0)),
                    smooth(normal, profit, smoothing))


def supplier_hazard(risk: np.ndarray, risk_source: np.ndarray, subject: np.ndarray,
                    firm: np.ndarray, supplier: np.ndarray, flow_value: np.ndarray,
                    n_suppliers: int, loss_given_listing: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The share of a supplier's value investors discount for its customers' threatened
    listings, [S], and whether any of its customers is threatened (by anyone), [S] bool.

    ``h = LGD · Σ_f risk_f · subject_{g(f), s} · share of s's sales to f``, where ``g(f)`` is
    the country threatening f and ``subject`` whether s's goods are subject to its rules (the
    listing would stop them). ``firm``, ``supplier``, ``flow_value`` are per link (steady-state
    sales on each link). The sender's suppliers fall on the news, not over the months their
    orders take to stop (Crosignani et al. 2024, docs/model.md section 6).
    """
    src = risk_source[firm]
    hit = (src >= 0) & subject[np.maximum(src, 0), supplier] & (risk[firm] > 0)
    at_risk = np.bincount(supplier, risk[firm] * hit * flow_value, n_suppliers)
    total = np.bincount(supplier, flow_value, n_suppliers)
    share = np.divide(at_risk, total, out=np.zeros(n_suppliers), where=total > 0)
    return loss_given_listing * share, np.bincount(supplier, risk[firm] > 0, n_suppliers) > 0


def substitute_upside(risk: np.ndarray, risk_source: np.ndarray, subject: np.ndarray,
                      firm: np.ndarray, supplier: np.ndarray, fc: np.ndarray,
                      base_flow: np.ndarray, room: np.ndarray, n_groups: int) -> np.ndarray:
    """The units a step each supplier expects to gain from its customers' threatened listings,
    [S]: the mirror of :func:`supplier_hazard` (docs/model.md, section 6).

    A threatened firm's steady flow on links the threatening country's rules would stop,
    weighted by the perceived risk, is expected to move to its other sources of the same
    component, shared among them by their room to ship more (spare capacity and a ramp's room
    to grow); a supplier takes no more than its room. ``fc`` is each link's (firm, component)
    group; ``base_flow`` its steady flow in units (0 for links qualified later).
    """
    src = risk_source[firm]
    threatened = (src >= 0) & (risk[firm] > 0)
    hit = threatened & subject[np.maximum(src, 0), supplier]
    at_risk = np.bincount(fc, risk[firm] * base_flow * hit, n_groups)
    weight = (threatened & ~hit) * room[supplier]
    total = np.bincount(fc, weight, n_groups)
    claim = np.divide(at_risk[fc] * weight, total[fc], out=np.zeros(len(fc)),
                      where=total[fc] > 0)
    return np.minimum(np.bincount(supplier, claim, len(room)), room)


def hazard(risk: np.ndarray, exposure: np.ndarray, loss_given_listing: float,
           cover: np.ndarray, shield_steps: float) -> np.ndarray:
    """The share of value investors discount for a threatened listing, [F].

    ``h = risk · exposure · loss_given_listing · 1 / (1 + cover / shield)``: the perceived
    probability of a listing, times the share of the firm's purchases from the threatening
    country, times the value a listing destroys (Hikvision's −5.5% on the May 2019 report
    calibrates it, docs/model.md), shielded by stock: cover of ``shield`` steps halves it.
    """
    shield = 1.0 / (1.0 + cover / shield_steps)
    return risk * exposure * loss_given_listing * shield


def realised_loss(expected_profit: np.ndarray, base_profit: np.ndarray) -> np.ndarray:
    """The loss already showing in expected profit, ``clip(1 − E[π]/π0, 0, 1)``, [F].

    Firms without a positive steady-state profit show none (their ratio is undefined).
    """
    ratio = np.divide(expected_profit, base_profit, out=np.ones_like(base_profit),
                      where=base_profit > 0)
    return np.clip(1.0 - ratio, 0.0, 1.0)
