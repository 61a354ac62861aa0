"""``validate`` runs every check ``run`` runs, and warns about a world that starts short or a
firm that loses money at its steady output (sim/engine/diagnose.py; docs/model.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from sim import TradeModel
from sim.cli import main
from sim.scenario import load_scenario, validate_document
from tests.test_tiers import tier_document
from tests.worlds import tiny_document


def write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def validate(capsys, path: Path) -> tuple[int, str, str]:
    try:
        code = main(["validate", str(path)])
    except SystemExit as exc:  # the command line exits with the error's code
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_world_that_starts_short_is_valid_and_warned_of(tmp_path, capsys):
    doc = tiny_document()
    for name in ("s_us", "s_cn", "s_tw"):  # 15 socs a step for the 20 wanted
        doc["suppliers"][name]["capacity"] = 5
    path = write(tmp_path, doc)
    code, out, err = validate(capsys, path)
    assert code == 0 and "ok" in out
    lines = err.splitlines()
    short = [x for x in lines if "components.soc" in x]
    assert short and short[0].startswith(f"{path}:")
    assert "warning" in short[0] and "want 20 a step" in short[0] and "can make 15" in short[0]
    assert any("firms.apple.capacity: starts short" in x for x in lines)
    # and the run of that world stays where it starts (tests/test_generated_worlds.py)
    model = TradeModel(scenario=load_scenario(path)).run()
    out_ = model.recorder.metric("firm", "output")
    np.testing.assert_allclose(out_, np.broadcast_to(out_[0], out_.shape), rtol=1e-9)


def test_a_world_at_rest_has_no_warnings(tmp_path, capsys):
    code, _, err = validate(capsys, write(tmp_path, tiny_document()))
    assert code == 0 and err == ""


def test_validate_refuses_inputs_their_sources_cannot_spare_located(tmp_path, capsys):
    doc = tier_document()
    doc["suppliers"]["ga_tw"]["capacity"] = 0.5
    path = write(tmp_path, doc)
    code, out, err = validate(capsys, path)
    assert code == 2 and "ok" not in out
    line = next(x for x in err.splitlines() if "suppliers.s_cn.inputs" in x)
    _, row, col, _ = line.split(":", 3)
    assert int(row) > 1 and int(col) >= 1, line  # where s_cn's inputs are in the file
    assert "its sources can spare" in line


def test_a_firm_losing_money_is_warned_of_and_exits_with_no_negative_cash(tmp_path, capsys):
    doc = tiny_document()
    doc["firms"]["apple"].update(cash=0, fixed_cost=1e9)
    path = write(tmp_path, doc)
    code, _, err = validate(capsys, path)
    assert code == 0
    assert "firms.apple: loses" in err and "runs out in step 0" in err
    model = TradeModel(scenario=validate_document(doc, {}, "<t>")).run()
    rec = model.recorder
    assert rec.series("firm", "out", "apple")[0] == 1.0
    assert rec.metric("firm", "cash").min() >= 0.0
    assert rec.series("firm", "out", "huawei").max() == 0.0
