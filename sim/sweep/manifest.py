"""A sweep's manifest and plan: what the folder holds, the blocks of runs, and the checks that
a folder can be resumed (:func:`read_manifest` refuses a manifest that is damaged or edited:
a key missing or of the wrong type, ``chunks`` not what its blocks make, a scenario text whose
SHA-256 is not the recorded one; :func:`check_runs` a ``runs.parquet`` that is not its runs).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep.design import Factor
from sim.sweep.plan import Plan, SweepError

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
LOCK = ".lock"
FORMAT = "chokepoint-sweep/1"
# what must match for a folder to be resumed
IDENTITY = ("scenario_sha256", "design", "factors", "seed", "steps", "every", "baseline",
            "outcomes", "levers", "scenarios")
# what a manifest written before a key existed means by its absence
ABSENT: dict[str, Any] = {"outcomes": [], "levers": [], "scenarios": 0}
# what readers of a manifest rely on (resume, report, discover, explore)
REQUIRED = (*IDENTITY, "points", "replicates", "samples", "metrics", "scenario_text",
            "scenario_file", "scenario_name", "chunk", "chunks")
# a block of runs: (first run, first point, end point, first replicate, end replicate, first
# chunk); runs are numbered point-major within a block, and blocks are added when replicates
# or points are added to a sweep in place
Block = tuple[int, int, int, int, int, int]


def block_runs(block: Block) -> int:
    _, p0, p1, r0, r1, _ = block
    return (p1 - p0) * (r1 - r0)


def blocks_of(manifest: dict[str, Any]) -> list[Block]:
    """The manifest's blocks (one for a sweep never extended)."""
    default = [[0, 0, manifest["points"], 0, manifest["replicates"], 0]]
    return [tuple(b) for b in manifest.get("blocks", default)]


def block_chunks(block: Block, chunk: int) -> int:
    return -(-block_runs(block) // chunk)


def run_ids(block: Block, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, int,
                                                                                    int]]:
    """(run, point, replicate) of a block's runs ``start``…``stop`` (in the block)."""
    first, p0, _, r0, r1, _ = block
    r = r1 - r0
    for k in range(start, block_runs(block) if stop is None else stop):
        yield first + k, p0 + k // r, r0 + k % r


def extend(old: dict[str, Any], plan: Plan) -> list[Block]:
    """The blocks of ``old`` plus those that add ``plan``'s extra replicates and points."""
    blocks = blocks_of(old)
    chunk = old["chunk"]
    points, reps = old["points"], old["replicates"]

    def add(p0: int, p1: int, r0: int, r1: int) -> None:
        last = blocks[-1]
        blocks.append((last[0] + block_runs(last), p0, p1, r0, r1,
                       last[5] + block_chunks(last, chunk)))

    if plan.replicates > reps:
        add(0, points, reps, plan.replicates)
    if len(plan.points) > points:
        add(points, len(plan.points), 0, plan.replicates)
    return blocks


def make_manifest(plan: Plan, chunk: int, metrics: list[str],
                  blocks: list[Block] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce, resume and read a sweep."""
    from sim.scenario import source_hash

    blocks = blocks or [(0, 0, len(plan.points), 0, plan.replicates, 0)]

    return {
        "format": FORMAT,
        "scenario_file": plan.file,
        "scenario_name": plan.scenario.name,
        "scenario_sha256": source_hash(plan.text),
        "scenario_text": plan.text,
        "design": plan.design,
        "samples": plan.samples,
        "factors": [f.to_json() for f in plan.factors],
        "points": len(plan.points),
        "replicates": plan.replicates,
        "n_runs": plan.n_runs,
        "seed": plan.seed,
        "seeding": ("numpy SeedSequence(seed, spawn_key=(scenario, replicate)), 64-bit state >> 1"
                    if plan.scenarios else
                    "numpy SeedSequence(seed, spawn_key=(point, replicate)), 64-bit state >> 1"),
        "steps": plan.steps if plan.steps is not None else plan.scenario.steps,
        "every": plan.every,
        "baseline": plan.baseline,
        "chunk": chunk,
        "chunks": sum(block_chunks(b, chunk) for b in blocks),
        "blocks": [list(b) for b in blocks],
        "metrics": metrics,
        "outcomes": [o.to_json() for o in plan.outcomes],
        "levers": plan.levers,
        "scenarios": plan.scenarios,
        "warnings": plan.warnings,
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("chokepoint", "mesa", "numpy", "scipy", "pyarrow", "distributed"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's manifest, ``None`` if it has none; SweepError if it cannot be read."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out}: exists and is not a folder")
    path = out / MANIFEST
    if not path.exists():
        # a sweep killed while writing its plan leaves only its lock and temporary files
        if out.exists() and any(p.name != LOCK and not temporary(p) for p in out.iterdir()):
            raise SweepError(f"{out}: the folder is not empty and holds no sweep "
                             f"({MANIFEST} is missing); choose another --out")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SweepError(f"{path}: cannot read the sweep's manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SweepError(f"{path}: not a chokepoint sweep manifest")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise SweepError(f"{path}: the manifest lacks {', '.join(missing)}; it was edited or "
                         f"damaged: start the sweep in another folder")
    wrong = _manifest_problem(manifest)
    if wrong:
        raise SweepError(f"{path}: {wrong}; the manifest was edited or damaged: start the "
                         f"sweep in another folder")
    return manifest


def _manifest_problem(m: dict[str, Any]) -> str | None:
    """Why a manifest's values cannot be this program's (None: they can)."""
    from sim.scenario import source_hash

    def whole(v: Any, low: int = 0) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    for key, low in (("points", 1), ("replicates", 1), ("samples", 1), ("seed", 0),
                     ("chunk", 1), ("chunks", 1)):
        if not whole(m[key], low):
            return f"{key} is {m[key]!r}, not a whole number of at least {low}"
    for key in ("steps", "every"):
        if m[key] is not None and not whole(m[key], 1):
            return f"{key} is {m[key]!r}, not a whole number of at least 1"
    if not isinstance(m["baseline"], bool):
        return f"baseline is {m['baseline']!r}, not true or false"
    if not (isinstance(m["metrics"], list) and all(isinstance(x, str) for x in m["metrics"])):
        return "metrics is not a list of names"
    if not isinstance(m["scenario_text"], str) or source_hash(m["scenario_text"]) != m[
            "scenario_sha256"]:
        return "scenario_sha256 does not match its scenario_text"
    try:
        factors = [Factor.from_json(f) for f in m["factors"]]
        blocks = blocks_of(m)
    except (TypeError, ValueError):
        return "its factors or blocks are not a sweep's"
    if not all(f.name and f.path for f in factors):
        return "its factors are not a sweep's"
    if not blocks or not all(len(b) == 6 and all(whole(x) for x in b) for b in blocks):
        return "its blocks are not a sweep's"
    made = sum(block_chunks(b, m["chunk"]) for b in blocks)
    if m["chunks"] != made:
        return f"chunks is {m['chunks']}, its blocks make {made}"
    return None


def temporary(p: Path) -> bool:
    """A temporary file of an atomic write (``.NAME.<pid>.<random>.tmp``)."""
    return p.name.startswith(".") and p.name.endswith(".tmp")


def check_resumable(out: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse to resume into a folder that holds another sweep."""
    if old["scenario_sha256"] != new["scenario_sha256"]:
        raise SweepError(f"{out}: holds a sweep of a different scenario "
                         f"({old.get('scenario_name')!r} from {old.get('scenario_file')}); "
                         f"choose another --out")
    diff = [k for k in IDENTITY if old.get(k, ABSENT.get(k)) != new.get(k, ABSENT.get(k))]
    if diff:
        raise SweepError(f"{out}: holds a different sweep of this scenario ({', '.join(diff)} "
                         f"differ); choose another --out or repeat the same command")
    for key, what in (("replicates", "replicates"), ("points", "design points")):
        if new[key] < old[key]:
            raise SweepError(f"{out}: holds {old[key]} {what}; a sweep can gain {what} in "
                             f"place but not lose them (asked for {new[key]})")


def check_runs(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse a ``runs.parquet`` that does not open, or is not the manifest's runs."""
    path = out / RUNS
    want = sum(block_runs(b) for b in blocks_of(manifest))
    names = ["run", "point", "replicate", "seed", *(f["name"] for f in manifest["factors"])]
    try:
        meta = pq.ParquetFile(path).metadata
        have = meta.schema.to_arrow_schema().names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SweepError(f"{path}: cannot be read ({str(exc).splitlines()[0][:120]}); the "
                         f"sweep's plan is damaged: start the sweep in another folder") from None
    missing = [n for n in names if n not in have]
    if missing or meta.num_rows != want:
        why = (f"lacks {', '.join(missing)}" if missing
               else f"holds {meta.num_rows} runs, the manifest {want}")
        raise SweepError(f"{path}: {why}; the sweep's plan is damaged: start the sweep in "
                         f"another folder")


def check_extension(out: Path, old: dict[str, Any], plan: Plan) -> None:
    """Refuse added points unless the old points are the new design's first ones (true of
    ``sobol`` and ``morris`` with more samples; a grid's or a Latin hypercube's every point
    moves)."""
    if len(plan.points) == old["points"]:
        return
    runs = pq.read_table(out / RUNS).to_pandas()
    first = runs[runs["replicate"] == 0].sort_values("point")
    for f in plan.factors:
        new = [plan.points[p][f.path] for p in first["point"]]
        if list(first[f.name]) != new:
            raise SweepError(f"{out}: --samples {plan.samples} does not extend the sweep's "
                             f"{old['samples']} ({plan.design} designs move every point); "
                             f"choose another --out")
