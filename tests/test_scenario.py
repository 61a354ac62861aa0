"""Scenario validation: every error class, located at FILE:LINE:COL, all reported at once;
safe YAML reading; ``--set`` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import ScenarioError, load_scenario
from sim.scenario import parse_value

# Line numbers of BASE are asserted below: keep its layout.
BASE = """\
schema: chokepoint/1
name: Mini
calendar: {start: 2020-01-06, step: week}
steps: 20
regions: [US, CN]
countries:
  US: {region: US}
  CN: {region: CN, strategy: {name: tit_for_tat, delay: 2}}
products:
  phone: {price: 100, elasticity: 1.0, demand: {US: 10, CN: 20}}
components:
  chip: {critical: true}
  glass: {critical: false}
suppliers:
  Chipco: {country: US, component: chip, capacity: 50, price: 10}
  Glassco: {country: CN, component: glass, capacity: 50, price: 2}
firms:
  Phoneco:
    country: CN
    product: phone
    capacity: 30
    bom: {chip: 1}
    sources: {chip: [Chipco]}
events:
  - {id: listing, at: 5, by: US, move: entity_list, target: Phoneco}
roles:
  US: {moves: [entity_list]}
parameters:
  cap: {path: firms.Phoneco.capacity, min: 0, max: 100}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(tmp_path: Path, text: str, **kw) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, **kw)
    assert all(p.file == str(path) for p in err.value.problems)
    return [str(p).removeprefix(f"{path}:") for p in err.value.problems]


def at(text: str, line: int, token: str) -> str:
    """``LINE:COL`` of ``token`` on a 1-based line of ``text`` (the key the error names)."""
    row = text.splitlines()[line - 1]
    assert token in row, (line, row)
    return f"{line}:{row.index(token) + 1}"


def only(tmp_path: Path, text: str, **kw) -> str:
    found = problems(tmp_path, text, **kw)
    assert len(found) == 1, found
    return found[0]


def test_base_is_valid(tmp_path):
    sc = load_scenario(write(tmp_path, BASE))
    assert sc.name == "Mini" and sc.steps == 20 and list(sc.firms) == ["Phoneco"]


# -- structure -------------------------------------------------------------------------------

def test_unknown_key_with_suggestion(tmp_path):
    text = edit("    capacity: 30\n", "    capacty: 30\n")
    assert problems(tmp_path, text) == [
        "18:3: firms.Phoneco.capacity: required key is missing",
        "21:5: firms.Phoneco.capacty: unknown key; did you mean 'capacity'?",
    ]


def test_unknown_top_level_key(tmp_path):
    text = BASE + "stepz: 3\n"
    assert only(tmp_path, text) == "30:1: stepz: unknown key; did you mean 'steps'?"


def test_missing_key(tmp_path):
    text = edit("    product: phone\n", "")
    assert only(tmp_path, text) == "18:3: firms.Phoneco.product: required key is missing"


def test_missing_top_level_key(tmp_path):
    text = edit("steps: 20\n", "")
    msg = only(tmp_path, text)
    assert msg == "1:1: steps: required key is missing"


def test_wrong_type(tmp_path):
    text = edit("    capacity: 30\n", "    capacity: lots\n")
    msg = only(tmp_path, text)
    assert msg.startswith("21:5: firms.Phoneco.capacity: ")
    assert "number" in msg


def test_wrong_type_of_collection(tmp_path):
    text = edit("regions: [US, CN]", "regions: US")
    found = problems(tmp_path, text)
    assert any(p.startswith("5:1: regions: ") and "list" in p for p in found), found


@pytest.mark.parametrize("old, new, line, token, path, words", [
    ("    capacity: 30\n", "    capacity: -5\n", 21, "capacity", "firms.Phoneco.capacity",
     "greater than 0"),
    ("steps: 20\n", "steps: 20\nseed: -3\n", 5, "seed", "seed", "greater than or equal to 0"),
    ("elasticity: 1.0", "elasticity: -1", 10, "elasticity", "products.phone.elasticity",
     "greater than or equal to 0"),
    ("demand: {US: 10", "demand: {US: -10", 10, "US:", "products.phone.demand.US",
     "greater than or equal to 0"),
    ("capacity: 50, price: 10", "capacity: 50, price: 0", 15, "price", "suppliers.Chipco.price",
     "greater than 0"),
    ("bom: {chip: 1}", "bom: {chip: 0}", 22, "chip", "firms.Phoneco.bom.chip", "greater than 0"),
    ("delay: 2", "delay: 9999", 8, "delay", "countries.CN.strategy.delay", "at most 520"),
    ("phone: {price: 100,", "phone: {price: 100, noise: 0.9,", 10, "noise",
     "products.phone.noise", "less than or equal to 0.5"),
    ("target: Phoneco}", "target: Phoneco, license_rate: 2}", 25, "license_rate",
     "events[0].license_rate", "at most 1"),
])
def test_out_of_range_numbers(tmp_path, old, new, line, token, path, words):
    text = edit(old, new)
    msg = only(tmp_path, text)
    assert msg.startswith(f"{at(text, line, token)}: {path}: "), msg
    assert words in msg


def test_steps_out_of_range(tmp_path):
    found = problems(tmp_path, edit("steps: 20\n", "steps: 0\n"))
    assert found[0] == "4:1: steps: Input should be greater than or equal to 1"


def test_invalid_steps_reported_once(tmp_path):
    assert problems(tmp_path, edit("steps: 20\n", "steps: 0\n")) == [
        "4:1: steps: Input should be greater than or equal to 1"]


def test_wrong_schema(tmp_path):
    msg = only(tmp_path, edit("schema: chokepoint/1", "schema: chokepoint/2"))
    assert msg.startswith("1:1: schema: ") and "chokepoint/1" in msg


def test_a_scenario_is_a_mapping(tmp_path):
    assert only(tmp_path, "- 1\n- 2\n") == "1:1: a scenario is a mapping of keys"


# -- cross-references ------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, line, token, expected", [
    ("  US: {region: US}", "  US: {region: EU}", 7, "region",
     "countries.US.region: unknown region 'EU' (declared: US, CN)"),
    ("demand: {US: 10, CN: 20}", "demand: {US: 10, CX: 20}", 10, "CX",
     "products.phone.demand.CX: unknown region 'CX' (declared: US, CN)"),
    ("Chipco: {country: US,", "Chipco: {country: USA,", 15, "country",
     "suppliers.Chipco.country: unknown country 'USA'; did you mean 'US'?"),
    ("Glassco: {country: CN, component: glass,", "Glassco: {country: CN, component: glas,", 16,
     "component", "suppliers.Glassco.component: unknown component 'glas'; did you mean 'glass'?"),
    ("    product: phone\n", "    product: tablet\n", 20, "product",
     "firms.Phoneco.product: unknown product 'tablet' (declared: phone)"),
    ("    country: CN\n    product", "    country: TW\n    product", 19, "country",
     "firms.Phoneco.country: unknown country 'TW' (declared: US, CN)"),
    ("sources: {chip: [Chipco]}", "sources: {chip: [Chipko]}", 23, "Chipko",
     "firms.Phoneco.sources.chip[0]: unknown supplier 'Chipko'; did you mean 'Chipco'?"),
    ("target: Phoneco}", "target: Fonco}", 25, "target",
     "events[0].target: unknown target 'Fonco'; did you mean 'Phoneco'?"),
    ("  - {id: listing, at: 5, by: US,", "  - {id: listing, at: 5, by: EU,", 25, "by",
     "events[0].by: 'EU' is not a country or a firm"),
    ("move: entity_list, target", "move: entity_lst, target", 25, "move",
     "events[0].move: unknown move 'entity_lst'; did you mean 'entity_list'?"),
    ("sources: {chip: [Chipco]}", "sources: {chip: [Glassco]}", 23, "Glassco",
     "firms.Phoneco.sources.chip[0]: 'Glassco' supplies 'glass', not 'chip'"),
])
def test_cross_references(tmp_path, old, new, line, token, expected):
    text = edit(old, new)
    assert only(tmp_path, text) == f"{at(text, line, token)}: {expected}"


def test_bom_component_must_be_declared(tmp_path):
    text = edit("bom: {chip: 1}", "bom: {chip: 1, screen: 1}")
    assert only(tmp_path, text) == (
        "22:20: firms.Phoneco.bom.screen: unknown component 'screen' (declared: chip, glass)")


def test_bom_component_needs_a_source(tmp_path):
    text = edit("bom: {chip: 1}", "bom: {chip: 1, glass: 2}")
    assert only(tmp_path, text) == (
        "23:5: firms.Phoneco.sources: component 'glass' of the bill of materials has no source")


def test_sources_component_not_in_bom(tmp_path):
    text = edit("sources: {chip: [Chipco]}", "sources: {chip: [Chipco], glass: [Glassco]}")
    assert only(tmp_path, text) == (f"{at(text, 23, 'glass')}: firms.Phoneco.sources.glass: "
                                    "'glass' is not in the firm's bill of materials")


def test_event_outside_horizon(tmp_path):
    text = edit("at: 5,", "at: 20,")
    assert only(tmp_path, text) == (
        f"{at(text, 25, 'at:')}: events[0].at: falls in step 20, outside the horizon "
        "(steps 0–19)")


def test_event_date_after_horizon(tmp_path):
    text = edit("at: 5,", "at: 2021-01-04,")
    msg = only(tmp_path, text)
    assert msg.startswith(f"{at(text, 25, 'at:')}: events[0].at: falls in step 52, outside")


def test_event_date_before_start(tmp_path):
    text = edit("at: 5,", "at: 2019-12-30,")
    msg = only(tmp_path, text)
    assert msg.startswith(f"{at(text, 25, 'at:')}: events[0].at: falls in step -1, outside")


def test_event_wrong_move_for_actor_and_target(tmp_path):
    text = edit("by: US, move: entity_list, target: Phoneco",
                "by: Phoneco, move: entity_list, target: Chipco")
    assert problems(tmp_path, text) == [
        f"{at(text, 25, 'by:')}: events[0].by: 'entity_list' is made by a government, not a firm",
        f"{at(text, 25, 'target:')}: events[0].target: 'entity_list' targets a firm, "
        "not a supplier",
    ]


def test_event_unknown_parameter(tmp_path):
    text = edit("target: Phoneco}", "target: Phoneco, licence_rate: 0.2}")
    msg = only(tmp_path, text)
    assert msg.startswith(f"{at(text, 25, 'licence')}: events[0].licence_rate: unknown param")
    assert "license_rate" in msg


def test_duplicate_event_ids(tmp_path):
    text = edit("roles:", "  - {id: listing, at: 6, by: US, move: announce, target: Phoneco}\n"
                          "roles:")
    assert only(tmp_path, text) == (
        f"{at(text, 26, 'id:')}: events[1].id: duplicate event id 'listing'")


def test_duplicate_names_across_kinds(tmp_path):
    text = edit("  Glassco: {country: CN,", "  US: {country: CN,")
    found = problems(tmp_path, text)
    assert "16:3: suppliers.US: name 'US' is already used by a country" in found


def test_role_with_move_of_wrong_actor_kind(tmp_path):
    text = edit("US: {moves: [entity_list]}", "US: {moves: [entity_list, stockpile]}")
    assert only(tmp_path, text) == (
        "27:29: roles.US.moves[1]: 'stockpile' is made by a firm, and 'US' is a government")


def test_role_for_unknown_actor_and_unknown_move(tmp_path):
    text = edit("  US: {moves: [entity_list]}",
                "  US: {moves: [entity_lst]}\n  Chipco: {moves: [qualify]}")
    assert problems(tmp_path, text) == [
        "27:16: roles.US.moves[0]: unknown move 'entity_lst'; did you mean 'entity_list'?",
        "28:3: roles.Chipco: 'Chipco' is not a country or a firm",
    ]


@pytest.mark.parametrize("old, new, expected", [
    ("name: tit_for_tat,", "name: tit_for_tatt,",
     "8:31: countries.CN.strategy.name: unknown strategy 'tit_for_tatt'; "
     "did you mean 'tit_for_tat'?"),
    ("name: tit_for_tat,", "name: stockpile_on_risk,",
     "8:31: countries.CN.strategy.name: strategy 'stockpile_on_risk' is for a firm, "
     "not a government"),
    ("delay: 2}", "delai: 2}",
     "8:50: countries.CN.strategy.delai: unknown parameter (known: delay, probability, share, "
     "deterrent)"),
])
def test_strategies_checked(tmp_path, old, new, expected):
    assert only(tmp_path, edit(old, new)) == expected


@pytest.mark.parametrize("new, expected", [
    ("cap: {path: firms.Fonco.capacity, min: 0, max: 100}",
     "29:9: parameters.cap.path: path 'firms.Fonco.capacity' names no key of this scenario"),
    ("cap: {path: events.lsting.at, min: 0, max: 10}",
     "29:9: parameters.cap.path: path 'events.lsting.at' names no key of this scenario"),
    ("cap: {path: firms.Phoneco.capacity, min: 100, max: 0}",
     "29:39: parameters.cap.min: min 100 is above max 0"),
])
def test_parameters_checked(tmp_path, new, expected):
    text = edit("cap: {path: firms.Phoneco.capacity, min: 0, max: 100}", new)
    assert only(tmp_path, text) == expected


def test_parameter_path_may_name_a_default(tmp_path):
    text = edit("cap: {path: firms.Phoneco.capacity,", "cap: {path: firms.Phoneco.cover,")
    assert load_scenario(write(tmp_path, text)).parameters["cap"].path == "firms.Phoneco.cover"


def test_ramp_below_capacity(tmp_path):
    text = edit("capacity: 50, price: 2}", "capacity: 50, price: 2, ramp: {capacity: 10, "
                                           "steps: 5}}")
    assert only(tmp_path, text) == (
        "16:75: suppliers.Glassco.ramp.capacity: ramp ceiling 10 is below the starting "
        "capacity 50")


def test_all_errors_of_a_file_at_once_in_line_order(tmp_path):
    text = BASE
    text = edit("steps: 20", "steps: 20\nturn: 0", text)
    text = edit("  US: {region: US}", "  US: {region: UK}", text)
    text = edit("    capacity: 30\n", "    capacty: 30\n", text)
    text = edit("target: Phoneco}", "target: Nobody}", text)
    text = edit("US: {moves: [entity_list]}", "US: {moves: [qualify]}", text)
    found = problems(tmp_path, text)
    lines = [int(p.split(":")[0]) for p in found]
    assert lines == sorted(lines)
    assert [p.split(": ")[0] for p in found] == [
        "5:1", "8:8", "19:3", "22:5", "26:53", "28:16"]
    assert "turn: Input should be greater than or equal to 1" in found[0]
    assert "countries.US.region: unknown region 'UK'" in found[1]
    assert "firms.Phoneco.capacity: required key is missing" in found[2]
    assert "firms.Phoneco.capacty: unknown key; did you mean 'capacity'?" in found[3]
    assert "events[0].target: unknown target 'Nobody'" in found[4]
    assert "roles.US.moves[0]: 'qualify' is made by a firm" in found[5]


# -- YAML safety -----------------------------------------------------------------------------

def test_python_object_tag_refused(tmp_path):
    text = edit("name: Mini", "name: !!python/object/apply:os.system ['echo pwned']")
    msg = only(tmp_path, text)
    assert msg.startswith("2:7: ") and "not allowed" in msg


def test_non_core_tag_refused(tmp_path):
    msg = only(tmp_path, edit("steps: 20", "steps: !weeks 20"))
    assert msg.startswith("4:8: ") and "'!weeks' is not allowed" in msg


def test_set_tag_refused(tmp_path):
    msg = only(tmp_path, edit("regions: [US, CN]", "regions: !!set {US, CN}"))
    assert msg.startswith("5:10: ") and "not allowed" in msg


def test_billion_laughs_refused(tmp_path):
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, "\n".join(lines) + "\n"))
    assert len(err.value.problems) == 1
    assert "alias" in err.value.problems[0].message


def test_recursive_alias_refused(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, BASE + "loop: &a [*a]\n"))
    assert err.value.problems[0].line == 30


def test_plain_alias_is_fine(tmp_path):
    text = edit("  US: {region: US}", "  US: &gov {region: US}")
    text = edit("roles:", "  - {id: later, at: 6, by: US, move: announce, target: Phoneco}\n"
                          "roles:", text)
    assert load_scenario(write(tmp_path, text)).steps == 20


def test_file_over_one_megabyte_refused(tmp_path):
    text = BASE + "# " + "x" * 1_000_001 + "\n"
    msg = only(tmp_path, text)
    assert msg.startswith("1:1: ") and "larger than" in msg
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario("upload.yaml", text=text)


def test_non_utf8_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("Mini", "Caf\xe9").encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value.problems[0]) == f"{path}:2:10: file is not UTF-8 text"


def test_duplicate_keys_refused(tmp_path):
    text = edit("steps: 20\n", "steps: 20\nsteps: 30\n")
    assert only(tmp_path, text) == "5:1: duplicate key 'steps'"


def test_invalid_yaml_located(tmp_path):
    msg = only(tmp_path, edit("regions: [US, CN]", "regions: [US, CN"))
    assert msg.startswith("6:") and "invalid YAML" in msg


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "absent.yaml")


def test_text_source_is_named(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario("upload.yaml", text=edit("steps: 20", "steps: x"))
    assert str(err.value.problems[0]).startswith("upload.yaml:4:1: steps: ")


# -- --set overrides -------------------------------------------------------------------------

def test_override_sets_value_and_event_by_id(tmp_path):
    sc = load_scenario(write(tmp_path, BASE), overrides={
        "firms.Phoneco.capacity": 12, "events.listing.at": 7,
        "events.listing.license_rate": 0.5})
    assert sc.firms["Phoneco"].capacity == 12
    assert sc.events[0].at == 7 and sc.events[0].values == {"license_rate": 0.5}


def test_override_unknown_path_with_suggestion(tmp_path):
    msg = only(tmp_path, BASE, overrides={"firms.Fonco.capacity": 3})
    assert msg == ("17:1: firms.Fonco.capacity: unknown key 'Fonco'; did you mean 'Phoneco'?")


def test_override_unknown_last_key_is_reported_as_unknown_key(tmp_path):
    msg = only(tmp_path, BASE, overrides={"firms.Phoneco.capacty": 3})
    assert "firms.Phoneco.capacty: unknown key; did you mean 'capacity'?" in msg
    assert msg.startswith("18:3: ")


def test_override_unknown_event_id(tmp_path):
    msg = only(tmp_path, BASE, overrides={"events.lsting.at": 3})
    assert msg == "24:1: events.lsting.at: no event with id 'lsting' (ids: listing)"


def test_override_bad_value_located(tmp_path):
    msg = only(tmp_path, BASE, overrides={"firms.Phoneco.capacity": -1})
    assert msg.startswith("21:5: firms.Phoneco.capacity: ") and "greater than 0" in msg
    msg = only(tmp_path, BASE, overrides={"events.listing.at": 99})
    assert msg.startswith("25:19: events[0].at: falls in step 99")


def test_override_does_not_change_the_file_or_text(tmp_path):
    path = write(tmp_path, BASE)
    sc = load_scenario(path, overrides={"steps": 10})
    assert sc.steps == 10 and sc.text == BASE and path.read_text() == BASE


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("0.5", 0.5), ("true", True), ("hello", "hello"), ("[US, CN]", ["US", "CN"]),
])
def test_parse_value_is_yaml_typed(text, value):
    assert parse_value(text) == value


def test_a_model_constant_can_be_set_on_a_scenario_without_a_model_section():
    """`--set model.x=...` / `--vary model.x=...` reach the defaults; a misspelt key is
    refused with a suggestion, and reading a path never adds the section."""
    from sim.scenario import yamlio
    from sim.scenario.load import validate_document
    from sim.scenario.overrides import apply_overrides, resolve_path

    path = Path(__file__).parents[1] / "scenarios" / "hikvision_2019.yaml"
    doc, positions, _ = yamlio.load_file(path)
    assert "model" not in doc
    assert resolve_path(doc, "model.lead_time_days")
    assert not resolve_path(doc, "model.lead_time_days.x")
    assert "model" not in doc
    apply_overrides(doc, positions, {"model.lead_time_days": 14}, str(path))
    assert validate_document(doc, positions, str(path)).model.lead_time_days == 14
    doc, positions, _ = yamlio.load_file(path)
    apply_overrides(doc, positions, {"model.lead_tim_days": 14}, str(path))
    with pytest.raises(ScenarioError, match="did you mean 'lead_time_days'"):
        validate_document(doc, positions, str(path))
