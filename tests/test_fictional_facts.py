"""The stylized facts (docs/model.md) on a fictional world unlike the historical ones.

``tests/data/fictional_magnets.yaml``: monthly steps, a mid-sized lister (Ostmark) whose
strength is magnets and controllers, two products sharing components, a listed drive maker
(Kestrel) in Calder with rivals in two other countries and a domestic magnet maker that must
grow from a tenth of the market. No figure in it is historical, so nothing here can pass by
tuning to the four episodes: these are the same facts as tests/test_stylized_facts.py, stated
relative to the scenario's own timeline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import TradeModel, load_scenario

WORLD = Path(__file__).parent / "data" / "fictional_magnets.yaml"
MONTHS_6, MONTHS_12 = 6, 12


def run(**overrides) -> TradeModel:
    model = TradeModel(scenario=load_scenario(WORLD, overrides or None))
    model.link_shipments = []
    while model.running:
        model.step()
        model.link_shipments.append(model.state.pipeline.shipped.copy())
    return model


def at(model: TradeModel, event_id: str) -> int:
    return model.spec.step_of(next(e.at for e in model.spec.events if e.id == event_id))


def series(model: TradeModel, metric: str, name: str, entity: str = "firm") -> np.ndarray:
    return model.recorder.series(entity, metric, name)


@pytest.fixture(scope="module")
def world() -> TradeModel:
    return run()


@pytest.fixture(scope="module")
def no_stockpile() -> TradeModel:
    # the stockpiling strategy's cover equal to the normal cover: no stockpile
    return run(**{"firms.Kestrel.strategy.cover": 2})


def test_inventory_builds_between_warning_and_listing(world, no_stockpile):
    warning, listing = at(world, "warning"), at(world, "listing")
    stock = series(world, "stock", "Kestrel/magnet", "stock")
    flat = series(no_stockpile, "stock", "Kestrel/magnet", "stock")
    assert stock[listing - 1] > 1.5 * stock[warning - 1]
    assert flat[listing - 1] < 1.15 * flat[warning - 1]


def test_output_holds_while_stock_lasts_and_the_stockpile_delays_the_fall(world, no_stockpile):
    listing = at(world, "listing")
    before = series(world, "output", "Kestrel")[listing - 4: listing].mean()

    def fall(model: TradeModel) -> int:
        out = series(model, "output", "Kestrel")
        return listing + int(np.argmax(out[listing:] < 0.5 * before))

    out = series(world, "output", "Kestrel")
    assert out[listing] > 0.8 * before, "output fell at once although stock covered it"
    assert fall(world) > listing + 2
    assert fall(world) > fall(no_stockpile)


def test_the_listers_suppliers_lose_orders_partly_offset_by_rivals(world):
    listing = at(world, "listing")
    w, links = world.world, world.links
    ship = np.array([s[: len(links.firm)] for s in world.link_shipments])
    lister = w.supplier_country[links.supplier] == w.countries.index("Ostmark")
    target = links.firm == w.firms.index("Kestrel")
    rivals = np.isin(links.firm, [w.firms.index("Vanta"), w.firms.index("Orrin")])
    pre, post = slice(listing - 4, listing - 1), slice(listing + MONTHS_6, listing + MONTHS_12)
    lost = (ship[pre][:, lister & target].sum(1).mean()
            - ship[post][:, lister & target].sum(1).mean())
    gained = (ship[post][:, lister & rivals].sum(1).mean()
              - ship[pre][:, lister & rivals].sum(1).mean())
    assert lost > 0 and gained > 0
    assert gained < lost, "rivals' extra orders more than replace the target's"


def test_the_domestic_substitute_gains_share_over_months(world):
    listing = at(world, "listing")
    share = series(world, "share", "Calmag", "supplier")
    capacity = series(world, "capacity", "Calmag", "supplier")
    assert share[listing + MONTHS_6] > share[listing - 1] + 0.05
    assert capacity[listing + MONTHS_12] > 1.5 * capacity[listing - 1], "it grew on demand"
    assert capacity[listing - 1] == capacity[0], "and not before the demand came"


def test_rivals_gain_share(world):
    listing = at(world, "listing")
    rivals = series(world, "market_share", "Vanta") + series(world, "market_share", "Orrin")
    assert (rivals[listing + MONTHS_6: listing + MONTHS_12].mean()
            > rivals[listing - 4: listing].mean() + 0.03)


def test_the_share_price_moves_more_on_the_warning_than_on_the_listing(world):
    price = series(world, "share_price", "Kestrel")
    warning, listing = at(world, "warning"), at(world, "listing")
    on_warning = price[warning] / price[warning - 1] - 1
    on_listing = price[listing] / price[listing - 1] - 1
    assert on_warning < -0.02
    assert abs(on_warning) > abs(on_listing)


def test_retaliation_is_lagged_and_aimed_at_the_lister(world):
    listing = at(world, "listing")
    delay = world.spec.countries["Calder"].strategy.values["delay"]
    answers = [e for e in world.log if e.call.actor == "Calder" and e.call.source == "strategy"]
    assert answers, "Calder never retaliated"
    first = answers[0]
    assert first.step == listing + delay
    w = world.world
    ostmark = w.countries.index("Ostmark")
    target = first.call.target
    owner = (w.supplier_country[w.suppliers.index(target)] if target in w.suppliers
             else w.firm_country[w.firms.index(target)] if target in w.firms
             else w.countries.index(target))
    assert owner == ostmark, f"the answer {first.call} is not aimed at Ostmark"


def test_the_no_policy_world_of_this_scenario_is_flat():
    sc = load_scenario(WORLD, {f"products.{p}.noise": 0 for p in ("drive", "motor")})
    model = TradeModel(scenario=sc.without_policy(), rng=1).run()
    out = model.recorder.metric("firm", "output")
    assert np.max(np.abs(out - out[0]) / out[0]) < 1e-6
