"""Names and units a sweep's figures and pages show: the scenario's ``label:``s for factors,
what each headline is and its unit, and the no-policy baseline the charts draw (one run on the
root seed, cached)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# a headline's name → (what it is, unit, the per-step series it summarises)
OUTCOMES = {
    "output_lost": ("output lost for lack of components", "units", "shortfall"),
    "revenue_change": ("revenue change, last turn vs first", "fraction", "revenue"),
    "min_cover": ("lowest stock cover", "steps of use", "inventory_cover"),
    "share_price_change": ("share price change", "fraction", "share_price"),
    "score": ("mean score", "index", "score"),
    "exited": ("exited (its cash ran out)", "1 or 0", "out"),
    "fines": ("fines collected", "money", "fines"),
}
SERIES_UNITS = {"shortfall": "units/step", "revenue": "per step", "inventory_cover":
                "steps of use", "share_price": "index, 100 at start", "score": "index",
                "out": "1 once exited", "fines": "per step"}


@lru_cache(maxsize=8)
def _scenario(text: str, file: str) -> Any:
    from sim.scenario import validate_document, yamlio

    doc, positions = yamlio.load_text(text, file)
    return validate_document(doc, positions, file)


def scenario_of(manifest: dict[str, Any]) -> Any:
    """The sweep's scenario, from the text kept in its manifest."""
    return _scenario(manifest["scenario_text"], manifest["scenario_file"])


def factor_label(manifest: dict[str, Any], name: str) -> str:
    """A factor's ``label:`` in the scenario's ``parameters:`` (by name or path), or its name."""
    sc = scenario_of(manifest)
    path = next((f["path"] for f in manifest["factors"] if f["name"] == name), name)
    param = sc.parameters.get(name) or next(
        (p for p in sc.parameters.values() if p.path == path), None)
    return param.label or name if param else name


def metric_label(name: str, manifest: dict[str, Any] | None = None) -> str:
    """``Hikvision.output_lost.vs_baseline`` → "Hikvision: output lost ... (units), vs baseline";
    an outcome of the sweep → its label (or name) with its unit."""
    spec = next((o for o in (manifest or {}).get("outcomes", []) if o["name"] == name), None)
    if spec:
        unit = f" ({spec['unit']})" if spec.get("unit") else ""
        return f"{spec.get('label') or name}: {spec['expr']}{unit}"
    entity, _, rest = name.partition(".")
    key, _, suffix = rest.partition(".")
    what, unit, _ = OUTCOMES.get(key, (key, "", ""))
    tail = {"baseline": ", no-policy baseline", "vs_baseline": ", run − baseline"}.get(suffix, "")
    return f"{entity}: {what}{tail}" + (f" ({unit})" if unit else "")


def baseline_summary(manifest: dict[str, Any]) -> dict[str, float]:
    """The no-policy world's headlines on the root seed (one run, here)."""
    return {k: v for k, v in _baseline(manifest).items() if k != "_model"}


def _baseline(manifest: dict[str, Any]) -> dict[str, Any]:
    return _baseline_run(manifest["scenario_text"], manifest["scenario_file"],
                         manifest["seed"], manifest["steps"])


@lru_cache(maxsize=4)
def _baseline_run(text: str, file: str, seed: int, steps: int) -> dict[str, Any]:
    from sim.engine.metrics import summary
    from sim.engine.model import TradeModel

    model = TradeModel.no_policy(_scenario(text, file), rng=seed, steps=steps).run()
    return {**summary(model), "_model": model}


def baseline_series(manifest: dict[str, Any], entity: str, series: str) -> Any:
    """(steps, values) of the baseline's per-step series for one entity."""
    from sim.engine.output import tidy_table

    t = tidy_table(_baseline(manifest)["_model"]).to_pandas()
    t = t[(t["entity"] == entity) & (t["metric"] == series)]
    return t["step"].to_numpy(), t["value"].to_numpy()
