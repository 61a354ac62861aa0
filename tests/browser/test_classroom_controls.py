"""Every teacher control, team control and projector state of the classroom, clicked in
Chromium against the real ``chokepoint classroom``: the lobby and Start, Broadcast, Lock room,
a freed seat, a phone-sized team page, End game; and a page whose server restarts comes back
by itself to the same seat. Screenshots go to tests/artifacts/ (docs/classroom/ keeps some)."""

from __future__ import annotations

import csv
import io
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ARTIFACTS,
    choose,
    close_pages,
    free_port,
    new_page,
    require_chromium,
)
from tests.browser.test_classroom_pages import TIMEOUT, create_game, join, wait_step
from tests.browser.test_game_page import choose_move
from tests.servers import wait_until_serving

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


class Server:
    """``chokepoint classroom`` on a SQLite file and a fixed port, restartable."""

    def __init__(self, db: Path, port: int, log: Path):
        self.db, self.port, self.log = db, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        """Start it; return the teacher's URL it printed."""
        self.log.write_text("")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "classroom", "--no-browser", "--port",
             str(self.port), "--db", f"sqlite:///{self.db}"], cwd=ROOT,
            stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        wait_until_serving(self.proc, self.base + "/join", self.log)
        return re.search(r"(http://\S+/teacher\?token=\S+)", self.log.read_text()).group(1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        text = self.log.read_text()
        assert "Traceback" not in text, text
        assert "Could not load URL" not in text


@pytest.fixture
def server(tmp_path):
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    s = Server(tmp_path / "class.db", free_port(), ARTIFACTS / "controls-server.log")
    yield s
    if s.proc is not None and s.proc.poll() is None:
        s.proc.terminate()
        s.proc.wait(timeout=30)


def shot(page: Page, name: str, full: bool = True) -> None:
    page.wait_for_timeout(800)  # the last render settles
    page.screenshot(path=str(ARTIFACTS / f"classroom-{name}.png"), full_page=full)


def test_every_teacher_and_team_control_does_what_it_says(server, browser):
    teacher_url = server.start()
    base = server.base
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        choose(teacher, "Scenario", "lesson: denial_order")
        code = create_game(teacher, 0, start=False)  # in the lobby
        expect(teacher.locator(".lobby-note")).to_be_visible(timeout=TIMEOUT)
        expect(teacher.locator(".resolve-button")).to_be_disabled()
        projector = new_page(browser, guards)
        projector.set_viewport_size({"width": 1920, "height": 1080})
        projector.goto(f"{base}/projector?code={code}")
        expect(projector.locator(".lobby")).to_contain_text("nobody yet", timeout=TIMEOUT)
        expect(projector.locator(".join-address")).to_have_text(f"{base}/join")
        us = new_page(browser, guards)
        join(us, base, code, "US", "ana")
        expect(us.locator(".lobby-wait")).to_be_visible(timeout=TIMEOUT)
        expect(us.locator(".move-submit")).to_have_count(0)
        expect(projector.locator(".lobby")).to_contain_text("ana", timeout=TIMEOUT)
        shot(projector, "projector-lobby", full=False)
        shot(us, "team-lobby")

        # Start: turn 1 begins; the form offers only targets the move accepts
        teacher.locator(".start-button").click()
        expect(us.locator(".move-submit")).to_be_visible(timeout=TIMEOUT)
        expect(projector.locator(".lobby")).to_have_count(0, timeout=TIMEOUT)
        wait_step(projector, 0)
        choose(us, "Move", "delist")  # nobody is listed: no target to offer
        expect(us.locator(".move-none")).to_be_visible(timeout=TIMEOUT)
        expect(us.locator(".move-submit")).to_be_disabled()
        choose(us, "Move", "entity_list")
        expect(us.locator(".move-details")).to_have_count(1)  # the legal text, folded
        assert not us.locator(".move-details").evaluate("e => e.open")
        # the status says which teams are bots (ZTE and CN have no student)
        expect(projector.locator(".team-bot")).to_have_count(2, timeout=TIMEOUT)
        expect(teacher.locator(".seat-row").filter(has_text="ZTE")).to_contain_text(
            "its bot plays", timeout=TIMEOUT)

        # Broadcast: every page shows the message
        teacher.get_by_label("Message to every page").fill("Two minutes left, team!")
        teacher.locator(".broadcast-button").click()
        for page in (us, projector):
            expect(page.locator(".broadcast")).to_contain_text("Two minutes left",
                                                               timeout=TIMEOUT)
        shot(projector, "projector-broadcast", full=False)

        # Lock room: a new student cannot join; unlock lets them in
        teacher.locator(".room-lock-button").click()
        expect(teacher.locator(".room-lock-button")).to_have_text(re.compile("Unlock room"),
                                                                  timeout=TIMEOUT)
        late = new_page(browser, guards)
        late.goto(f"{base}/join?code={code}")
        # a locked room answers as a wrong code does, and shows no team (docs/security.md)
        expect(late.locator(".join-error")).to_contain_text("the room may be locked",
                                                            timeout=TIMEOUT)
        expect(late.locator(".v-select").filter(has_text="Your team")).to_have_count(0)
        teacher.locator(".room-lock-button").click()
        expect(teacher.locator(".room-lock-button")).to_have_text(re.compile("Lock room"),
                                                                  timeout=TIMEOUT)
        late.goto(f"{base}/join?code={code}")
        choose(late, "Your team", "ZTE")
        late.locator(".join-button").click()
        expect(late.locator(".seat-banner")).to_contain_text("team ZTE", timeout=TIMEOUT)

        # a phone: the US's page at 390 px, a move made, both buttons on the screen
        us.set_viewport_size({"width": 390, "height": 844})
        us.locator(".move-submit").click()
        expect(us.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
        for button in (".lock-button", ".withdraw-button"):
            box = us.locator(button).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        us.locator(".withdraw-button").scroll_into_view_if_needed()
        shot(us, "team-phone", full=False)
        us.locator(".withdraw-button").click()
        expect(us.locator(".pending-move")).to_have_count(0, timeout=TIMEOUT)

        # a freed seat: the student's page says so and offers to join again
        teacher.locator("button", has_text="free ana").click()
        expect(us.locator(".seat-freed")).to_be_visible(timeout=TIMEOUT)
        expect(us.locator(".join-button")).to_be_visible()
        shot(us, "team-freed", full=False)
        choose(us, "Your team", "US")
        us.locator(".join-button").click()
        expect(us.locator(".seat-banner")).to_contain_text("team US", timeout=TIMEOUT)

        # the teacher moves the late student to the US: their page says so and goes there
        teacher.locator(".seat-map button", has_text="→ US").click()
        expect(teacher.locator(".seat-row").filter(has_text="US: 2 student(s)")).to_be_visible(
            timeout=TIMEOUT)
        expect(late.locator(".seat-moved")).to_contain_text("team US", timeout=TIMEOUT)
        late.locator(".seat-moved-go").click()
        expect(late.locator(".seat-banner")).to_contain_text("team US", timeout=TIMEOUT)

        # Inject a move for the US, Resolve now, Undo last turn
        choose(teacher, "Move", "announce")
        choose(teacher, "Target", "ZTE")
        teacher.get_by_role("button", name="Inject", exact=True).click()
        expect(us.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        teacher.locator(".resolve-button").click()
        wait_step(projector, 4)
        expect(projector.locator(".news")).to_contain_text("ZTE", timeout=TIMEOUT)
        expect(teacher.locator(".undo-button")).to_be_enabled(timeout=TIMEOUT)
        teacher.locator(".undo-button").click()
        wait_step(projector, 0)
        wait_step(us, 0)

        # a team's view, read-only, and the debrief in the middle of the game
        teacher.locator(".v-card").filter(has_text="A team's view").locator(".v-select").click()
        teacher.get_by_role("option", name="US", exact=True).click()
        expect(teacher.get_by_text("Read-only view of the team")).to_be_visible(timeout=TIMEOUT)
        debrief = new_page(browser, guards)
        debrief.goto(base + teacher.get_by_role("link", name="Debrief").get_attribute("href"))
        expect(debrief.get_by_text("Debrief —")).to_be_visible(timeout=TIMEOUT)

        # End game: every page shows it is over
        shot(teacher, "teacher-game")
        teacher.locator(".end-button").click()
        for page in (us, projector):
            expect(page.locator(".countdown").first).to_have_text("game over",
                                                                 timeout=TIMEOUT)
        expect(projector.locator(".team-status")).to_contain_text("ended by the teacher")
        expect(teacher.locator(".end-button")).to_be_disabled(timeout=TIMEOUT)
        shot(projector, "projector-ended", full=False)
    finally:
        close_pages(guards)


def test_pages_come_back_by_themselves_after_a_server_restart(server, browser):
    """kill -9 of the server, restarted on the same port and database: the team's page and
    the projector show the same seat and view again, with no refresh by hand."""
    teacher_url = server.start()
    base = server.base
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        choose(teacher, "Turns advance", "timer")
        code = create_game(teacher, 300)
        us = new_page(browser, guards)
        join(us, base, code, "US", "ana")
        projector = new_page(browser, guards)
        projector.goto(f"{base}/projector?code={code}")
        wait_step(projector, 0)
        us.locator(".move-submit").click()  # turn 1: the US lists ZTE
        expect(us.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        teacher.locator(".resolve-button").click()
        wait_step(us, 4)
        choose_move(us, "delist")  # turn 2: a move pending when the server dies
        us.locator(".move-submit").click()
        expect(us.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        # what opening the seat's page takes on this machine now (a reload costs as much)
        t0 = time.monotonic()
        fresh = us.context.new_page()
        fresh.goto(us.url)
        expect(fresh.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        opening = time.monotonic() - t0
        fresh.close()
        server.kill()
        down = time.monotonic()
        server.start()
        up = time.monotonic()
        # the student's page: the same seat, its pending move, the timer held
        expect(us.locator(".countdown").first).to_contain_text("timer paused", timeout=30_000)
        expect(us.locator(".seat-banner")).to_contain_text("team US")
        back = time.monotonic()
        expect(us.locator(".pending-move")).to_have_count(1)
        for page in (projector, teacher):  # and the others, reloading meanwhile
            expect(page.locator(".countdown").first).to_contain_text("timer paused",
                                                                     timeout=30_000)
        print(f"restart: server up {up - down:.1f} s after the kill, the team's page back "
              f"{back - up:.1f} s later, all three {time.monotonic() - up:.1f} s (opening "
              f"the page took {opening:.1f} s before the restart)")
        assert back - up < 10, (back - up, opening)
        shot(us, "team-after-restart", full=False)
        teacher.get_by_role("button", name="Resume timer").click()
        expect(us.locator(".countdown").first).to_have_text(re.compile(r"^4:\d\d left$"),
                                                            timeout=TIMEOUT)

        # after the restart: undo turn 1, the same move again; the running game keeps it
        teacher.locator(".undo-button").click()
        wait_step(us, 0)
        choose_move(us, "entity_list")
        us.locator(".move-submit").click()
        expect(us.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        teacher.locator(".resolve-button").click()
        wait_step(us, 4)
        debrief = new_page(browser, guards)
        debrief.goto(base + teacher.get_by_role("link", name="Debrief").get_attribute("href"))
        with debrief.expect_download(timeout=TIMEOUT) as info:
            debrief.get_by_text("Export the game (ZIP)").click()
        z = zipfile.ZipFile(info.value.path())
        made = [(m["turn"], m["move"], m["target"], m["made_by"]) for m in csv.DictReader(
            io.StringIO(z.read("moves.csv").decode())) if m["actor"] == "US"]
        assert made == [("1", "entity_list", "ZTE", "human")], made
        log = [(r["turn"], r["move"], r["status"]) for r in csv.DictReader(
            io.StringIO(z.read("log.csv").decode())) if r["kind"] == "move"]
        assert log == [("1", "entity_list", "undone"), ("2", "delist", "undone"),
                       ("1", "entity_list", "made")], log
    finally:
        close_pages(guards, failed_ok=True)
