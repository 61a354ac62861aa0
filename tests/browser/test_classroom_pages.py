"""End to end: a class plays denial_order in Chromium against the real ``chokepoint classroom``.

One teacher, three students in separate browser contexts (separate cookies: US, and two in
ZTE's team), and a projector play the whole game; one student disconnects and comes back with
the address of their seat; the exported ZIP's series is checked row by row against
``chokepoint run`` with the same moves as events. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    chokepoint_run,
    choose,
    close_pages,
    free_port,
    new_page,
    require_chromium,
    stop_server,
)
from tests.servers import wait_until_serving

pytestmark = pytest.mark.browser
SCENARIO = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
TIMEOUT = 60_000


def serve_classroom(tmp_path_factory, name: str):
    """``chokepoint classroom`` on a fresh SQLite file; yields (base URL, teacher URL)."""
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"{name}-server.log"
    db = tmp_path_factory.mktemp(name) / "class.db"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "classroom", "--no-browser",
                             "--port", str(port), "--db", f"sqlite:///{db}"], cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base + "/join", log)
    teacher = re.search(r"(http://\S+/teacher\?token=\S+)", log.read_text()).group(1)
    yield base, teacher
    stop_server(proc)
    assert "Could not load URL" not in log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """The server of the whole-game test."""
    yield from serve_classroom(tmp_path_factory, "classroom")


@pytest.fixture(scope="module")
def timed_classroom(tmp_path_factory):
    """A server of its own for the timer test: its teacher page shows only the timed game."""
    yield from serve_classroom(tmp_path_factory, "classroom-timed")


def join(page: Page, base: str, code: str, team: str, nickname: str) -> str:
    page.goto(f"{base}/join?code={code}")
    page.get_by_label("Nickname (optional, no real names needed)").fill(nickname)
    choose(page, "Your team", team)
    page.locator(".join-button").click()
    expect(page.locator(".seat-banner")).to_be_visible(timeout=TIMEOUT)
    return page.url


def create_game(teacher: Page, seconds: int, start: bool = True) -> str:
    """Set the turn length (0: no timer), press Create game (the game opens in its lobby) and,
    with ``start``, Start; return the join code shown."""
    field = teacher.get_by_label("Turn length (seconds; 0: no timer)")
    field.fill(str(seconds))
    field.press("Enter")
    teacher.locator(".create-game").click()
    code_el = teacher.locator(".join-code")
    expect(code_el).to_have_text(re.compile(r"^[A-Z2-9]{8}$"), timeout=TIMEOUT)
    if start:
        teacher.locator(".start-button").click()
        expect(teacher.locator(".start-button")).to_have_count(0, timeout=TIMEOUT)
    return code_el.inner_text()


def lock_in(page: Page) -> None:
    page.locator(".lock-button").click()


def wait_step(page: Page, step: int) -> None:
    expect(page.locator("#chart-market-share")).to_have_attribute("data-step", str(step),
                                                                   timeout=TIMEOUT)


def test_a_class_plays_a_whole_game(classroom, browser, tmp_path):
    base, teacher_url = classroom
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(base + "/teacher?token=wrong")
        expect(teacher.get_by_text("needs the teacher's address")).to_be_visible(timeout=TIMEOUT)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        # an uploaded scenario: a broken one is refused with located errors, then a good one
        broken = tmp_path / "broken_lesson.yaml"
        broken.write_text(SCENARIO.read_text().replace("steps: 24", "steps: -3", 1))
        teacher.locator(".file-pick-input").set_input_files(str(broken))
        errors = teacher.locator(".upload-errors")
        expect(errors).to_contain_text("broken_lesson.yaml", timeout=TIMEOUT)
        expect(errors).to_contain_text("steps")
        lesson = tmp_path / "my_lesson.yaml"
        lesson.write_text(SCENARIO.read_text())
        teacher.locator(".file-pick-input").set_input_files(str(lesson))
        expect(teacher.get_by_text("uploaded: my_lesson.yaml")).to_be_visible(timeout=TIMEOUT)
        expect(errors).to_have_count(0)
        teacher.screenshot(path=str(ARTIFACTS / "classroom-teacher.png"), full_page=True)
        # teams: US and ZTE (China stays a bot); timer off
        teacher.locator(".v-select").filter(has_text="Teams played by students").first.click()
        teacher.get_by_role("option", name="CN", exact=True).click()
        teacher.keyboard.press("Escape")
        code = create_game(teacher, 0)

        projector = new_page(browser, guards)
        projector.goto(f"{base}/projector?code={code}")
        wait_step(projector, 0)
        us = new_page(browser, guards)
        join(us, base, code, "US", "us-team")
        zte1 = new_page(browser, guards)
        join(zte1, base, code, "ZTE", "zte-a")
        zte2 = new_page(browser, guards)
        seat_url = join(zte2, base, code, "ZTE", "zte-b")
        expect(teacher.locator(".seat-row").filter(has_text="ZTE: 2 student(s)")).to_be_visible(
            timeout=TIMEOUT)

        # turn 1: the US lists ZTE (the default target), ZTE stockpiles
        choose(us, "Move", "entity_list")
        us.locator(".move-submit").click()
        expect(us.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
        zte1.locator(".move-submit").click()  # stockpile (its first move), all components
        expect(zte1.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
        # the other ZTE student sees the team's pending move, the US does not
        expect(zte2.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        expect(us.locator(".pending-move")).to_have_count(1)
        us.locator(".seat-banner").scroll_into_view_if_needed()  # the page's top
        us.screenshot(path=str(ARTIFACTS / "classroom-team.png"), full_page=True)
        teacher.screenshot(path=str(ARTIFACTS / "classroom-teacher-game.png"), full_page=True)
        lock_in(us)
        expect(projector.locator(".team-done")).to_have_count(1, timeout=TIMEOUT)
        lock_in(zte1)
        for page in (projector, us, zte1, zte2):
            wait_step(page, 4)

        # one ZTE student disconnects, and comes back with their seat's address
        zte2.context.close()
        zte2 = new_page(browser, guards)
        zte2.goto(seat_url)
        expect(zte2.locator(".seat-banner")).to_be_visible(timeout=TIMEOUT)
        wait_step(zte2, 4)
        # the seat is kept in a cookie too: the join page without a seat in its address
        # brings this browser back to its team
        again = zte1.context.new_page()
        again.goto(f"{base}/join?code={code}")
        expect(again.locator(".seat-banner")).to_contain_text("team ZTE", timeout=TIMEOUT)
        wait_step(again, 4)
        again.close()

        for step in (8, 12, 16, 20, 24):
            lock_in(us)
            lock_in(zte2)
            for page in (projector, us, zte1, zte2):
                wait_step(page, step)
        expect(projector.locator(".leaderboard").first).to_be_visible(timeout=TIMEOUT)
        expect(projector.get_by_text("Every team's decisions")).to_be_visible(timeout=TIMEOUT)
        projector.wait_for_timeout(1500)
        projector.screenshot(path=str(ARTIFACTS / "classroom-projector.png"), full_page=True)

        debrief = new_page(browser, guards)
        debrief.goto(f"{base}/debrief?code={code}")
        expect(debrief.locator(".debrief-chart").first).to_be_visible(timeout=TIMEOUT)
        first = debrief.locator(".debrief-chart").first
        expect(first).to_have_attribute("data-turn", "6", timeout=TIMEOUT)
        whole = first.get_attribute("src")
        thumb = debrief.locator(".turn-scrubber [role=slider]")
        thumb.focus()
        thumb.press("Home")  # the scrubber to turn 1, then 2: the charts follow
        thumb.press("ArrowRight")
        expect(first).to_have_attribute("data-turn", "2", timeout=TIMEOUT)
        assert first.get_attribute("src") != whole
        expect(debrief.locator(".decisions")).to_contain_text("entity list")
        debrief.wait_for_timeout(1500)  # let the last render settle before the picture
        debrief.screenshot(path=str(ARTIFACTS / "classroom-debrief.png"), full_page=True)
        thumb.press("End")
        expect(first).to_have_attribute("data-turn", "6", timeout=TIMEOUT)
        with debrief.expect_download(timeout=TIMEOUT) as info:
            debrief.get_by_text("Export the game (ZIP)").click()
        zpath = tmp_path / "game.zip"
        info.value.save_as(zpath)
    finally:
        close_pages(guards)

    z = zipfile.ZipFile(zpath)
    moves = [m for m in csv.DictReader(io.StringIO(z.read("moves.csv").decode()))
             if m["actor"] in ("US", "ZTE")]  # the teams' (China's bot plays in both runs)
    assert [(m["turn"], m["actor"], m["move"], m["made_by"]) for m in moves] == [
        ("1", "US", "entity_list", "human"), ("1", "ZTE", "stockpile", "human")]
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["events"] = [{"at": int(m["step"]), "by": m["actor"], "move": m["move"],
                      **({"target": m["target"]} if m["target"] else {}),
                      **yaml.safe_load(m["parameters"])} for m in moves]
    # the teams' country and firm have no strategy: their moves are their whole timeline
    doc["countries"]["US"]["strategy"] = {"name": "scripted"}
    doc["firms"]["ZTE"]["strategy"] = {"name": "scripted"}
    events = tmp_path / "with_events.yaml"
    events.write_text(yaml.safe_dump(doc, sort_keys=False))
    ours = z.read("series.csv").decode().splitlines()
    theirs = chokepoint_run(events, tmp_path / "run.csv", "--seed", "1").decode().splitlines()
    assert len(ours) == len(theirs) > 1000
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"row {i}: {a} != {b}"


def seconds_left(page: Page) -> int:
    """The countdown's "m:ss left" in seconds."""
    text = page.locator(".countdown").first.inner_text()
    found = re.search(r"(\d+):(\d\d) left", text)
    assert found, text
    return int(found.group(1)) * 60 + int(found.group(2))


def test_the_countdown_counts_pauses_resumes_and_extends(timed_classroom, browser):
    """A timed game: the team's countdown counts down in the browser; the teacher's pause
    stops it on every page, resume goes on from where it stood, +1 minute adds 60 s."""
    base, teacher_url = timed_classroom
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        choose(teacher, "Turns advance", "timer")
        code = create_game(teacher, 300)
        team = new_page(browser, guards)
        join(team, base, code, "US", "timed")
        projector = new_page(browser, guards)
        projector.goto(f"{base}/projector?code={code}")
        expect(projector.locator(".countdown").first).to_contain_text("left", timeout=TIMEOUT)
        first = seconds_left(team)
        assert 280 <= first <= 300, first
        team.wait_for_timeout(3000)  # counted in the browser: no server redraw needed
        counted = seconds_left(team)
        assert 2 <= first - counted <= 5, (first, counted)

        teacher.get_by_role("button", name="Pause timer").click()
        for page in (team, projector, teacher):
            expect(page.locator(".countdown").first).to_contain_text("timer paused",
                                                                     timeout=TIMEOUT)
        paused = team.locator(".countdown").first.inner_text()
        team.wait_for_timeout(2500)
        assert team.locator(".countdown").first.inner_text() == paused  # stands still
        stood = int(re.search(r"(\d+):(\d\d)", paused).group(1)) * 60 + int(
            re.search(r"(\d+):(\d\d)", paused).group(2))
        assert 0 <= counted - stood <= 3, (counted, stood)

        teacher.get_by_role("button", name="Resume timer").click()
        expect(team.locator(".countdown").first).to_contain_text(" left", timeout=TIMEOUT)
        expect(team.locator(".countdown").first).not_to_contain_text("paused")
        resumed = seconds_left(team)
        assert 0 <= stood - resumed <= 3, (stood, resumed)  # from where it stood

        teacher.get_by_role("button", name="+1 minute").click()
        for page in (team, projector):  # each page redraws on its own, one after the other
            expect(page.locator(".countdown").first).to_have_text(
                re.compile(r"^[56]:\d\d left$"), timeout=TIMEOUT)
        extended = seconds_left(team)
        assert 55 <= extended - resumed <= 62, (resumed, extended)
        assert abs(seconds_left(projector) - extended) <= 2  # the projector shows the same
        team.screenshot(path=str(ARTIFACTS / "classroom-countdown.png"), full_page=True)
    finally:
        close_pages(guards, failed_ok=True)


def test_websockets_from_another_origin_are_refused(classroom):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    base, _ = classroom
    ws = base.replace("http://", "ws://") + "/jupyter/api/kernels/k1/channels?session_id=s1"
    with pytest.raises(InvalidStatus) as info:
        connect(ws, origin="http://evil.example", open_timeout=10)
    assert info.value.response.status_code == 403
    with connect(ws, origin=base, open_timeout=10):  # the page's own origin is let in
        pass
