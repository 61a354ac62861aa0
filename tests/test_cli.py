"""The ``chokepoint`` command: validate, run, schema; errors as FILE:LINE:COL, exit code 2.

Run in-process through :func:`sim.cli.main` (fast), and once through the console script and
``python -m sim``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sim import MOVES, STRATEGIES
from sim.cli import main

ROOT = Path(__file__).parents[1]
HIK = str(ROOT / "scenarios" / "hikvision_2019.yaml")
LOCATED = re.compile(r"^.+:\d+:\d+: .+$")
BROKEN = """\
schema: chokepoint/1
name: Broken
calendar: {start: 2020-01-06, step: week}
steps: 10
regions: [US]
countries:
  US: {region: US}
products:
  widget: {price: 10, elasticity: 1, demand: {US: 5}}
components:
  part: {}
suppliers:
  Partco: {country: US, component: part, capacity: 10, price: 1}
firms:
  Widgetco:
    country: US
    product: widget
    capacty: 4
    bom: {part: 1}
    sources: {part: [Partco]}
"""

FIRM_METRICS = {"output", "sales", "revenue", "price", "share_price", "inventory_cover",
                "shortfall", "risk", "market_share"}
SUPPLIER_METRICS = {"shipments", "revenue", "capacity", "utilization"}
COUNTRY_METRICS = {"score", "security", "industry", "consumers", "escalation"}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_located_errors(err: str) -> list[str]:
    lines = err.strip().splitlines()
    assert lines, "no error printed"
    assert "Traceback" not in err
    for line in lines:
        assert LOCATED.match(line), line
    return lines


# -- validate --------------------------------------------------------------------------------

def test_validate_ok(capsys):
    code, out, err = run_cli(capsys, "validate", HIK)
    assert code == 0 and err == ""
    assert "ok" in out and "Hikvision 2019" in out


def test_validate_quiet_prints_nothing_when_ok(capsys):
    assert run_cli(capsys, "validate", "-q", HIK) == (0, "", "")


def test_validate_errors(tmp_path, capsys):
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN)
    code, out, err = run_cli(capsys, "validate", str(bad))
    assert code == 2 and out == ""
    lines = assert_located_errors(err)
    assert lines == [
        f"{bad}:15:3: firms.Widgetco.capacity: required key is missing",
        f"{bad}:18:5: firms.Widgetco.capacty: unknown key; did you mean 'capacity'?",
    ]


def test_validate_reports_every_file(tmp_path, capsys):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BROKEN)
    b.write_text(BROKEN.replace("steps: 10", "steps: ten"))
    code, out, err = run_cli(capsys, "validate", str(a), HIK, str(b))
    assert code == 2
    assert "Hikvision 2019" in out  # the good file is still reported ok
    lines = assert_located_errors(err)
    assert sum(line.startswith(f"{a}:") for line in lines) == 2
    assert sum(line.startswith(f"{b}:") for line in lines) == 3
    assert f"{b}:4:1: steps: " in err


def test_validate_missing_file(tmp_path, capsys):
    code, _, err = run_cli(capsys, "validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert assert_located_errors(err)[0].startswith(f"{tmp_path / 'nope.yaml'}:1:1: cannot read")


def test_validate_refuses_object_tags(tmp_path, capsys):
    bad = tmp_path / "evil.yaml"
    bad.write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    code, out, err = run_cli(capsys, "validate", str(bad))
    assert code == 2 and "pwned" not in out
    assert assert_located_errors(err)[0].startswith(f"{bad}:1:7: ")


# -- run -------------------------------------------------------------------------------------

def test_run_csv(tmp_path, capsys):
    out_file = tmp_path / "run.csv"
    code, out, err = run_cli(capsys, "run", HIK, "--seed", "3", "--steps", "40",
                             "--out", str(out_file))
    assert code == 0, err
    table = pacsv.read_csv(out_file)
    assert table.column_names == ["step", "date", "entity", "metric", "value"]
    steps = set(table.column("step").to_pylist())
    assert steps == set(range(40))
    entities = set(table.column("entity").to_pylist())
    assert {"Hikvision", "Dahua", "Intel", "HiSilicon", "US", "CN", "camera/US",
            "Hikvision/soc"} <= entities
    metrics = set(table.column("metric").to_pylist())
    assert FIRM_METRICS | SUPPLIER_METRICS | COUNTRY_METRICS | {"demand"} <= metrics
    assert str(table.column("date")[0]) == "2019-01-07"
    # the headline table
    assert "seed 3" in out and "40 steps" in out
    for word in ("output lost", "share price", "min cover", "Hikvision", "Intel", "score"):
        assert word in out
    assert f"wrote {out_file}" in out


def test_run_parquet_with_set(tmp_path, capsys):
    out_file = tmp_path / "nostock.parquet"
    code, out, err = run_cli(capsys, "run", HIK, "--set", "firms.Hikvision.strategy.cover=0",
                             "--set", "events.listing.at=30", "--steps", "52",
                             "--out", str(out_file))
    assert code == 0, err
    table = pq.read_table(out_file)
    assert table.column_names == ["step", "date", "entity", "metric", "value"]
    assert table.num_rows > 0
    assert max(table.column("step").to_pylist()) == 51
    rows = table.to_pylist()
    risk = [r["value"] for r in rows if r["entity"] == "Hikvision" and r["metric"] == "risk"]
    assert risk[30] == 1.0 and risk[29] < 1.0  # the listing moved to step 30


def test_run_without_out_prints_table_only(capsys):
    code, out, err = run_cli(capsys, "run", HIK, "--steps", "5")
    assert code == 0 and err == ""
    assert "wrote" not in out and "Hikvision" in out


@pytest.mark.parametrize("args, words", [
    (["--out", "run.txt"], "must end in .csv or .parquet"),
    (["--steps", "0"], "--steps must be between 1 and 100,000"),
    (["--steps", "1000000000"], "--steps must be between 1 and 100,000"),
    (["--seed", "-1"], "--seed must be between 0 and"),
    (["--set", "nonsense"], "expected PATH=VALUE"),
])
def test_run_usage_errors(tmp_path, capsys, args, words):
    code, out, err = run_cli(capsys, "run", HIK, *args)
    assert code == 2 and out == ""
    assert err.startswith("chokepoint run: ") and words in err
    assert "Traceback" not in err
    assert not (tmp_path / "run.txt").exists()


@pytest.mark.parametrize("assignment, expected", [
    ("firms.Hikvison.cover=3",
     r":\d+:\d+: firms\.Hikvison\.cover: unknown key 'Hikvison'; did you mean 'Hikvision'\?$"),
    ("events.lsting.at=30",
     r":\d+:\d+: events\.lsting\.at: no event with id 'lsting' \(ids: rumour, listing, "),
    ("firms.Hikvision.cover=-1", r":\d+:\d+: firms\.Hikvision\.cover: .*greater than"),
    ("events.listing.at=999", r":\d+:\d+: events\[1\]\.at: falls in step 999"),
    ("firms.Hikvision.capacty=3", r":\d+:\d+: .*did you mean 'capacity'\?"),
])
def test_run_set_errors_located(capsys, assignment, expected):
    code, out, err = run_cli(capsys, "run", HIK, "--set", assignment)
    assert code == 2 and out == ""
    lines = assert_located_errors(err)
    assert len(lines) == 1
    assert lines[0].startswith(HIK + ":")
    assert re.search(expected, lines[0]), lines[0]


def test_run_set_error_line_numbers(capsys):
    text = Path(HIK).read_text().splitlines()
    code, _, err = run_cli(capsys, "run", HIK, "--set", "firms.Hikvision.cover=-1")
    line = next(i for i, t in enumerate(text, 1) if t.strip().startswith("cover: 8"))
    assert code == 2 and err.startswith(f"{HIK}:{line}:5: firms.Hikvision.cover: ")


# -- schema ----------------------------------------------------------------------------------

def test_schema_is_json_with_registries(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert code == 0 and err == ""
    schema = json.loads(out)
    assert schema["$id"] == "chokepoint/1"
    defs = schema["$defs"]
    assert defs["Event"]["properties"]["move"]["enum"] == sorted(MOVES)
    assert defs["Role"]["properties"]["moves"]["items"]["enum"] == sorted(MOVES)
    assert defs["StrategySpec"]["properties"]["name"]["enum"] == sorted(STRATEGIES)
    assert {"schema", "calendar", "firms", "events", "parameters"} <= set(schema["properties"])
    assert "capacity" in defs["Firm"]["properties"]


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


# -- entry points ----------------------------------------------------------------------------

def test_console_script_and_python_m(tmp_path):
    script = Path(sys.executable).with_name("chokepoint")
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN)
    for cmd in ([str(script)], [sys.executable, "-m", "sim"]):
        ok = subprocess.run(cmd + ["validate", HIK], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
        assert ok.returncode == 0, ok.stderr
        assert "Hikvision 2019" in ok.stdout
        fail = subprocess.run(cmd + ["validate", str(bad)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert fail.returncode == 2
        assert fail.stdout == ""
        assert_located_errors(fail.stderr)
