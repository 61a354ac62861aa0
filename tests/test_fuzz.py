"""A seeded fuzzing campaign over the shipped scenarios (docs/scenarios.md, "Limits").

Every mutant of every ``scenarios/*.yaml`` goes through ``chokepoint validate`` and, when
accepted, ``chokepoint run --steps 3 --out F.csv`` in-process. Each must be either refused
(exit 2, every stderr line ``FILE:LINE:COL: ...`` with no control characters) or accepted and
run, writing only finite values. Anything else is a crash (an exception or another exit code),
a poisoned run (NaN or inf written with exit 0) or a broken promise (``validate`` ok, ``run``
refuses).

The suite runs a bounded, seeded sample (:data:`SUITE_MUTANTS` per class, well under a minute);
``python tests/test_fuzz.py [N [SEED]]`` runs a campaign of N mutants per class and prints the
counts.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
import yaml

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SUITE_MUTANTS = 16
SEED = 13
MARK = "__MUTANT__"
LOCATED = re.compile(r"^[^\x00-\x1f\x7f]+:\d+:\d+: [^\x00-\x1f\x7f]*$")
CONTROL = "\x1b[2J\x1b[H forged.yaml:1:1: ok\r\x07"

Leaf = tuple[Any, ...]


def _leaves(node: Any, path: Leaf = ()) -> Iterator[Leaf]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    else:
        yield path


def _maps(node: Any, path: Leaf = ()) -> Iterator[Leaf]:
    if isinstance(node, dict):
        yield path
        for k, v in node.items():
            yield from _maps(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _maps(v, path + (i,))


def _get(doc: Any, path: Leaf) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _put(doc: Any, path: Leaf, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _text(doc: Any, raw: str) -> str:
    """The document as YAML with the placeholder replaced by ``raw`` YAML text."""
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)
    return text.replace(f"'{MARK}'", raw).replace(MARK, raw)


def _strings(doc: Any) -> list[Leaf]:
    return [p for p in _leaves(doc) if isinstance(_get(doc, p), str) and p[0] != "description"]


def _numbers(doc: Any) -> list[Leaf]:
    return [p for p in _leaves(doc)
            if isinstance(_get(doc, p), int | float) and not isinstance(_get(doc, p), bool)]


def _dates(doc: Any) -> list[Leaf]:
    import datetime as dt

    return [p for p in _leaves(doc) if isinstance(_get(doc, p), dt.date)]


def _at(rng: random.Random, doc: Any, paths: list[Leaf], raw: str) -> str:
    if not paths:
        paths = list(_leaves(doc))
    _put(doc, rng.choice(paths), MARK)
    return _text(doc, raw)


# Each class: (random, document) -> YAML text of one mutant.
def m_name_container(rng: random.Random, doc: Any) -> str:
    raw = rng.choice(["[CN]", "{CN: 1}", "[[Intel]]", "[]", "{}"])
    return _at(rng, doc, _strings(doc), raw)


def m_bad_timestamp(rng: random.Random, doc: Any) -> str:
    raw = rng.choice(["2018-02-30", "2018-13-01", "2018-01-01 25:00:00",
                      "2018-01-01T10:00:00+99:00", "2018-04-16 10:00:00", "0000-01-01",
                      "2018-04-16T00:00:00Z"])
    return _at(rng, doc, _dates(doc) or _numbers(doc), raw)


def m_huge_int(rng: random.Random, doc: Any) -> str:
    raw = rng.choice([str(10**400), str(-(10**400)), str(10**30), str(2**64), "-1"])
    return _at(rng, doc, _numbers(doc), raw)


def m_deep(rng: random.Random, doc: Any) -> str:
    n = rng.choice([100, 1000, 5000])
    raw = rng.choice(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n])
    return _at(rng, doc, list(_leaves(doc)), raw)


def m_not_finite(rng: random.Random, doc: Any) -> str:
    raw = rng.choice([".nan", ".inf", "-.inf", '"1e400"', "1e308", "-1e308", '"nan"', "1e-320"])
    return _at(rng, doc, _numbers(doc), raw)


def m_bool_number(rng: random.Random, doc: Any) -> str:
    return _at(rng, doc, _numbers(doc), rng.choice(["true", "false", "null", '"3"']))


def m_empty(rng: random.Random, doc: Any) -> str:
    maps = [p for p in _maps(doc) if p]
    path = rng.choice(maps)
    _put(doc, path, rng.choice([{}, [], None]))
    return _text(doc, "")


def m_horizon(rng: random.Random, doc: Any) -> str:
    doc["calendar"]["step"] = rng.choice(["day", "week", "month"])
    key = rng.choice(["steps", "ramp", "lead", "start"])
    if key == "steps":
        doc["steps"] = rng.choice([100_000, 10**9, 0, 99_999])
    elif key == "start":
        doc["calendar"]["start"] = MARK
        return _text(doc, rng.choice(["9999-06-01", "0001-01-01"]))
    elif key == "ramp":
        sup = rng.choice(list(doc["suppliers"]))
        doc["suppliers"][sup]["ramp"] = {"capacity": 1e6, "steps": rng.choice([10**30, 10**9])}
    else:
        doc.setdefault("model", {})["lead_time_days"] = MARK
        return _text(doc, rng.choice([".inf", "1e30", "1e-30"]))
    return _text(doc, "")


def m_duplicate_source(rng: random.Random, doc: Any) -> str:
    firm = rng.choice(list(doc["firms"].values()))
    comp = rng.choice(list(firm["sources"]))
    firm["sources"][comp] = firm["sources"][comp] + firm["sources"][comp][:1]
    return _text(doc, "")


def m_control_chars(rng: random.Random, doc: Any) -> str:
    path = rng.choice([p for p in _maps(doc)])
    target = _get(doc, path)
    if isinstance(target, dict):
        target[CONTROL] = 1
        return _text(doc, "")
    return _at(rng, doc, _strings(doc), '"' + CONTROL.replace("\x1b", "\\e")
               .replace("\r", "\\r").replace("\x07", "\\a") + '"')


def m_type_swap(rng: random.Random, doc: Any) -> str:
    raw = rng.choice(["1", "-5", "0", "2.5", "x", "[1, 2]", "{a: b}", "null", "2019-01-01",
                      "!!binary aGVsbG8=", "&a [*a]", "'\\x00'"])
    return _at(rng, doc, list(_leaves(doc)), raw)


def m_text_edit(rng: random.Random, doc: Any) -> str:
    text = _text(doc, "")
    i = rng.randrange(len(text))
    kind = rng.choice(["cut", "drop", "insert", "tab"])
    if kind == "cut":
        return text[:i]
    if kind == "drop":
        lines = text.splitlines(keepends=True)
        del lines[rng.randrange(len(lines))]
        return "".join(lines)
    if kind == "tab":
        return text[:i] + "\t" + text[i:]
    return text[:i] + rng.choice([":", "- ", "{", "]", "\x00", "\x85", "\ufeff", "*x",
                                  "&", "%"]) + text[i:]


CLASSES: dict[str, Callable[[random.Random, Any], str]] = {
    "name_container": m_name_container, "bad_timestamp": m_bad_timestamp,
    "huge_int": m_huge_int, "deep_nesting": m_deep, "not_finite": m_not_finite,
    "bool_number": m_bool_number, "empty": m_empty, "horizon": m_horizon,
    "duplicate_source": m_duplicate_source, "control_chars": m_control_chars,
    "type_swap": m_type_swap, "text_edit": m_text_edit,
}


def _main(argv: list[str]) -> tuple[int | None, str, str]:
    """Run the CLI in-process; (exit code or None on an exception, stdout, stderr)."""
    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | None = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - a crash is what we count
            err.write(f"{type(exc).__name__}: {exc}")
            code = None
    return code, out.getvalue(), err.getvalue()


def judge(text: str, folder: Path) -> tuple[str, str]:
    """('refused' | 'accepted' | 'crashed' | 'unlocated' | 'poisoned' | 'broken', detail)."""
    file = folder / "mutant.yaml"
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, _, err = _main(["validate", "-q", str(file)])
    if code == 2:
        bad = [line for line in err.splitlines() if not LOCATED.match(line)]
        return ("unlocated", bad[0][:200]) if bad or not err else ("refused", "")
    if code != 0:
        return "crashed", err[-300:]
    out = folder / "mutant.csv"
    code, _, err = _main(["run", str(file), "--steps", "3", "--out", str(out)])
    if code is None or code not in (0, 2):
        return "crashed", err[-300:]
    if code == 2:
        return "broken", err[-300:]
    values = pacsv.read_csv(out).column("value").to_pylist()
    if not all(v is not None and math.isfinite(v) for v in values):
        return "poisoned", ""
    return "accepted", ""


def mutants(per_class: int, seed: int = SEED,
            only: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(class, scenario name, YAML text), ``per_class`` of each class (or of ``only``)."""
    rng = random.Random(seed)
    for name, make in CLASSES.items():
        if only is not None and name != only:
            continue
        for i in range(per_class):
            path = SCENARIOS[i % len(SCENARIOS)]
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            yield name, path.name, make(rng, doc)


def campaign(per_class: int, folder: Path, seed: int = SEED) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for cls, _, text in mutants(per_class, seed):
        verdict, _ = judge(text, folder)
        counts.setdefault(cls, Counter())[verdict] += 1
    return counts


@pytest.mark.parametrize("cls", list(CLASSES))
def test_every_mutant_is_refused_cleanly_or_runs_finite(cls: str, tmp_path: Path) -> None:
    rng_seed = SEED + list(CLASSES).index(cls)
    failures = []
    for _, scenario, text in mutants(SUITE_MUTANTS, rng_seed, only=cls):
        verdict, detail = judge(text, tmp_path)
        if verdict not in ("refused", "accepted"):
            failures.append(f"{scenario}: {verdict}: {detail}")
    assert not failures, "\n".join(failures[:5])


if __name__ == "__main__":
    import tempfile

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    with tempfile.TemporaryDirectory() as tmp:
        result = campaign(n, Path(tmp), seed)
    kinds = ["refused", "accepted", "crashed", "unlocated", "poisoned", "broken"]
    print(f"{'class':<18}" + "".join(f"{k:>10}" for k in kinds))
    total: Counter[str] = Counter()
    for cls, c in result.items():
        total.update(c)
        print(f"{cls:<18}" + "".join(f"{c[k]:>10}" for k in kinds))
    print(f"{'total':<18}" + "".join(f"{total[k]:>10}" for k in kinds))


def test_pasted_or_uploaded_mutants_raise_only_scenario_errors() -> None:
    """The play page's paste/upload path (``load_scenario(name, text=...)``) shows the
    problems of a ScenarioError; every other exception would be a traceback in the page."""
    from sim import ScenarioError
    from sim.scenario import load_scenario

    for cls, _, text in mutants(4, SEED + 100):
        try:
            load_scenario("upload.yaml", text=text)
        except ScenarioError as exc:
            assert exc.problems and all(LOCATED.match(str(p)) for p in exc.problems), cls


def test_a_huge_valid_upload_is_refused_by_the_run_size_estimate() -> None:
    from sim import ScenarioError
    from sim.scenario import load_scenario

    doc = yaml.safe_load((ROOT / "scenarios" / "zte_2018.yaml").read_text(encoding="utf-8"))
    firm = next(iter(doc["firms"].values()))
    doc["firms"] = {f"F{i}": dict(firm) for i in range(150)}
    doc.update(steps=100_000, events=[], roles={}, parameters={})
    with pytest.raises(ScenarioError, match="the limit is 5,000,000"):
        load_scenario("upload.yaml", text=yaml.safe_dump(doc))
