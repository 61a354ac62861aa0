"""Nothing the command line prints from a file acts on the terminal (docs/security.md).

A hostile scenario names its lesson, a firm, a supplier and a country with an ESC sequence that
clears the screen, a right-to-left override, a newline followed by a forged ``ok`` line, a
carriage return and a bell; files and folders carry ESC sequences in their names. Every
subcommand that echoes a name or a path is run on them: no line of its output holds a character
a terminal acts on, and the escaped text shows instead.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.errors import escape

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
EVIL = "\x1b[2J\x1b[H\u202eevil\nforged.yaml:1:1: ok\r\x07"
SHOWN = "\\x1b[2J\\x1b[H\\u202eevil\\nforged.yaml:1:1: ok\\r\\x07"
CLEAR = "\x1b[2J"  # in file and folder names (no newline: the file system refuses none)
# what a terminal acts on instead of showing: controls, format characters (bidirectional
# overrides, zero-width characters), line and paragraph separators, lone surrogates
ACTING = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def acting(text: str) -> list[str]:
    """The characters of ``text``, newlines between lines aside, a terminal would act on."""
    return [c for line in text.split("\n") for c in line if unicodedata.category(c) in ACTING]


def assert_safe(text: str) -> None:
    assert not acting(text), repr(text)
    assert not any(line.startswith("forged.yaml") for line in text.split("\n")), text


def rename(node, old: str, new: str):
    if isinstance(node, dict):
        return {rename(k, old, new): rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [rename(v, old, new) for v in node]
    return new if node == old else node


@pytest.fixture
def hostile(tmp_path) -> Path:
    """The classroom lesson with its name, a firm, a supplier and a country made hostile."""
    doc = yaml.safe_load(LESSON.read_text(encoding="utf-8"))
    doc["name"] = "Lesson" + EVIL
    for old in ("ZTE", "Qualcomm", "EU"):
        doc = rename(doc, old, old + EVIL)
    path = tmp_path / f"lesson{CLEAR}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the one function --------------------------------------------------------------------------
def test_escape_shows_every_acting_character_and_keeps_the_rest():
    assert escape(EVIL) == SHOWN
    for ch in ("\x00", "\t", "\x7f", "\x9b", "\u200b", "\u200e", "\u2028", "\u2029", "\ufeff",
               "\u061c", "\ud800", *map(chr, range(0x202A, 0x202F)),
               *map(chr, range(0x2066, 0x206A))):
        shown = escape(f"a{ch}b")
        assert shown.startswith("a\\") and shown.endswith("b") and ch not in shown, repr(ch)
    kept = "Zürich 漢字 ☃ 🚢 a\u00a0b — ‘quotes’ \\x1b"
    assert escape(kept) == kept


def test_escape_leaves_nothing_a_terminal_acts_on_in_all_of_unicode():
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    shown = escape(everything)
    assert not [c for c in shown if unicodedata.category(c) in ACTING]
    assert shown.isascii() is False and "漢" in shown  # printable text is kept as it is


# -- every subcommand that echoes a name or a path -----------------------------------------------
def test_validate_and_run_print_names_escaped(hostile, capsys, tmp_path):
    code, out, err = run(capsys, "validate", str(hostile))
    assert code == 0 and SHOWN in out and "lesson\\x1b[2J.yaml" in out
    assert_safe(out + err)
    series = tmp_path / f"series{CLEAR}.csv"
    code, out, err = run(capsys, "run", str(hostile), "--steps", "4", "--out", str(series))
    assert code == 0 and series.exists()
    assert_safe(out + err)
    assert out.count(SHOWN) == 4  # the lesson, ZTE, Qualcomm and EU
    assert "series\\x1b[2J.csv" in out


def test_problems_in_a_hostile_file_are_escaped(hostile, capsys):
    doc = yaml.safe_load(hostile.read_text(encoding="utf-8"))
    doc["firms"]["Huawei"][EVIL] = 1
    bad = hostile.with_name(f"bad{CLEAR}.yaml")
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(bad))
    assert code == 2 and "unknown key" in err and SHOWN in err and "bad\\x1b[2J.yaml" in err
    assert_safe(out + err)
    code, out, err = run(capsys, "run", str(hostile), "--set", f"firms.ZTE{EVIL}.cover=-1")
    assert code == 2 and SHOWN in err
    assert_safe(out + err)


def test_sweep_run_report_discover_and_export_print_paths_and_names_escaped(hostile, capsys):
    plan = hostile.with_name("plan.yaml")
    plan.write_text(yaml.safe_dump({"scenario": hostile.name, "steps": 4, "replicates": 6,
                                    "vary": {"firms.Ericsson.cover": [1, 3]},
                                    "out": f"res{CLEAR}"}), encoding="utf-8")
    code, out, err = run(capsys, "sweep", str(plan), "--workers", "0")
    folder = hostile.with_name(f"res{CLEAR}")
    assert code == 0 and (folder / "manifest.json").exists() and "res\\x1b[2J" in out
    assert_safe(out)
    assert_safe(err.replace("\r", ""))  # the progress bar redraws its line
    for argv in (("report", str(folder)),
                 ("discover", str(folder), "--where", "Ericsson.min_cover > 2"),
                 ("export", str(folder), "--csv")):
        code, out, err = run(capsys, "sweep", *argv)
        assert code == 0 and "res\\x1b[2J" in out, (argv, out, err)
        assert_safe(out + err)
    for argv in (("report", str(folder), "--metric", "nothing"),
                 ("discover", str(folder), "--where", "nothing > 5")):
        code, out, err = run(capsys, "sweep", *argv)  # the refusal lists the hostile columns
        assert code == 2 and SHOWN in err, (argv, err)
        assert_safe(out + err)


@pytest.mark.filterwarnings("ignore:Glyph")  # the charts draw the names as they are
def test_classroom_export_prints_its_path_escaped(hostile, capsys, tmp_path):
    from sim.classroom import Classroom

    url = f"sqlite:///{tmp_path / 'c.db'}"
    room = Classroom(url)
    game = room.create_game(hostile, seed=1, humans=["US"])
    room.resolve(game.id)
    room.close()
    out_zip = tmp_path / f"game{CLEAR}.zip"
    code, out, err = run(capsys, "classroom", "export", game.code, "--out", str(out_zip),
                         "--db", url)
    assert code == 0 and out_zip.exists() and "game\\x1b[2J.zip" in out
    assert_safe(out + err)
    code, out, err = run(capsys, "classroom", "export", f"X{EVIL}", "--out", str(out_zip),
                         "--db", url)
    assert code == 2
    assert_safe(out + err)


@pytest.mark.filterwarnings("ignore:Glyph")  # the report's charts draw the names as they are
def test_tournament_prints_its_paths_and_names_escaped(hostile, capsys):
    folder = hostile.with_name(f"cup{CLEAR}")
    roles = "US,CN"  # (the hostile names are in the runs, and in the refusal below)
    code, out, err = run(capsys, "tournament", str(hostile), "--roles", roles, "--strategies",
                         "scripted,tit_for_tat", "--seeds", "2", "--steps", "4", "--workers",
                         "0", "--out", str(folder))
    assert code == 0 and (folder / "report.html").exists() and "cup\\x1b[2J" in out
    assert_safe(out)
    assert_safe(err.replace("\r", ""))  # the progress bar redraws its line
    code, out, err = run(capsys, "tournament", str(hostile), "--roles", "US,Nobody",
                         "--out", str(folder))
    assert code == 2 and SHOWN in err  # the refusal lists the hostile country
    assert_safe(out + err)
