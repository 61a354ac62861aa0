"""End to end: play hikvision_2019 in Chromium against the real ``chokepoint play`` server.

Every test runs in the offline-guarded context of conftest.py; screenshots of each stage go to
tests/artifacts/.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from sim import MoveCall, TradeModel, load_scenario
from sim.engine.output import csv_bytes
from tests.browser.conftest import ARTIFACTS, ROOT, chokepoint_run, choose

pytestmark = pytest.mark.browser
SCENARIO = ROOT / "scenarios" / "hikvision_2019.yaml"
TIMEOUT = 60_000


def menu_options(page: Page) -> list[str]:
    """The texts of the open Vuetify menu's options, once the menu has drawn them."""
    expect(page.get_by_role("option").first).to_be_visible(timeout=TIMEOUT)
    return [o.strip() for o in page.get_by_role("option").all_inner_texts()]


def uncheck(page: Page, label: str) -> None:
    """Untick a Vuetify checkbox by clicking its label (the ripple covers the input)."""
    box = page.get_by_label(label)
    if box.get_attribute("aria-checked") == "true":
        page.get_by_text(label, exact=True).click()
    expect(box).to_have_attribute("aria-checked", "false", timeout=TIMEOUT)


def start(page: Page, url: str, role: str, seed: int | None = None) -> None:
    page.goto(url)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    choose(page, "Your role", role)
    if seed is not None:
        field = page.get_by_label("Seed")
        field.fill(str(seed))
        field.press("Enter")
    page.get_by_role("button", name="Start the game").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "0",
                                                                   timeout=TIMEOUT)


def play_to_end(page: Page, horizon: int) -> None:
    uncheck(page, "Pause at the end of each turn")
    choose(page, "Speed", "as fast as possible")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.locator("#chart-market-price")).to_have_attribute(
        "data-step", str(horizon), timeout=TIMEOUT)
    expect(page.locator(".score-card")).to_be_visible(timeout=TIMEOUT)


def download_csv(page: Page, path) -> bytes:
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_text("Download the run (CSV)").click()
    info.value.save_as(path)
    return path.read_bytes()


def csv_of(model: TradeModel) -> bytes:
    return csv_bytes(model)


def test_setup_page_shows_scenario_roles_and_parameters(server, context):
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".prose").filter(has_text="May 2019.")).to_be_visible()
    expect(page.get_by_text("Hikvision's stockpile (weeks of use)", exact=True)).to_be_visible()
    # the slider's value and range are shown as text
    expect(page.locator(".slider-value").first).to_contain_text("(range ")
    page.locator(".v-select").filter(has_text="Your role").first.click()
    assert menu_options(page) == ["US", "CN", "Hikvision", "observe"]
    page.keyboard.press("Escape")
    page.screenshot(path=ARTIFACTS / "1_setup.png", full_page=True)


def test_play_a_role_moves_charts_news_and_download(server, context, tmp_path):
    page = context.new_page()
    start(page, server, "US")
    # the move panel offers exactly the role's moves
    page.locator(".v-select").filter(has_text="Move").first.click()
    assert menu_options(page) == ["announce", "entity_list", "delist", "general_license",
                                  "tariff", "procurement_ban"]
    page.get_by_role("option", name="entity_list", exact=True).click()
    # an invalid move is refused with the reason
    rate = page.get_by_label("license_rate (0–1)")
    rate.fill("5")
    rate.press("Enter")
    page.get_by_role("button", name="Make this move").click()
    expect(page.locator(".move-error")).to_contain_text("license_rate: must be at most 1",
                                                        timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "2_move_refused.png", full_page=True)
    # a valid one is queued and takes effect in the next step
    rate.fill("0.1")
    rate.press("Enter")
    page.get_by_role("button", name="Make this move").click()
    expect(page.locator(".move-ok")).to_contain_text("entity list Hikvision", timeout=TIMEOUT)
    page.get_by_role("button", name="End turn").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "13",
                                                                   timeout=TIMEOUT)
    expect(page.locator(".news-move").filter(has_text="Week 0: US adds Hikvision")).to_be_visible()
    expect(page.locator(".move-ok")).to_have_count(0)  # the confirmation went with the step
    page.screenshot(path=ARTIFACTS / "3_first_turn.png", full_page=True)

    horizon = load_scenario(SCENARIO).steps
    play_to_end(page, horizon)
    # the news narrates effects; charts carry the move's marker and the baseline overlay
    expect(page.locator(".news-effect").first).to_be_visible()
    page.get_by_role("button", name="Supply").click()
    cover = page.locator("#chart-stock-cover")
    expect(cover).to_have_attribute("data-step", str(horizon), timeout=TIMEOUT)
    expect(cover).to_have_attribute("data-overlay", "True")
    page.screenshot(path=ARTIFACTS / "4_finished_supply.png", full_page=True)
    uncheck(page, "Overlay the no-policy baseline")
    expect(cover).to_have_attribute("data-overlay", "False", timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "5_no_overlay.png", full_page=True)

    # the downloaded run equals the engine driven with the same submitted move
    got = download_csv(page, tmp_path / "run.csv")
    model = TradeModel(scenario=load_scenario(SCENARIO), players=("US",))
    model.submit(MoveCall("US", "entity_list", "Hikvision", {"license_rate": 0.1}))
    model.run()
    assert got == csv_of(model)
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_text("stock-cover.png").click()
    png = tmp_path / "cover.png"
    info.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_observer_download_equals_chokepoint_run(server, context, tmp_path):
    page = context.new_page()
    start(page, server, "observe", seed=7)
    expect(page.locator(".game-status")).to_contain_text("seed 7")
    play_to_end(page, load_scenario(SCENARIO).steps)
    page.screenshot(path=ARTIFACTS / "6_observer_finished.png", full_page=True)
    got = download_csv(page, tmp_path / "page.csv")
    assert got == chokepoint_run(SCENARIO, tmp_path / "cli.csv", "--seed", "7")


def test_two_tabs_do_not_see_each_others_moves(server, context):
    first, second = context.new_page(), context.new_page()
    start(first, server, "US")
    start(second, server, "US")
    first.locator(".v-select").filter(has_text="Move").first.click()
    first.get_by_role("option", name="entity_list", exact=True).click()
    first.get_by_role("button", name="Make this move").click()
    expect(first.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
    first.get_by_role("button", name="Step", exact=True).click()
    expect(first.locator("#chart-market-price")).to_have_attribute("data-step", "1",
                                                                    timeout=TIMEOUT)
    second.get_by_role("button", name="Step", exact=True).click()
    expect(second.locator("#chart-market-price")).to_have_attribute("data-step", "1",
                                                                     timeout=TIMEOUT)
    expect(first.locator(".news-feed")).to_contain_text("US adds Hikvision")
    expect(second.locator(".news-feed")).not_to_contain_text("US adds Hikvision")
    expect(second.locator(".move-ok")).to_have_count(0)
    second.screenshot(path=ARTIFACTS / "7_second_tab.png", full_page=True)


def test_uploaded_bad_scenario_is_refused_with_line_numbers(server, context, tmp_path):
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    bad = tmp_path / "pasted.yaml"
    bad.write_text(SCENARIO.read_text().replace("steps: 156", "steps: -3"))
    page.get_by_text("or paste a scenario's YAML").click()
    page.get_by_label("Scenario YAML").fill(bad.read_text())
    page.get_by_role("button", name="Use the pasted scenario").click()
    # the same located problems `chokepoint validate` prints
    cli = subprocess.run([sys.executable, "-m", "sim", "validate", "pasted.yaml"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert cli.returncode == 2 and cli.stderr.startswith("pasted.yaml:22:1: steps:")
    errors = page.locator(".upload-errors pre")
    expect(errors).to_have_text(cli.stderr.strip(), timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "8_upload_refused.png", full_page=True)


def test_a_scenario_file_can_be_chosen_from_the_keyboard(server, context, tmp_path):
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    picker = page.locator("input.file-pick-input[type=file]")
    picker.focus()  # a native file input: Tab reaches it, Enter or Space opens the dialog
    assert page.evaluate("document.activeElement.classList.contains('file-pick-input')")
    mine = tmp_path / "my_case.yaml"
    mine.write_text(SCENARIO.read_text().replace("name: Hikvision 2019", "name: My own case"))
    assert "My own case" in mine.read_text()
    picker.set_input_files(mine)
    expect(page.get_by_text("My own case")).to_be_visible(timeout=TIMEOUT)
    big = tmp_path / "huge.yaml"
    big.write_text("#" * 1_100_000)
    picker.set_input_files(big)
    expect(page.locator(".upload-errors pre")).to_contain_text(
        "huge.yaml: cannot read it, or it is larger than 1,000,000 bytes (1,100,000 bytes)",
        timeout=TIMEOUT)


def no_horizontal_overflow(page: Page) -> None:
    over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert over <= 0, f"{over} px of horizontal overflow"


@pytest.mark.parametrize("width,height,name", [(400, 800, "phone"), (1280, 720, "laptop")])
def test_phone_and_laptop_have_no_horizontal_overflow(server, context, width, height, name):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    start(page, server, "US")
    page.get_by_role("button", name="End turn").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "13",
                                                                   timeout=TIMEOUT)
    no_horizontal_overflow(page)
    feed = page.locator(".news-feed")
    expect(feed).to_have_attribute("aria-live", "polite")
    if name == "laptop":  # the news is on screen without scrolling
        box = feed.bounding_box()
        assert box is not None and box["y"] < height, box
    else:  # stacked: the side column is as wide as the page, the charts below it
        side = page.locator(".game-columns > .side").bounding_box()
        chart = page.locator("#chart-market-price").bounding_box()
        assert side and chart and side["width"] > 0.8 * width and chart["y"] > side["y"]
    page.screenshot(path=ARTIFACTS / f"7_{name}.png", full_page=name == "phone")


def test_impossible_move_refused_before_step_reset_asks_and_replay_zip(server, context,
                                                                       tmp_path):
    import zipfile

    page = context.new_page()
    start(page, server, "US")
    choose(page, "Move", "delist")  # nobody is listed yet: nothing to delist
    expect(page.locator(".move-none")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Make this move")).to_be_disabled()
    choose(page, "Move", "entity_list")
    page.get_by_role("button", name="Make this move").click()
    expect(page.locator(".queued")).to_have_count(1, timeout=TIMEOUT)
    page.locator(".cancel-move").click()
    expect(page.locator(".queued")).to_have_count(0, timeout=TIMEOUT)
    page.get_by_role("button", name="Make this move").click()
    page.get_by_role("button", name="End turn").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "13",
                                                                   timeout=TIMEOUT)
    expect(page.locator(".hint").first).to_contain_text("in history, US")
    page.screenshot(path=ARTIFACTS / "8_score_and_hints.png", full_page=True)
    page.get_by_role("button", name="Reset").click()
    expect(page.locator(".reset-confirm")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Keep playing").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "13")
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_text("Download your game (ZIP)").click()
    info.value.save_as(tmp_path / "game.zip")
    with zipfile.ZipFile(tmp_path / "game.zip") as z:
        z.extractall(tmp_path)
    replayed = chokepoint_run(tmp_path / "replay.yaml", tmp_path / "replayed.csv", "--seed",
                              str(load_scenario(SCENARIO).seed), "--steps", "13")
    assert replayed == (tmp_path / "run.csv").read_bytes()
