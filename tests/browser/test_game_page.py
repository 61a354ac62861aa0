"""End to end (docs/model.md, "Game rules"; docs/play.md): live ECharts charts, chance events,
a move limit, the redesign move, the position panel and the debrief, in Chromium against the
real ``chokepoint play`` server (offline-guarded context of conftest.py). Screenshots go to
tests/artifacts/ (and docs/ with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sim import MOVES, TradeModel, load_scenario
from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    choose,
    require_chromium,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.browser
# docs/play.md's screenshots are taken here; they are written to docs/ only when asked
# (UPDATE_SCREENSHOTS=1), so that a test run leaves the working tree as it was
DOCS = ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ARTIFACTS
TEXT = (ROOT / "scenarios" / "hikvision_2019.yaml").read_text()
US_ROLE = ("  US: {moves: [announce, entity_list, delist, general_license, tariff, "
           "procurement_ban]}")
TIMEOUT = 90_000


def surprise_text() -> str:
    """hikvision_2019 with the US listing of Hikvision at 50% and the US limited to one move a
    turn."""
    assert "{id: listing, " in TEXT and US_ROLE in TEXT
    return (TEXT.replace("{id: listing, ", "{id: listing, chance: 0.5, ")
            .replace(US_ROLE, US_ROLE[:-1] + ", moves_per_turn: 1}"))


@pytest.fixture(scope="module")
def surprise(tmp_path_factory):
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path_factory.mktemp("sc") / "hikvision_surprise.yaml"
    path.write_text(surprise_text())
    proc, url = start_server(ARTIFACTS / "server_game.log", str(path))
    yield url, path
    stop_server(proc)


def choose_move(page: Page, move: str) -> None:
    """Pick a move and wait for its form (its first paragraph) before anything is clicked."""
    choose(page, "Move", move)
    # the form's first paragraph, as the page shows it (its lines joined)
    first = " ".join(MOVES[move].doc().split("\n\n")[0].split())
    expect(page.get_by_text(first, exact=True)).to_be_visible(timeout=TIMEOUT)


def start(page: Page, url: str, role: str, seed: int | None = None,
          scenario: str | None = None) -> None:
    page.goto(url)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    if scenario is not None:
        choose(page, "Scenario", f"{scenario}.yaml")
        expect(page.get_by_text(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml").name,
                                exact=False).first).to_be_visible(timeout=TIMEOUT)
    choose(page, "Your role", role)
    if seed is not None:
        field = page.get_by_label("Seed", exact=False)
        field.fill(str(seed))
        field.press("Enter")
    page.get_by_role("button", name="Start the game").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-drawn", "0",
                                                                   timeout=TIMEOUT)


def chart_state(page: Page, key: str) -> dict:
    """The drawn chart's state, read from its ECharts instance."""
    return page.evaluate("""(key) => {
      const chart = document.querySelector('#chart-' + key).__chart;
      const o = chart.getOption();
      const y = chart.getModel().getComponent('yAxis').axis.scale.getExtent();
      const values = o.series.flatMap(s => s.data).filter(v => v !== null && v !== undefined);
      return {series: o.series.length, zoom: o.dataZoom.map(z => z.type),
              tooltip: o.tooltip[0].trigger, ylo: y[0], yhi: y[1],
              lo: Math.min(...values), hi: Math.max(...values),
              selected: o.legend[0].selected, start: o.dataZoom[0].start,
              marks: (o.series[0].markLine || {data: []}).data.length,
              legendRight: chart.getModel().getComponent('legend').get('right'),
              legendOrient: chart.getModel().getComponent('legend').get('orient')};
    }""", key)


def end_turn(page: Page, drawn: int) -> None:
    page.get_by_role("button", name="End turn").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-drawn", str(drawn),
                                                                   timeout=TIMEOUT)


def test_charts_fit_after_a_flat_start_hover_zoom_legend_survive(server, context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 720})
    start(page, server, "US")
    choose_move(page, "entity_list")
    page.get_by_role("button", name="Make this move").click()
    page.get_by_role("button", name="Finance").click()
    price = page.locator("#chart-share-price")
    expect(price).to_have_attribute("data-drawn", "0", timeout=TIMEOUT)
    page.get_by_role("button", name="Step", exact=True).click()  # first drawn flat (100)
    expect(price).to_have_attribute("data-drawn", "1", timeout=TIMEOUT)
    for n in (13, 26, 39, 52):
        page.get_by_role("button", name="End turn").click()
        expect(price).to_have_attribute("data-drawn", str(n), timeout=TIMEOUT)
    state = chart_state(page, "share-price")
    assert state["hi"] - state["lo"] > 10  # prices moved well away from 100
    assert state["ylo"] <= state["lo"] and state["yhi"] >= state["hi"], state
    assert state["tooltip"] == "axis" and sorted(state["zoom"]) == ["inside", "slider"]
    assert state["marks"] >= 1  # the listing is a marker line
    # hover shows the values at a date
    price.scroll_into_view_if_needed()
    box = price.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    tip = price.locator("div").filter(has_text="Hikvision").last
    expect(tip).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "11_hover.png")
    page.set_viewport_size({"width": 1280, "height": 1500})  # the whole page, for docs/play.md
    page.evaluate("""() => { window.scrollTo(0, 0);
      document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; }); }""")
    box = price.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.screenshot(path=DOCS / "play_laptop.png")
    page.set_viewport_size({"width": 1280, "height": 720})
    # a legend click hides a series, a zoom narrows the window; both survive the next turn
    page.evaluate("""() => {
      const c = document.querySelector('#chart-share-price').__chart;
      c.dispatchAction({type: 'legendUnSelect', name: 'Dahua'});
      c.dispatchAction({type: 'dataZoom', start: 10, end: 60});
    }""")
    page.get_by_role("button", name="End turn").click()
    expect(price).to_have_attribute("data-drawn", "65", timeout=TIMEOUT)
    state = chart_state(page, "share-price")
    assert state["selected"].get("Dahua") is False and state["start"] == 10, state
    page.screenshot(path=ARTIFACTS / "12_zoom_legend.png")
    # the data table is the chart's alternative
    price.locator("xpath=..").get_by_role("button", name="Show the data as a table").click()
    expect(page.locator(".data-table table")).to_contain_text("Hikvision", timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "17_data_table.png")


def test_phone_puts_the_legend_below_the_plot(server, context):
    page = context.new_page()
    page.set_viewport_size({"width": 400, "height": 800})
    start(page, server, "Hikvision")
    end_turn(page, 13)
    state = chart_state(page, "market-price")
    assert state["legendOrient"] == "horizontal", state
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate("document.documentElement.lang") == "en"
    page.locator("#chart-market-price").scroll_into_view_if_needed()
    page.screenshot(path=DOCS / "play_phone.png")


def listing_happens(path: Path, seed: int) -> bool:
    model = TradeModel(scenario=load_scenario(path), rng=seed).run()
    return any(e.call.move == "entity_list" and e.call.target == "Hikvision"
               and e.call.actor == "US" for e in model.log)


def test_chance_event_follows_the_seed_in_the_page(surprise, context):
    url, path = surprise
    outcomes = {seed: listing_happens(path, seed) for seed in range(10)}
    miss = next(s for s, hit in outcomes.items() if not hit)
    hit = next(s for s, hit in outcomes.items() if hit)
    sc = load_scenario(path)
    week = sc.step_of(next(e for e in sc.events if e.id == "listing").at)
    page = context.new_page()
    for seed, happened in ((miss, False), (hit, True), (miss, False)):
        start(page, url, "observe", seed)
        expect(page.locator(".timeline-item").filter(has_text="chance 50%")).to_have_count(
            1, timeout=TIMEOUT)
        target = -(-(week + 1) // 13) * 13
        for n in range(13, target + 1, 13):
            end_turn(page, n)
        news = page.locator(".news-item")
        if happened:
            expect(news.filter(has_text="adds Hikvision")).to_have_count(1, timeout=TIMEOUT)
        else:
            expect(news.filter(has_text="did not happen (it had a 50% chance)")).to_have_count(
                1, timeout=TIMEOUT)
            page.screenshot(path=ARTIFACTS / "13_chance_missed.png", full_page=True)
        page.get_by_role("button", name="New game").click()


def test_a_conditional_reply_is_coming_up_only_if_its_cause_comes(server, context):
    """chip_controls_2022's gallium notice answers a US export control (``when:``): "Coming
    up" says so until the control took effect in week 13, then what it answers."""
    page = context.new_page()
    start(page, server, "observe", scenario="chip_controls_2022")
    notice = page.locator(".timeline-item").filter(
        has_text="CN export control gallium (license_rate 0.0, delay 4)")
    expect(notice).to_contain_text("— if an export control by US is made first",
                                   timeout=TIMEOUT)
    notice.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "18_conditional_coming_up.png", full_page=True)
    end_turn(page, 13)
    expect(notice).to_contain_text("— if an export control by US is made first")
    end_turn(page, 26)  # the US controls of 2022-10-07 took effect in week 13
    expect(notice).to_contain_text("— answering an export control by US", timeout=TIMEOUT)
    expect(page.locator(".timeline-item").filter(has_text="license_rate 0.27")).to_contain_text(
        "— if an export control by CN on gallium is made first")
    page.screenshot(path=ARTIFACTS / "18_conditional_answering.png", full_page=True)


def test_replies_waiting_for_their_cause_are_counted_apart(server, context):
    """Playing the US in chip_controls_2022, China's gallium replies to a US export control are
    hidden (their dates are China's), and may never be made: "Coming up" counts them apart."""
    page = context.new_page()
    start(page, server, "US", scenario="chip_controls_2022")
    hidden = page.locator(".timeline-hidden")
    expect(hidden).to_contain_text("unannounced replies by others, made only if what they "
                                   "answer happens first", timeout=TIMEOUT)
    hidden.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "18_hidden_replies.png", full_page=True)


def test_move_limit_refuses_the_second_move_of_a_turn(surprise, context):
    url, _ = surprise
    page = context.new_page()
    start(page, url, "US")
    expect(page.locator(".moves-left")).to_have_text("Moves this turn: 0 of 1",
                                                     timeout=TIMEOUT)
    choose_move(page, "announce")
    expect(page.locator(".move-cost")).to_contain_text("escalation", timeout=TIMEOUT)
    page.get_by_role("button", name="Make this move").click()
    expect(page.locator(".queued")).to_have_count(1, timeout=TIMEOUT)
    choose_move(page, "tariff")
    expect(page.locator(".move-limit")).to_contain_text("at most 1 move per turn",
                                                        timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Make this move")).to_be_disabled()
    page.screenshot(path=ARTIFACTS / "14_move_limit.png", full_page=True)
    end_turn(page, 13)
    expect(page.locator(".moves-left")).to_have_text("Moves this turn: 0 of 1")
    expect(page.locator(".move-limit")).to_have_count(0)
    expect(page.get_by_role("button", name="Make this move")).to_be_enabled()


def test_redesign_and_position_and_debrief_with_three_decisions(server, context):
    page = context.new_page()
    start(page, server, "Hikvision")
    expect(page.locator(".position")).to_contain_text("stock cover", timeout=TIMEOUT)
    choose_move(page, "redesign")
    expect(page.locator(".move-cost")).to_contain_text("money (profit summed)",
                                                       timeout=TIMEOUT)
    page.get_by_role("button", name="Make this move").click()
    end_turn(page, 13)
    expect(page.locator(".news-move").filter(has_text="starts redesigning")).to_have_count(
        1, timeout=TIMEOUT)
    expect(page.locator(".position")).to_contain_text("Under way: redesign")
    page.screenshot(path=ARTIFACTS / "15_redesign_position.png", full_page=True)
    choose_move(page, "stockpile")
    page.get_by_role("button", name="Make this move").click()
    end_turn(page, 26)
    choose_move(page, "redesign")  # the first component is being redesigned: the next one
    page.get_by_role("button", name="Make this move").click()
    end_turn(page, 39)
    # the default lag is 26 steps: the first redesign shipped in week 26
    expect(page.locator(".news-move").filter(has_text="redesigned product ships")).to_have_count(
        1, timeout=TIMEOUT)
    page.locator(".v-select").filter(has_text="Speed").first.click()
    page.get_by_role("option", name="as fast as possible", exact=True).click()
    page.get_by_text("Pause at the end of each turn", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).click()
    horizon = load_scenario(ROOT / "scenarios" / "hikvision_2019.yaml").steps
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", str(horizon),
                                                                   timeout=TIMEOUT)
    debrief = page.locator(".debrief")
    expect(debrief).to_contain_text("As Hikvision you made 3 moves", timeout=TIMEOUT)
    page.get_by_role("button", name="Work them out").click()
    expect(page.locator(".decision")).to_have_count(3, timeout=TIMEOUT)
    texts = page.locator(".decision").all_inner_texts()
    moves = sorted(t.split(" (")[0][3:].split(" ")[0] for t in texts)
    assert moves == ["redesign", "redesign", "stockpile"], texts
    debrief.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "16_debrief.png", full_page=True)


def test_save_the_game_then_load_it_and_play_on(server, context, tmp_path):
    """Save mid-game (the download), start again, load the file: the same step, the same
    queued move, the same charts; a forged file is refused with the place."""
    page = context.new_page()
    start(page, server, "US", seed=5)
    choose_move(page, "announce")
    page.get_by_role("button", name="Make this move").click()
    end_turn(page, 13)
    choose_move(page, "tariff")
    page.get_by_role("button", name="Make this move").click()
    expect(page.locator(".queued")).to_have_count(1, timeout=TIMEOUT)
    before = chart_state(page, "market-price")
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="Save the game").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.endswith("_US_week13.game.yaml")
    page.get_by_role("button", name="New game").click()
    picker = page.locator("input.file-pick-input[type=file]")
    forged = tmp_path / "forged.game.yaml"
    head, scenario = saved.read_text().split("\nscenario:", 1)  # forge the moves, not the file
    forged.write_text(head.replace("move: announce", "move: stockpile") + "\nscenario:" + scenario)
    picker.set_input_files(forged)
    expect(page.locator(".upload-errors")).to_contain_text(
        "forged.game.yaml:", timeout=TIMEOUT)
    expect(page.locator(".upload-errors")).to_contain_text("moves.0: refused: US may not "
                                                           "make 'stockpile'")
    picker.set_input_files(saved)
    expect(page.locator(".game-status")).to_contain_text("playing US · medium · seed 5",
                                                         timeout=TIMEOUT)
    expect(page.locator("#chart-market-price")).to_have_attribute("data-drawn", "13",
                                                                   timeout=TIMEOUT)
    expect(page.locator(".queued")).to_have_count(1)
    expect(page.locator(".queued")).to_contain_text("tariff CN")
    after = chart_state(page, "market-price")
    assert (after["lo"], after["hi"], after["marks"]) == (before["lo"], before["hi"],
                                                          before["marks"])
    page.screenshot(path=ARTIFACTS / "17_loaded_game.png", full_page=True)
    end_turn(page, 26)
    expect(page.locator(".news-move").filter(has_text="US sets a 25% tariff")).to_have_count(
        1, timeout=TIMEOUT)
