"""docs/scenarios.md is generated from the models and the registries: it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim import MOVES, STRATEGIES
from sim.scenario import ModelOptions, Scenario
from sim.scenario.docs import _walk, render
from sim.scenario.schema import json_schema

DOC = Path(__file__).parents[1] / "docs" / "scenarios.md"


@pytest.fixture(scope="module")
def text() -> str:
    return render()


def test_committed_reference_is_up_to_date(text):
    assert DOC.exists(), "docs/scenarios.md is missing: run `make docs`"
    assert DOC.read_text(encoding="utf-8") == text, "docs/scenarios.md is stale: run `make docs`"


def test_python_m_sim_reference_prints_it(text):
    done = subprocess.run([sys.executable, "-m", "sim.scenario.docs"], capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout == text


REGISTRIES = {"move": MOVES, "strategy": STRATEGIES}


@pytest.mark.parametrize(("kind", "name"),
                         [(kind, name) for kind, reg in REGISTRIES.items() for name in sorted(reg)])
def test_every_move_and_strategy_is_documented(text, kind, name):
    entry = REGISTRIES[kind][name]
    assert f"### `{name}`" in text
    assert entry.doc().splitlines()[0] in text
    for p in entry.params:
        assert p.describe() in text


def test_every_top_level_key_appears(text):
    for name, field in Scenario.model_fields.items():
        assert f"| `{field.alias or name}` |" in text


def test_every_key_of_every_model_has_a_description(text):
    found: dict = {}
    _walk(Scenario, "", found)
    assert len(found) >= 10  # Calendar, Country, Product, ... ModelOptions
    for model in found:
        assert f"### {model.__name__}" in text or model is Scenario
        for name, field in model.model_fields.items():
            key = field.alias or name
            assert field.description, f"{model.__name__}.{key} has no description"
            assert f"| `{key}` |" in text


def _resolve(schema: dict, node: dict) -> dict:
    """Follow a local `$ref` (`#/$defs/Name`) to the definition it names."""
    while "$ref" in node:
        prefix = "#/$defs/"
        assert node["$ref"].startswith(prefix), node["$ref"]
        node = schema["$defs"][node["$ref"][len(prefix):]]
    return node


def test_json_schema_describes_model_options_steps_and_event_at():
    schema = json_schema()  # what `chokepoint schema` prints
    top = schema["properties"]
    options = _resolve(schema, top["model"])["properties"]
    event = _resolve(schema, top["events"]["items"])["properties"]
    keys = [f.alias or n for n, f in ModelOptions.model_fields.items()]
    assert len(keys) >= 15 and set(options) == set(keys)
    described = {f"model.{k}": options[k] for k in keys}
    described |= {"steps": top["steps"], "events[i].at": event["at"]}
    missing = [path for path, prop in described.items()
               if not (isinstance(prop.get("description"), str) and prop["description"].strip())]
    assert not missing, f"no description in the JSON schema for: {missing}"


@pytest.mark.parametrize("words", [
    "Steps** are 0-based", "`events.listing.at`", "`ramp`", "`cover`", "`announce` and risk",
    "`procurement_ban`", "`appeal`", "`lead_time`", "`tech`", "`margin` and `noise`",
    "`label`", "`model`", "`sources`",
])
def test_prose_covers_semantics_and_optional_keys(text, words):
    assert words in text


def test_committed_calibration_table_is_up_to_date():
    from sim.calibration import render

    committed = (Path(__file__).parents[1] / "docs" / "calibration.md").read_text()
    assert committed == render(), "docs/calibration.md is stale: run make docs"


def test_calibration_rows_that_miss_say_why():
    from sim.calibration import ROWS, results

    for row, value in results():
        assert row in ROWS
        if not row.lo <= value <= row.hi:
            assert row.why, f"{row.figure}: out of range without a reason"


def test_every_model_constant_has_a_provenance_and_a_range_around_its_default():
    from sim.scenario.models import ModelOptions
    from sim.scenario.provenance import MODEL_CONSTANTS

    assert set(MODEL_CONSTANTS) == set(ModelOptions.model_fields), \
        "every model: key needs an entry in sim/scenario/provenance.py"
    defaults = ModelOptions()
    for name, p in MODEL_CONSTANTS.items():
        assert p.basis in ("source", "judgement") and p.why
        assert p.low <= getattr(defaults, name) <= p.high, name
        assert p.low < p.high, name


def test_each_uncertain_constant_sweeps_over_its_range(tmp_path):
    """The published `--vary` options are accepted by the sweep planner and every sampled
    value validates (a range outside a key's bounds would be refused here)."""
    from sim.scenario.provenance import uncertain_constants, vary_flag
    from sim.sweep.plan import make_plan, parse_vary

    scenario = Path(__file__).parents[1] / "scenarios" / "zte_2018.yaml"
    flags = [vary_flag(n, p).removeprefix("--vary ") for n, p in uncertain_constants().items()]
    plan = make_plan(scenario, parse_vary(flags), design="lhs", samples=8)
    assert len(plan.factors) == len(flags)
