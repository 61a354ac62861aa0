"""docs/sweeps.md's notebook walk-through runs as written, and prints what the page shows.

Each ```python block of the section "From a notebook" runs in order in one fresh interpreter
(a script under a main guard, as worker processes need), from a folder where `scenarios/` is
the repository's; the ```text block that follows a code block is its printed output, exactly
(seeded runs are reproducible: a change is a change of the model or of the analysis, and the
page must say the new figures)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "sweeps.md"
MARK = "----- next block -----"


def walkthrough() -> list[tuple[str, str | None]]:
    """(code, its printed output or None) of each code block of the section."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## From a notebook\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(python|text)\n(.*?)```", section, re.S)
    out: list[tuple[str, str | None]] = []
    for kind, body in blocks:
        if kind == "python":
            out.append((body, None))
        else:
            assert out and out[-1][1] is None, "a text block follows a python block"
            out[-1] = (out[-1][0], body)
    return out


@pytest.mark.slow
def test_the_notebook_walkthrough_runs_and_prints_what_the_page_says(tmp_path):
    blocks = walkthrough()
    assert len(blocks) >= 4
    code = f"\nprint({MARK!r})\n".join(body for body, _ in blocks)
    script = tmp_path / "walkthrough.py"
    script.write_text("if __name__ == '__main__':\n    exec(compile("
                      f"{code!r}, 'docs/sweeps.md', 'exec'))\n", encoding="utf-8")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.split(MARK + "\n")
    assert len(printed) == len(blocks)
    for (body, shown), got in zip(blocks, printed, strict=True):
        if shown is not None:
            assert got == shown, f"docs/sweeps.md shows other output for:\n{body}\n{got}"
