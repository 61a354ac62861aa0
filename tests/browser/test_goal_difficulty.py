"""End to end: the goal card, the difficulty selector and the move cost's range on the real
``chokepoint play`` server (play page) and ``chokepoint classroom`` (create form, team page,
debrief). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, choose, close_pages, new_page
from tests.browser.test_classroom_pages import (
    create_game,
    join,
    lock_in,
    serve_classroom,
    wait_step,
)
from tests.browser.test_play import TIMEOUT

pytestmark = pytest.mark.browser


def start(page: Page, url: str, role: str, level: str) -> None:
    page.goto(url)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    choose(page, "Your role", role)
    choose(page, "Difficulty", level)
    expect(page.locator(".difficulty-help")).to_contain_text(level, timeout=TIMEOUT)
    page.get_by_role("button", name="Start the game").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "0",
                                                                   timeout=TIMEOUT)


def test_easy_game_shows_the_goal_its_target_and_a_cost_range(server, context):
    page = context.new_page()
    start(page, server, "US", "easy")
    expect(page.locator(".game-status")).to_contain_text("playing US · easy", timeout=TIMEOUT)
    goal = page.locator(".goal-panel")
    expect(goal).to_contain_text("Your goal as US")
    expect(goal).to_contain_text("Deny CN's firms (Hikvision and Dahua)")
    expect(goal.locator(".goal-parts li")).to_have_count(5)
    expect(goal.locator(".goal-parts")).to_be_hidden()  # folded: one click away
    goal.get_by_text("What the score is made of").click()
    expect(goal.locator(".goal-parts li").first).to_contain_text("security (weight 0.38)")
    # history's score arrives from its thread: "+3.71 points, what US really did"
    expect(goal.locator(".goal-target")).to_contain_text(
        re.compile(r"Target to beat: [+-]\d+\.\d\d points, what US really did"),
        timeout=TIMEOUT)
    cost = page.locator(".move-cost")
    expect(cost).to_contain_text("over 8 draws of the future", timeout=TIMEOUT)
    expect(cost).to_contain_text(re.compile(r"your score [+-][\d.e-]+ \([+-][\d.e-]+ to "
                                            r"[+-][\d.e-]+\)"))
    expect(page.locator(".difficulty-note")).to_have_count(0)
    cost.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "21_goal_easy_cost_range.png")


def test_hard_plays_the_shipped_opponents_or_says_it_plays_medium(server, context):
    page = context.new_page()
    start(page, server, "US", "hard")
    expect(page.locator(".game-status")).to_contain_text("playing US · hard", timeout=TIMEOUT)
    expect(page.locator(".difficulty-note")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "22_hard_us.png", full_page=True)
    other = context.new_page()
    start(other, server, "Hikvision", "hard")
    expect(other.locator(".game-status")).to_contain_text("playing Hikvision · medium",
                                                          timeout=TIMEOUT)
    expect(other.locator(".difficulty-note")).to_contain_text(
        "Hard is not available here (its hard file has no entry for Hikvision)")
    expect(other.locator(".goal-panel")).to_contain_text(
        "Keep Hikvision making and selling cameras at a profit")
    expect(other.locator(".goal-target")).to_contain_text("has no history", timeout=TIMEOUT)
    other.screenshot(path=ARTIFACTS / "23_hard_fallback_note.png", full_page=True)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    yield from serve_classroom(tmp_path_factory, "classroom-goal")


def test_classroom_difficulty_goal_on_team_page_and_debrief(classroom, browser):
    base, teacher_url = classroom
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        # teams: US and ZTE (China stays a bot, scripted at easy)
        teacher.locator(".v-select").filter(has_text="Teams played by students").first.click()
        teacher.get_by_role("option", name="CN", exact=True).click()
        teacher.keyboard.press("Escape")
        choose(teacher, "Difficulty", "easy")
        expect(teacher.locator(".difficulty-help")).to_contain_text("history as scripted")
        teacher.screenshot(path=ARTIFACTS / "24_classroom_create_difficulty.png",
                           full_page=True)
        code = create_game(teacher, 0)
        expect(teacher.get_by_text(re.compile(r"· easy"))).to_be_visible(timeout=TIMEOUT)
        us = new_page(browser, guards)
        join(us, base, code, "US", "ana")
        goal = us.locator(".goal-panel")
        expect(goal).to_contain_text("Your goal as US", timeout=TIMEOUT)
        expect(goal.locator(".goal-target")).to_contain_text(
            re.compile(r"Target to beat: ([+-]\d+\.\d\d|0) points"), timeout=TIMEOUT)
        us.screenshot(path=ARTIFACTS / "25_team_goal.png", full_page=True)
        zte = new_page(browser, guards)
        join(zte, base, code, "ZTE", "ben")
        for step in (4, 8, 12, 16, 20, 24):
            lock_in(us)
            lock_in(zte)
            wait_step(us, step)
        debrief = new_page(browser, guards)
        debrief.goto(f"{base}/debrief?code={code}")
        panels = debrief.locator(".goal-panel")
        expect(panels).to_have_count(2, timeout=TIMEOUT)
        expect(panels.filter(has_text="US's goal")).to_contain_text(
            re.compile(r"Scored [+-]\d+\.\d\d points: (above|below|level with) the target"),
            timeout=TIMEOUT)
        debrief.screenshot(path=ARTIFACTS / "26_debrief_goals.png", full_page=True)
    finally:
        close_pages(guards)
