"""Write a scenario's hard file (:mod:`sim.play.difficulty`) from a finished
``chokepoint tournament`` folder::

    chokepoint tournament scenarios/hikvision_2019.yaml --roles US,CN --strategies all \\
        --seeds 4 --out DIR
    python -m sim.play.hardfile DIR scenarios/hikvision_2019.yaml

For each role the tournament played (the player's role), each other role plays its best
response (``best_responses.csv``) to the player's top-ranked strategy (``ranks.csv``, ranked by
mean payoff against the field), the others at their own top-ranked strategies; ties take the
first listed. The file records where it came from (runs, seeds, the scenario's hash).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from sim.play.difficulty import SUFFIX


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def hard_table(folder: Path) -> dict[str, Any]:
    """The hard file's content from a tournament folder.

    Raises:
        FileNotFoundError: the folder has no ``ranks.csv`` or ``best_responses.csv``.
    """
    ranks, responses = _rows(folder / "ranks.csv"), _rows(folder / "best_responses.csv")
    top: dict[str, str] = {}
    for row in ranks:  # each role's rows are best first
        top.setdefault(row["role"], row["strategy"])
    table: dict[str, dict[str, str]] = {}
    for player, first in top.items():
        for other in top:
            if other == player:
                continue
            want = {r: (first if r == player else top[r]) for r in top if r != other}
            for row in responses:
                pairs = dict(p.split("=", 1) for p in row["against"].split(", "))
                if row["role"] == other and pairs == want:
                    table.setdefault(player, {})[other] = row["best"].split(" | ")[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    return {"scenario": manifest.get("scenario_name"),
            "scenario_sha256": manifest.get("scenario_sha256"),
            "made_by": "chokepoint tournament, then python -m sim.play.hardfile",
            "roles": list(top), "seeds": manifest.get("replicates"),
            "runs": manifest.get("n_runs"), "top_ranked": top, "best_response": table}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sim.play.hardfile",
                                description="Write <scenario>.hard.json from a tournament.")
    p.add_argument("folder", type=Path, help="a finished `chokepoint tournament` --out folder")
    p.add_argument("scenario", type=Path, help="the scenario file the tournament played")
    args = p.parse_args(argv)
    try:
        content = hard_table(args.folder)
    except FileNotFoundError as exc:
        print(f"python -m sim.play.hardfile: {exc.filename}: not found (is the tournament "
              "finished?)", file=sys.stderr)
        return 2
    out = args.scenario.with_name(args.scenario.stem + SUFFIX)
    out.write_text(json.dumps(content, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
