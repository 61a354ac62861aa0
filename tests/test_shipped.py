"""The shipped scenarios by name (sim.scenario.shipped) and the commands that take a name:
``chokepoint scenarios``, ``run NAME``, ``validate NAME``; ``chokepoint --version``."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import load_scenario, shipped

ROOT = Path(__file__).parents[1]
FILES = {p.stem: p for p in sorted((ROOT / "scenarios").rglob("*.yaml"))}


def test_registry_lists_every_file_of_the_scenarios_folder_once():
    assert shipped.root() == ROOT / "scenarios"  # a checkout: the folder next to sim/
    assert {n: p.resolve() for n, p in shipped.all_paths().items()} == \
        {n: p.resolve() for n, p in FILES.items()}
    assert len(FILES) == len(list((ROOT / "scenarios").rglob("*.yaml")))  # names are unique
    assert set(shipped.paths("classroom")) == {p.stem for p in
                                               (ROOT / "scenarios" / "classroom").glob("*.yaml")}
    assert "classroom" not in {p.parent.name for p in shipped.paths().values()}


def test_catalogue_reads_title_and_roles_from_each_file():
    rows = {r.name: r for r in shipped.catalogue()}
    assert set(rows) == set(FILES)
    for name, path in FILES.items():
        sc = load_scenario(path)
        assert rows[name].title == sc.name and rows[name].roles == tuple(sc.roles)
        assert rows[name].group == ("classroom" if path.parent.name == "classroom" else "")
    assert shipped.load("tariff_war").name == rows["tariff_war"].title
    with pytest.raises(KeyError, match="hikvision_2019"):
        shipped.load("nope")
    with pytest.raises(KeyError):
        shipped.folder("lessons")


def test_scenarios_command_lists_name_title_roles(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["name", "title", "roles"]
    for row in shipped.catalogue():
        line = next(x for x in lines if x.split()[:1] == [row.name])
        assert row.title in line and line.endswith(", ".join(row.roles))
    assert out.index("hikvision_2019") < out.index("classroom lessons") < out.index("tariff_war")
    assert f"files in {ROOT / 'scenarios'}" in out


def test_run_and_validate_take_a_name_instead_of_a_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nowhere near the scenarios folder
    assert main(["run", "zte_2018", "--steps", "4", "--out", "z.csv"]) == 0
    by_name = capsys.readouterr().out
    assert main(["run", str(FILES["zte_2018"]), "--steps", "4", "--out", "p.csv"]) == 0
    by_path = capsys.readouterr().out
    assert by_name.replace("z.csv", "") == by_path.replace("p.csv", "")
    assert (tmp_path / "z.csv").read_bytes() == (tmp_path / "p.csv").read_bytes()
    assert main(["validate", "hikvision_2019", "stockpile_race"]) == 0
    out = capsys.readouterr().out
    assert "hikvision_2019: ok — 'Hikvision 2019'" in out and "stockpile_race: ok" in out


def test_a_file_of_that_name_wins_over_the_shipped_scenario(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zte_2018").write_text("steps: [\n")
    assert main(["validate", "zte_2018"]) == 2
    assert capsys.readouterr().err.startswith("zte_2018:")


def test_an_unknown_name_is_a_usage_error_with_a_suggestion(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "hikvison_2019"]) == 2
    err = capsys.readouterr().err
    assert "'hikvison_2019' is neither a file nor a shipped scenario" in err
    assert "did you mean 'hikvision_2019'?" in err and "chokepoint scenarios" in err
    assert main(["validate", "missing.yaml"]) == 2  # a path stays a located file error
    assert capsys.readouterr().err.startswith("missing.yaml:1:1: cannot read file")


def test_version_is_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert capsys.readouterr().out.strip() == f"chokepoint {project['version']}"


@pytest.mark.parametrize("module", ["sim/sweep/cli.py", "sim/classroom/cli.py"])
def test_sub_commands_do_not_import_the_main_command(module):
    """sim.cli registers the sweep and classroom commands; they must not import it back."""
    tree = ast.parse((ROOT / module).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for a in node.names}
    assert "sim.cli" not in imported
