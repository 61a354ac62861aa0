"""The bullwhip effect (Lee, Padmanabhan & Whang 1997): the variance of orders grows upstream.

On generated two-tier worlds (``tests/generated_worlds.py``) where no firm starts short (a firm
at its capacity passes no demand swings upstream), with demand noise, at every step length:
firms' orders for components vary more, relative to their mean, than the production they
feed, and suppliers' orders for their own inputs more than the firms' orders that drive them.
Between consumer demand and production, finished goods can absorb or pass on swings, depending
on the step (docs/model.md, "Bullwhip"). Measured over the run after its first quarter, by the
coefficient of variation (units differ between tiers)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.generated_worlds import RandomDraw, world_document
from tests.world_properties import model_of

STEPS = {"day": 730, "week": 260, "month": 120}  # two to ten years


def two_tier_worlds(n: int, step: str):
    seed = 0
    while n:
        doc = world_document(RandomDraw(seed))
        seed += 1
        if doc["calendar"]["step"] != step:
            continue
        if not any("inputs" in s for s in doc["suppliers"].values()):
            continue
        for product in doc["products"].values():
            product["noise"] = 0.05
        doc["steps"] = STEPS[doc["calendar"]["step"]]
        model = model_of(doc)
        ref = model.state.ref
        if (ref.output >= ref.capacity * (1 - 1e-9)).any() or (ref.use_share < 1).any():
            continue
        n -= 1
        yield seed - 1, model


def cv(x: np.ndarray) -> float:
    x = x[len(x) // 4:]
    return float(x.std() / x.mean())


@pytest.mark.parametrize("step", ["day", "week", "month"])
def test_the_variance_of_orders_grows_upstream(step):
    for seed, model in two_tier_worlds(3, step):
        output, firms, suppliers = [], [], []
        while model.running:
            model.step()
            output.append(model.state.firms.output.sum())
            firms.append(model.state.firms.order.sum())
            suppliers.append(model.state.inputs.order.sum())
        made, ordered, upstream = (cv(np.array(x)) for x in (output, firms, suppliers))
        assert upstream > ordered > made > 0, f"world {seed}: {made}, {ordered}, {upstream}"
