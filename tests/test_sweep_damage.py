"""A damaged sweep folder, through the CLI: every kind of damage to the ledger, the part files,
the manifest and runs.parquet is named (file and line) and either refused with exit 2 or
repaired by resuming (its chunks run again, the damaged file kept in damaged/); nothing is
lost, and the resumed results equal an undamaged sweep's. A sweep killed in the middle of
compaction never shows a raw reader a run twice, and resumes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.sweep import compaction

ROOT = Path(__file__).parents[1]
SCENARIO = str(ROOT / "scenarios" / "hikvision_2019.yaml")
# 3 × 3 grid = 9 runs in 3 chunks of 3 (chunk 1 holds runs 3, 4, 5)
ARGS = ["--vary", "stockpile_cover=0,13,26", "--vary", "listing_week=20:30", "--samples", "3",
        "--steps", "26", "--chunk", "3", "--workers", "0", "-q"]


def sweep(*argv: str) -> int:
    return main(["sweep", *argv])


def problems(err: str) -> str:
    """stderr without the plan's warnings (at 26 steps, the Dahua listing never happens)."""
    return "".join(line for line in err.splitlines(True)
                   if not line.startswith("chokepoint sweep: warning: "))


def raw(folder: Path) -> pd.DataFrame:
    """What a colleague's ``pandas.read_parquet(folder)`` sees."""
    return pd.read_parquet(folder).sort_values("run").reset_index(drop=True)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """A finished sweep left uncompacted (its part files as a sweep leaves them mid-way)."""
    out = tmp_path_factory.mktemp("ref") / "o"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compaction, "compact", lambda out, chunks: None)
        assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    assert len(list((out / "summary").glob("part-*.parquet"))) == 3
    return out


def _ledger_lines(out: Path) -> list[str]:
    return (out / "status.jsonl").read_text().splitlines()


def _cut_last_line(out: Path) -> None:
    text = (out / "status.jsonl").read_text()
    (out / "status.jsonl").write_text(text[:-15])  # the last line half-written, no newline


def _garble_line_2(out: Path) -> None:
    lines = _ledger_lines(out)
    lines[1] = '{"chunk": 1, "ru\x00ns": 3'
    (out / "status.jsonl").write_text("\n".join(lines) + "\n")


def _foreign_line(out: Path) -> None:
    lines = _ledger_lines(out)
    lines[1] = json.dumps({"chunk": 99, "runs": 3, "failed": 0, "seconds": 0.1})
    (out / "status.jsonl").write_text("\n".join(lines) + "\n")


def _wrong_runs_line(out: Path) -> None:
    lines = _ledger_lines(out)
    entry = json.loads(lines[1])
    lines[1] = json.dumps({**entry, "runs": 5})
    (out / "status.jsonl").write_text("\n".join(lines) + "\n")


def _entry_lacking_keys(out: Path) -> None:
    lines = _ledger_lines(out)
    lines[1] = json.dumps({"chunk": json.loads(lines[1])["chunk"]})
    (out / "status.jsonl").write_text("\n".join(lines) + "\n")


def _part(out: Path, chunk: int = 1) -> Path:
    return out / "summary" / f"part-{chunk:06d}.parquet"


def _not_parquet(out: Path) -> None:
    _part(out).write_bytes(b"PAR1 this is not a parquet file")


def _truncated_part(out: Path) -> None:
    data = _part(out).read_bytes()
    _part(out).write_bytes(data[: len(data) // 2])


def _wrong_columns(out: Path) -> None:
    pq.write_table(pa.table({"run": [3, 4, 5], "x": [1.0, 2.0, 3.0]}), _part(out))


def _too_few_rows(out: Path) -> None:
    pq.write_table(pq.read_table(_part(out)).slice(0, 2), _part(out))


def _other_chunks_rows(out: Path) -> None:
    shutil.copyfile(_part(out, 0), _part(out, 1))


def _missing_part(out: Path) -> None:
    _part(out).unlink()


def _foreign_file(out: Path) -> None:
    pq.write_table(pa.table({"run": [0], "notes": ["mine"]}), out / "summary" / "notes.parquet")


@pytest.mark.parametrize("damage, message, moved", [
    (_cut_last_line, None, None),  # a crash mid-append: expected, silently re-run
    (_garble_line_2, "status.jsonl:2: not a ledger entry (not JSON)", "status.jsonl"),
    (_foreign_line, "status.jsonl:2: chunk 99 is not one of this sweep's (0 to 2)",
     "status.jsonl"),
    (_wrong_runs_line, "status.jsonl:2: chunk 1 has 3 runs, the line says 5", "status.jsonl"),
    (_entry_lacking_keys, "status.jsonl:2: not a ledger entry ('runs' is missing)",
     "status.jsonl"),
    (_not_parquet, "part-000001.parquet: not a readable Parquet file",
     "summary-part-000001.parquet"),
    (_truncated_part, "part-000001.parquet: not a readable Parquet file",
     "summary-part-000001.parquet"),
    (_wrong_columns, "part-000001.parquet: not this sweep's columns",
     "summary-part-000001.parquet"),
    (_too_few_rows, "part-000001.parquet: holds 2 rows, its chunk has 3 runs",
     "summary-part-000001.parquet"),
    (_other_chunks_rows, "part-000001.parquet: holds other runs than its chunk's (3 to 5)",
     "summary-part-000001.parquet"),
    (_missing_part, "part-000001.parquet: missing, though the ledger lists chunk 1", None),
    (_foreign_file, "notes.parquet: not a part file of this sweep", "summary-notes.parquet"),
])
def test_damage_is_named_and_repaired_by_resuming(parts, tmp_path, capsys, damage, message,
                                                  moved):
    out = tmp_path / "o"
    shutil.copytree(parts, out)
    damage(out)
    capsys.readouterr()
    if message:  # a report would be wrong: refused, naming the damage and the repair
        assert sweep("report", str(out)) == 2
        err = capsys.readouterr().err
        assert message in err and "run the sweep again to repair it" in err
        assert "Traceback" not in err
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    err = problems(capsys.readouterr().err)
    assert "Traceback" not in err
    if message:
        assert f"chokepoint sweep: damaged: {out}" in err and message in err
        assert "runs again" in err or "resuming moves it to" in err
    else:
        assert err == ""
    # nothing lost: every run once, with the undamaged sweep's values; the sweep compacted
    pd.testing.assert_frame_equal(raw(out / "summary"), raw(parts / "summary"))
    assert [p.name for p in (out / "summary").iterdir()] == ["part-all.parquet"]
    assert sorted(json.loads(line)["chunk"] for line in _ledger_lines(out)) == [0, 1, 2]
    if moved:  # the damaged file is kept, out of the readers' way
        assert (out / "damaged" / moved).exists()
    # repaired: a second resume finds nothing wrong and runs nothing
    before = (out / "summary" / "part-all.parquet").stat().st_mtime_ns
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    assert problems(capsys.readouterr().err) == ""
    assert (out / "summary" / "part-all.parquet").stat().st_mtime_ns == before
    assert sweep("report", str(out)) == 0


def test_a_damaged_compacted_file_runs_its_chunks_again(parts, tmp_path, capsys):
    out = tmp_path / "o"
    shutil.copytree(parts, out)
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0  # compacts
    merged = out / "summary" / "part-all.parquet"
    merged.write_bytes(merged.read_bytes()[:100])
    capsys.readouterr()
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "part-all.parquet: not a readable Parquet file" in err
    assert "the chunks it held run again" in err
    pd.testing.assert_frame_equal(raw(out / "summary"), raw(parts / "summary"))
    assert (out / "damaged" / "summary-part-all.parquet").exists()


def _edit_manifest(out: Path, **changes) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.update(changes)
    (out / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage, message", [
    (lambda out: _edit_manifest(out, scenario_text="schema: other\n"),
     "scenario_sha256 does not match its scenario_text"),
    (lambda out: _edit_manifest(out, chunk="3"), "chunk is '3', not a whole number of at least 1"),
    (lambda out: _edit_manifest(out, chunks=7), "chunks is 7, its blocks make 3"),
    (lambda out: _edit_manifest(out, blocks=[[0, 0, "x"]]), "its blocks are not a sweep's"),
    (lambda out: _edit_manifest(out, metrics="Hikvision.output"),
     "metrics is not a list of names"),
    (lambda out: (out / "runs.parquet").write_bytes(b"garbage"),
     "runs.parquet: cannot be read"),
    (lambda out: pq.write_table(pq.read_table(out / "runs.parquet").slice(0, 4),
                                out / "runs.parquet"),
     "runs.parquet: holds 4 runs, the manifest 9"),
])
def test_a_damaged_plan_is_refused_naming_the_file(parts, tmp_path, capsys, damage, message):
    out = tmp_path / "o"
    shutil.copytree(parts, out)
    damage(out)
    before = sorted(p.name for p in out.rglob("*"))
    capsys.readouterr()
    assert sweep(SCENARIO, *ARGS, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert message in err and str(out) in err and "Traceback" not in err
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing touched


@pytest.mark.parametrize("stage", ["merged", "swapped", "moved"])
def test_a_sweep_killed_mid_compaction_never_shows_a_run_twice(parts, tmp_path, stage):
    """Kill the sweep (os._exit) at each point of compaction: a raw pandas reader of summary/
    sees each run once (or, between the two renames of the fallback path, no folder), and
    resuming completes the compaction."""
    out = tmp_path / "o"
    shutil.copytree(parts, out)
    proc = subprocess.run([sys.executable, "-m", "sim", "sweep", SCENARIO, *ARGS, "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, compaction.KILL_ENV: stage,
                               "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 17, proc.stderr  # killed where asked
    if stage == "moved":  # the fallback path, between its renames: no folder, not duplicates
        assert not (out / "summary").exists() and (out / ".summary.old").exists()
    else:
        seen = raw(out / "summary")
        assert seen["run"].is_unique
        pd.testing.assert_frame_equal(seen, raw(parts / "summary"))
        names = {p.name for p in (out / "summary").iterdir()}
        assert names == ({"part-all.parquet"} if stage == "swapped"
                         else {f"part-{i:06d}.parquet" for i in range(3)})
    assert main(["sweep", SCENARIO, *ARGS, "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(raw(out / "summary"), raw(parts / "summary"))
    assert [p.name for p in (out / "summary").iterdir()] == ["part-all.parquet"]
    assert not list(out.glob(".summary.*"))


def test_the_atomic_exchange_is_used_here(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").touch()
    assert compaction._rename_exchange(a, b)  # Linux: one atomic step, not two renames
    assert (b / "x").exists() and not (a / "x").exists()
