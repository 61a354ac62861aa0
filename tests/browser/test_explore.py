"""`chokepoint explore DIR` in Chromium, offline: the charts render, the outcome can be changed,
a factor filter narrows the runs, and discovered boxes show. Screenshots in tests/artifacts/."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from sim.cli import main
from tests.browser.conftest import ARTIFACTS, ROOT, free_port, require_chromium

SCENARIO = str(ROOT / "scenarios" / "hikvision_2019.yaml")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """A small sweep with series and a discovery, served by `chokepoint explore`."""
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = tmp_path_factory.mktemp("explore") / "sweep"
    assert main(["sweep", SCENARIO, "--vary", "stockpile_cover=0:52", "--vary",
                 "license_rate=0:1", "--design", "lhs", "--samples", "24", "--steps", "52",
                 "--every", "4", "--workers", "0", "-q", "--out", str(out)]) == 0
    assert main(["sweep", "discover", str(out), "--where", "Hikvision.min_cover < 7.5",
                 "-q"]) == 0
    port = free_port()
    log = (ARTIFACTS / "explore-server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "explore", str(out), "--no-browser",
                             "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError((ARTIFACTS / "explore-server.log").read_text()) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=15)
    assert "Could not load URL" not in (ARTIFACTS / "explore-server.log").read_text()


def test_explorer_shows_every_view_and_filters_runs(explorer, context):
    page = context.new_page()
    page.goto(explorer)
    for key in ("distribution", "fan", "scatter"):
        page.wait_for_selector(f"#chart-{key}", timeout=60_000)
    page.get_by_text("Discovered boxes").wait_for()
    page.get_by_text("stockpile_cover").first.wait_for()  # the sensitivity/boxes tables
    shown = page.locator(".runs-shown").inner_text()
    assert shown == "24 of 24 ok runs shown"
    page.screenshot(path=str(ARTIFACTS / "explore.png"), full_page=True)

    before = page.locator("#chart-distribution").get_attribute("src")
    page.locator(".v-select").filter(has_text="Outcome").first.click()
    page.get_by_role("option", name="Hikvision.min_cover", exact=True).click()
    page.wait_for_function("b => document.querySelector('#chart-distribution').src != b",
                           arg=before, timeout=30_000)
    page.get_by_text("Hikvision: lowest stock cover (steps of use)").first.wait_for()

    # drag the first factor slider's low handle to the right: fewer runs
    handle = page.locator(".v-slider__thumb-container").first
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function("() => !document.querySelector('.runs-shown').innerText"
                           ".startsWith('24 of')", timeout=30_000)
    n = int(page.locator(".runs-shown").inner_text().split()[0])
    assert 0 < n < 24
    page.screenshot(path=str(ARTIFACTS / "explore-filtered.png"), full_page=True)
