"""End to end: a class in two groups in Chromium against the real ``chokepoint classroom``.

The teacher creates a class of two groups from the create form; four students join with the
class's code and are seated two by two; the overview shows each group's turn, who has locked
in and the scores, and follows a turn in group 1 while group 2 waits; a student's browser that
comes back to the class's address lands on its seat; the projector's view of the overview has
no controls; the teacher resolves every group at once; the comparison shows the groups side by
side and exports the class. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, choose, close_pages, new_page
from tests.browser.test_classroom_pages import TIMEOUT, serve_classroom

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    yield from serve_classroom(tmp_path_factory, "classroom-groups")


def join_class(page: Page, base: str, code: str, nickname: str, typed: bool = False) -> str:
    """Join the class (at its address, or ``typed`` at /join); return the team the banner
    names."""
    if typed:  # the nickname first: the class's join keeps it
        page.goto(f"{base}/join")
        page.get_by_label("Nickname (optional, no real names needed)").fill(nickname)
        page.get_by_label("Join code").fill(code.lower())
        expect(page.locator(".class-join-button")).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_label("Nickname (optional, no real names needed)")).to_have_value(
            nickname)
    else:
        page.goto(f"{base}/join?code={code}")
        page.get_by_label("Nickname (optional, no real names needed)").fill(nickname)
    page.locator(".class-join-button").click()
    banner = page.locator(".seat-banner")
    expect(banner).to_be_visible(timeout=TIMEOUT)
    return re.search(r"You are team (\S+) ", banner.inner_text()).group(1)


def group(overview: Page, number: int):
    return overview.locator(f".group-{number}")


def test_a_class_in_two_groups(classroom, browser, tmp_path):
    base, teacher_url = classroom
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        choose(teacher, "Scenario", "lesson: denial_order")
        teacher.locator(".v-select").filter(has_text="Teams played by students").first.click()
        teacher.get_by_role("option", name="CN", exact=True).click()
        teacher.keyboard.press("Escape")
        choose(teacher, "Groups (several worlds in one room)", "a number of groups")
        count = teacher.get_by_label("How many groups")
        count.fill("2")
        count.press("Enter")
        field = teacher.get_by_label("Turn length (seconds; 0: no timer)")
        field.fill("0")
        field.press("Enter")
        teacher.locator(".create-game").click()
        link = teacher.locator(".class-link")
        expect(link).to_contain_text("2 groups", timeout=TIMEOUT)
        teacher.screenshot(path=str(ARTIFACTS / "classroom-groups-teacher.png"), full_page=True)

        overview = new_page(browser, guards)
        overview.goto(base + link.get_attribute("href"))
        expect(overview.locator(".group-card")).to_have_count(2, timeout=TIMEOUT)
        code = overview.locator(".class-code").inner_text()
        assert re.fullmatch(r"[A-Z2-9]{8}", code)

        students = {}
        for i in range(4):
            page = new_page(browser, guards)
            team = join_class(page, base, code, f"student-{i}", typed=i == 3)
            students[i] = (page, team)
        # seated two by two: group 1 US, group 2 US, group 1 ZTE, group 2 ZTE
        assert [students[i][1] for i in range(4)] == ["US", "US", "ZTE", "ZTE"]
        for n in (1, 2):
            card = group(overview, n)
            for role in ("US", "ZTE"):
                expect(card.locator(f"[data-role={role}]")).to_contain_text(
                    "1 student", timeout=TIMEOUT)
            expect(card.locator(".group-state")).to_have_attribute("data-turn", "1")
        # every group waits in its lobby until the teacher starts them all from the overview
        start = overview.locator(".start-all")
        expect(start).to_contain_text("2 in the lobby", timeout=TIMEOUT)
        overview.screenshot(path=str(ARTIFACTS / "classroom-groups-lobby.png"), full_page=True)
        start.click()
        expect(start).to_have_count(0, timeout=TIMEOUT)
        us1, zte1 = students[0][0], students[2][0]
        assert students[0][0].url != students[1][0].url
        before = group(overview, 1).locator("[data-role=ZTE] .group-score").inner_text()

        # group 1: the US lists ZTE and locks in; the overview shows the lock-in
        choose(us1, "Move", "entity_list")
        us1.locator(".move-submit").click()
        expect(us1.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
        expect(us1.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        us1.locator(".lock-button").click()
        expect(us1.locator(".locked-in")).to_be_visible(timeout=TIMEOUT)
        state = group(overview, 1).locator(".group-state")
        expect(state).to_have_attribute("data-locked", "US", timeout=TIMEOUT)
        expect(group(overview, 1).locator("[data-role=US] .lock-state")).to_have_text(
            "✔ locked in")
        expect(group(overview, 2).locator(".group-state")).to_have_attribute("data-locked", "")
        overview.screenshot(path=str(ARTIFACTS / "classroom-groups-overview-locked.png"),
                            full_page=True)
        # ZTE locks in: group 1's turn resolves, its scores move; group 2 waits
        zte1.locator(".lock-button").click()
        expect(state).to_have_attribute("data-turn", "2", timeout=TIMEOUT)
        expect(state).to_have_attribute("data-locked", "")
        expect(group(overview, 1).locator(".group-turn")).to_have_text("turn 2 of 6")
        expect(group(overview, 1).locator("[data-role=ZTE] .group-score")).not_to_have_text(
            before, timeout=TIMEOUT)
        expect(group(overview, 2).locator(".group-state")).to_have_attribute("data-turn", "1")
        expect(group(overview, 2).locator("[data-role=ZTE] .group-score")).to_have_text(before)
        overview.wait_for_timeout(1000)
        overview.screenshot(path=str(ARTIFACTS / "classroom-groups-overview.png"),
                            full_page=True)

        # a student's browser back at the class's address lands on its own seat
        seat_url = us1.url
        again = us1.context.new_page()
        again.goto(f"{base}/join?code={code}")
        expect(again.locator(".seat-banner")).to_contain_text("team US", timeout=TIMEOUT)
        expect(again).to_have_url(seat_url, timeout=TIMEOUT)
        again.close()

        # the projector's view: the same groups, no token, no controls
        projector = new_page(browser, guards)
        projector.goto(base + overview.locator(".projector-link").get_attribute("href"))
        expect(projector.locator(".group-card")).to_have_count(2, timeout=TIMEOUT)
        expect(projector.locator(".resolve-all")).to_have_count(0)
        expect(projector.get_by_role("button", name="Resolve now")).to_have_count(0)
        # the teacher resolves every group at once (the teams' bots play)
        overview.locator(".resolve-all").click()
        expect(state).to_have_attribute("data-turn", "3", timeout=TIMEOUT)
        expect(projector.locator(".group-1 .group-state")).to_have_attribute(
            "data-turn", "3", timeout=TIMEOUT)
        expect(group(overview, 2).locator(".group-state")).to_have_attribute(
            "data-turn", "2", timeout=TIMEOUT)

        compare = new_page(browser, guards)
        compare.goto(base + overview.locator(".compare-link").get_attribute("href"))
        expect(compare.locator(".compare-chart")).to_have_count(4, timeout=TIMEOUT)
        scores = compare.locator(".compare-scores")
        expect(scores).to_contain_text("group 2")
        expect(scores).to_contain_text("mean")
        expect(compare.locator(".participants")).to_contain_text("student-3")
        compare.wait_for_timeout(1000)
        compare.screenshot(path=str(ARTIFACTS / "classroom-groups-compare.png"), full_page=True)
        # every group's whole export (all its charts drawn) and the comparison's: the
        # slowest click of the class (minutes on a busy 2-core machine)
        with compare.expect_download(timeout=4 * TIMEOUT) as info:
            compare.get_by_text("Export the class (ZIP)").click()
        zpath = tmp_path / "class.zip"
        info.value.save_as(zpath)
    finally:
        close_pages(guards)

    with zipfile.ZipFile(zpath) as z:
        people = list(csv.DictReader(io.StringIO(z.read("participants.csv").decode())))
        scores_rows = list(csv.DictReader(io.StringIO(z.read("scores.csv").decode())))
    assert sorted(p["nickname"] for p in people) == [f"student-{i}" for i in range(4)]
    turns = {r["group"]: r["turn"] for r in scores_rows}
    assert turns == {"1": "3", "2": "2"}
