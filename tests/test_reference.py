"""docs/scenarios.md is generated from the models and the registries: it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim import MOVES, STRATEGIES
from sim.reference import KEY_NOTES, _walk, render
from sim.scenario import Scenario

DOC = Path(__file__).parents[1] / "docs" / "scenarios.md"


@pytest.fixture(scope="module")
def text() -> str:
    return render()


def test_committed_reference_is_up_to_date(text):
    assert DOC.exists(), "docs/scenarios.md is missing: run `make docs`"
    assert DOC.read_text(encoding="utf-8") == text, "docs/scenarios.md is stale: run `make docs`"


def test_python_m_sim_reference_prints_it(text):
    done = subprocess.run([sys.executable, "-m", "sim.reference"], capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout == text


@pytest.mark.parametrize("name", sorted(MOVES))
def test_every_move_is_documented(text, name):
    spec = MOVES[name]
    assert f"### `{name}`" in text
    assert spec.doc().splitlines()[0] in text
    for p in spec.params:
        assert p.describe() in text


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_is_documented(text, name):
    cls = STRATEGIES[name]
    assert f"### `{name}`" in text
    assert cls.doc().splitlines()[0] in text
    for p in cls.params:
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
            described = field.description or KEY_NOTES.get(f"{model.__name__}.{key}")
            assert described, f"{model.__name__}.{key} has no description"
            assert f"| `{key}` |" in text


def test_no_stale_notes():
    found: dict = {}
    _walk(Scenario, "", found)
    keys = {f"{m.__name__}.{f.alias or n}" for m in found for n, f in m.model_fields.items()}
    assert set(KEY_NOTES) <= keys


@pytest.mark.parametrize("words", [
    "Steps** are 0-based", "`events.listing.at`", "`ramp`", "`cover`", "`announce` and risk",
    "`procurement_ban`", "`appeal`", "`lead_time`", "`tech`", "`margin` and `noise`",
    "`label`", "`model`", "`sources`",
])
def test_prose_covers_semantics_and_optional_keys(text, words):
    assert words in text
