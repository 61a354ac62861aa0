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
import yaml

from sim import MOVES, STRATEGIES
from sim.cli import main
from sim.scenario.load import MAX_CELLS

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


# --- hostile input (docs/scenarios.md, "Limits"): refused cleanly (exit 2, located, no traceback)

ZTE = str(ROOT / "scenarios" / "zte_2018.yaml")


@pytest.mark.parametrize("assignment, words", [
    ("firms.ZTE.country=[CN]", "firms.ZTE.country: Input should be a valid string"),
    ("sources.soc=[[Intel]]", "sources: a list of values; only events are addressed by id"),
    ("firms.ZTE.sources.baseband=[[Qualcomm]]", "firms.ZTE.sources.baseband[0]"),
    ("roles.US.moves=[[announce]]", "roles.US.moves[0]"),
    ("events.denial.by=[US]", "events[0].by"),
    ("events.denial.target={a: 1}", "events[0].target"),
    ("events.denial.at=2018-02-30", "is not a real date"),
    ("events.denial.at=2018-04-16 25:00:00", "is not a real date"),
    ("events.denial.at=2018-04-16T10:00:00+99:00", "is not a real date"),
    ("events.denial.at=2018-04-16 10:00:00", "not a date and time"),
    ("events.denial.at=" + "1" + "0" * 400, "is too large"),
    ("steps=" + "[" * 5000, "nested deeper than 64 levels"),
    ("events.denial.license_rate=.nan", "is not a finite number"),
    ("events.denial.license_rate=.inf", "is not a finite number"),
    ("products.network.elasticity=1e308", "valid number"),
    ("products.network.elasticity=1.0e+308", "is too large"),
    ("steps=true", "steps: Input should be a valid integer"),
    ("suppliers.Qualcomm.capacity=true", "capacity: Input should be a valid number"),
    ("model.lead_time_days=.inf", "is not a finite number"),
    ("suppliers.Accelink.ramp.steps=" + "1" + "0" * 30, "is too large"),
    ("firms={}", "firms: must not be empty"),
    ("firms.ZTE.sources.baseband=[Qualcomm, Qualcomm]", "'Qualcomm' is listed twice"),
])
def test_issue13_reproducers_refused(capsys, assignment, words):
    code, out, err = run_cli(capsys, "run", ZTE, "--steps", "3", "--set", assignment)
    assert code == 2 and out == "", err
    assert "Traceback" not in err and words in err, err
    assert len(err) < 2000
    for line in err.strip().splitlines():
        assert line.startswith("chokepoint run: --set ") or LOCATED.match(line), line


def write_zte(tmp_path: Path, old: str, new: str) -> str:
    text = Path(ZTE).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def test_validate_ok_means_run_works_calendar_and_size(tmp_path, capsys):

    doc = yaml.safe_load(Path(ZTE).read_text(encoding="utf-8"))
    doc.update(events=[], parameters={}, calendar={"start": "9998-01-01", "step": "month"})
    month = tmp_path / "month.yaml"
    month.write_text(yaml.safe_dump(doc).replace("'9998-01-01'", "9998-01-01"), encoding="utf-8")
    for command in ("validate", "run"):
        code, _, err = run_cli(capsys, command, str(month))
        assert code == 2 and "steps: a calendar of 52 months runs past the year 9999" in err
    big = tmp_path / "big.yaml"  # 100,000 steps of 200 firms: about 2.4e8 values
    doc = yaml.safe_load(Path(ZTE).read_text(encoding="utf-8"))
    firm = next(iter(doc["firms"].values()))
    doc["firms"] = {f"F{i}": dict(firm) for i in range(200)}
    doc.update(steps=100_000, events=[], roles={}, parameters={})
    big.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", str(big))
    assert code == 2 and f"the limit is {MAX_CELLS:,}" in err
    assert LOCATED.match(err.strip().splitlines()[0])


def test_control_characters_escaped_and_reader_errors_located(tmp_path, capsys):
    path = write_zte(tmp_path, "seed: 2018", 'seed: 2018\n"\\e[2J\\e[H": 1')
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "\x1b" not in err and "\\x1b[2J" in err
    path = write_zte(tmp_path, "seed: 2018", "seed: 2018\nname2: \x07")
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "<unicode string>" not in err and len(err.strip().splitlines()) == 1
    line = Path(ZTE).read_text(encoding="utf-8").splitlines().index("seed: 2018") + 2
    assert re.search(rf":{line}:8: invalid YAML: special characters are not allowed U\+0007",
                     err)


def test_union_branch_names_stay_out_of_paths(tmp_path, capsys):
    path = write_zte(tmp_path, "seed: 2018", "seed: 2018")
    code, _, err = run_cli(capsys, "run", path, "--set", "firms.ZTE.appeal={x: -1}")
    assert code == 2 and "firms.ZTE.appeal.x:" in err and "dict[" not in err, err
    code, _, err = run_cli(capsys, "run", path, "--set", "events.denial.at=abc")
    assert code == 2 and "events[0].at:" in err and "int" not in err.split("at:")[0], err


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_special_files_refused(tmp_path, capsys, special):
    import os

    if special == "fifo":
        path = str(tmp_path / "f.yaml")
        os.mkfifo(path)
    elif special == "folder":
        path = str(tmp_path)
    else:
        path = special
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "not a regular file" in err


def test_oversized_file_refused_whatever_its_size_says(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 1_000_010, encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", str(path))
    assert code == 2 and "larger than 1,000,000 bytes" in err


@pytest.mark.parametrize("target", ["folder", "/proc/x.csv", "readonly", "long", "full"])
def test_output_errors_are_clean(tmp_path, capsys, monkeypatch, target):
    import errno
    import os

    if target == "folder":
        out = tmp_path / "d.csv"
        out.mkdir()
        reason = "folder"
    elif target == "readonly":
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        out, reason = ro / "x.csv", "ermission denied"
    elif target == "long":
        out, reason = tmp_path / ("x" * 300 + ".csv"), "too long"
    elif target == "full":
        import pyarrow.csv

        def full(*_a, **_k):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(pyarrow.csv, "CSVWriter", full)  # the disk fills as it writes
        out, reason = tmp_path / "x.csv", "No space left on device"
    else:
        out, reason = Path(target), ""
    code, stdout, err = run_cli(capsys, "run", HIK, "--steps", "3", "--out", str(out))
    assert code == 2 and "Traceback" not in err, err
    assert err.startswith(f"chokepoint run: cannot write {out}") and reason in err, err
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_output_honours_umask_and_sweeps_stale_temp_files(tmp_path, capsys):
    import os

    stale = tmp_path / ".x.csv.999999999.abcd.tmp"  # left by a killed writer (no such pid)
    stale.write_text("half")
    old = os.umask(0o027)
    try:
        code, _, _ = run_cli(capsys, "run", HIK, "--steps", "3", "--out", str(tmp_path / "x.csv"))
    finally:
        os.umask(old)
    assert code == 0
    assert (tmp_path / "x.csv").stat().st_mode & 0o777 == 0o640
    assert not stale.exists()


def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path):
    script = (
        "import os, signal, sys, time\n"
        "import sim.engine.output as o\n"
        "real = o.Layout.table\n"
        "def slow(self, model, steps):\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(30)\n"
        "    return real(self, model, steps)\n"
        "o.Layout.table = slow\n"
        "from sim.cli import main\n"
        f"sys.exit(main(['run', {HIK!r}, '--steps', '3', '--out', {str(tmp_path / 'x.csv')!r}]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    assert list(tmp_path.glob(".x.csv.*.tmp"))
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert not list(tmp_path.iterdir())


def test_broken_pipe_exits_quietly():
    proc = subprocess.run(f"{sys.executable} -m sim validate {HIK} {HIK} {HIK} | head -c 5",
                          shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stderr == "" and len(proc.stdout) == 5
