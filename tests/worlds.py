"""Tiny worlds built in code, small enough to compute every expected value by hand.

:func:`tiny_world`: three countries (US, CN, TW; regions US and ASIA), one product (phones,
price 100, demand 10 per region, no noise), two components (a critical ``soc`` at 10, a
non-critical ``case`` at 5) and four suppliers: ``s_us`` (US), ``s_cn`` (CN) and ``s_tw`` (TW,
30% US technology) make socs, ``k_cn`` (CN) makes cases. Two firms, ``apple`` (US; socs from
s_us and s_tw) and ``huawei`` (CN; socs from all three), each face demand 10 per step, hold a
cover of 4 steps and need one soc and one case per phone.

Indices: countries US 0, CN 1, TW 2; regions US 0, ASIA 1; components soc 0, case 1;
suppliers s_us 0, s_cn 1, s_tw 2, k_cn 3; firms apple 0, huawei 1. Links, in order:
apple–s_us, apple–s_tw, apple–k_cn, huawei–s_us, huawei–s_cn, huawei–s_tw, huawei–k_cn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from sim.scenario import Scenario, validate_document

US, CN, TW = 0, 1, 2
SOC, CASE = 0, 1
S_US, S_CN, S_TW, K_CN = 0, 1, 2, 3
APPLE, HUAWEI = 0, 1
# link indices
A_US, A_TW, A_CASE, H_US, H_CN, H_TW, H_CASE = range(7)


def tiny_document(noise: float = 0.0, events: list[dict[str, Any]] | None = None,
                  steps: int = 20, **model: Any) -> dict[str, Any]:
    """The tiny world's scenario document; ``model`` overrides behavioural constants."""
    return {
        "schema": "chokepoint/1", "name": "tiny",
        "calendar": {"start": dt.date(2020, 1, 6), "step": "week"}, "steps": steps, "seed": 7,
        "regions": ["US", "ASIA"],
        "countries": {"US": {"region": "US"}, "CN": {"region": "ASIA"},
                      "TW": {"region": "ASIA"}},
        "products": {"phone": {"price": 100, "elasticity": 1.0, "noise": noise,
                               "demand": {"US": 10, "ASIA": 10}}},
        "components": {"soc": {"critical": True}, "case": {"critical": False}},
        "suppliers": {
            "s_us": {"country": "US", "component": "soc", "capacity": 100, "price": 10,
                     "lead_time": 2},
            "s_cn": {"country": "CN", "component": "soc", "capacity": 100, "price": 10,
                     "lead_time": 3},
            "s_tw": {"country": "TW", "component": "soc", "capacity": 100, "price": 10,
                     "lead_time": 4, "tech": {"TW": 0.7, "US": 0.3}},
            "k_cn": {"country": "CN", "component": "case", "capacity": 100, "price": 5,
                     "lead_time": 1},
        },
        "firms": {
            "apple": {"country": "US", "product": "phone", "capacity": 20,
                      "bom": {"soc": 1, "case": 1}, "cover": 4,
                      "sources": {"soc": ["s_us", "s_tw"], "case": ["k_cn"]}},
            "huawei": {"country": "CN", "product": "phone", "capacity": 20,
                       "bom": {"soc": 1, "case": 1}, "cover": 4,
                       "sources": {"soc": ["s_us", "s_cn", "s_tw"], "case": ["k_cn"]}},
        },
        "events": events or [],
        "model": model,
    }


def tiny_world(noise: float = 0.0, events: list[dict[str, Any]] | None = None,
               steps: int = 20, **model: Any) -> Scenario:
    """The tiny world as a validated :class:`Scenario`."""
    return validate_document(tiny_document(noise, events, steps, **model), {}, "<tiny>")


# -- helpers for tests written through the moves --------------------------------------------
ALL_OPEN = np.ones(7)  # every link of the tiny world unrestricted


def move(model: Any, actor: str, name: str, target: str | None = None, **params: Any) -> str:
    """Make a move on ``model`` now (through :func:`sim.rules.moves.apply_move`)."""
    from sim.rules.moves import MoveCall, apply_move

    return apply_move(model, MoveCall(actor, name, target, params))


def open_except(shares: dict[int, float]) -> np.ndarray:
    """Allowed shares: 1 on every link but those given ({link index: share})."""
    out = ALL_OPEN.copy()
    for link, value in shares.items():
        out[link] = value
    return out


def allowed(model: Any, step: int = 0) -> np.ndarray:
    """The allowed share of each of ``model``'s links at ``step``."""
    return model.policy.allowed(model.links, step)


def rename(node: Any, old: str, new: str) -> Any:
    """A scenario document with every key and value equal to ``old`` replaced by ``new`` (a
    firm or country renamed everywhere it is named)."""
    if isinstance(node, dict):
        return {rename(k, old, new): rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [rename(v, old, new) for v in node]
    return new if node == old else node
